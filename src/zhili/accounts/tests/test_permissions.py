"""The one authorization function: role grants × scope, table-driven."""

from __future__ import annotations

from typing import Any

import pytest

from zhili.accounts.models import GridAssignment, User
from zhili.accounts.permissions import ROLE_GRANTS, Action, ObjectScope, require, user_can
from zhili.accounts.roles import Role
from zhili.core.errors import PermissionDeniedError
from zhili.geo.models import Area, AreaLevel, Department


@pytest.fixture
def tree(db: None) -> dict[str, Area]:
    district = Area.objects.create(code="D", name="区", level=AreaLevel.DISTRICT, path="/D/")
    street_a = Area.objects.create(code="S1", name="甲街道", level=AreaLevel.STREET, parent=district, path="/D/S1/")
    street_b = Area.objects.create(code="S2", name="乙街道", level=AreaLevel.STREET, parent=district, path="/D/S2/")
    grid_a = Area.objects.create(code="G1", name="网格1", level=AreaLevel.GRID, parent=street_a, path="/D/S1/C1/G1/")
    grid_b = Area.objects.create(code="G2", name="网格2", level=AreaLevel.GRID, parent=street_b, path="/D/S2/C2/G2/")
    return {"district": district, "street_a": street_a, "street_b": street_b, "grid_a": grid_a, "grid_b": grid_b}


def make_user(username: str, role: str, **fields: Any) -> User:
    return User.objects.create_user(username=username, password="Very-Long-Pass-2026", role=role, **fields)


@pytest.mark.django_db
def test_anonymous_and_inactive_users_may_do_nothing(tree: dict[str, Area]) -> None:
    assert user_can(None, Action.CASE_VIEW) is False
    inactive = make_user("gone", Role.ADMIN, is_active=False)
    assert user_can(inactive, Action.CASE_VIEW) is False


@pytest.mark.django_db
@pytest.mark.parametrize("role", list(Role))
def test_role_grants_table_is_what_user_can_answers_without_object(role: Role, tree: dict[str, Area]) -> None:
    user = make_user(f"u-{role}", role)
    for action in Action:
        assert user_can(user, action) is (action in ROLE_GRANTS[role]), (role, action)


@pytest.mark.django_db
def test_leader_is_read_only() -> None:
    writes = {Action.CASE_DISPATCH, Action.CASE_ACCEPT, Action.CASE_HANDLE, Action.INDICATOR_EDIT,
              Action.ENTERPRISE_PUBLISH, Action.GEO_MANAGE, Action.CASE_CREATE}
    assert not (ROLE_GRANTS[Role.LEADER] & writes)


@pytest.mark.django_db
def test_area_scope_is_a_subtree(tree: dict[str, Area]) -> None:
    dispatcher = make_user("d", Role.DISPATCHER, scope_area=tree["street_a"])
    inside = ObjectScope(area_paths=(tree["grid_a"].path,))
    outside = ObjectScope(area_paths=(tree["grid_b"].path,))
    assert user_can(dispatcher, Action.CASE_DISPATCH, inside) is True
    assert user_can(dispatcher, Action.CASE_DISPATCH, outside) is False
    district_dispatcher = make_user("dd", Role.DISPATCHER, scope_area=tree["district"])
    assert user_can(district_dispatcher, Action.CASE_DISPATCH, outside) is True


@pytest.mark.django_db
def test_department_handler_acts_only_on_orders_sent_to_their_department(tree: dict[str, Area]) -> None:
    city_management = Department.objects.create(code="CG", name="城管局")
    housing = Department.objects.create(code="ZJ", name="住建局")
    handler = make_user("h", Role.HANDLER, department=city_management)
    assert user_can(handler, Action.CASE_ACCEPT, ObjectScope(department_ids=frozenset({city_management.pk})))
    assert not user_can(handler, Action.CASE_ACCEPT, ObjectScope(department_ids=frozenset({housing.pk})))
    assert not user_can(handler, Action.CASE_ACCEPT, ObjectScope())
    handler_without_department = make_user("h2", Role.HANDLER)
    assert not user_can(handler_without_department, Action.CASE_ACCEPT,
                        ObjectScope(department_ids=frozenset({city_management.pk})))


@pytest.mark.django_db
def test_grid_worker_only_in_assigned_grids(tree: dict[str, Area]) -> None:
    worker = make_user("g", Role.GRID_WORKER)
    GridAssignment.objects.create(user=worker, grid=tree["grid_a"])
    assert user_can(worker, Action.CASE_SELF_HANDLE, ObjectScope(area_paths=(tree["grid_a"].path,)))
    assert not user_can(worker, Action.CASE_SELF_HANDLE, ObjectScope(area_paths=(tree["grid_b"].path,)))
    unassigned = make_user("g2", Role.GRID_WORKER)
    assert not user_can(unassigned, Action.CASE_VIEW, ObjectScope(area_paths=(tree["grid_a"].path,)))


@pytest.mark.django_db
def test_citizen_only_own_reports(tree: dict[str, Area]) -> None:
    citizen = make_user("c", Role.CITIZEN)
    other = make_user("c2", Role.CITIZEN)
    assert user_can(citizen, Action.CASE_RATE_OWN, ObjectScope(owner_user_id=citizen.pk))
    assert not user_can(citizen, Action.CASE_RATE_OWN, ObjectScope(owner_user_id=other.pk))
    assert not user_can(citizen, Action.CASE_VIEW, ObjectScope(area_paths=(tree["grid_a"].path,)))


@pytest.mark.django_db
def test_require_raises_a_translated_clear_error(tree: dict[str, Area]) -> None:
    planner = make_user("p", Role.PLANNER)
    with pytest.raises(PermissionDeniedError) as raised:
        require(planner, Action.CASE_DISPATCH)
    assert raised.value.status_code == 403
    assert "case.dispatch" in raised.value.message
    assert "联系管理员" in raised.value.message


@pytest.mark.django_db
def test_unregistered_object_type_is_a_programming_error(tree: dict[str, Area]) -> None:
    admin_user = make_user("a", Role.DISPATCHER)
    with pytest.raises(LookupError):
        user_can(admin_user, Action.CASE_VIEW, object())
