"""The KPI counters of ``zhili.cases.rules.kpis`` counted case by case in Python from the case rows.

The reference the dashboard's rollup path and the case-table aggregates
(``zhili.cases.selectors.case_counter_aggregates``) are checked against: it shares no query with
them, only the definitions written in docs/cases.md ("KPIs").
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from zhili.cases.contracts import CaseFilter
from zhili.cases.models import Case, Rating
from zhili.cases.rules.kpis import KpiCounts
from zhili.cases.states import CaseStatus
from zhili.core import clock
from zhili.dashboard.areas import area_tree
from zhili.geo.models import AreaLevel


def _counted(case: Case) -> dict[str, int]:
    finished = case.finished_at is not None
    return {
        "created_count": 1,
        "dispatched_count": int(case.dispatched_at is not None),
        "accepted_count": int(case.accepted_at is not None),
        "accept_judged_count": int(case.accepted_on_time is not None),
        "accepted_on_time_count": int(case.accepted_on_time is True),
        "finished_count": int(finished),
        "ever_finished_count": int(finished or case.reopen_count > 0),
        "finished_on_time_count": int(case.finished_on_time is True),
        "self_handled_count": int(case.self_handled),
        "reopened_count": int(case.reopen_count > 0),
        "returned_count": int(case.return_count > 0),
        "extended_count": int(case.extension_count > 0),
        "merged_count": int(case.status == CaseStatus.MERGED),
        "cancelled_count": int(case.status == CaseStatus.CANCELLED),
        "rated_count": int(case.rating != ""),
        "satisfied_count": int(case.rating == Rating.SATISFIED),
        "basically_satisfied_count": int(case.rating == Rating.BASICALLY_SATISFIED),
        "unsatisfied_count": int(case.rating == Rating.UNSATISFIED),
        "resolved_known_count": int(case.resolved is not None),
        "resolved_count": int(case.resolved is True),
        "handling_seconds_sum": (case.handling_seconds or 0) if finished else 0,
    }


def _within(case: Case, case_filter: CaseFilter) -> bool:
    return ((not case_filter.area_paths or any(case.area_path.startswith(path) for path in case_filter.area_paths))
            and (case_filter.department_id is None or case.department_id == case_filter.department_id)
            and (case_filter.category_id is None or case.category_id == case_filter.category_id)
            and (case_filter.grid_id is None or case.grid_id == case_filter.grid_id))


def kpi_counts_case_by_case(case_filter: CaseFilter, *, first_day: dt.date, last_day: dt.date,
                            group_by: tuple[str, ...] = ()) -> dict[tuple[Any, ...], KpiCounts]:
    """Counters of the cases received from ``first_day`` to ``last_day`` (China time), grouped like
    ``zhili.dashboard.selectors.kpi_counts_by`` (day, grid, street, department, category)."""
    tree = area_tree()
    results: dict[tuple[Any, ...], KpiCounts] = defaultdict(KpiCounts)
    for case in Case.objects.order_by("pk"):
        day = case.created_at.astimezone(clock.CHINA_TIME_ZONE).date()
        if not first_day <= day <= last_day or not _within(case, case_filter):
            continue
        values = {"day": day, "grid": case.grid_id, "department": case.department_id, "category": case.category_id,
                  "street": tree.ancestor_at_level(case.grid_id, AreaLevel.STREET)}
        results[tuple(values[name] for name in group_by)].add_row(_counted(case))
    return dict(results)
