"""Finding 6 (hot-issue part): a street-scoped leader could run hot issues over the whole district
and read other streets' raw text and phones in the page and its export.

Now a run over the platform's cases reads only the cases its creator may see, a run is shown only to
viewers whose scope covers it, and titles and texts are masked for roles without the personal-data
permission, in the page and in the export.
"""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from tests.authorization.world import POINT_EAST, POINT_WEST, World
from tests.security.conftest import client_for
from zhili.accounts.roles import Role
from zhili.cases.models import CaseChannel
from zhili.cases.services.intake import IntakeRequest, case_intake
from zhili.textintel.models import HotIssue, HotIssueRun, HotIssueRunStatus

pytestmark = pytest.mark.django_db

WEST_PHONE = "13911112222"
EAST_PHONE = "13733334444"


def _cases(world: World) -> None:
    for number in range(3):
        case_intake(request=IntakeRequest(
            channel=CaseChannel.HOTLINE, description=f"西边小区门口垃圾堆放三天没人清运，来电人手机{WEST_PHONE}（{number}）",
            longitude=POINT_WEST[0], latitude=POINT_WEST[1], reporter_name="王五", reporter_phone="13800000001",
            matter_code="M001"), actor=world.users[Role.OPERATOR])
        case_intake(request=IntakeRequest(
            channel=CaseChannel.HOTLINE, description=f"东边工地夜间施工噪声扰民，来电人手机{EAST_PHONE}（{number}）",
            longitude=POINT_EAST[0], latitude=POINT_EAST[1], reporter_name="赵六", reporter_phone="13800000002",
            matter_code="M003"), actor=world.users[Role.ADMIN])


def _run_from_cases(world: World, role: str, capture: Any) -> HotIssueRun:
    with capture(execute=True):
        response = client_for(world, role).post(reverse("textintel:hot_issues"), {"source": "cases"})
    assert response.status_code == 302
    run = HotIssueRun.objects.filter(created_by=world.users[role]).get()
    assert run.status == HotIssueRunStatus.SUCCEEDED
    return run


def _export_text(world: World, role: str, run: HotIssueRun) -> str:
    response = client_for(world, role).get(reverse("textintel:hot_issues_export", args=[run.pk]))
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.content))
    return "\n".join(str(value) for sheet in workbook.worksheets for row in sheet.iter_rows(values_only=True)
                     for value in row if value is not None)


def test_a_street_leaders_run_reads_only_their_street_and_masks_phones(
        world: World, django_capture_on_commit_callbacks: Any) -> None:
    _cases(world)
    run = _run_from_cases(world, Role.LEADER, django_capture_on_commit_callbacks)
    # world.case_in (west) and the three west cases; none of the east street's four
    assert run.message_count == 4
    assert run.scope_paths == [world.street_west.path]
    issues = list(HotIssue.objects.filter(run=run))
    assert [issue.report_count for issue in issues] == [4]  # one matter at one place: world.case_in too
    page = client_for(world, Role.LEADER).get(reverse("textintel:hot_issues")).content.decode()
    assert "垃圾堆放" in page
    assert "施工噪声" not in page
    assert WEST_PHONE not in page
    assert EAST_PHONE not in page
    assert "139****2222" in page  # the masker's form: the leader sees that a phone was there
    export = _export_text(world, Role.LEADER, run)
    assert "垃圾堆放" in export
    assert WEST_PHONE not in export
    assert EAST_PHONE not in export
    assert "施工噪声" not in export
    # the run's stored text is as written: a dispatcher of the same street (personal-data permission) reads it
    assert WEST_PHONE in client_for(world, Role.DISPATCHER).get(reverse("textintel:hot_issues")).content.decode()


def test_a_district_run_is_hidden_from_a_street_leader(world: World, django_capture_on_commit_callbacks: Any) -> None:
    _cases(world)
    district_run = _run_from_cases(world, Role.ADMIN, django_capture_on_commit_callbacks)
    assert district_run.message_count == 8
    assert district_run.scope_paths == []
    leader = client_for(world, Role.LEADER)
    page = leader.get(reverse("textintel:hot_issues")).content.decode()
    assert "施工噪声" not in page
    assert "垃圾堆放" not in page
    chosen = leader.get(f"{reverse('textintel:hot_issues')}?run={district_run.pk}").content.decode()
    assert "施工噪声" not in chosen
    export = leader.get(reverse("textintel:hot_issues_export", args=[district_run.pk]))
    assert export.status_code == 404
    assert "管辖范围" in export.content.decode()
    # the district-wide viewer still sees it, the east street's text included
    admin_page = client_for(world, Role.ADMIN).get(reverse("textintel:hot_issues")).content.decode()
    assert "施工噪声" in admin_page
