"""Reads of the projects app: the 调度 list, a project's file, reconciliation, public progress, exports."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db.models import Case, Count, IntegerField, Q, QuerySet, Sum, Value, When
from django.utils.translation import gettext as _

from zhili.accounts.models import User
from zhili.accounts.permissions import Action, user_can
from zhili.accounts.roles import Role
from zhili.core import clock
from zhili.core.errors import NotFoundError
from zhili.projects import rules
from zhili.projects.contracts import DispatchFilter
from zhili.projects.models import (
    Light,
    MonthlyReport,
    Project,
    ProjectKind,
    ProjectProblem,
    StatisticsFigure,
    YearPlan,
)

STAGE_GROUPS = ("preparing", "building", "finished")


def projects_visible_to(user: User | AnonymousUser) -> QuerySet[Project]:
    """The projects ``user`` may open: a unit its own, the project office and leaders all (in their area)."""
    if not user_can(user, Action.PROJECT_VIEW):
        return Project.objects.none()
    projects = Project.objects.all()
    assert isinstance(user, User)  # noqa: S101 - user_can granted only to signed-in users
    if user.role == Role.HANDLER:
        return projects.filter(department_id=user.department_id) if user.department_id else projects.none()
    if user.role != Role.ADMIN and user.scope_area is not None:
        return projects.filter(area_path__startswith=user.scope_area.path)
    return projects


def project_visible_or_404(*, user: User | AnonymousUser, code: str) -> Project:
    project = projects_visible_to(user).select_related("department", "leader", "chain", "grid").filter(code=code).first()
    if project is None:
        raise NotFoundError("project_not_found", _not_found_message(code))
    return project


def _not_found_message(code: str) -> str:
    return _("项目“%(code)s”不存在，或不在您的管辖范围内。") % {"code": code[:40]}


def projects_filtered(projects: QuerySet[Project], dispatch_filter: DispatchFilter) -> QuerySet[Project]:
    if dispatch_filter.level:
        projects = projects.filter(level=dispatch_filter.level)
    if dispatch_filter.kind:
        projects = projects.filter(kind=dispatch_filter.kind)
    if dispatch_filter.department_id:
        projects = projects.filter(department_id=dispatch_filter.department_id)
    if dispatch_filter.light:
        projects = projects.filter(light=dispatch_filter.light)
    if dispatch_filter.leader_id:
        projects = projects.filter(leader_id=dispatch_filter.leader_id)
    if dispatch_filter.stage == "preparing":
        projects = projects.filter(actual_start__isnull=True)
    elif dispatch_filter.stage == "building":
        projects = projects.filter(actual_start__isnull=False, actual_finish__isnull=True)
    elif dispatch_filter.stage == "finished":
        projects = projects.filter(actual_finish__isnull=False)
    return projects


@dataclass(frozen=True)
class YearFigures:
    """One project's year as of a month: the plan (original, current, revisions) and what was completed."""

    original: float
    plan: float
    revisions: list[rules.PlanRevision]
    completed: float
    # month → investment, read only for a project whose plan was revised (序时进度 needs it then)
    completed_by_month: dict[int, float]

    def expected(self, *, year: int, month: int, start: dt.date | None) -> float:
        return rules.expected_to_date(year=year, month=month, original_amount=self.original,
                                      revisions=self.revisions, start=start,
                                      completed_by_month=self.completed_by_month)


_NO_FIGURES = YearFigures(original=0.0, plan=0.0, revisions=[], completed=0.0, completed_by_month={})


def year_figures(*, year: int, month: int, project_ids: Sequence[int] | None = None) -> dict[int, YearFigures]:
    """Every project's (or the given ones') plan and completion of ``year`` through ``month``.

    Set-based: one read of the year's plans and one aggregate over the reports grouped by project;
    the month-by-month reports are read only for the few projects whose plan was revised.
    """
    plans = YearPlan.objects.filter(year=year)
    reports = MonthlyReport.objects.filter(year=year, month__lte=month)
    if project_ids is not None:
        plans = plans.filter(project_id__in=list(project_ids))
        reports = reports.filter(project_id__in=list(project_ids))
    completed = {project_id: float(total) for project_id, total in reports.order_by().values("project_id").annotate(
        total=Sum("investment")).values_list("project_id", "total")}
    read_plans = list(plans.values_list("project_id", "original_amount", "amount", "revisions"))
    revised = [row[0] for row in read_plans if row[3]]
    by_month: dict[int, dict[int, float]] = defaultdict(dict)
    if revised:
        for project_id, report_month, investment in reports.filter(project_id__in=revised).values_list(
                "project_id", "month", "investment"):
            by_month[project_id][report_month] = float(investment)
    figures = {project_id: YearFigures(
        original=float(original), plan=float(amount), completed=completed.get(project_id, 0.0),
        revisions=[rules.PlanRevision(int(item[0]), float(item[1])) for item in revisions],
        completed_by_month=by_month.get(project_id, {})) for project_id, original, amount, revisions in read_plans}
    for project_id, total in completed.items():
        if project_id not in figures:  # reports without a plan for the year: completion counts, no 序时进度
            figures[project_id] = YearFigures(original=0.0, plan=0.0, revisions=[], completed=total,
                                              completed_by_month={})
    return figures


