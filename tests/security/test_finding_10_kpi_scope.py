"""Finding 10: the KPI API ignored the user's scope (a street-scoped leader got another street's or
the whole district's KPIs; an unknown department code silently returned district totals)."""

from __future__ import annotations

import pytest

from tests.authorization.world import World
from tests.security.conftest import client_for
from zhili.accounts.roles import Role
from zhili.core import clock

pytestmark = pytest.mark.django_db


def _kpis(world: World, role: str, query: str = "") -> tuple[int, dict[str, object]]:
    today = clock.now().astimezone(clock.CHINA_TIME_ZONE).date().isoformat()
    response = client_for(world, role).get(f"/api/v1/cases/kpis?start={today}&end={today}{query}")
    return response.status_code, response.json()


def test_a_street_leader_gets_their_street_by_default(world: World) -> None:
    status, body = _kpis(world, Role.LEADER)
    assert status == 200
    assert body["created_count"] == 1  # case_in (west street); case_out lies in the east street
    status, admin = _kpis(world, Role.ADMIN)
    assert (status, admin["created_count"]) == (200, 2)


def test_another_street_or_the_district_is_refused(world: World) -> None:
    status, body = _kpis(world, Role.LEADER, f"&area_path={world.street_east.path}")
    assert status == 403
    assert "不在您的管辖范围内" in body["error"]["message"]  # type: ignore[index]
    status, _body = _kpis(world, Role.LEADER, f"&area_path={world.district.path}")
    assert status == 403


def test_an_unknown_department_code_is_an_error_not_the_district_totals(world: World) -> None:
    status, body = _kpis(world, Role.ADMIN, "&department_code=NOPE")
    assert status == 404
    assert body["error"]["code"] == "department_not_found"  # type: ignore[index]
    status, body = _kpis(world, Role.ADMIN, "&category_code=NOPE")
    assert (status, body["error"]["code"]) == (404, "category_not_found")  # type: ignore[index]
