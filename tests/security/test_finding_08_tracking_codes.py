"""Finding 8: a handler read citizens' tracking codes from ``GET /api/v1/cases/`` and could then rate
their own department's cases "satisfied" as the citizen."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.authorization.world import World
from tests.security.conftest import client_for
from zhili.accounts.roles import Role
from zhili.cases.models import Case
from zhili.cases.services.lifecycle import TransitionDetails, case_transition
from zhili.cases.states import CaseStatus

pytestmark = pytest.mark.django_db

STAFF = (Role.OPERATOR, Role.DISPATCHER, Role.HANDLER, Role.GRID_WORKER, Role.LEADER, Role.ADMIN)


def _finished(world: World) -> Case:
    case = world.case_in
    steps = [("accept", TransitionDetails()), ("reply", TransitionDetails(note="已清运"))]
    if case.status == CaseStatus.RECEIVED:
        steps.insert(0, ("dispatch", TransitionDetails(department_id=world.department_city.pk)))
    for action, details in steps:
        case = case_transition(case_id=case.pk, action=action, actor=world.users[Role.ADMIN], details=details)
    return case


@pytest.mark.parametrize("role", STAFF)
def test_staff_apis_never_return_tracking_codes(world: World, role: str) -> None:
    client = client_for(world, role)
    listing = client.get("/api/v1/cases/")
    assert listing.status_code == 200
    assert all(item["tracking_code"] is None for item in listing.json()["results"])
    assert world.case_in.tracking_code not in listing.content.decode()
    single = client.get(f"/api/v1/cases/{world.case_in.number}")
    if single.status_code == 200:
        assert single.json()["tracking_code"] is None


def test_the_reporter_reads_their_own_code(world: World) -> None:
    response = client_for(world, Role.CITIZEN).get(f"/api/v1/cases/{world.case_in.number}")
    assert response.json()["tracking_code"] == world.case_in.tracking_code


def test_a_handler_cannot_rate_as_the_citizen_even_with_the_code(world: World) -> None:
    case = _finished(world)
    response = client_for(world, Role.HANDLER).post("/cases/track/", {
        "code": case.tracking_code, "rating": "satisfied", "resolved": "yes"})
    assert response.status_code == 403
    assert "只有反映人本人" in response.content.decode()
    refreshed = Case.objects.get(pk=case.pk)
    assert (refreshed.status, refreshed.rating) == (CaseStatus.FINISHED, "")


def test_the_citizen_with_the_code_still_rates(world: World) -> None:
    case = _finished(world)
    response = Client().post("/cases/track/", {"code": case.tracking_code, "rating": "satisfied", "resolved": "yes"})
    assert response.status_code == 302
    assert Case.objects.get(pk=case.pk).rating == "satisfied"
