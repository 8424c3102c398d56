"""Reads of the dashboards: KPIs, map values, feed, rankings, trends and hot spots.

Counts of cases by the day they were received come from :class:`DailyCaseRollup` for the days the
rollup covers and from one indexed aggregate over the case table for the days after (normally only
today), so a page costs a few small queries whatever the size of the case table. "Now" figures (open,
yellow, red) are live counts over the open cases (indexed by status).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from zhili.accounts.models import User
from zhili.accounts.permissions import user_area_paths
from zhili.accounts.personal_data_policy import personal_text_for
from zhili.cases.contracts import CaseFilter
from zhili.cases.models import Case, SlaState
from zhili.cases.rules.kpis import KpiCounts
from zhili.cases.selectors import case_counter_aggregates, cases_filtered, rows_filtered
from zhili.cases.states import OPEN_STATUSES, CaseStatus
from zhili.core import clock
from zhili.core.errors import NotFoundError, PermissionDeniedError
from zhili.dashboard.areas import AreaNode, AreaTree, area_tree
from zhili.dashboard.models import ROLLUP_COUNTERS, DailyCaseRollup, RollupState
from zhili.dashboard.rules import Period, day_start, recent_period
from zhili.geo.models import AreaLevel, Department, MatterCategory

GroupField = Literal["day", "grid", "street", "department", "category"]
GroupKey = tuple[Any, ...]

ROLLUP_AREA_LEVEL = AreaLevel.STREET
"""The finest area level of the rollup; finer filters or groupings are aggregated from the case table."""
_ROLLUP_SERVED_LEVELS = frozenset({AreaLevel.DISTRICT, AreaLevel.STREET})
_ROLLUP_FIELD: dict[str, str] = {"day": "day", "street": "street_id", "department": "department_id",
                                 "category": "category_id"}
_CASE_FIELD: dict[str, str] = {"day": "received_day", "grid": "grid_id", "street": "grid_id",
                               "department": "department_id", "category": "category_id"}


# --- counts -------------------------------------------------------------------------------------------------

def cases_received_between(first_day: dt.date, last_day: dt.date) -> QuerySet[Case]:
    """Cases received from local midnight of ``first_day`` to the end of ``last_day`` (indexed)."""
    return Case.objects.filter(created_at__gte=day_start(first_day),
                               created_at__lt=day_start(last_day + dt.timedelta(days=1)))


def case_counter_rows(queryset: QuerySet[Case], group_by: Iterable[str]) -> QuerySet[Case, dict[str, Any]]:
    """``queryset`` aggregated into counter rows, grouped by the given case fields (incl. ``received_day``)."""
    group_fields = list(group_by)
    if "received_day" in group_fields:
        queryset = queryset.annotate(received_day=TruncDate("created_at", tzinfo=clock.CHINA_TIME_ZONE))
    rows: QuerySet[Case, dict[str, Any]] = queryset.order_by().values(*group_fields).annotate(
        **case_counter_aggregates())
    return rows


def _grouped_rows(queryset: QuerySet[Any], group_fields: list[str], aggregates: dict[str, Any]) -> list[dict[str, Any]]:
    """Aggregate rows per group; with no group fields, the one row of the whole queryset."""
    if not group_fields:
        return [queryset.order_by().aggregate(**aggregates)]
    return list(queryset.order_by().values(*group_fields).annotate(**aggregates))


def rollup_refreshed_through() -> dt.date | None:
    state = RollupState.objects.order_by("pk").first()
    return state.refreshed_through if state is not None else None


def date_value(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, str):
        return dt.date.fromisoformat(value[:10])
    return value


def _rollup_serves(case_filter: CaseFilter, group_by: tuple[GroupField, ...]) -> bool:
    """Whether the rollup holds what is asked: no grid grouping, no filter below a street, nothing
    narrowed that the rollup does not hold (a grid, a status, a text…)."""
    if "grid" in group_by or not case_filter.rollup_answerable:
        return False
    tree = area_tree()
    return all(path in tree.by_path and tree.by_path[path].level in _ROLLUP_SERVED_LEVELS
               for path in case_filter.area_paths)


def kpi_counts_by(case_filter: CaseFilter, *, period: Period,
                  group_by: tuple[GroupField, ...] = ()) -> dict[GroupKey, KpiCounts]:
    """Counters of the cases received in ``period`` matching ``case_filter``, grouped by ``group_by``.

    Days the rollup covers come from it when it can answer (see :func:`_rollup_serves`); the rest is one
    aggregate over the case table. The tests check both paths against the counters counted case by
    case (``tests/oracles/case_counters.py``).
    """
    results: dict[GroupKey, KpiCounts] = defaultdict(KpiCounts)
    live_first = period.first_day
    if _rollup_serves(case_filter, group_by):
        through = rollup_refreshed_through()
        if through is not None and through >= period.first_day:
            rollup_last = min(through, period.last_day)
            rollup_fields = [_ROLLUP_FIELD[name] for name in group_by]
            rollup_rows = rows_filtered(DailyCaseRollup.objects.filter(
                day__gte=period.first_day, day__lte=rollup_last), case_filter)
            for row in _grouped_rows(rollup_rows, rollup_fields, {c: Sum(c) for c in ROLLUP_COUNTERS}):
                key = tuple(date_value(row[name]) for name in rollup_fields)
                results[key].add_row(row)
            live_first = rollup_last + dt.timedelta(days=1)
    if live_first <= period.last_day:
        case_fields = list(dict.fromkeys(_CASE_FIELD[name] for name in group_by))
        queryset = cases_filtered(cases_received_between(live_first, period.last_day), case_filter)
        if "received_day" in case_fields:
            queryset = queryset.annotate(received_day=TruncDate("created_at", tzinfo=clock.CHINA_TIME_ZONE))
        tree = area_tree() if "street" in group_by else None
        for row in _grouped_rows(queryset, case_fields, case_counter_aggregates()):
            key = tuple(
                tree.ancestor_at_level(row["grid_id"], ROLLUP_AREA_LEVEL) if name == "street" and tree is not None
                else date_value(row[_CASE_FIELD[name]])
                for name in group_by)
            results[key].add_row(row)
    return dict(results)


def kpi_total(case_filter: CaseFilter, *, period: Period) -> KpiCounts:
    return kpi_counts_by(case_filter, period=period).get((), KpiCounts())


CubeKey = tuple[int | None, int | None, int | None]


@dataclass
class KpiCube:
    """Counters per (area, department, category) of one period: every breakdown of a page from one query.

    ``area_level`` is the street when the rollup answered, the grid when the case table did.
    """

    cells: dict[CubeKey, KpiCounts]
    area_level: str

    def total(self) -> KpiCounts:
        total = KpiCounts()
        for counts in self.cells.values():
            total.add(counts)
        return total

    def by_department(self) -> dict[int | None, KpiCounts]:
        return self._by(1)

    def by_category(self) -> dict[int | None, KpiCounts]:
        return self._by(2)

    def by_department_and_category(self) -> dict[tuple[int | None, int | None], KpiCounts]:
        grouped: dict[tuple[int | None, int | None], KpiCounts] = defaultdict(KpiCounts)
        for (_area, department, category), counts in self.cells.items():
            grouped[(department, category)].add(counts)
        return dict(grouped)

    def _by(self, position: int) -> dict[int | None, KpiCounts]:
        grouped: dict[int | None, KpiCounts] = defaultdict(KpiCounts)
        for key, counts in self.cells.items():
            grouped[key[position]].add(counts)
        return dict(grouped)

    def by_areas(self, tree: AreaTree, areas: list[AreaNode]) -> dict[int, KpiCounts]:
        """Counters per area of ``areas`` (each cell goes to the target area that holds it)."""
        target_ids = {node.id for node in areas}
        grouped: dict[int, KpiCounts] = defaultdict(KpiCounts)
        for (area_id, _department, _category), counts in self.cells.items():
            target = _target_of(tree, area_id, target_ids)
            if target is not None:
                grouped[target].add(counts)
        return dict(grouped)


def kpi_cube(case_filter: CaseFilter, *, period: Period, grid_level: bool = False,
             ) -> KpiCube:
    """One query (two when the period runs past the rollup) for all breakdowns of ``period``.

    ``grid_level`` asks for areas finer than streets (read from the case table).
    """
    area_field: GroupField = "grid" if grid_level else "street"
    cells = kpi_counts_by(case_filter, period=period, group_by=(area_field, "department", "category"))
    return KpiCube(cells={(key[0], key[1], key[2]): counts for key, counts in cells.items()},
                   area_level=AreaLevel.GRID if grid_level else ROLLUP_AREA_LEVEL)


@dataclass
class OpenCounts:
    """Cases not finished yet, and how many of them are at the yellow / red light."""

    open_count: int = 0
    warning_count: int = 0
    overdue_count: int = 0

    def add(self, other: OpenCounts) -> None:
        self.open_count += other.open_count
        self.warning_count += other.warning_count
        self.overdue_count += other.overdue_count


def open_counts_by(case_filter: CaseFilter, *, group_by: tuple[GroupField, ...] = ()) -> dict[GroupKey, OpenCounts]:
    case_fields = [_CASE_FIELD[name] for name in group_by if name != "day"]
    rows = _grouped_rows(cases_filtered(Case.objects.filter(status__in=sorted(OPEN_STATUSES)), case_filter),
                         case_fields,
                         {"open_count": Count("id"),
                          "warning_count": Count("id", filter=Q(sla_state=SlaState.WARNING)),
                          "overdue_count": Count("id", filter=Q(sla_state=SlaState.OVERDUE))})
    results: dict[GroupKey, OpenCounts] = {}
    for row in rows:
        results[tuple(row[name] for name in case_fields)] = OpenCounts(
            open_count=row["open_count"], warning_count=row["warning_count"], overdue_count=row["overdue_count"])
    return results


@dataclass
class OpenCube:
    """Open cases per (grid, department), from one query; the page's open figures all come from it."""

    cells: dict[tuple[int | None, int | None], OpenCounts]

    def total(self) -> OpenCounts:
        total = OpenCounts()
        for counts in self.cells.values():
            total.add(counts)
        return total

    def by_grid(self) -> dict[int | None, OpenCounts]:
        return self._by(0)

    def by_department(self) -> dict[int | None, OpenCounts]:
        return self._by(1)

    def _by(self, position: int) -> dict[int | None, OpenCounts]:
        grouped: dict[int | None, OpenCounts] = defaultdict(OpenCounts)
        for key, counts in self.cells.items():
            grouped[key[position]].add(counts)
        return dict(grouped)


