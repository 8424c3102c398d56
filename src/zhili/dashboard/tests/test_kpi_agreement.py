"""One set of KPI figures: the cases API (case table), the dashboard's raw path and its rollup agree.

Before the KPI formulas had one home, the cases API counted 重办率 over cases "ever finished" and
签收及时率 over cases judged against a limit, while the command center and leader pages divided by
the cases finished now and those signed for: a leader could read two different 重办率 for one month.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from tests.oracles.case_counters import kpi_counts_case_by_case

from zhili.accounts.roles import Role
from zhili.cases.contracts import CaseFilter
from zhili.cases.rules.kpis import KpiCounts
from zhili.cases.selectors import case_kpis
from zhili.cases.states import CaseStatus
from zhili.core import clock
from zhili.dashboard.rules import Period, day_start
from zhili.dashboard.selectors import kpi_total
from zhili.dashboard.services import case_rollup_rebuild
from zhili.dashboard.tests.factories import World, case_create, local, user_create

pytestmark = pytest.mark.django_db

MARCH = Period(dt.date(2026, 3, 1), dt.date(2026, 3, 10), is_month=True)
FEBRUARY_AND_MARCH = Period(dt.date(2026, 2, 1), dt.date(2026, 3, 10))


@pytest.fixture
def world_with_every_kind_of_case(world_with_cases: World) -> World:
    """The seven hand-worked cases, plus one reopened and not finished again (where the two old 重办率
    definitions part), one signed for without a limit to judge against (where the two old 签收率
    definitions part), one returned and one given more time."""
    world = world_with_cases
    cg, hj = world.city_management, world.environment
    case_create(grid=world.grid_west_1, department=cg, category=hj, created_at=local(2026, 3, 3),
                status=CaseStatus.HANDLING, dispatched_at=local(2026, 3, 3, 11), accepted_at=local(2026, 3, 3, 12),
                accepted_on_time=True, reopen_count=1, handling_seconds=9000)
    case_create(grid=world.grid_east_1, department=cg, category=hj, created_at=local(2026, 3, 4),
                status=CaseStatus.HANDLING, dispatched_at=local(2026, 3, 4, 11), accepted_at=local(2026, 3, 4, 12),
                accepted_on_time=None, extension_count=1)
    case_create(grid=world.grid_east_2, department=world.water, category=world.facilities,
                created_at=local(2026, 3, 6), status=CaseStatus.RECEIVED, dispatched_at=local(2026, 3, 6, 11),
                return_count=1)
    return world


def _filters(world: World) -> list[CaseFilter]:
    return [CaseFilter(), CaseFilter(area_paths=(world.street_east.path,)),
            CaseFilter(area_paths=(world.street_west.path,), department_id=world.city_management.pk),
            CaseFilter(category_id=world.environment.pk)]


@pytest.mark.parametrize("period", [MARCH, FEBRUARY_AND_MARCH], ids=["march", "february-and-march"])
def test_the_rollup_the_raw_path_and_the_cases_api_give_identical_figures(
        world_with_every_kind_of_case: World, period: Period) -> None:
    world = world_with_every_kind_of_case
    case_rollup_rebuild()
    start, end = day_start(period.first_day), day_start(period.last_day + dt.timedelta(days=1))
    for case_filter in _filters(world):
        from_cases = case_kpis(case_filter=case_filter, start=start, end=end).as_dict()
        case_by_case = kpi_counts_case_by_case(case_filter, first_day=period.first_day,
                                               last_day=period.last_day).get((), KpiCounts()).as_dict()
        rollup = kpi_total(case_filter, period=period).as_dict()
        assert from_cases == case_by_case == rollup, case_filter


def test_the_disputed_definitions_have_one_answer(world_with_every_kind_of_case: World) -> None:
    case_rollup_rebuild()
    march = kpi_total(CaseFilter(), period=MARCH)
    # reopened: the unsatisfied case (finished again) and the one still being handled; ever finished:
    # the two finished ones and the reopened one → 2 / 3, not 2 / 2 ("of those finished now")
    assert (march.reopened_count, march.ever_finished_count, march.finished_count) == (2, 3, 2)
    assert march.reopen_rate == 66.7
    # signed for: 5 (one without a limit to judge against); judged: 4, of which 3 on time → 75.0, not 3 / 5
    assert (march.accepted_count, march.accept_judged_count, march.accepted_on_time_count) == (5, 4, 3)
    assert march.accept_on_time_rate == 75.0
    # dispatched in March: six; one returned, one given more time
    assert (march.dispatched_count, march.returned_count, march.extended_count) == (6, 1, 1)
    assert (march.return_rate, march.extension_rate) == (16.7, 16.7)
    # handling hours count the finished cases only (the reopened one's earlier 2.5 h answer was taken back)
    assert march.average_handling_hours == 1.5  # (2 h + 1 h) / 2, not (2 h + 1 h + 2.5 h) / 3


def test_the_leaders_reopen_rate_equals_the_apis_for_the_same_month(world_with_every_kind_of_case: World) -> None:
    world = world_with_every_kind_of_case
    case_rollup_rebuild()
    client = Client()
    client.force_login(user_create(username="district-leader", role=Role.LEADER, scope_area=world.district))
    with clock.frozen(local(2026, 3, 10, 15)):
        page = client.get("/dashboard/leader/?month=2026-03")
        api = client.get("/api/v1/cases/kpis?start=2026-03-01&end=2026-03-31")
    assert (page.status_code, api.status_code) == (200, 200)
    shown = page.context["overview"].total
    served = api.json()
    assert served["reopen_rate"] == shown.reopen_rate == 66.7
    for name in ("accept_on_time_rate", "finish_on_time_rate", "satisfaction_rate", "resolution_rate",
                 "duplicate_rate", "return_rate", "extension_rate", "average_handling_hours", "score"):
        assert served[name] == getattr(shown, name), name
