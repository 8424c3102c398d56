"""Reads of the leader dashboard (领导驾驶舱): KPIs of a filter, month-on-month, 红黑榜, the monthly report."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from django.utils.translation import gettext as _

from zhili.accounts.models import User
from zhili.cases.contracts import CaseFilter
from zhili.cases.rules.kpis import KpiCounts, kpi_labels
from zhili.core import clock
from zhili.core.errors import ApplicationError
from zhili.core.parameters import date_parameter, month_parameter
from zhili.dashboard.rules import Period, month_period
from zhili.dashboard.selectors import (
    DashboardScope,
    RankingRow,
    TrendPoint,
    area_rankings_from_cubes,
    areas_at_level,
    category_for_code,
    daily_trend,
    dashboard_scope_for,
    department_for_code,
    kpi_cube,
    rankings_from_cubes,
    red_black_lists,
)
from zhili.geo.models import AreaLevel, Department, MatterCategory

_CHILD_LEVEL: dict[str, str] = {
    AreaLevel.DISTRICT: AreaLevel.STREET,
    AreaLevel.STREET: AreaLevel.COMMUNITY,
    AreaLevel.COMMUNITY: AreaLevel.GRID,
    AreaLevel.GRID: AreaLevel.GRID,
}
MAX_PERIOD_DAYS = 366 * 3


@dataclass(frozen=True)
class LeaderFilter:
    """The leader dashboard's filter, as chosen in its form (and kept in the export links)."""

    period: Period
    scope: DashboardScope
    department: Department | None
    category: MatterCategory | None

    @property
    def case_filter(self) -> CaseFilter:
        return self.scope.case_filter(department_id=self.department.pk if self.department else None,
                                      category_id=self.category.pk if self.category else None)

    @property
    def area_level(self) -> str:
        """The level of the rows of the by-area table (the level under the chosen area)."""
        if self.scope.node is None:
            return AreaLevel.STREET
        return _CHILD_LEVEL.get(self.scope.node.level, AreaLevel.GRID)

    def query(self) -> dict[str, str]:
        values = {"area": self.scope.node.code if self.scope.node else "",
                  "department": self.department.code if self.department else "",
                  "category": self.category.code if self.category else ""}
        if self.period.is_month:
            values["month"] = f"{self.period.first_day:%Y-%m}"
        else:
            values["start"] = self.period.first_day.isoformat()
            values["end"] = self.period.last_day.isoformat()
        return {key: value for key, value in values.items() if value}


def _bad_filter(message: str) -> ApplicationError:
    return ApplicationError("invalid_filter", message)


def period_from_query(query: Mapping[str, str], *, today: dt.date | None = None) -> Period:
    """``month=YYYY-MM`` (default: this month), or ``start``/``end`` dates (both included); years outside
    ``core.parameters``' range and malformed values are refused (400) with a message saying what to fix."""
    today = today or clock.today()
    if query.get("start", "").strip() or query.get("end", "").strip():
        start = date_parameter(query, "start", label=_("开始日期")) or today.replace(day=1)
        end = date_parameter(query, "end", label=_("结束日期")) or today
        if end < start:
            raise _bad_filter(_("结束日期早于开始日期，请调换后重新查询。"))
        if (end - start).days + 1 > MAX_PERIOD_DAYS:
            raise _bad_filter(_("查询时段最长三年，请缩短时段。"))
        return Period(start, end)
    month = month_parameter(query, "month", label=_("月份"))
    if month is None:
        return month_period(today.year, today.month, today=today)
    return month_period(*month, today=today)


def leader_filter_from_query(user: User, query: Mapping[str, str], *, today: dt.date | None = None) -> LeaderFilter:
    """Parse the filter form; raises :class:`ApplicationError` with a message saying what to fix."""
    period = period_from_query(query, today=today)
    scope = dashboard_scope_for(user, area_code=query.get("area", "").strip())
    department_code, category_code = query.get("department", "").strip(), query.get("category", "").strip()
    department = department_for_code(department_code)
    if department_code and department is None:
        raise _bad_filter(_("找不到部门代码 %(code)s，请从列表中选择部门。") % {"code": department_code})
    category = category_for_code(category_code)
    if category_code and category is None:
        raise _bad_filter(_("找不到分类代码 %(code)s，请从列表中选择分类。") % {"code": category_code})
    return LeaderFilter(period=period, scope=scope, department=department, category=category)


@dataclass(frozen=True)
class KpiComparison:
    name: str
    label: str
    current: float | int | None
    previous: float | int | None
    is_rate: bool

    @property
    def change(self) -> float | None:
        """Percentage points for rates, percent for counts."""
        if self.current is None or self.previous is None:
            return None
        if self.is_rate:
            return round(float(self.current) - float(self.previous), 1)
        if self.previous == 0:
            return None
        return round(100.0 * (float(self.current) - float(self.previous)) / float(self.previous), 1)