def year_figures_of(figures: Mapping[int, YearFigures], project_id: int) -> YearFigures:
    return figures.get(project_id, _NO_FIGURES)


@dataclass(frozen=True)
class DispatchRow:
    project: Project
    plan: float
    completed: float
    expected: float
    completion_rate: float | None
    expected_rate: float | None
    open_problems: int


DISPATCH_PAGE_SIZE = 50
_NAMED_LIMIT = 500


def dispatch_ordered(projects: QuerySet[Project]) -> QuerySet[Project]:
    """The 调度 order on the stored lights: worst light first, then the biggest."""
    return projects.select_related("department", "leader").order_by(_light_rank(), "-total_investment", "code")


def dispatch_rows(projects: Iterable[Project], *, year: int, month: int) -> list[DispatchRow]:
    """The 调度 rows of ``projects`` (one page): each with its year's plan, completion and 序时进度.

    The lights are the stored ones; the figures are one aggregate over the page's projects.
    """
    chosen = list(projects)
    ids = [project.pk for project in chosen]
    # a page names its projects; an export of thousands reads the year once for all (no huge IN lists)
    named = ids if len(ids) <= _NAMED_LIMIT else None
    figures = year_figures(year=year, month=month, project_ids=named)
    open_problems = ProjectProblem.objects.filter(case__status__in=_OPEN)
    if named is not None:
        open_problems = open_problems.filter(project_id__in=named)
    problems = dict(open_problems.values(
        "project_id").annotate(count=Count("id")).values_list("project_id", "count"))
    rows = []
    for project in chosen:
        figure = year_figures_of(figures, project.pk)
        expected = figure.expected(year=year, month=month, start=project.actual_start or project.planned_start)
        rows.append(DispatchRow(project=project, plan=figure.plan, completed=figure.completed, expected=expected,
                                completion_rate=rules.rate_percent(figure.completed, figure.plan),
                                expected_rate=rules.rate_percent(expected, figure.plan),
                                open_problems=problems.get(project.pk, 0)))
    return rows


_OPEN = ("received", "dispatched", "handling", "returned")


def _light_rank() -> Case:
    return Case(When(light=Light.RED, then=Value(0)), When(light=Light.YELLOW, then=Value(1)),
                default=Value(2), output_field=IntegerField())


def dispatch_summary(projects: QuerySet[Project]) -> dict[str, Any]:
    """Counts by light and level, and the total investment of the projects."""
    by_light = dict(projects.values("light").annotate(count=Count("id")).values_list("light", "count"))
    totals = projects.aggregate(count=Count("id"), total=Sum("total_investment"))
    return {"count": totals["count"] or 0, "total_investment": totals["total"] or Decimal(0),
            "red": by_light.get(Light.RED, 0), "yellow": by_light.get(Light.YELLOW, 0),
            "green": by_light.get(Light.GREEN, 0)}


@dataclass(frozen=True)
class ProjectFile:
    """一项一档: everything about one project on one page."""

    project: Project
    nodes: list[Any]
    land_to_start_days: int | None
    plans: list[YearPlan]
    reports: list[MonthlyReport]
    problems: list[ProjectProblem]
    reconciliation: list[dict[str, Any]]
    year_rows: list[dict[str, Any]]


def project_file(project: Project) -> ProjectFile:
    nodes = list(project.nodes.order_by("sequence"))
    dated = [rules.NodeDates(node.code, node.name, node.planned_date, node.actual_date) for node in nodes]
    reports = list(project.reports.order_by("-year", "-month"))
    plans = list(project.year_plans.order_by("year"))
    problems = list(project.problems.select_related("case", "case__department").order_by("-raised_at"))
    return ProjectFile(project=project, nodes=nodes, land_to_start_days=rules.land_to_start_days(dated), plans=plans,
                       reports=reports, problems=problems, reconciliation=reconciliation_for(project=project),
                       year_rows=_year_rows(plans, reports))


