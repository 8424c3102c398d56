"""Finding 6: a leader (no personal-data permission) saw full ID numbers and phones written inside
descriptions — on the case page, in the API, in the case-file .docx/.xlsx — and imported 12345
history showed callers' mobiles in clear on list and detail pages."""

from __future__ import annotations

import io
import json
import zipfile

import pytest

from tests.authorization.world import POINT_WEST, World
from tests.security.conftest import client_for
from zhili.accounts.roles import Role
from zhili.cases.models import Case, CaseChannel
from zhili.cases.services.intake import IntakeRequest, case_intake
from zhili.cases.services.lifecycle import TransitionDetails, case_transition
from zhili.core import clock

pytestmark = pytest.mark.django_db

ID_NUMBER = "32040219900101123X"
TEXT = f"来电人王小明反映：身份证{ID_NUMBER}，手机138 1234 5678，座机(0519)88886666，门口垃圾没人清运"
CLEAR = (ID_NUMBER, "13812345678", "138 1234 5678", "88886666", "王小明")


def _case(world: World, channel: str = CaseChannel.HOTLINE) -> Case:
    case = case_intake(request=IntakeRequest(
        channel=channel, description=TEXT, longitude=POINT_WEST[0], latitude=POINT_WEST[1], matter_code="M001"),
        actor=world.users[Role.OPERATOR], dispatch_automatically=False).case
    case_transition(case_id=case.pk, action="dispatch", actor=world.users[Role.DISPATCHER],
                    details=TransitionDetails(department_id=world.department_city.pk, note=f"请联系{TEXT[:30]}"))
    return case


def _office_text(content: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return "".join(archive.read(name).decode("utf-8") for name in archive.namelist() if name.endswith(".xml"))


def _assert_masked(text: str) -> None:
    for value in CLEAR:
        assert value not in text, value


@pytest.mark.parametrize("role", [Role.LEADER, Role.GRID_WORKER])
def test_the_case_page_masks_numbers_and_names_inside_the_text(world: World, role: str) -> None:
    case = _case(world)
    page = client_for(world, role).get(f"/cases/{case.number}/").content.decode()
    _assert_masked(page)
    assert "320402********123X" in page
    assert "138****5678" in page


def test_the_api_masks_the_text_and_the_timeline(world: World) -> None:
    case = _case(world)
    client = client_for(world, Role.LEADER)
    for url in (f"/api/v1/cases/{case.number}", f"/api/v1/cases/{case.number}/events", "/api/v1/cases/"):
        response = client.get(url)
        assert response.status_code == 200
        _assert_masked(json.dumps(response.json(), ensure_ascii=False))
    assert client.get(f"/api/v1/cases/{case.number}").json()["description"].startswith("来电人王**反映：身份证320402")


@pytest.mark.parametrize("file_format", ["docx", "xlsx"])
def test_the_case_file_exports_mask_the_text(world: World, file_format: str) -> None:
    case = _case(world)
    response = client_for(world, Role.LEADER).get(f"/cases/{case.number}/export.{file_format}")
    assert response.status_code == 200
    text = _office_text(response.content)
    _assert_masked(text)
    assert "320402********123X" in text


def test_imported_history_is_masked_on_list_and_detail_pages(world: World) -> None:
    imported = [case_intake(request=IntakeRequest(
        channel=CaseChannel.IMPORT, description=f"市民来电反映：我叫赵六，电话1391234{index:04d}，楼道堆物",
        longitude=POINT_WEST[0], latitude=POINT_WEST[1], created_at=clock.now()), actor=None).case
        for index in range(20)]
    client = client_for(world, Role.LEADER)
    listing = client.get("/cases/?channel=import").content.decode()
    for index, case in enumerate(imported):
        assert f"1391234{index:04d}" not in listing
        detail = client.get(f"/cases/{case.number}/").content.decode()
        assert f"1391234{index:04d}" not in detail
        assert "赵六" not in detail
        assert "139****" in detail


def test_roles_that_handle_the_case_still_read_it_as_written(world: World) -> None:
    case = _case(world)
    for role in (Role.OPERATOR, Role.DISPATCHER, Role.HANDLER):
        page = client_for(world, role).get(f"/cases/{case.number}/").content.decode()
        assert ID_NUMBER in page, role
