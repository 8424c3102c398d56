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
    EvaluationReport,
    Indicator,
    IndicatorDraft,
    IndicatorGroup,
    IndicatorKind,
    Observation,
    Plan,
    TargetRevision,
)
from zhili.indicators.rules import (
    NarrativeIndicator,
    ProgressMeasures,
    TargetVersion,
    final_sections,
    midterm_sections,
    progress_measures,
    spec_with_target,
    target_for_year,
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


def original_target(indicator: Indicator) -> TargetVersion:
    return TargetVersion(from_year=0, value=indicator.target_value, text=indicator.target_text)


def target_versions(indicator_ids: Iterable[int]) -> dict[int, list[TargetVersion]]:
    """Every recorded target revision of the indicators, oldest decision first."""
    versions: dict[int, list[TargetVersion]] = defaultdict(list)
    rows = TargetRevision.objects.filter(indicator_id__in=list(indicator_ids)).order_by("indicator_id", "revision")
    for row in rows:
        versions[row.indicator_id].append(TargetVersion(
            from_year=row.effective_from_year, value=row.target_value, text=row.target_text,
            decision_reference=row.decision_reference, revision=row.revision,
        ))
    return dict(versions)


def applied_target(indicator: Indicator, revisions: list[TargetVersion], year: int) -> TargetVersion:
    return target_for_year(original_target(indicator), revisions, year)


@dataclass
class IndicatorRow:
    indicator: Indicator
    evaluation: Evaluation
    value: float | None
    qualitative: str
    target: TargetVersion | None = None
    measures: ProgressMeasures | None = None

    @property
    def target_display(self) -> str:
        """The target that applied in the evaluated year, as stated (text first, else the number)."""
        target = self.target or original_target(self.indicator)
        stated = self.indicator.target_text if not target.revision else target.text
        return stated or ("" if target.value is None else f"{target.value:g}")

    @property
    def target_revised(self) -> bool:
        return bool(self.target and self.target.revision)


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


def _row_order(row: IndicatorRow) -> tuple[int, int]:
    # 序号 order within a group, as the plan lists them; binding ones are marked, and listed first
    # only in the warning list (off_track).
    return (row.indicator.number, row.indicator.pk)


def plan_evaluation(plan: Plan, year: int) -> PlanEvaluation:
    """Every indicator of ``plan`` evaluated in ``year``, by group; binding indicators listed first."""
    indicators = list(plan.indicators.select_related("group").order_by("number", "pk"))
    current = current_values(indicator.pk for indicator in indicators)
    revisions = target_versions(indicator.pk for indicator in indicators)
    thresholds = plan_thresholds(plan)
    by_group: dict[int, list[IndicatorRow]] = defaultdict(list)
    for indicator in indicators:
        target = applied_target(indicator, revisions.get(indicator.pk, []), year)
        spec = spec_with_target(indicator_spec(indicator, plan), target.value)
        evaluation = evaluate_indicator(
            spec, current.values.get(indicator.pk, {}), year, thresholds, current.qualitative.get(indicator.pk, {}),
        )
        by_group[indicator.group_id].append(IndicatorRow(
            indicator=indicator, evaluation=evaluation,
            value=current.values.get(indicator.pk, {}).get(year),
            qualitative=current.qualitative.get(indicator.pk, {}).get(year, ""),
            target=target, measures=progress_measures(spec, evaluation),
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
class YearEvaluation:
    """One year of an indicator's history: the target that applied then and the evaluation by it."""

    evaluation: Evaluation
    target: TargetVersion
    measures: ProgressMeasures


@dataclass
class IndicatorDetail:
    indicator: Indicator
    year: int
    evaluation: Evaluation
    evaluations: list[Evaluation]
    chart: ChartSeries
    history: list[Observation]
    years: list[YearEvaluation] = field(default_factory=list)
    target: TargetVersion | None = None
    measures: ProgressMeasures | None = None
    revisions: list[TargetRevision] = field(default_factory=list)


def indicator_detail(indicator: Indicator, year: int) -> IndicatorDetail:
    plan = indicator.plan
    current = current_values([indicator.pk])
    values = current.values.get(indicator.pk, {})
    qualitative = current.qualitative.get(indicator.pk, {})
    spec = indicator_spec(indicator, plan)
    revisions = target_versions([indicator.pk]).get(indicator.pk, [])
    thresholds = plan_thresholds(plan)
    years: list[YearEvaluation] = []
    for evaluated_year in plan.years:
        target = applied_target(indicator, revisions, evaluated_year)
        year_spec = spec_with_target(spec, target.value)
        evaluation = evaluate_indicator(year_spec, values, evaluated_year, thresholds, qualitative)
        years.append(YearEvaluation(evaluation=evaluation, target=target,
                                    measures=progress_measures(year_spec, evaluation)))
    target = applied_target(indicator, revisions, year)
    year_spec = spec_with_target(spec, target.value)
    evaluation = evaluate_indicator(year_spec, values, year, thresholds, qualitative)
    history = list(
        indicator.observations.select_related("entered_by").order_by("-year", "quarter", "-revision")
    )
    return IndicatorDetail(
        indicator=indicator, year=year, evaluation=evaluation, evaluations=[item.evaluation for item in years],
        chart=chart_series(year_spec, values, year), history=history, years=years, target=target,
        measures=progress_measures(year_spec, evaluation),
        revisions=list(indicator.target_revisions.select_related("decided_by").order_by("-revision")),
    )


# ---------------------------------------------------------------------------------------------
# Progress by owner department
# ---------------------------------------------------------------------------------------------

UNASSIGNED_DEPARTMENT = "未明确责任部门"


@dataclass
class DepartmentProgress:
    department: str
    rows: list[IndicatorRow]
    counts: dict[Status, int]

    @property
    def lagging(self) -> list[IndicatorRow]:
        return [row for row in self.rows if row.evaluation.status.off_track]

    @property
    def missing(self) -> list[IndicatorRow]:
        return [row for row in self.rows if row.evaluation.reason == "no_observation"]

    @property
    def count_items(self) -> list[tuple[Status, int]]:
        return [(status, self.counts.get(status, 0)) for status in Status]


def plan_progress_by_department(plan: Plan, year: int) -> list[DepartmentProgress]:
    """Every indicator of ``plan`` in ``year`` grouped by its responsible department (责任部门),
    departments with lagging indicators first, then by name."""
    evaluation = plan_evaluation(plan, year)
    by_department: dict[str, list[IndicatorRow]] = defaultdict(list)
    for row in evaluation.rows:
        by_department[row.indicator.source_department.strip() or UNASSIGNED_DEPARTMENT].append(row)
    result = [
        DepartmentProgress(department=name, rows=sorted(rows, key=_row_order),
                           counts=dict(Counter(row.evaluation.status for row in rows)))
        for name, rows in by_department.items()
    ]
    return sorted(result, key=lambda item: (-len(item.lagging), item.department))


@dataclass(frozen=True)
class DepartmentReminder:
    department: str
    indicator_names: list[str]


def missing_data_by_department(plan: Plan, data_year: int) -> list[DepartmentReminder]:
    """Departments with indicators that have no value for ``data_year`` yet (the reminder's content)."""
    if data_year not in plan.years:
        return []
    indicators = list(plan.indicators.order_by("number", "pk"))
    current = current_values(indicator.pk for indicator in indicators)
    missing: dict[str, list[str]] = defaultdict(list)
    for indicator in indicators:
        has_value = data_year in current.values.get(indicator.pk, {}) or \
            data_year in current.qualitative.get(indicator.pk, {})
        if not has_value:
            missing[indicator.source_department.strip() or UNASSIGNED_DEPARTMENT].append(indicator.name)
    return [DepartmentReminder(department=name, indicator_names=names) for name, names in sorted(missing.items())]


# ---------------------------------------------------------------------------------------------
# Report versions
# ---------------------------------------------------------------------------------------------

def report_versions(plan: Plan, stage: str, year: int) -> QuerySet[EvaluationReport]:
    return plan.reports.filter(stage=stage, year=year).select_related("created_by", "issued_by").order_by("-version")


def report_get(*, report_id: int) -> EvaluationReport:
    report = EvaluationReport.objects.select_related("plan").filter(pk=report_id).first()
    if report is None:
        raise NotFoundError("report_not_found", "找不到该评估报告版本。请返回规划总览重新生成。")
    return report


def plan_drafts(plan: Plan) -> QuerySet[IndicatorDraft]:
    return plan.drafts.order_by("status", "pk")


def platform_bound_indicators() -> QuerySet[Indicator]:
    return Indicator.objects.exclude(platform_metric="").select_related("plan")


KIND_LABELS = dict(IndicatorKind.choices)


@dataclass
class ReportFigures:
    """What a report is built from: the evaluation of the year and the narrative inputs."""

    evaluation: PlanEvaluation
    items: list[NarrativeIndicator]
    groups: list[str]
    revisions: list[TargetRevision]


def report_figures(plan: Plan, year: int) -> ReportFigures:
    """The evaluation of ``year`` with the three measures and the target that applied, per indicator."""
    evaluation = plan_evaluation(plan, year)
    items: list[NarrativeIndicator] = []
    for group in evaluation.groups:
        for row in group.rows:
            indicator = row.indicator
            target = row.target or original_target(indicator)
            measures = row.measures or progress_measures(indicator_spec(indicator, plan), row.evaluation)
            items.append(NarrativeIndicator(
                code=indicator.code, number=indicator.number, name=indicator.name, unit=indicator.unit,
                kind=indicator.kind, direction=1 if indicator.direction == Direction.HIGHER else -1,
                binding=indicator.is_binding, group=group.group.name,
                department=indicator.source_department.strip(), target=target.value,
                target_text=indicator.target_text if not target.revision else target.text,
                start_value=row.evaluation.start_value, start_year=row.evaluation.start_year,
                evaluation=row.evaluation, measures=measures,
                target_revised_from=indicator.target_value if target.revision else None,
                decision_reference=target.decision_reference,
            ))
    revisions = list(TargetRevision.objects.filter(indicator__plan=plan).select_related("indicator")
                     .order_by("indicator__number", "revision"))
    return ReportFigures(evaluation=evaluation, items=items, groups=[group.group.name for group in evaluation.groups],
                         revisions=revisions)


def revision_lines(revisions: Iterable[TargetRevision]) -> list[str]:
    """Target revisions already decided, as sentences for the report."""
    return [
        f"{revision.indicator.name}目标已经{revision.decision_reference}调整："
        f"{'' if revision.previous_value is None else f'{revision.previous_value:g}'}→"
        f"{revision.target_text or ('' if revision.target_value is None else f'{revision.target_value:g}')}"
        f"（自{revision.effective_from_year}年起适用）。"
        for revision in revisions
    ]


def report_sections_generated(plan: Plan, stage: str, year: int) -> list[dict[str, object]]:
    """The generated narrative of a mid-term or final report (before the planner's edits)."""
    figures = report_figures(plan, year)
    name = str(plan)
    if stage == "final":
        sections = final_sections(plan_name=name, base_year=plan.base_year, target_year=plan.target_year,
                                  items=figures.items, groups=figures.groups)
    else:
        sections = midterm_sections(plan_name=name, base_year=plan.base_year, target_year=plan.target_year,
                                    year=year, items=figures.items, groups=figures.groups,
                                    revisions=revision_lines(figures.revisions))
    return [section.as_dict() for section in sections]