def _year_rows(plans: list[YearPlan], reports: list[MonthlyReport]) -> list[dict[str, Any]]:
    done: dict[int, float] = defaultdict(float)
    for report in reports:
        done[report.year] += float(report.investment)
    return [{"year": plan.year, "plan": plan.amount, "original": plan.original_amount, "revised": bool(plan.revisions),
             "completed": round(done[plan.year], 2), "rate": rules.rate_percent(done[plan.year], float(plan.amount))}
            for plan in plans]


def reconciliation_for(*, project: Project) -> list[dict[str, Any]]:
    """Each month of the 入库 list beside the project's own reports to that month: the gap (万元)."""
    figures = list(StatisticsFigure.objects.filter(project=project).order_by("-year", "-month"))
    reported: dict[tuple[int, int], float] = {}
    for year, month, investment in MonthlyReport.objects.filter(project=project).values_list("year", "month",
                                                                                            "investment"):
        reported[(year, month)] = float(investment)
    rows = []
    for figure in figures:
        to_date = sum(value for (year, month), value in reported.items()
                      if year == figure.year and month <= figure.month)
        line = rules.ReconciliationLine(reported_to_date=round(to_date, 2),
                                        statistics_to_date=float(figure.investment_to_date))
        rows.append({"month": f"{figure.year}-{figure.month:02d}", "reported": line.reported_to_date,
                     "statistics": line.statistics_to_date, "gap": line.gap, "gap_percent": line.gap_percent})
    return rows


def reconciliation_month(*, projects: QuerySet[Project], year: int, month: int) -> list[dict[str, Any]]:
    """For (year, month): every visible project with a report or a statistics figure, and its gap."""
    reported: dict[int, float] = defaultdict(float)
    for project_id, investment in MonthlyReport.objects.filter(project__in=projects, year=year,
                                                               month__lte=month).values_list("project_id", "investment"):
        reported[project_id] += float(investment)
    statistics = dict(StatisticsFigure.objects.filter(project__in=projects, year=year, month=month).values_list(
        "project_id", "investment_to_date"))
    ids = set(reported) | set(statistics)
    rows = []
    for project in projects.filter(pk__in=ids).order_by("code"):
        figure = statistics.get(project.pk)
        line = rules.ReconciliationLine(reported_to_date=round(reported.get(project.pk, 0.0), 2),
                                        statistics_to_date=None if figure is None else float(figure))
        rows.append({"project": project, "reported": line.reported_to_date, "statistics": line.statistics_to_date,
                     "gap": line.gap, "gap_percent": line.gap_percent, "listed": figure is not None})
    return rows


def leaders_with_projects() -> list[dict[str, Any]]:
    """Each leader with the count and lights of their 挂钩 projects."""
    rows = (Project.objects.filter(leader__isnull=False).values("leader_id", "leader__display_name", "leader__username")
            .annotate(count=Count("id"), red=Count("id", filter=Q(light=Light.RED)),
                      yellow=Count("id", filter=Q(light=Light.YELLOW))).order_by("leader__display_name"))
    return [{"id": row["leader_id"], "name": row["leader__display_name"] or row["leader__username"],
             "count": row["count"], "red": row["red"], "yellow": row["yellow"]} for row in rows]


def livelihood_public(*, year: int) -> list[dict[str, Any]]:
    """The year's 民生实事 for the public page: promise, stage and progress — no names, phones or units' staff."""
    projects = list(Project.objects.filter(kind=ProjectKind.LIVELIHOOD, public_year=year).order_by("code"))
    latest: dict[int, int] = {}
    for project_id, progress in MonthlyReport.objects.filter(project__in=projects).order_by(
            "year", "month").values_list("project_id", "progress_percent"):
        latest[project_id] = progress
    stage_names = {}
    for project in projects:
        for code, name in project.chain.nodes:
            stage_names[(project.chain_id, code)] = name
    return [{"code": project.code, "name": project.name, "promise": project.public_promise,
             "progress": latest.get(project.pk, 0), "light": project.light,
             "stage": stage_names.get((project.chain_id, project.stage), "谋划中") if project.stage else "谋划中",
             "finished": project.actual_finish is not None} for project in projects]


def livelihood_years() -> list[int]:
    years = Project.objects.filter(kind=ProjectKind.LIVELIHOOD, public_year__isnull=False).values_list(
        "public_year", flat=True)
    return sorted({year for year in years if year is not None}, reverse=True)


