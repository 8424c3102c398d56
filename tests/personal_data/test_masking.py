"""Personal data: masked by role on pages, exports, the JSON API and Open311; never in logs; encrypted at rest."""

from __future__ import annotations

import io
import logging
import zipfile

import pytest
from django.db import connection
from django.test import Client

from tests.authorization.world import REPORTER_PHONE_IN, World, world_create
from zhili.accounts.roles import Role
from zhili.cases.models import Case, CaseChannel
from zhili.cases.services.intake import IntakeRequest, case_intake
from zhili.core.logging import PersonalDataFilter

PHONE_MASKED_IN = "138****5678"
ID_NUMBER = "320402199001011234"
# roles that see the case in scope but have no right to the reporter's personal data
MASKED_ROLES = (Role.GRID_WORKER, Role.LEADER, Role.CITIZEN)
CLEAR_ROLES = (Role.OPERATOR, Role.DISPATCHER, Role.HANDLER, Role.ADMIN)


@pytest.fixture
def world(db: None) -> World:
    return world_create()


def _client(world: World, role: str) -> Client:
    client = Client()
    client.force_login(world.users[role])
    return client


def _text_of_office_file(content: bytes) -> str:
    """All XML text inside an .xlsx/.docx (both are zip archives), for searching."""
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return "".join(archive.read(name).decode("utf-8", "replace") for name in archive.namelist()
                       if name.endswith(".xml"))


@pytest.mark.parametrize("role", MASKED_ROLES)
def test_api_masks_the_reporter_for_roles_without_personal_data_rights(world: World, role: str) -> None:
    response = _client(world, role).get(f"/api/v1/cases/{world.case_in.number}")
    assert response.status_code == 200
    body = response.json()
    assert (body["reporter_phone"], body["reporter_name"]) == (PHONE_MASKED_IN, "张*")
    assert REPORTER_PHONE_IN not in response.content.decode()


@pytest.mark.parametrize("role", CLEAR_ROLES)
def test_api_shows_the_reporter_to_roles_that_handle_the_case(world: World, role: str) -> None:
    response = _client(world, role).get(f"/api/v1/cases/{world.case_in.number}")
    assert response.status_code == 200
    assert (response.json()["reporter_phone"], response.json()["reporter_name"]) == (REPORTER_PHONE_IN, "张三")


@pytest.mark.parametrize("role", MASKED_ROLES)
def test_case_page_masks_the_reporter(world: World, role: str) -> None:
    response = _client(world, role).get(f"/cases/{world.case_in.number}/")
    assert response.status_code == 200
    page = response.content.decode()
    assert REPORTER_PHONE_IN not in page
    assert "张三" not in page


@pytest.mark.parametrize("role", MASKED_ROLES)
def test_case_list_pages_never_show_a_full_phone(world: World, role: str) -> None:
    response = _client(world, role).get("/cases/")
    assert response.status_code == 200
    assert REPORTER_PHONE_IN not in response.content.decode()


@pytest.mark.parametrize("file_format", ["xlsx", "docx"])
def test_leader_exports_carry_only_masked_personal_data(world: World, file_format: str) -> None:
    response = _client(world, Role.LEADER).get(f"/cases/{world.case_in.number}/export.{file_format}")
    assert response.status_code == 200
    text = _text_of_office_file(b"".join(response.streaming_content) if response.streaming
                                else response.content)
    assert world.case_in.number in text
    assert REPORTER_PHONE_IN not in text
    assert PHONE_MASKED_IN in text


def test_dashboard_exports_carry_no_personal_data(world: World) -> None:
    for url in ("/dashboard/leader/export.xlsx", "/dashboard/leader/report.xlsx"):
        response = _client(world, Role.LEADER).get(url)
        assert response.status_code == 200
        text = _text_of_office_file(response.content)
        assert REPORTER_PHONE_IN not in text
        assert PHONE_MASKED_IN not in text


def test_open311_get_shows_no_personal_data(world: World) -> None:
    client = Client()
    for url in ("/open311/v2/requests.json", f"/open311/v2/requests/{world.case_in.number}.json",
                "/open311/v2/requests.xml", f"/open311/v2/requests/{world.case_in.number}.xml"):
        response = client.get(url)
        assert response.status_code == 200
        body = response.content.decode()
        assert world.case_in.number in body
        assert REPORTER_PHONE_IN not in body
        assert PHONE_MASKED_IN not in body
        assert "张三" not in body


def test_open311_masks_a_phone_number_written_inside_the_description(world: World) -> None:
    case = case_intake(request=IntakeRequest(
        channel=CaseChannel.HOTLINE, description="楼下垃圾没人清运，请回电13811112222或者身份证320402199001011234",
        longitude=119.925, latitude=31.725, matter_code="M001"), actor=world.users[Role.OPERATOR]).case
    body = Client().get(f"/open311/v2/requests/{case.number}.json").content.decode()
    assert case.number in body
    assert "13811112222" not in body
    assert ID_NUMBER not in body


def test_phone_and_id_number_are_encrypted_at_rest(world: World) -> None:
    case = case_intake(request=IntakeRequest(
        channel=CaseChannel.HOTLINE, description="井盖松动", longitude=119.925, latitude=31.725,
        reporter_name="王小明", reporter_phone="13900001111", reporter_id_number=ID_NUMBER, matter_code="M001",
    ), actor=world.users[Role.OPERATOR]).case
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {Case._meta.db_table} WHERE id = %s", [case.pk])  # noqa: S608
        row = cursor.fetchone()
    raw = " ".join(str(value) for value in row)
    assert "13900001111" not in raw
    assert ID_NUMBER not in raw
    assert "王小明" not in raw
    assert "139****1111" in raw  # the display mask is stored in clear, by design


def test_intake_logs_no_full_phone_number(world: World, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    client = _client(world, Role.OPERATOR)
    client.post("/api/v1/cases/", data={"description": "电话13900002222的市民反映路灯不亮", "channel": "hotline",
                                        "longitude": 119.925, "latitude": 31.725, "reporter_phone": "13900002222",
                                        "reporter_name": "赵六"}, content_type="application/json")
    client.post("/api/v1/cases/", data={"description": "", "channel": "hotline", "reporter_phone": "13900002222"},
                content_type="application/json")
    Client().post("/open311/v2/requests.json", data={"service_code": "M001", "description": "垃圾",
                                                     "phone": "13900002222", "lat": "31.725", "long": "119.925"})
    assert Case.objects.filter(description__contains="路灯不亮").count() == 1
    masking = PersonalDataFilter()
    leaked = []
    for record in caplog.records:
        masking.filter(record)  # what the configured handler writes
        if "13900002222" in record.getMessage():
            leaked.append(record.getMessage())
    assert leaked == []


def test_log_filter_masks_phone_and_id_numbers_in_any_record() -> None:
    record = logging.LogRecord("zhili.test", logging.WARNING, __file__, 1, "caller %s id %s", ("13900003333", ID_NUMBER),
                               None)
    PersonalDataFilter().filter(record)
    assert record.getMessage() == "caller 139****3333 id 320402********1234"
