from __future__ import annotations

import json
import time

import pytest
from django.test import Client

from zhili.cases.models import Case
from zhili.cases.services.api_keys import api_key_issue
from zhili.cases.tests.factories import People, World, case_create

BODY = {"description": "阳光花园门口垃圾桶满了，垃圾堆放没人清运", "longitude": 119.925, "latitude": 31.725,
        "reporter_name": "王五", "reporter_phone": "13812345678"}


def test_create_with_bearer_key_and_idempotency_key(client: Client, world: World) -> None:
    key = api_key_issue(name="区政务平台").raw_key
    headers = {"Authorization": f"Bearer {key}", "Idempotency-Key": "order-1"}
    first = client.post("/api/v1/cases/", BODY, content_type="application/json", headers=headers)
    second = client.post("/api/v1/cases/", BODY, content_type="application/json", headers=headers)
    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json() == second.json()
    assert first.json()["status"] == "dispatched"
    assert first.json()["reporter_phone"] == "138****5678"  # a key without a user never sees personal data
    assert Case.objects.count() == 1


def test_the_created_answer_is_rendered_exactly_as_the_validated_schema(client: Client, world: World,
                                                                        people: People) -> None:
    """POST answers without ninja's re-validation: the bytes must equal ninja's validated CaseOut."""
    from ninja.responses import NinjaJSONEncoder

    from zhili.cases.api import case_payload
    from zhili.cases.schemas import CaseOut

    key = api_key_issue(name="区政务平台").raw_key
    answers = []
    for index, body in enumerate([BODY, {**BODY, "description": "阳光花园门口垃圾桶满了没人清运，臭味很大"},
                                  {**BODY, "longitude": 119.93, "latitude": 31.73, "reporter_phone": ""}]):
        headers = {"Authorization": f"Bearer {key}", "Idempotency-Key": f"render-{index}"}
        first = client.post("/api/v1/cases/", body, content_type="application/json", headers=headers)
        replay = client.post("/api/v1/cases/", body, content_type="application/json", headers=headers)
        assert (first.status_code, replay.status_code) == (201, 201)
        assert first["Content-Type"] == "application/json; charset=utf-8"
        assert first.content == replay.content
        answers.append(first.json())
    assert any(answer["duplicate_candidates"] for answer in answers)  # the float pairs are exercised
    for answer in answers:
        case = Case.objects.select_related("grid", "category", "matter", "department").get(pk=answer["id"])
        for viewer in (None, people.dispatcher, people.operator):
            payload = case_payload(case, viewer)
            direct = json.dumps(payload, cls=NinjaJSONEncoder)
            validated = json.dumps(CaseOut.model_validate(payload).model_dump(), cls=NinjaJSONEncoder)
            assert direct == validated


