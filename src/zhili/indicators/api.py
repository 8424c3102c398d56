"""API routes of the indicators app: plans and their evaluation (read-only JSON)."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema

from zhili.accounts.permissions import Action, require
from zhili.core.parameters import ApiIdentifier, ApiYear
from zhili.indicators import selectors

router = Router(tags=["indicators"])


class PlanOut(Schema):
    id: int
    code: str
    name: str
    base_year: int
    target_year: int
    indicator_count: int


class IndicatorEvaluationOut(Schema):
    id: int
    code: str
    name: str
    group: str
    unit: str
    attribute: str
    kind: str
    target_value: float | None
    year: int
    status: str
    status_label: str
    reason: str
    expected_share: float | None
    ratio: float | None
    realised_value: float | None
    expected_value: float | None
    projected_value: float | None
    sdg_score: float | None


class PlanEvaluationOut(Schema):
    plan: PlanOut
    year: int
    counts: dict[str, int]
    indicators: list[IndicatorEvaluationOut]


def _finite(value: float | None) -> float | None:
    if value is None or value != value or value in (float("inf"), float("-inf")):
        return None
    return value


@router.get("/plans", response=list[PlanOut], summary="规划列表")
def plans(request: HttpRequest) -> list[PlanOut]:
    require(request.user, Action.INDICATOR_VIEW)
    return [PlanOut(id=plan.pk, code=plan.code, name=str(plan), base_year=plan.base_year, target_year=plan.target_year,
                    indicator_count=plan.indicator_count)  # type: ignore[attr-defined]
            for plan in selectors.plan_list()]


@router.get("/plans/{plan_id}/evaluation", response=PlanEvaluationOut, summary="规划某年的指标评估")
def plan_evaluation(request: HttpRequest, plan_id: ApiIdentifier, year: ApiYear | None = None) -> PlanEvaluationOut:
    plan = selectors.plan_get(plan_id=plan_id)
    require(request.user, Action.INDICATOR_VIEW, plan)
    chosen = year if year is not None and year in plan.years else selectors.default_year(plan)
    evaluation = selectors.plan_evaluation(plan, chosen)
    rows = [
        IndicatorEvaluationOut(
            id=row.indicator.pk, code=row.indicator.code, name=row.indicator.name, group=group.group.name,
            unit=row.indicator.unit, attribute=row.indicator.attribute, kind=row.indicator.kind,
            target_value=row.indicator.target_value, year=chosen, status=row.evaluation.status.slug,
            status_label=row.evaluation.status.label, reason=row.evaluation.reason,
            expected_share=_finite(row.evaluation.expected_share), ratio=_finite(row.evaluation.ratio),
            realised_value=_finite(row.evaluation.realised_value), expected_value=_finite(row.evaluation.expected_value),
            projected_value=_finite(row.evaluation.projected_value), sdg_score=_finite(row.evaluation.sdg_score),
        )
        for group in evaluation.groups for row in group.rows
    ]
    plan_out = PlanOut(id=plan.pk, code=plan.code, name=str(plan), base_year=plan.base_year,
                       target_year=plan.target_year, indicator_count=len(rows))
    return PlanEvaluationOut(plan=plan_out, year=chosen,
                             counts={status.slug: count for status, count in evaluation.count_items},
                             indicators=rows)
