"""Schemathesis against every route of the JSON API (our OpenAPI schema, bounds included) and of Open311
(zhili's GeoReport v2 endpoints as it serves them, tests/fuzz/open311_openapi.py, the form-encoded POST
with a valid key so that the attribute and location parsers are reached): whatever the input, never a
server error (5xx)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import Client
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from tests.authorization.world import World, world_create
from tests.fuzz.open311_openapi import open311_openapi
from zhili.accounts.roles import Role
from zhili.cases.services.api_keys import api_key_issue

APPLICATION = get_wsgi_application()
FUZZ_SETTINGS = settings(max_examples=25, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))

api_schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", APPLICATION)
open311_schema = schemathesis.openapi.from_dict(open311_openapi(["M001", "M003"]))
open311_schema.app = APPLICATION


@pytest.fixture
def world(db: None) -> Iterator[World]:
    """One world per operation; requests go straight into the WSGI application, in the test's transaction
    (as Django's test client does, the per-request connection closing is switched off meanwhile)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield world_create()
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@pytest.fixture
def credentials(world: World) -> dict[str, str]:
    """The admin's session cookie (for the session-authenticated routers) and API key (cases)."""
    admin = world.users[Role.ADMIN]
    client = Client()
    client.force_login(admin)
    return {"session": client.cookies["sessionid"].value, "key": api_key_issue(name="fuzz", user=admin).raw_key}


@api_schema.parametrize()
@FUZZ_SETTINGS
def test_json_api_never_answers_with_a_server_error(case: Any, credentials: dict[str, str]) -> None:
    case.call_and_validate(headers={"Authorization": f"Bearer {credentials['key']}"},
                           cookies={"sessionid": credentials["session"]}, checks=[not_a_server_error])


@pytest.fixture
def open311_key(world: World) -> str:
    return api_key_issue(name="fuzz-open311", user=world.users[Role.OPERATOR]).raw_key


@open311_schema.parametrize()
@FUZZ_SETTINGS
def test_open311_never_answers_with_a_server_error(case: Any, open311_key: str) -> None:
    if case.method == "POST" and isinstance(case.body, dict):
        case.body = {**case.body, "api_key": open311_key}  # past the key check, into the form's parsers
    case.call_and_validate(base_url="http://localhost/open311/v2", checks=[not_a_server_error])


def test_every_api_route_is_in_the_fuzzed_schema() -> None:
    """Each operation of the API object is an operation schemathesis runs (none is hidden from the schema)."""
    from zhili.config.api import api

    operations = {(method, path) for path, methods in api.get_openapi_schema()["paths"].items() for method in methods}
    routed = {(method.lower(), f"/api/v1{router_prefix}{path}".replace("//", "/"))
              for router_prefix, router in api._routers for path, path_view in router.path_operations.items()
              for operation in path_view.operations for method in operation.methods}
    assert routed
    assert {(method, path.rstrip("/")) for method, path in routed} == {
        (method, path.rstrip("/")) for method, path in operations}