def open_cube(case_filter: CaseFilter) -> OpenCube:
    cells = open_counts_by(case_filter, group_by=("grid", "department"))
    return OpenCube(cells={(key[0], key[1]): counts for key, counts in cells.items()})


def open_total(case_filter: CaseFilter) -> OpenCounts:
    return open_counts_by(case_filter).get((), OpenCounts())


# --- scope ----------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class DashboardScope:
    """What a user looks at: an area of the tree (within their own scope) and the path filter."""

    tree: AreaTree
    node: AreaNode | None
    allowed_paths: tuple[str, ...]

    @property
    def area_paths(self) -> tuple[str, ...]:
        if self.node is not None:
            if not self.allowed_paths and self.node.parent_id is None and len(self.tree.roots()) == 1:
                return ()  # the whole district: no filter (unlocated cases count too)
            return (self.node.path,)
        return self.allowed_paths

    def case_filter(self, *, department_id: int | None = None, category_id: int | None = None) -> CaseFilter:
        return CaseFilter(area_paths=self.area_paths, department_id=department_id, category_id=category_id)

    def breadcrumbs(self) -> list[AreaNode]:
        if self.node is None:
            return []
        chain = self.tree.ancestors(self.node)
        if self.allowed_paths:
            chain = [node for node in chain if any(node.path.startswith(path) for path in self.allowed_paths)]
        return chain

    def children(self) -> list[AreaNode]:
        if self.node is None:
            return [node for node in self.tree.by_id.values() if node.path in self.allowed_paths]
        return self.tree.children_of(self.node)


