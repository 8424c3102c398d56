from __future__ import annotations

import datetime as dt

import pytest

from zhili.accounts.roles import Role
from zhili.core.errors import NotFoundError, PermissionDeniedError
from zhili.dashboard.rules import Period, month_period
from zhili.dashboard.selectors import (
    case_feed,
    daily_trend,
    dashboard_scope_for,
    hot_spots,
    map_values,
    open_total,
    ranking_by,
    ranking_by_area,
    red_black_lists,
)
from zhili.dashboard.services import case_rollup_rebuild
from zhili.dashboard.tests.factories import World, leader_create, user_create

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 3, 10)


def test_month_period_is_cut_at_today_and_compares_with_the_same_days_of_last_month() -> None:
    period = month_period(2026, 3, today=TODAY)
    assert (period.first_day, period.last_day) == (dt.date(2026, 3, 1), dt.date(2026, 3, 10))
    previous = period.previous()
    assert (previous.first_day, previous.last_day) == (dt.date(2026, 2, 1), dt.date(2026, 2, 10))
    whole = month_period(2026, 1, today=TODAY)
    assert whole.previous() == Period(dt.date(2025, 12, 1), dt.date(2025, 12, 31), is_month=True)
    assert Period(dt.date(2026, 3, 1), dt.date(2026, 3, 7)).previous() == Period(dt.date(2026, 2, 22),
                                                                                  dt.date(2026, 2, 28))


def test_scope_defaults_to_the_district_and_refuses_areas_outside_a_scoped_user(world: World) -> None:
    admin = user_create(username="chief", role=Role.LEADER)
    assert dashboard_scope_for(admin).node == dashboard_scope_for(admin, area_code="320402").node
    assert dashboard_scope_for(admin).node is not None
    assert dashboard_scope_for(admin).node.code == "320402"  # type: ignore[union-attr]
    west_leader = leader_create(username="west", scope_area=world.street_west)
    scope = dashboard_scope_for(west_leader)
    assert scope.node is not None
    assert scope.node.code == "320402002"
    assert [node.name for node in scope.breadcrumbs()] == ["西街道"]
    with pytest.raises(PermissionDeniedError):
        dashboard_scope_for(west_leader, area_code="320402001")
    with pytest.raises(PermissionDeniedError):
        dashboard_scope_for(west_leader, area_code="320402")
    with pytest.raises(NotFoundError):
        dashboard_scope_for(west_leader, area_code="999")


def test_map_values_per_metric_for_the_streets(world_with_cases: World) -> None:
    case_rollup_rebuild()
    scope = dashboard_scope_for(leader_create(username="chief"))
    values = {metric: {value.name: value.value for value in map_values(scope, metric=metric, granularity="children")}
              for metric in ("open", "overdue", "new_today", "satisfaction")}
    assert values == {
        "open": {"东街道": 1.0, "西街道": 2.0},
        "overdue": {"东街道": 1.0, "西街道": 0.0},
        "new_today": {"东街道": 1.0, "西街道": 1.0},
        "satisfaction": {"东街道": 66.7, "西街道": None},
    }
    grids = map_values(scope, metric="open", granularity="grid")
    assert {value.name: value.value for value in grids} == {"东一网格": 0.0, "东二网格": 1.0, "西一网格": 2.0}


def test_scoped_leader_counts_only_their_street(world_with_cases: World) -> None:
    scope = dashboard_scope_for(leader_create(username="west", scope_area=world_with_cases.street_west))
    counts = open_total(scope.case_filter())
    assert (counts.open_count, counts.warning_count, counts.overdue_count) == (2, 1, 0)
    assert [value.name for value in map_values(scope, metric="open", granularity="children")] == ["西社区"]


def test_rankings_trend_and_hot_spots(world_with_cases: World) -> None:
    case_rollup_rebuild()
    scope = dashboard_scope_for(leader_create(username="chief"))
    march = month_period(2026, 3, today=TODAY)
    departments = ranking_by(scope.case_filter(), period=march, dimension="department", with_open=True)
    assert [(row.name, row.counts.created_count, row.open_counts.open_count) for row in departments] == [
        ("城管局", 4, 1), ("水务局", 2, 2)]
    streets = ranking_by_area(scope, scope.case_filter(), period=march, with_previous=True)
    assert [(row.name, row.counts.created_count, row.previous.created_count if row.previous else None)
            for row in streets] == [("东街道", 4, 0), ("西街道", 2, 0)]
    red, black = red_black_lists([row for row in departments if row.code])
    assert [row.name for row in red] == ["城管局", "水务局"]
    assert black == []
    trend = daily_trend(scope.case_filter(), period=Period(dt.date(2026, 3, 8), TODAY))
    assert [(point.day.day, point.created_count) for point in trend] == [(8, 0), (9, 1), (10, 2)]
    spots = hot_spots(scope, scope.case_filter(), today=TODAY)
    assert [(spot.grid_name, spot.category_name, spot.count, spot.previous_count) for spot in spots] == [
        ("东二网格", "市容环境", 1, 0), ("东二网格", "市政设施", 1, 0), ("西一网格", "市容环境", 1, 0),
        ("西一网格", "市政设施", 1, 0)]


def test_feed_masks_phone_numbers_for_roles_without_the_right(world_with_cases: World) -> None:
    scope = dashboard_scope_for(leader_create(username="chief"))
    leader_feed = case_feed(leader_create(username="leader2"), scope.case_filter())
    dispatcher_feed = case_feed(user_create(username="dispatch", role=Role.DISPATCHER), scope.case_filter())
    assert len(leader_feed) == 7
    assert [item.created_at.day for item in leader_feed[:3]] == [10, 10, 9]
    assert leader_feed[2].title == "井盖松动 联系人138****5678"
    assert dispatcher_feed[2].title == "井盖松动 联系人13812345678"