def export_rows(projects: QuerySet[Project], *, year: int, month: int) -> list[list[Any]]:
    """The project list for Excel (files.PROJECT_LIST_HEADERS order); no contact persons."""
    stage_names: dict[tuple[int, str], str] = {}
    rows = []
    for row in dispatch_rows(dispatch_ordered(projects), year=year, month=month):
        project = row.project
        if (project.chain_id, project.stage) not in stage_names:
            stage_names.update({(project.chain_id, code): name for code, name in project.chain.nodes})
        rows.append([project.code, project.name, project.get_level_display(), project.get_kind_display(),
                     project.industry, project.owner_name, project.owner_credit_code, float(project.total_investment),
                     row.plan, round(row.completed, 2), row.completion_rate, row.expected_rate, project.department.name,
                     project.leader.display_name if project.leader else "", stage_names.get(
                         (project.chain_id, project.stage), ""), project.planned_start, project.actual_start,
                     project.get_statistics_state_display(), project.get_light_display(),
                     "；".join(reason["message"] for reason in project.light_reasons)])
    return rows


_OC4IDS_STATUS = {"": "identification", "planning": "identification", "signing": "preparation"}


def oc4ids_package(projects: QuerySet[Project], *, uri: str) -> dict[str, Any]:
    """The projects as an OC4IDS project package (Open Contracting for Infrastructure Data Standards 0.9)."""
    published = clock.now().isoformat(timespec="seconds")
    items = []
    for project in projects.select_related("department").order_by("code"):
        if project.actual_finish is not None:
            status = "completion"
        elif project.actual_start is not None:
            status = "implementation"
        else:
            status = _OC4IDS_STATUS.get(project.stage, "preparation")
        parties: list[dict[str, Any]] = [{"id": f"unit-{project.department_id}", "name": project.department.name, "roles": ["publicAuthority"]}]
        if project.owner_name:
            parties.append({"id": f"owner-{project.owner_credit_code or project.pk}", "name": project.owner_name,
                            "identifier": {"scheme": "CN-USCC", "id": project.owner_credit_code}
                            if project.owner_credit_code else {}, "roles": ["buyer"]})
        item: dict[str, Any] = {
            "id": project.code, "title": project.name, "status": status, "type": "construction",
            "sector": [project.industry] if project.industry else [],
            "budget": {"amount": {"amount": float(project.total_investment) * 10000, "currency": "CNY"}},
            "period": {"startDate": _iso(project.planned_start), "endDate": _iso(project.planned_finish)},
            "publicAuthority": {"id": parties[0]["id"], "name": project.department.name},
            "parties": parties, "updated": project.updated_at.isoformat(timespec="seconds"),
        }
        if project.actual_finish is not None:
            item["completion"] = {"endDate": project.actual_finish.isoformat()}
        if project.longitude is not None and project.latitude is not None:
            item["locations"] = [{"id": "1", "geometry": {"type": "Point",
                                                          "coordinates": [project.longitude, project.latitude]}}]
        items.append(item)
    return {"uri": uri, "publishedDate": published, "version": "0.9", "projects": items}


def _iso(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def owner_credit_codes_of_finished_industrial_projects() -> list[str]:
    """The owners (by 统一社会信用代码) of industrial projects that reached 竣工: they enter the 亩均 evaluation."""
    return sorted(set(Project.objects.filter(is_industrial=True, actual_finish__isnull=False).exclude(
        owner_credit_code="").values_list("owner_credit_code", flat=True)))


def investment_of_year(*, year: int, industrial_only: bool = False) -> float | None:
    """The investment the projects reported for ``year`` (sum of the monthly reports), in 亿元.

    The platform metrics 固定资产投资 and 工业投资 (industrial projects only) feed plan indicators from
    it; None when no project reported that year (the indicator then keeps its typed value).
    """
    reports = MonthlyReport.objects.filter(year=year)
    if industrial_only:
        reports = reports.filter(project__is_industrial=True)
    total = reports.aggregate(total=Sum("investment"), count=Count("id"))
    if not total["count"]:
        return None
    return round(float(total["total"]) / 10000, 2)  # 万元 → 亿元


def leader_choices() -> QuerySet[User]:
    return User.objects.filter(role=Role.LEADER, is_active=True).order_by("display_name", "username")


def reports_for_month(*, projects: QuerySet[Project], year: int, month: int) -> dict[int, MonthlyReport]:
    return {report.project_id: report for report in MonthlyReport.objects.filter(project__in=projects, year=year,
                                                                                 month=month)}
