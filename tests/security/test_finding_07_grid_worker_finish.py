"""Finding 7: a grid worker could finish any department's case in their grid (API or page), even for
matters that do not allow grid self-handling, and the department was credited with an on-time finish."""

from __future__ import annotations

import pytest

from tests.authorization.world import POINT_WEST, World
from tests.security.conftest import client_for
from zhili.accounts.roles import Role
from zhili.cases.models import Case, CaseChannel
from zhili.cases.services.intake import IntakeRequest, case_intake
from zhili.cases.services.lifecycle import TransitionDetails, case_transition
from zhili.cases.states import CaseStatus
from zhili.core.errors import ApplicationError, PermissionDeniedError

pytestmark = pytest.mark.django_db


def _handling_case(world: World, matter_code: str = "M003") -> Case:
    case = case_intake(request=IntakeRequest(
        channel=CaseChannel.HOTLINE, description="夜间施工噪声扰民", longitude=POINT_WEST[0], latitude=POINT_WEST[1],
        matter_code=matter_code), actor=world.users[Role.OPERATOR], dispatch_automatically=False).case
    department = world.department_environment if matter_code == "M003" else world.department_city
    case_transition(case_id=case.pk, action="dispatch", actor=world.users[Role.ADMIN],
                    details=TransitionDetails(department_id=department.pk))
    return case_transition(case_id=case.pk, action="accept", actor=world.users[Role.ADMIN])


def test_the_api_refuses_a_grid_worker_finishing_a_departments_case(world: World) -> None:
    case = _handling_case(world)
    response = client_for(world, Role.GRID_WORKER).post(
        f"/api/v1/cases/{case.number}/transitions/reply", {"note": "已处理"}, content_type="application/json")
    assert response.status_code == 403
    refreshed = Case.objects.get(pk=case.pk)
    assert (refreshed.status, refreshed.finished_on_time) == (CaseStatus.HANDLING, None)


def test_the_page_shows_no_reply_action_and_refuses_the_post(world: World) -> None:
    case = _handling_case(world)
    client = client_for(world, Role.GRID_WORKER)
    page = client.get(f"/cases/{case.number}/")
    assert "reply" not in page.context["file"].allowed_actions
    response = client.post(f"/cases/{case.number}/action/reply/", {"note": "已处理"})
    assert response.status_code == 403
    assert Case.objects.get(pk=case.pk).status == CaseStatus.HANDLING


def test_even_a_self_handling_matter_is_not_the_grid_workers_once_a_department_has_it(world: World) -> None:
    case = _handling_case(world, matter_code="M001")  # 垃圾清运 allows self-handling, but 城管局 signed for it
    with pytest.raises(PermissionDeniedError):
        case_transition(case_id=case.pk, action="reply", actor=world.users[Role.GRID_WORKER],
                        details=TransitionDetails(note="已处理"))


def test_self_handling_needs_a_matter_that_allows_it(world: World) -> None:
    worker = world.users[Role.GRID_WORKER]
    unclassified = case_intake(request=IntakeRequest(
        channel=CaseChannel.PATROL, description="巡查发现一处问题", longitude=POINT_WEST[0], latitude=POINT_WEST[1]),
        actor=worker, dispatch_automatically=False).case
    assert unclassified.matter_id is None
    with pytest.raises(ApplicationError) as refused:
        case_transition(case_id=unclassified.pk, action="self_handle", actor=worker,
                        details=TransitionDetails(note="现场已处理"))
    assert refused.value.code == "self_handling_matter_required"
    allowed = case_intake(request=IntakeRequest(
        channel=CaseChannel.PATROL, description="垃圾堆放", longitude=POINT_WEST[0], latitude=POINT_WEST[1],
        matter_code="M001"), actor=worker, dispatch_automatically=False).case
    finished = case_transition(case_id=allowed.pk, action="self_handle", actor=worker,
                               details=TransitionDetails(note="现场已清理"))
    assert (finished.status, finished.self_handled, finished.department_id) == (
        CaseStatus.FINISHED, True, world.department_city.pk)