def test_anonymous_and_bad_keys_are_refused(client: Client, world: World) -> None:
    assert client.post("/api/v1/cases/", BODY, content_type="application/json").status_code == 401
    response = client.post("/api/v1/cases/", BODY, content_type="application/json",
                           headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401
    assert Case.objects.count() == 0


def test_a_revoked_key_is_refused_at_once_here_and_within_seconds_elsewhere(
        client: Client, world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    from zhili.cases.models import ApiKey
    from zhili.cases.services import api_keys

    issued = api_key_issue(name="区政务平台")
    headers = {"Authorization": f"Bearer {issued.raw_key}"}
    assert client.post("/api/v1/cases/", BODY, content_type="application/json", headers=headers).status_code == 201
    # another process revokes it (only the database changes): this process may use its memory briefly …
    ApiKey.objects.filter(pk=issued.api_key.pk).update(is_active=False)
    assert client.post("/api/v1/cases/", BODY, content_type="application/json", headers=headers).status_code == 201
    # … but not past API_KEY_RECHECK_SECONDS
    later = time.monotonic() + api_keys.API_KEY_RECHECK_SECONDS + 1
    monkeypatch.setattr(time, "monotonic", lambda: later)
    assert client.post("/api/v1/cases/", BODY, content_type="application/json", headers=headers).status_code == 401
    # a revocation through the service is refused at once in the revoking process
    second = api_key_issue(name="坐席系统")
    second_headers = {"Authorization": f"Bearer {second.raw_key}"}
    assert client.post("/api/v1/cases/", BODY, content_type="application/json",
                       headers=second_headers).status_code == 201
    api_keys.api_key_revoke(api_key_id=second.api_key.pk)
    assert client.post("/api/v1/cases/", BODY, content_type="application/json",
                       headers=second_headers).status_code == 401


def test_key_without_user_cannot_read(client: Client, world: World) -> None:
    key = api_key_issue(name="只报送").raw_key
    response = client.get("/api/v1/cases/", headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "api_key_without_user"


def test_validation_errors_use_the_envelope(client: Client, world: World, people: People) -> None:
    key = api_key_issue(name="坐席系统", user=people.operator).raw_key
    response = client.post("/api/v1/cases/", {**BODY, "description": ""}, content_type="application/json",
                           headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "description_required"


def test_session_user_lists_within_scope_and_sees_personal_data_by_role(client: Client, world: World,
                                                                        people: People) -> None:
    case = case_create(description="垃圾桶满了，垃圾堆放没人清运")
    client.force_login(people.handler_cg)
    listed = client.get("/api/v1/cases/").json()
    assert [item["number"] for item in listed["results"]] == [case.number]
    assert listed["results"][0]["reporter_phone"] == "13812341234"
    client.force_login(people.handler_hb)
    assert client.get("/api/v1/cases/").json()["count"] == 0
    assert client.get(f"/api/v1/cases/{case.number}").status_code == 404
    client.force_login(people.leader)
    assert client.get(f"/api/v1/cases/{case.number}").json()["reporter_phone"] == "138****1234"


def test_transitions_through_the_api(client: Client, world: World, people: People) -> None:
    case = case_create(description="有个情况请处理")
    client.force_login(people.dispatcher)
    dispatched = client.post(f"/api/v1/cases/{case.number}/transitions/dispatch", {"department_code": "CG"},
                             content_type="application/json")
    assert (dispatched.status_code, dispatched.json()["status"]) == (200, "dispatched")
    again = client.post(f"/api/v1/cases/{case.number}/transitions/dispatch", {"department_code": "HB"},
                        content_type="application/json")
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "illegal_transition"
    client.force_login(people.handler_cg)
    assert client.post(f"/api/v1/cases/{case.number}/transitions/accept", {},
                       content_type="application/json").json()["status"] == "handling"
    returned = client.post(f"/api/v1/cases/{case.number}/transitions/return", {"note": "非本部门职责",
                                                                                  "return_matter_code": "M003"},
                           content_type="application/json")
    assert (returned.status_code, returned.json()["status"], returned.json()["department_code"]) == (
        200, "returned", None)
    events = client.get(f"/api/v1/cases/{case.number}/events")
    assert events.status_code == 404  # no longer the department's case
    client.force_login(people.dispatcher)
    assert [event["action"] for event in client.get(f"/api/v1/cases/{case.number}/events").json()] == [
        "create", "dispatch", "accept", "return"]
    unknown = client.post(f"/api/v1/cases/{case.number}/transitions/teleport", {}, content_type="application/json")
    assert unknown.status_code == 404


def test_kpis_route(client: Client, world: World, people: People) -> None:
    case_create(description="垃圾桶满了，垃圾堆放没人清运")
    client.force_login(people.leader)
    response = client.get("/api/v1/cases/kpis?start=2000-01-01&end=2100-01-01")
    assert response.status_code == 200
    assert (response.json()["created_count"], response.json()["finished_count"]) == (1, 0)
    client.force_login(people.handler_cg)
    assert client.get("/api/v1/cases/kpis?start=2000-01-01&end=2100-01-01").status_code == 403


def test_openapi_schema_lists_the_routes(client: Client, world: World) -> None:
    schema = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/cases/" in schema["paths"]
    assert "/api/v1/cases/{number}/transitions/{action}" in schema["paths"]


@pytest.mark.parametrize("channel", ["open311", "import", "fax"])
def test_api_refuses_other_channels(channel: str, client: Client, world: World, people: People) -> None:
    client.force_login(people.operator)
    response = client.post("/api/v1/cases/", {**BODY, "channel": channel}, content_type="application/json")
    assert response.status_code in (400, 403)
    assert Case.objects.count() == 0
