"""Schemathesis against the JSON API (our OpenAPI schema) and Open311 (the GeoReport v2 swagger):
whatever the input, never a server error (5xx)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
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
from zhili.accounts.roles import Role
from zhili.cases.services.api_keys import api_key_issue

APPLICATION = get_wsgi_application()
OPEN311_SPEC = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "open311" / "georeport_v2-1.swagger.yaml"
FUZZ_SETTINGS = settings(max_examples=12, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))

api_schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", APPLICATION)
open311_schema = schemathesis.openapi.from_path(str(OPEN311_SPEC.resolve()))
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


@open311_schema.parametrize()
@FUZZ_SETTINGS
def test_open311_never_answers_with_a_server_error(case: Any, world: World) -> None:
    case.call_and_validate(base_url="http://localhost/open311/v2", checks=[not_a_server_error])