def dashboard_scope_for(user: User, *, area_code: str = "") -> DashboardScope:
    """The area ``user`` looks at: ``area_code`` when it lies in their scope, else their scope's top.

    Raises :class:`NotFoundError` for an unknown code, :class:`PermissionDeniedError` outside the scope.
    """
    tree = area_tree()
    allowed = user_area_paths(user)
    if area_code:
        node = tree.by_code.get(area_code)
        if node is None:
            raise NotFoundError("area_not_found", _("找不到区域代码 %(code)s，请从地图或列表中选择区域。") % {"code": area_code})
        if allowed and not any(node.path.startswith(path) for path in allowed):
            raise PermissionDeniedError("area_out_of_scope",
                                        _("区域 %(name)s 不在您的管辖范围内，请选择您管辖的区域。") % {"name": node.name})
        return DashboardScope(tree=tree, node=node, allowed_paths=allowed)
    if allowed:
        tops = [node for node in tree.by_id.values() if node.path in allowed]
        return DashboardScope(tree=tree, node=tops[0] if len(tops) == 1 else None, allowed_paths=allowed)
    roots = tree.roots()
    return DashboardScope(tree=tree, node=roots[0] if len(roots) == 1 else None, allowed_paths=allowed)


# --- the command center ---------------------------------------------------------------------------------------

