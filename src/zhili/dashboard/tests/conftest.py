from __future__ import annotations

from collections.abc import Iterator

import pytest

from zhili.cases.models import Rating, SlaState
from zhili.cases.states import CaseStatus
from zhili.core import clock
from zhili.dashboard.tests.factories import World, case_create, local, world_create
from zhili.geo.data_version import geo_caches_clear

NOW = local(2026, 3, 10, 15)


@pytest.fixture
def frozen_now() -> Iterator[None]:
    with clock.frozen(NOW):
        yield


@pytest.fixture
def world(db: None) -> Iterator[World]:
    geo_caches_clear()
    yield world_create()
    geo_caches_clear()


@pytest.fixture
def world_with_cases(world: World, frozen_now: None) -> World:
    """Seven cases whose KPIs are worked out by hand in the tests (today is 2026-03-10)."""
    cg, sw, hj, ss = world.city_management, world.water, world.environment, world.facilities
    case_create(grid=world.grid_east_1, department=cg, category=hj, created_at=local(2026, 3, 2),
                status=CaseStatus.FOLLOWED_UP, dispatched_at=local(2026, 3, 2, 11), accepted_at=local(2026, 3, 2, 12),
                accepted_on_time=True, finished_at=local(2026, 3, 3), finished_on_time=True,
                rating=Rating.SATISFIED, resolved=True, handling_seconds=7200)
    case_create(grid=world.grid_east_1, department=cg, category=hj, created_at=local(2026, 3, 2, 16),
                status=CaseStatus.FOLLOWED_UP, dispatched_at=local(2026, 3, 2, 17), accepted_at=local(2026, 3, 2, 18),
                accepted_on_time=True, finished_at=local(2026, 3, 9), finished_on_time=False,
                rating=Rating.UNSATISFIED, resolved=False, reopen_count=1, handling_seconds=3600)
    case_create(grid=world.grid_east_2, department=sw, category=ss, created_at=local(2026, 3, 5),
                status=CaseStatus.HANDLING, dispatched_at=local(2026, 3, 5, 11), accepted_at=local(2026, 3, 6),
                accepted_on_time=False, sla_state=SlaState.OVERDUE)
    case_create(grid=world.grid_west_1, department=sw, category=ss, created_at=local(2026, 3, 9),
                sla_state=SlaState.WARNING, title="井盖松动 联系人13812345678")
    case_create(grid=world.grid_west_1, department=cg, category=hj, created_at=local(2026, 3, 10, 9))
    case_create(grid=world.grid_east_2, department=cg, category=hj, created_at=local(2026, 3, 10, 8),
                status=CaseStatus.MERGED)
    case_create(grid=world.grid_east_1, department=cg, category=hj, created_at=local(2026, 2, 15),
                status=CaseStatus.ARCHIVED, dispatched_at=local(2026, 2, 15, 11), accepted_at=local(2026, 2, 15, 12),
                accepted_on_time=True, finished_at=local(2026, 2, 16), finished_on_time=True,
                rating=Rating.BASICALLY_SATISFIED, resolved=True, handling_seconds=1800)
    return world
