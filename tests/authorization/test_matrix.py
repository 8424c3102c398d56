"""The authorization matrix: every route × every role (and anonymous) × in/out-of-scope objects."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.http import HttpResponse
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from tests.authorization.policy import API_ROUTES, DJANGO_ROUTES, Rule, Variant
from tests.authorization.world import World, world_create
from zhili.accounts.models import User
from zhili.accounts.permissions import ROLE_GRANTS, Action, user_can
from zhili.accounts.roles import Role
from zhili.config.api import api

LOGIN_PATHS = ("/accounts/login/", "/admin/login/")


def _walk(patterns: list[Any], namespace: str = "") -> Iterator[tuple[str, Any]]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _walk(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield f"{namespace}{pattern.name}", pattern.callback


def django_route_names() -> set[str]:
    """Every named route except the Django admin's own and the API operations (listed by method)."""
    return {name for name, callback in _walk(get_resolver().url_patterns)
            if not name.startswith("admin:") and getattr(callback, "__module__", "") != "ninja.operation"}


def api_operations() -> set[str]:
    schema = api.get_openapi_schema()
    return {f"{method.upper()} {path}" for path, methods in schema["paths"].items() for method in methods}


def test_every_route_has_a_policy() -> None:
    routes = django_route_names()
    operations = api_operations()
    assert sorted(routes - set(DJANGO_ROUTES)) == [], "routes without an authorization policy"
    assert sorted(set(DJANGO_ROUTES) - routes) == [], "policies of routes that no longer exist"
    assert sorted(operations - set(API_ROUTES)) == [], "API operations without an authorization policy"
    assert sorted(set(API_ROUTES) - operations) == [], "policies of API operations that no longer exist"


def _expected_allowed(rule: Rule, variant: Variant, user: User | None, world: World) -> bool:
    if rule.public:
        return True
    if user is None or rule.token_only:
        return False
    if rule.staff_only:
        return bool(user.is_staff)
    if rule.action is None:
        return True
    if not user_can(user, rule.action):
        return False
    if rule.also_any and not any(user_can(user, action) for action in rule.also_any):
        return False
    if variant.target is not None:
        return user_can(user, rule.action, variant.target(world))
    return True


def _request(client: Client, rule: Rule, variant: Variant, world: World) -> HttpResponse:
    url = variant.url(world)
    if rule.method == "POST":
        if rule.json:
            return client.post(url, data=json.dumps(variant.data or {}), content_type="application/json")
        return client.post(url, data=variant.data)
    return client.get(url)


def _verdict(response: HttpResponse, *, allowed: bool, anonymous: bool, object_may_be_missing: bool,
             public: bool = False) -> str:
    """'' when the response matches the expectation, else a short reason."""
    status = response.status_code
    location = response.get("Location", "")
    to_login = status in (301, 302) and any(path in location for path in LOGIN_PATHS)
    if status >= 500:
        return f"server error {status}"
    if allowed:
        if status in (401, 403) or (to_login and not public):
            return f"refused ({status} {location})"
        if status == 404 and not object_may_be_missing:
            return "404 for an object that exists"
        if status == 405:
            return "method not allowed: fix the policy table's method"
        return ""
    if anonymous and (to_login or status in (401, 403)):
        return ""
    if status == 403 or (status == 404 and object_may_be_missing):
        return ""
    return f"allowed ({status})"


ALL_ROUTES = sorted(DJANGO_ROUTES) + sorted(API_ROUTES)
USERS: tuple[str | None, ...] = (None, *Role.values)


@pytest.mark.django_db
@pytest.mark.parametrize("route", ALL_ROUTES)
def test_route_refuses_and_allows_exactly_by_policy(route: str) -> None:
    rule = DJANGO_ROUTES.get(route) or API_ROUTES[route]
    world = world_create()
    mismatches = []
    for role in USERS:
        for variant in rule.variants:
            client = Client(raise_request_exception=True)
            user = world.users[role] if role is not None else None
            if user is not None:
                client.force_login(user)
            allowed = _expected_allowed(rule, variant, user, world)
            response = _request(client, rule, variant, world)
            # a refusal about an object may say "not found" (it does not reveal that the object exists);
            # an allowed caller gets 404 only for the ids that no object has
            may_be_missing = variant.label == "missing" or (not allowed and variant.label != "page")
            problem = _verdict(response, allowed=allowed, anonymous=user is None, object_may_be_missing=may_be_missing,
                               public=rule.public)
            if problem:
                mismatches.append(f"{role or 'anonymous'}/{variant.label}: expected "
                                  f"{'allowed' if allowed else 'refused'}, got {problem}")
    assert mismatches == []


@pytest.mark.django_db
def test_admin_site_needs_a_staff_account() -> None:
    world = world_create()
    anonymous = Client().get("/admin/")
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith("/admin/login/")
    for role in Role.values:
        client = Client()
        client.force_login(world.users[role])
        response = client.get("/admin/")
        assert (role, response.status_code) == (role, 302)


@pytest.mark.django_db
def test_scopes_of_the_world_are_the_ones_the_issue_demands() -> None:
    """Grid worker: only their grid; handler: only their department; citizen: only their own
    reports; leaders read-only; out-of-scope case reachable by the admin only."""
    world = world_create()
    users = world.users
    assert user_can(users[Role.GRID_WORKER], Action.CASE_VIEW, world.case_in) is True
    assert user_can(users[Role.GRID_WORKER], Action.CASE_VIEW, world.case_out) is False
    assert user_can(users[Role.HANDLER], Action.CASE_ACCEPT, world.case_in) is True
    assert user_can(users[Role.HANDLER], Action.CASE_ACCEPT, world.case_out) is False
    assert user_can(users[Role.CITIZEN], Action.CASE_VIEW, world.case_in) is True
    assert user_can(users[Role.CITIZEN], Action.CASE_VIEW, world.case_out) is False
    assert [role for role in Role.values if user_can(users[role], Action.CASE_VIEW, world.case_out)] == [Role.ADMIN]
    mutating = {action for action in Action if not action.value.endswith((".view", ".view_personal"))
                and action not in {Action.CASE_EXPORT, Action.DASHBOARD_LEADER, Action.DASHBOARD_COMMAND_CENTER}}
    assert sorted(ROLE_GRANTS[Role.LEADER] & mutating) == []


@pytest.mark.django_db
def test_case_lists_show_each_role_only_its_scope() -> None:
    world = world_create()
    visible = {}
    for role in Role.values:
        client = Client()
        client.force_login(world.users[role])
        response = client.get("/api/v1/cases/")
        visible[role] = sorted(case["number"] for case in response.json()["results"]) \
            if response.status_code == 200 else response.status_code
    inside, outside = world.case_in.number, world.case_out.number
    assert visible == {
        Role.OPERATOR: [inside], Role.DISPATCHER: [inside], Role.HANDLER: [inside], Role.GRID_WORKER: [inside],
        Role.LEADER: [inside], Role.PLANNER: 403, Role.ANALYST: 403, Role.PROJECT_OFFICE: [inside],
        Role.ADMIN: sorted([inside, outside]),
        Role.CITIZEN: [inside],
    }


@pytest.mark.django_db
def test_citizen_follows_only_their_own_report_by_tracking_code() -> None:
    world = world_create()
    own = Client().get(f"/cases/track/?code={world.case_in.tracking_code}")
    assert own.status_code == 200
    assert world.case_in.number in own.content.decode()
    unknown = Client().get("/cases/track/?code=NOTAREALCODE")
    assert unknown.status_code == 200
    assert world.case_in.number not in unknown.content.decode()
    assert world.case_out.number not in unknown.content.decode()
