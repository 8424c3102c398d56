"""Writes of the dashboard app: keeping the daily case rollup in step with the case table."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Min

from zhili.cases.models import Case
from zhili.core import clock
from zhili.dashboard.areas import area_tree
from zhili.dashboard.models import ROLLUP_COUNTERS, DailyCaseRollup, RollupState
from zhili.dashboard.rules import day_start
from zhili.dashboard.selectors import case_counter_rows, cases_received_between, date_value
from zhili.geo.models import AreaLevel

RECENT_DAYS_DEFAULT = 40
"""Days the frequent refresh recomputes; older cases rarely change and the nightly rebuild catches them."""

_CHUNK_DAYS = 31
_BATCH_SIZE = 2000


@dataclass(frozen=True)
class RollupRefreshResult:
    first_day: dt.date | None
    last_day: dt.date | None
    rows_written: int


def _refresh_days(first_day: dt.date, last_day: dt.date) -> int:
    """Replace the rollup rows of ``first_day``..``last_day`` by a fresh aggregate of the case table."""
    tree = area_tree()
    written = 0
    chunk_first = first_day
    while chunk_first <= last_day:
        chunk_last = min(last_day, chunk_first + dt.timedelta(days=_CHUNK_DAYS - 1))
        with transaction.atomic():
            DailyCaseRollup.objects.filter(day__gte=chunk_first, day__lte=chunk_last).delete()
            rows = case_counter_rows(cases_received_between(chunk_first, chunk_last),
                                     ("received_day", "grid_id", "department_id", "category_id"))
            # one aggregate row per grid, folded into its street in Python
            folded: dict[tuple[Any, ...], dict[str, int]] = defaultdict(lambda: dict.fromkeys(ROLLUP_COUNTERS, 0))
            for row in rows.iterator(chunk_size=_BATCH_SIZE):
                street_id = tree.ancestor_at_level(row["grid_id"], AreaLevel.STREET)
                counters = folded[(date_value(row["received_day"]), street_id, row["department_id"],
                                   row["category_id"])]
                for counter in ROLLUP_COUNTERS:
                    counters[counter] += int(row[counter] or 0)
            batch = [
                DailyCaseRollup(day=day, street_id=street_id, department_id=department_id, category_id=category_id,
                                area_path=tree.by_id[street_id].path if street_id is not None else "", **counters)
                for (day, street_id, department_id, category_id), counters in folded.items()
            ]
            DailyCaseRollup.objects.bulk_create(batch, batch_size=_BATCH_SIZE)
            written += len(batch)
        chunk_first = chunk_last + dt.timedelta(days=1)
    return written


def _state_mark(refreshed_through: dt.date) -> None:
    state = RollupState.objects.select_for_update().order_by("pk").first() or RollupState()
    state.refreshed_through = refreshed_through
    state.refreshed_at = clock.now()
    state.save()


def case_rollup_rebuild(*, through_day: dt.date | None = None) -> RollupRefreshResult:
    """Recompute the whole rollup, from the first case received through ``through_day`` (yesterday).

    Afterwards the dashboards read every day up to ``through_day`` from the rollup.
    """
    through_day = through_day or clock.today() - dt.timedelta(days=1)
    first_created = Case.objects.aggregate(first=Min("created_at"))["first"]
    with transaction.atomic():
        if first_created is None or first_created >= day_start(through_day + dt.timedelta(days=1)):
            DailyCaseRollup.objects.all().delete()
            _state_mark(through_day)
            return RollupRefreshResult(first_day=None, last_day=through_day, rows_written=0)
        first_day = first_created.astimezone(clock.CHINA_TIME_ZONE).date()
        DailyCaseRollup.objects.filter(day__lt=first_day).delete()
        DailyCaseRollup.objects.filter(day__gt=through_day).delete()
        written = _refresh_days(first_day, through_day)
        _state_mark(through_day)
    return RollupRefreshResult(first_day=first_day, last_day=through_day, rows_written=written)


def case_rollup_refresh_recent(*, days: int = RECENT_DAYS_DEFAULT) -> RollupRefreshResult:
    """Recompute the last ``days`` days before today (a full rebuild when the rollup has a gap).

    Cases received today are always counted live by the selectors, so they are left out here.
    """
    yesterday = clock.today() - dt.timedelta(days=1)
    first_day = yesterday - dt.timedelta(days=days - 1)
    state = RollupState.objects.order_by("pk").first()
    if state is None or state.refreshed_through is None or state.refreshed_through < first_day - dt.timedelta(days=1):
        return case_rollup_rebuild(through_day=yesterday)
    with transaction.atomic():
        DailyCaseRollup.objects.filter(day__gt=yesterday).delete()
        written = _refresh_days(first_day, yesterday)
        _state_mark(yesterday)
    return RollupRefreshResult(first_day=first_day, last_day=yesterday, rows_written=written)
