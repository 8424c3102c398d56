"""Reads of the indicators app: plans, current observations, evaluations for pages and reports."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Count, QuerySet

from zhili.core import clock
from zhili.core.errors import NotFoundError
from zhili.indicators.evaluation import (
    DEFAULT_THRESHOLDS,
    ChartSeries,
    Evaluation,
    IndicatorSpec,
    Status,
    Thresholds,
    chart_series,
    evaluate_indicator,
)
from zhili.indicators.models import (
    Direction,
    Indicator,
    IndicatorDraft,
    IndicatorGroup,
    IndicatorKind,
    Observation,
    Plan,
)


def plan_list() -> QuerySet[Plan]:
    return Plan.objects.annotate(indicator_count=Count("indicators")).order_by("-target_year", "code")


def plan_get(*, plan_id: int) -> Plan:
    plan = Plan.objects.select_related("scope_area").filter(pk=plan_id).first()
    if plan is None:
        raise NotFoundError("plan_not_found", "找不到该规划，它可能已被删除。请返回规划列表重新选择。")
    return plan


def indicator_get(*, indicator_id: int) -> Indicator:
    indicator = Indicator.objects.select_related("plan", "group").filter(pk=indicator_id).first()
    if indicator is None:
        raise NotFoundError("indicator_not_found", "找不到该指标，它可能已被删除。请返回规划总览重新选择。")
    return indicator


def plan_thresholds(plan: Plan) -> Thresholds:
    return Thresholds(ahead_ratio=plan.ahead_ratio, lag_ratio=plan.lag_ratio) if plan.pk else DEFAULT_THRESHOLDS


def indicator_spec(indicator: Indicator, plan: Plan | None = None) -> IndicatorSpec:
    plan = plan or indicator.plan
    return IndicatorSpec(
        kind=indicator.kind,
        direction=1 if indicator.direction == Direction.HIGHER else -1,
        base_year=plan.base_year,
        target_year=plan.target_year,
        baseline=indicator.baseline_value,
        baseline_year=indicator.baseline_year if indicator.baseline_value is not None else None,
        target=indicator.target_value,
        growth_input=indicator.growth_input or "level",
    )


@dataclass
class CurrentValues:
    """The latest revision of each annual observation: indicator id → {year: value}."""

    values: dict[int, dict[int, float]] = field(default_factory=dict)
    qualitative: dict[int, dict[int, str]] = field(default_factory=dict)
    latest: dict[tuple[int, int], Observation] = field(default_factory=dict)


def current_values(indicator_ids: Iterable[int]) -> CurrentValues:
    result = CurrentValues()
    rows = (
        Observation.objects.filter(indicator_id__in=list(indicator_ids), quarter=0)
        .select_related("entered_by")
        .order_by("indicator_id", "year", "revision")
    )
    for row in rows:  # later revisions overwrite earlier ones
        result.latest[(row.indicator_id, row.year)] = row
    for (indicator_id, year), row in result.latest.items():
        if row.value is not None:
            result.values.setdefault(indicator_id, {})[year] = row.value
        else:
            result.values.setdefault(indicator_id, {}).pop(year, None)
        if row.qualitative_status:
            result.qualitative.setdefault(indicator_id, {})[year] = row.qualitative_status
    return result


@dataclass
class IndicatorRow:
    indicator: Indicator
    evaluation: Evaluation
    value: float | None
    qualitative: str


@dataclass
class GroupRows:
    group: IndicatorGroup
    rows: list[IndicatorRow]
    counts: dict[Status, int]


@dataclass
class PlanEvaluation:
    plan: Plan
    year: int
    groups: list[GroupRows]
    counts: dict[Status, int]
    off_track: list[IndicatorRow]  # binding first, then the most severe

    @property
    def rows(self) -> list[IndicatorRow]:
        return [row for group in self.groups for row in group.rows]

    @property
    def count_items(self) -> list[tuple[Status, int]]:
        return [(status, self.counts.get(status, 0)) for status in Status]


def default_year(plan: Plan) -> int:
    """The latest year with any annual observation, else the current year clamped into the plan."""
    latest = (
        Observation.objects.filter(indicator__plan=plan, quarter=0, year__gt=plan.base_year,
                                   year__lte=plan.target_year)
        .order_by("-year").values_list("year", flat=True).first()
    )
    if latest is not None:
        return int(latest)
    return min(max(clock.today().year - 1, plan.base_year + 1), plan.target_year)


def _row_order(row: IndicatorRow) -> tuple[int, int, int]:
    return (0 if row.indicator.is_binding else 1, row.indicator.number, row.indicator.pk)


def plan_evaluation(plan: Plan, year: int) -> PlanEvaluation:
    """Every indicator of ``plan`` evaluated in ``year``, by group; binding indicators listed first."""
    indicators = list(plan.indicators.select_related("group").order_by("number", "pk"))
    current = current_values(indicator.pk for indicator in indicators)
    thresholds = plan_thresholds(plan)
    by_group: dict[int, list[IndicatorRow]] = defaultdict(list)
    for indicator in indicators:
        evaluation = evaluate_indicator(
            indicator_spec(indicator, plan), current.values.get(indicator.pk, {}), year, thresholds,
            current.qualitative.get(indicator.pk, {}),
        )
        by_group[indicator.group_id].append(IndicatorRow(
            indicator=indicator, evaluation=evaluation,
            value=current.values.get(indicator.pk, {}).get(year),
            qualitative=current.qualitative.get(indicator.pk, {}).get(year, ""),
        ))
    groups: list[GroupRows] = []
    total: Counter[Status] = Counter()
    for group in plan.groups.order_by("position", "pk"):
        rows = sorted(by_group.get(group.pk, []), key=_row_order)
        counts = Counter(row.evaluation.status for row in rows)
        total.update(counts)
        groups.append(GroupRows(group=group, rows=rows, counts=dict(counts)))
    off_track = sorted(
        (row for group in groups for row in group.rows if row.evaluation.status.off_track),
        key=lambda row: (0 if row.indicator.is_binding else 1, -int(row.evaluation.status), row.indicator.number),
    )
    return PlanEvaluation(plan=plan, year=year, groups=groups, counts=dict(total), off_track=off_track)


@dataclass
class IndicatorDetail:
    indicator: Indicator
    year: int
    evaluation: Evaluation
    evaluations: list[Evaluation]
    chart: ChartSeries
    history: list[Observation]


def indicator_detail(indicator: Indicator, year: int) -> IndicatorDetail:
    plan = indicator.plan
    current = current_values([indicator.pk])
    values = current.values.get(indicator.pk, {})
    qualitative = current.qualitative.get(indicator.pk, {})
    spec = indicator_spec(indicator, plan)
    thresholds = plan_thresholds(plan)
    evaluations = [evaluate_indicator(spec, values, y, thresholds, qualitative) for y in plan.years]
    history = list(
        indicator.observations.select_related("entered_by").order_by("-year", "quarter", "-revision")
    )
    return IndicatorDetail(
        indicator=indicator, year=year, evaluation=evaluate_indicator(spec, values, year, thresholds, qualitative),
        evaluations=evaluations, chart=chart_series(spec, values, year), history=history,
    )


def plan_drafts(plan: Plan) -> QuerySet[IndicatorDraft]:
    return plan.drafts.order_by("status", "pk")


def platform_bound_indicators() -> QuerySet[Indicator]:
    return Indicator.objects.exclude(platform_metric="").select_related("plan")


KIND_LABELS = dict(IndicatorKind.choices)
