from __future__ import annotations

import datetime as dt

import pytest
from tests.oracles.case_counters import kpi_counts_case_by_case

from zhili.cases.contracts import CaseFilter
from zhili.cases.models import Case, Rating
from zhili.cases.rules.kpis import KpiCounts
from zhili.core import clock
from zhili.dashboard.models import DailyCaseRollup, RollupState
from zhili.dashboard.rules import Period
from zhili.dashboard.selectors import kpi_counts_by, kpi_total
from zhili.dashboard.services import case_rollup_rebuild, case_rollup_refresh_recent
from zhili.dashboard.tests.factories import World, case_create, local

pytestmark = pytest.mark.django_db

MARCH = Period(dt.date(2026, 3, 1), dt.date(2026, 3, 10), is_month=True)
ALL_DAYS = Period(dt.date(2026, 2, 1), dt.date(2026, 3, 10))


def _as_dicts(counts: dict[tuple[object, ...], KpiCounts]) -> dict[tuple[object, ...], dict[str, object]]:
    return {key: value.as_dict() for key, value in counts.items()}


def test_rebuild_writes_one_row_per_day_street_department_category(world_with_cases: World) -> None:
    result = case_rollup_rebuild()
    assert result.first_day == dt.date(2026, 2, 15)
    assert result.last_day == dt.date(2026, 3, 9)
    # 02-15, 03-02 (two cases, same keys), 03-05, 03-09; today's two cases stay live
    assert result.rows_written == 4
    assert DailyCaseRollup.objects.count() == 4
    row = DailyCaseRollup.objects.get(day=dt.date(2026, 3, 2))
    assert (row.created_count, row.finished_count, row.finished_on_time_count, row.rated_count,
            row.satisfied_count, row.unsatisfied_count, row.reopened_count, row.handling_seconds_sum) == (
        2, 2, 1, 2, 1, 1, 1, 10800)
    assert row.area_path == world_with_cases.street_east.path
    assert row.street_id == world_with_cases.street_east.pk
    assert RollupState.objects.get().refreshed_through == dt.date(2026, 3, 9)


def test_march_kpis_worked_out_by_hand(world_with_cases: World) -> None:
    case_rollup_rebuild()
    total = kpi_total(CaseFilter(), period=MARCH)
    assert total.created_count == 6
    assert total.finished_count == 2
    assert total.finish_on_time_rate == 50.0
    assert total.accept_on_time_rate == 66.7
    assert total.satisfaction_rate == 50.0
    assert total.resolution_rate == 50.0
    assert total.reopen_rate == 50.0
    assert total.duplicate_rate == 16.7
    assert total.average_handling_hours == 1.5
    assert total.score == pytest.approx(55.6)


@pytest.mark.parametrize("group_by", [(), ("day",), ("grid",), ("street",), ("department",), ("category",),
                                      ("grid", "category"), ("day", "department"), ("street", "category")])
def test_rollup_and_today_live_equal_the_raw_aggregate(world_with_cases: World, group_by: tuple[str, ...]) -> None:
    case_rollup_rebuild()
    for case_filter in (CaseFilter(), CaseFilter(area_paths=(world_with_cases.street_east.path,)),
                        CaseFilter(area_paths=(world_with_cases.community_west.path,)),
                        CaseFilter(department_id=world_with_cases.water.pk),
                        CaseFilter(category_id=world_with_cases.environment.pk)):
        from_rollup = kpi_counts_by(case_filter, period=ALL_DAYS, group_by=group_by)  # type: ignore[arg-type]
        raw = kpi_counts_case_by_case(case_filter, first_day=ALL_DAYS.first_day, last_day=ALL_DAYS.last_day,
                                      group_by=group_by)
        assert _as_dicts(from_rollup) == _as_dicts(raw)
        assert sum(value.created_count for value in raw.values()) > 0


def test_without_a_rollup_everything_is_counted_live(world_with_cases: World) -> None:
    assert kpi_total(CaseFilter(), period=ALL_DAYS).created_count == 7


def test_refresh_recent_picks_up_a_later_rating(world_with_cases: World) -> None:
    case_rollup_rebuild()
    case = Case.objects.get(created_at=local(2026, 3, 5))
    Case.objects.filter(pk=case.pk).update(rating=Rating.SATISFIED)
    assert kpi_total(CaseFilter(), period=MARCH).rated_count == 2  # the rollup is stale until refreshed
    result = case_rollup_refresh_recent(days=10)
    assert result.first_day == dt.date(2026, 2, 28)
    assert kpi_total(CaseFilter(), period=MARCH).rated_count == 3
    assert kpi_total(CaseFilter(), period=MARCH).satisfaction_rate == 66.7


def test_refresh_recent_without_a_rollup_rebuilds_everything(world_with_cases: World) -> None:
    result = case_rollup_refresh_recent(days=3)
    assert result.first_day == dt.date(2026, 2, 15)
    assert RollupState.objects.get().refreshed_through == dt.date(2026, 3, 9)


def test_next_day_the_previous_today_moves_into_the_rollup(world_with_cases: World) -> None:
    case_rollup_rebuild()
    with clock.frozen(local(2026, 3, 11, 1)):
        case_rollup_refresh_recent(days=5)
        assert DailyCaseRollup.objects.filter(day=dt.date(2026, 3, 10)).count() == 2
        case_create(grid=world_with_cases.grid_west_1, created_at=local(2026, 3, 11, 0))
        total = kpi_total(CaseFilter(), period=Period(dt.date(2026, 3, 10), dt.date(2026, 3, 11)))
    assert total.created_count == 3


def test_rebuild_of_an_empty_table_marks_the_state(world: World, frozen_now: None) -> None:
    result = case_rollup_rebuild()
    assert result.rows_written == 0
    assert RollupState.objects.get().refreshed_through == dt.date(2026, 3, 9)
    assert kpi_total(CaseFilter(), period=MARCH).created_count == 0
