"""API routes of the enterprises app (read-only: credit-code check, published runs and results)."""

from __future__ import annotations

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Schema

from zhili.accounts.permissions import Action, require
from zhili.core.credit_code import credit_code_check
from zhili.core.parameters import ApiIdentifier
from zhili.enterprises import selectors
from zhili.enterprises.models import EvaluationRun

router = Router(tags=["enterprises"])


class CreditCodeCheckOut(Schema):
    code: str
    valid: bool
    problem: str
    message: str


class RunOut(Schema):
    id: int
    year: int
    version: int
    status: str
    scheme: str
    classes: dict[str, int]
    published_at: str | None


class ResultOut(Schema):
    credit_code: str
    name: str
    total: float | None
    rank: int
    class_code: str
    previous_class: str
    not_rated_reason: str
    vetoed: bool


@router.get("/credit-codes/{code}", response=CreditCodeCheckOut)
def credit_code_validate(request: HttpRequest, code: str) -> CreditCodeCheckOut:
    require(request.user, Action.ENTERPRISE_VIEW)
    check = credit_code_check(code)
    return CreditCodeCheckOut(code=check.code, valid=check.is_valid, problem=check.problem, message=check.message)


def _run_out(run: EvaluationRun) -> RunOut:
    return RunOut(id=run.pk, year=run.year, version=run.version, status=run.status,
                  scheme=f"{run.scheme.name} v{run.scheme.version}", classes=run.summary.get("classes", {}),
                  published_at=run.published_at.isoformat() if run.published_at else None)


@router.get("/runs", response=list[RunOut])
def run_list(request: HttpRequest) -> list[RunOut]:
    require(request.user, Action.ENTERPRISE_VIEW)
    return [_run_out(run) for run in selectors.runs_recent(50)]


@router.get("/runs/{run_id}/results", response=list[ResultOut])
def run_results(request: HttpRequest, run_id: ApiIdentifier, class_code: str = "") -> list[ResultOut]:
    require(request.user, Action.ENTERPRISE_VIEW)
    run = get_object_or_404(EvaluationRun, pk=run_id)
    results = selectors.results_for_user(run, request.user)  # type: ignore[arg-type]
    if class_code:
        results = results.filter(class_code=class_code)
    return [ResultOut(credit_code=result.enterprise.credit_code, name=result.enterprise.name, total=result.total,
                      rank=result.rank, class_code=result.class_code, previous_class=result.previous_class,
                      not_rated_reason=result.not_rated_reason, vetoed=result.vetoed)
            for result in results.order_by("class_code", "rank")[:5000]]