_CARD_KPIS: tuple[tuple[str, bool], ...] = (
    ("created_count", False), ("finished_count", False), ("accept_on_time_rate", True),
    ("finish_on_time_rate", True), ("satisfaction_rate", True), ("resolution_rate", True), ("reopen_rate", True),
    ("duplicate_rate", True),
)


def kpi_comparisons(current: KpiCounts, previous: KpiCounts) -> list[KpiComparison]:
    labels = kpi_labels()
    return [KpiComparison(name=name, label=labels[name], current=getattr(current, name),
                          previous=getattr(previous, name), is_rate=is_rate) for name, is_rate in _CARD_KPIS]


@dataclass(frozen=True)
class LeaderOverview:
    leader_filter: LeaderFilter
    total: KpiCounts
    previous_total: KpiCounts
    comparisons: list[KpiComparison]
    by_area: list[RankingRow]
    by_department: list[RankingRow]
    by_category: list[RankingRow]
    red_departments: list[RankingRow]
    black_departments: list[RankingRow]
    red_areas: list[RankingRow]
    black_areas: list[RankingRow]
    trend: list[TrendPoint]


def leader_overview(leader_filter: LeaderFilter) -> LeaderOverview:
    """Everything the leader dashboard shows, from two cube queries (this and the previous period) and
    one trend query."""
    period, case_filter, scope = leader_filter.period, leader_filter.case_filter, leader_filter.scope
    areas = areas_at_level(scope, case_filter, leader_filter.area_level)
    grid_level = leader_filter.area_level not in (AreaLevel.DISTRICT, AreaLevel.STREET)
    current = kpi_cube(case_filter, period=period, grid_level=grid_level)
    previous = kpi_cube(case_filter, period=period.previous(), grid_level=grid_level)
    total, previous_total = current.total(), previous.total()
    by_area = area_rankings_from_cubes(scope.tree, areas, current, previous)
    by_department = rankings_from_cubes(current, dimension="department", previous=previous)
    by_category = rankings_from_cubes(current, dimension="category", previous=previous)
    red_departments, black_departments = red_black_lists([row for row in by_department if row.code])
    red_areas, black_areas = red_black_lists(by_area)
    return LeaderOverview(
        leader_filter=leader_filter, total=total, previous_total=previous_total,
        comparisons=kpi_comparisons(total, previous_total), by_area=by_area, by_department=by_department,
        by_category=by_category, red_departments=red_departments, black_departments=black_departments,
        red_areas=red_areas, black_areas=black_areas, trend=daily_trend(case_filter, period=period),
    )


@dataclass(frozen=True)
class DepartmentMonthlyReport:
    department_code: str
    department_name: str
    total: KpiCounts
    previous_total: KpiCounts
    comparisons: list[KpiComparison]
    by_category: list[RankingRow]
    rank: int | None


@dataclass(frozen=True)
class MonthlyReport:
    period: Period
    departments: list[DepartmentMonthlyReport]
    generated_at: dt.datetime


def monthly_report(scope: DashboardScope, *, period: Period, department: Department | None = None) -> MonthlyReport:
    """The monthly KPI report per department (one section per department with cases in the month)."""
    base = scope.case_filter()
    current, previous = kpi_cube(base, period=period), kpi_cube(base, period=period.previous())
    rows = [row for row in rankings_from_cubes(current, dimension="department", previous=previous) if row.code]
    ranked = sorted((row for row in rows if row.counts.score is not None),
                    key=lambda row: (-(row.counts.score or 0.0), row.code))
    ranks = {row.code: index + 1 for index, row in enumerate(ranked)}
    if department is not None:
        rows = [row for row in rows if row.code == department.code]
    department_ids = dict(Department.objects.filter(code__in=[row.code for row in rows]).values_list("code", "id"))
    current_cells, previous_cells = current.by_department_and_category(), previous.by_department_and_category()
    category_ids = {category for _department, category in (*current_cells, *previous_cells)}
    category_names = dict(MatterCategory.objects.filter(id__in=[c for c in category_ids if c is not None])
                          .values_list("id", "name"))
    category_codes = dict(MatterCategory.objects.filter(id__in=[c for c in category_ids if c is not None])
                          .values_list("id", "code"))
    sections = []
    for row in sorted(rows, key=lambda item: item.code):
        department_id = department_ids[row.code]
        by_category = [
            RankingRow(code=category_codes.get(category, "") if category is not None else "",
                       name=category_names.get(category, _("未分类")) if category is not None else _("未分类"),
                       counts=counts, previous=previous_cells.get((department_id, category), KpiCounts()))
            for (cell_department, category), counts in current_cells.items() if cell_department == department_id
        ]
        by_category.sort(key=lambda item: (-item.counts.created_count, item.code))
        previous_total = row.previous or KpiCounts()
        sections.append(DepartmentMonthlyReport(
            department_code=row.code, department_name=row.name, total=row.counts, previous_total=previous_total,
            comparisons=kpi_comparisons(row.counts, previous_total), by_category=by_category,
            rank=ranks.get(row.code),
        ))
    return MonthlyReport(period=period, departments=sections, generated_at=clock.now())