MapMetric = Literal["open", "overdue", "new_today", "satisfaction"]
MAP_METRICS: tuple[MapMetric, ...] = ("open", "overdue", "new_today", "satisfaction")
SATISFACTION_WINDOW_DAYS = 30


def map_metric_labels() -> dict[str, str]:
    return {
        "open": _("在办工单"),
        "overdue": _("超期工单"),
        "new_today": _("今日新增"),
        "satisfaction": _("近30日满意率(%)"),
    }


@dataclass(frozen=True)
class MapValue:
    code: str
    name: str
    level: str
    value: float | None
    href: str


def map_targets(scope: DashboardScope, *, granularity: str) -> list[AreaNode]:
    """The areas drawn on the map: the children of the viewed area, or all its grids."""
    if scope.node is None:
        return scope.children()
    if granularity == "grid" or scope.node.level == AreaLevel.GRID:
        return scope.tree.grids_under(scope.node)
    return scope.children() or [scope.node]


def _target_of(tree: AreaTree, area_id: int | None, target_ids: set[int]) -> int | None:
    """The target area holding ``area_id`` (walking up its ancestors), if any."""
    current = tree.by_id.get(area_id) if area_id is not None else None
    while current is not None:
        if current.id in target_ids:
            return current.id
        current = tree.by_id.get(current.parent_id) if current.parent_id is not None else None
    return None


def _needs_grid_level(areas: list[AreaNode]) -> bool:
    return not all(node.level in _ROLLUP_SERVED_LEVELS for node in areas)


def kpi_counts_for_areas(tree: AreaTree, case_filter: CaseFilter, *, period: Period, areas: list[AreaNode],
                         cube: KpiCube | None = None) -> dict[int, KpiCounts]:
    """Counters per area of ``areas`` (streets and above from the rollup, finer areas from the case table).

    ``cube`` (of the same filter and period) is reused when it is fine enough.
    """
    grid_level = _needs_grid_level(areas)
    if cube is None or (grid_level and cube.area_level != AreaLevel.GRID):
        cube = kpi_cube(case_filter, period=period, grid_level=grid_level)
    return cube.by_areas(tree, areas)


def map_values(scope: DashboardScope, *, metric: MapMetric, granularity: str, today: dt.date | None = None,
               open_data: OpenCube | None = None, recent_cube: KpiCube | None = None) -> list[MapValue]:
    """The chosen metric for every area drawn on the map.

    ``open_data`` (open cases of the scope) and ``recent_cube`` (the last 30 days of the scope) are reused
    when the page has them already.
    """
    today = today or clock.today()
    targets = map_targets(scope, granularity=granularity)
    target_ids = {node.id for node in targets}
    case_filter = scope.case_filter()
    numbers: dict[int, float | None] = {}
    if metric in ("open", "overdue"):
        counts: dict[int, int] = defaultdict(int)
        for grid_id, value in (open_data or open_cube(case_filter)).by_grid().items():
            target = _target_of(scope.tree, grid_id, target_ids)
            if target is not None:
                counts[target] += value.overdue_count if metric == "overdue" else value.open_count
        numbers = {node.id: float(counts[node.id]) for node in targets}
    elif metric == "new_today":
        totals = kpi_counts_for_areas(scope.tree, case_filter, period=Period(today, today), areas=targets)
        numbers = {node.id: float(totals.get(node.id, KpiCounts()).created_count) for node in targets}
    else:
        totals = kpi_counts_for_areas(scope.tree, case_filter, areas=targets, cube=recent_cube,
                                      period=recent_period(SATISFACTION_WINDOW_DAYS, today=today))
        numbers = {node.id: totals.get(node.id, KpiCounts()).satisfaction_rate for node in targets}
    return [MapValue(code=node.code, name=node.name, level=node.level, value=numbers[node.id], href="")
            for node in targets]


@dataclass(frozen=True)
class FeedItem:
    number: str
    title: str
    category: str
    grid: str
    status: str
    status_label: str
    sla_state: str
    channel_label: str
    created_at: dt.datetime
    href: str


def case_href(case_number: str) -> str:
    """The case file page of a case, when the cases app has one installed."""
    for name in ("cases:case_detail", "cases:detail", "cases:case_file"):
        try:
            return reverse(name, kwargs={"number": case_number})
        except NoReverseMatch:
            continue
    return ""


