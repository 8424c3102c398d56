"""Finding 12 (third part): anonymous reports shared one idempotency namespace keyed by the form
token, so a reused token returned another citizen's tracking code, or named another citizen's case in
the error."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.authorization.world import POINT_WEST, World
from zhili.cases.models import Case, CaseChannel

pytestmark = pytest.mark.django_db


def _report(client: Client, token: str, description: str) -> tuple[int, str]:
    response = client.post("/cases/report/", {"description": description, "form_token": token,
                                              "longitude": POINT_WEST[0], "latitude": POINT_WEST[1]})
    return response.status_code, response.content.decode()


def test_a_reused_token_in_another_browser_files_its_own_case(world: World) -> None:
    first, second = Client(), Client()
    token = first.get("/cases/report/").context["form_token"]
    second.get("/cases/report/")
    status_first, page_first = _report(first, token, "门口垃圾没人清运")
    status_second, page_second = _report(second, token, "门口垃圾没人清运")
    assert (status_first, status_second) == (200, 200)
    cases = list(Case.objects.filter(channel=CaseChannel.CITIZEN_APP, description="门口垃圾没人清运"))
    assert len(cases) == 2
    assert cases[0].tracking_code in page_first + page_second
    assert cases[1].tracking_code in page_first + page_second
    assert (cases[0].tracking_code in page_first) != (cases[0].tracking_code in page_second)


def test_a_different_text_under_a_reused_token_never_names_the_other_case(world: World) -> None:
    client = Client()
    token = client.get("/cases/report/").context["form_token"]
    _report(client, token, "路灯不亮")
    existing = Case.objects.get(description="路灯不亮")
    status, page = _report(client, token, "井盖松动")
    assert status == 400
    assert existing.number not in page
    assert existing.tracking_code not in page


def test_form_tokens_are_random_not_timestamps(world: World) -> None:
    tokens = {Client().get("/cases/report/").context["form_token"] for _ in range(5)}
    assert len(tokens) == 5
    assert all(len(token) >= 20 and not token.isdigit() for token in tokens)
