"""A NUL character in a path, a query, a form or a JSON body is a 400 before any view runs: PostgreSQL cannot
compare or store text holding one, so such a request was a 500 there (found by bench/fuzz_routes.py)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tests.authorization.world import World, world_create
from zhili.accounts.roles import Role
from zhili.cases.models import Case

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db: None) -> World:
    return world_create()


def _admin(world: World) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(world.users[Role.ADMIN])
    return client


@pytest.mark.parametrize(("path", "parameter"), [
    ("/cases/%00/", "path"), ("/cases/?q=a%00b", "q"), ("/open311/v2/services/%00.json", "path"),
    ("/api/v1/enterprises/runs/1/results?class_code=%00", "class_code"), ("/dashboard/leader/?area=%00", "area"),
])
def test_a_nul_in_the_path_or_query_is_a_400(world: World, path: str, parameter: str) -> None:
    response = _admin(world).get(path)
    assert response.status_code == 400
    text = response.content.decode()
    assert "NUL" in text
    assert parameter in text
    if path.startswith("/api/"):
        assert response.json()["error"]["code"] == "invalid_parameter"
    if path.startswith("/open311/"):
        assert response.json()[0]["code"] == 400


def test_a_nul_in_a_form_or_json_body_is_a_400_and_nothing_is_written(world: World) -> None:
    client = _admin(world)
    before = Case.objects.count()
    form: Any = client.post("/cases/intake/", {"description": "路灯\x00不亮", "reporter_phone": "13812345678"})
    assert form.status_code == 400
    assert "description" in form.content.decode()
    body = client.post("/api/v1/cases/", '{"description": "路灯\\u0000不亮"}', content_type="application/json")
    assert body.status_code == 400
    assert body.json()["error"]["details"] == {"parameter": "body"}
    assert Case.objects.count() == before
    with_xml = Client(raise_request_exception=False).get("/open311/v2/requests.xml?service_code=%00")
    assert with_xml.status_code == 400
    assert with_xml.content.decode().startswith('<?xml version="1.0" encoding="utf-8"?>\n<errors>')