def case_feed(user: User, case_filter: CaseFilter, *, limit: int = 12) -> list[FeedItem]:
    """The newest cases in scope, newest first; free text as the personal-data policy lets ``user`` read it."""
    rows = (cases_filtered(Case.objects.all(), case_filter).order_by("-created_at")
            .select_related("grid", "category")[:limit])
    items: list[FeedItem] = []
    for case in rows:
        title = case.title or case.description[:40]
        items.append(FeedItem(
            number=case.number,
            title=personal_text_for(user, title, case),
            category=case.category.name if case.category is not None else _("未分类"),
            grid=case.grid.name if case.grid is not None else _("未定位"),
            status=case.status,
            status_label=str(CaseStatus(case.status).label),
            sla_state=case.sla_state,
            channel_label=case.get_channel_display(),
            created_at=case.created_at,
            href=case_href(case.number),
        ))
    return items


@dataclass(frozen=True)
class RankingRow:
    code: str
    name: str
    counts: KpiCounts
    open_counts: OpenCounts = field(default_factory=OpenCounts)
    previous: KpiCounts | None = None

    @property
    def created_change(self) -> float | None:
        """Month-on-month change of the number received, in percent."""
        if self.previous is None or self.previous.created_count == 0:
            return None
        return round(100.0 * (self.counts.created_count - self.previous.created_count)
                     / self.previous.created_count, 1)

    def change_of(self, kpi: str) -> float | None:
        """Change of a rate in percentage points against the previous period."""
        if self.previous is None:
            return None
        current, before = getattr(self.counts, kpi), getattr(self.previous, kpi)
        if current is None or before is None:
            return None
        return round(float(current) - float(before), 1)


def _names(model: type[Department] | type[MatterCategory], ids: Iterable[int | None]) -> dict[int, tuple[str, str]]:
    wanted = {identifier for identifier in ids if identifier is not None}
    if not wanted:
        return {}
    return {row[0]: (row[1], row[2]) for row in model.objects.filter(id__in=wanted).values_list("id", "code", "name")}


def rankings_from_cubes(current: KpiCube, *, dimension: Literal["department", "category"],
                        previous: KpiCube | None = None, open_data: OpenCube | None = None) -> list[RankingRow]:
    """One row per department or category, most cases first (then most open cases)."""
    current_counts = current.by_department() if dimension == "department" else current.by_category()
    previous_counts = ({} if previous is None else
                       previous.by_department() if dimension == "department" else previous.by_category())
    open_counts = open_data.by_department() if open_data is not None and dimension == "department" else {}
    keys = set(current_counts) | set(open_counts)
    model: type[Department] | type[MatterCategory] = Department if dimension == "department" else MatterCategory
    names = _names(model, keys)
    rows = []
    for key in keys:
        code, name = names.get(key, ("", _("未分配") if dimension == "department" else _("未分类"))) \
            if key is not None else ("", _("未分配") if dimension == "department" else _("未分类"))
        rows.append(RankingRow(code=code, name=name, counts=current_counts.get(key, KpiCounts()),
                               open_counts=open_counts.get(key, OpenCounts()),
                               previous=previous_counts.get(key, KpiCounts()) if previous is not None else None))
    rows.sort(key=lambda row: (-row.counts.created_count, -row.open_counts.open_count, row.code))
    return rows


def ranking_by(case_filter: CaseFilter, *, period: Period, dimension: Literal["department", "category"],
               with_open: bool = False, with_previous: bool = False) -> list[RankingRow]:
    """One row per department or category with cases in ``period``, most cases first."""
    return rankings_from_cubes(
        kpi_cube(case_filter, period=period), dimension=dimension,
        previous=kpi_cube(case_filter, period=period.previous()) if with_previous else None,
        open_data=open_cube(case_filter) if with_open else None)


def area_rankings_from_cubes(tree: AreaTree, areas: list[AreaNode], current: KpiCube,
                             previous: KpiCube | None = None) -> list[RankingRow]:
    totals = current.by_areas(tree, areas)
    previous_totals = previous.by_areas(tree, areas) if previous is not None else {}
    rows = [RankingRow(code=node.code, name=node.name, counts=totals.get(node.id, KpiCounts()),
                       previous=previous_totals.get(node.id, KpiCounts()) if previous is not None else None)
            for node in areas]
    rows.sort(key=lambda row: (-row.counts.created_count, row.code))
    return rows


def areas_at_level(scope: DashboardScope, case_filter: CaseFilter, level: str) -> list[AreaNode]:
    """The areas of ``level`` that overlap the filter's area subtrees."""
    return [node for node in scope.tree.by_id.values() if node.level == level
            and (not case_filter.area_paths or any(node.path.startswith(path) or path.startswith(node.path)
                                                   for path in case_filter.area_paths))]


def ranking_by_area(scope: DashboardScope, case_filter: CaseFilter, *, period: Period,
                    level: str = AreaLevel.STREET, with_previous: bool = False) -> list[RankingRow]:
    """One row per area of ``level`` (streets by default) inside the scope, most cases first."""
    areas = areas_at_level(scope, case_filter, level)
    grid_level = _needs_grid_level(areas)
    return area_rankings_from_cubes(
        scope.tree, areas, kpi_cube(case_filter, period=period, grid_level=grid_level),
        kpi_cube(case_filter, period=period.previous(), grid_level=grid_level) if with_previous else None)


def red_black_lists(rows: list[RankingRow], *, size: int = 5, minimum_cases: int = 1) -> tuple[list[RankingRow],
                                                                                              list[RankingRow]]:
    """红榜 (best scores first) and 黑榜 (worst first), from rows with a score and enough cases."""
    scored = [row for row in rows if row.counts.score is not None and row.counts.created_count >= minimum_cases]
    best = sorted(scored, key=lambda row: (-(row.counts.score or 0.0), -row.counts.created_count, row.code))
    worst = sorted(scored, key=lambda row: ((row.counts.score or 0.0), -row.counts.created_count, row.code))
    red = best[:size]
    black = [row for row in worst if row not in red][:size]
    return red, black


@dataclass(frozen=True)
class TrendPoint:
    day: dt.date
    created_count: int
    finished_count: int
    satisfaction_rate: float | None


def daily_trend(case_filter: CaseFilter, *, period: Period) -> list[TrendPoint]:
    """Cases received each day of ``period`` and how many of them are finished (zero days included)."""
    by_day = kpi_counts_by(case_filter, period=period, group_by=("day",))
    points = []
    for offset in range(period.days):
        day = period.first_day + dt.timedelta(days=offset)
        counts = by_day.get((day,), KpiCounts())
        points.append(TrendPoint(day=day, created_count=counts.created_count, finished_count=counts.finished_count,
                                 satisfaction_rate=counts.satisfaction_rate))
    return points


@dataclass(frozen=True)
class HotSpot:
    grid_code: str
    grid_name: str
    category_name: str
    count: int
    previous_count: int

    @property
    def growth(self) -> int:
        return self.count - self.previous_count


def hot_spots(scope: DashboardScope, case_filter: CaseFilter, *, today: dt.date | None = None,
              window_days: int = 7, limit: int = 8) -> list[HotSpot]:
    """Grid × category pairs with the most cases in the last ``window_days`` (and the window before).

    One indexed query over the case table for both windows.
    """
    current_period = recent_period(window_days, today=today)
    previous_period = current_period.previous()
    current_start = day_start(current_period.first_day)
    rows = _grouped_rows(
        cases_filtered(cases_received_between(previous_period.first_day, current_period.last_day), case_filter),
        ["grid_id", "category_id"],
        {"current": Count("id", filter=Q(created_at__gte=current_start)),
         "previous": Count("id", filter=Q(created_at__lt=current_start))})
    top = sorted((row for row in rows if row["grid_id"] is not None and row["current"] > 0),
                 key=lambda row: (-row["current"], row["grid_id"], row["category_id"] or 0))[:limit]
    categories = _names(MatterCategory, (row["category_id"] for row in top))
    spots = []
    for row in top:
        grid = scope.tree.by_id.get(row["grid_id"])
        category_name = (categories.get(row["category_id"], ("", _("未分类")))[1]
                         if row["category_id"] is not None else _("未分类"))
        spots.append(HotSpot(grid_code=grid.code if grid else "", grid_name=grid.name if grid else _("未定位"),
                             category_name=category_name, count=row["current"], previous_count=row["previous"]))
    return spots


def department_for_code(code: str) -> Department | None:
    return Department.objects.filter(code=code).first() if code else None


def category_for_code(code: str) -> MatterCategory | None:
    return MatterCategory.objects.filter(code=code).first() if code else None


def department_choices() -> list[tuple[str, str]]:
    return list(Department.objects.filter(is_active=True).order_by("code").values_list("code", "name"))


def category_choices() -> list[tuple[str, str]]:
    return list(MatterCategory.objects.order_by("code").values_list("code", "name"))
