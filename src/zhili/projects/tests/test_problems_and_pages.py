"""Problems through the case engine, and the pages: who may open what, exports, the public page."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from zhili.cases.services.lifecycle import case_transition
from zhili.cases.services.transition_handlers import TransitionDetails
from zhili.cases.states import CaseAction, CaseStatus
from zhili.core import clock
from zhili.core.errors import ApplicationError
from zhili.projects import services
from zhili.projects.models import Light, ProblemKind, ProjectKind
from zhili.projects.tests.factories import ProjectWorld, project_create


def test_a_problem_becomes_a_case_routed_to_the_unit_with_a_working_day_deadline(project_world: ProjectWorld) -> None:
    project = project_create(project_world)
    problem = services.project_problem_raise(actor=project_world.unit, project_id=project.pk, kind=ProblemKind.POWER,
                                             description="施工用电增容未批复")
    case = problem.case
    assert (case.status, case.department_id) == (CaseStatus.DISPATCHED, project_world.world.department_cg.pk)
    assert case.matter is not None
    assert case.matter.code == "XMWT-POWER"
    # dispatched Tuesday 15 July 2025 10:00; 5 working days → Tuesday 22 July, same hour
    assert case.handle_due_at is not None
    assert case.handle_due_at.astimezone(clock.CHINA_TIME_ZONE).date() == dt.date(2025, 7, 22)
    # the project office supervises (督办); the unit signs for it and closes it (办结)
    case_transition(case_id=case.pk, action=CaseAction.SUPERVISE, actor=project_world.office,
                    details=TransitionDetails(note="请加快协调供电公司"))
    case_transition(case_id=case.pk, action=CaseAction.ACCEPT, actor=project_world.unit)
    closed = case_transition(case_id=case.pk, action=CaseAction.REPLY, actor=project_world.unit,
                             details=TransitionDetails(note="已协调供电公司完成增容"))
    assert (closed.status, closed.supervision_count) == (CaseStatus.FINISHED, 1)


def test_the_project_page_shows_the_problem_and_its_state(project_world: ProjectWorld, client: Client) -> None:
    project = project_create(project_world)
    problem = services.project_problem_raise(actor=project_world.unit, project_id=project.pk, kind=ProblemKind.LAND,
                                             description="用地指标未落实")
    client.force_login(project_world.leader)
    html = client.get(reverse("projects:project", args=[project.code])).content.decode()
    assert problem.case.number in html
    assert "已派单" in html
    assert "138****5678" in html
    assert "13812345678" not in html
    client.force_login(project_world.unit)
    assert "13812345678" in client.get(reverse("projects:project", args=[project.code])).content.decode()


def test_a_project_without_a_location_cannot_become_a_case(project_world: ProjectWorld) -> None:
    project = project_create(project_world, longitude=None, latitude=None)
    with pytest.raises(ApplicationError, match="项目未标注位置"):
        services.project_problem_raise(actor=project_world.unit, project_id=project.pk, kind="land", description="x")


def test_staff_pages_need_sign_in_and_permission(project_world: ProjectWorld, client: Client) -> None:
    project = project_create(project_world)
    response = client.get(reverse("projects:dispatch"))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
    client.force_login(project_world.dispatcher)  # a case dispatcher has no project permission
    assert client.get(reverse("projects:dispatch")).status_code == 403
    client.force_login(project_world.other_unit)  # another unit does not see the project
    assert client.get(reverse("projects:project", args=[project.code])).status_code == 404
    response = client.post(reverse("projects:report_file", args=[project.code]), {"month": "2025-06",
                                                                                 "investment": "10"})
    assert response.status_code == 404


def test_unit_files_a_report_on_the_page_and_bad_input_is_a_message(project_world: ProjectWorld,
                                                                    client: Client) -> None:
    project = project_create(project_world)
    client.force_login(project_world.unit)
    url = reverse("projects:report_file", args=[project.code])
    response = client.post(url, {"month": "2025-08", "investment": "10"})
    assert response.status_code == 400
    assert "晚于本月" in response.content.decode()
    assert client.post(url, {"month": "2025-06", "investment": "abc"}).status_code == 400
    response = client.post(url, {"month": "2025-06", "investment": "100", "progress_percent": "40"})
    assert response.status_code == 302
    project.refresh_from_db()
    assert project.light == Light.RED  # 100 of 600 expected by June: 41.7 points behind


def test_dispatch_page_filters_and_exports(project_world: ProjectWorld, client: Client) -> None:
    red = project_create(project_world, name="=HYPERLINK(\"http://x\")")  # nothing reported: red
    services.monthly_report_file(actor=project_world.unit, project_id=red.pk, year=2025, month=6, investment=10)
    client.force_login(project_world.leader)
    html = client.get(reverse("projects:dispatch"), {"light": "red"}).content.decode()
    assert red.code in html
    assert red.code not in client.get(reverse("projects:dispatch"), {"light": "green"}).content.decode()
    assert client.get(reverse("projects:dispatch"), {"light": "purple"}).status_code == 400
    workbook = load_workbook(io.BytesIO(client.get(reverse("projects:export_xlsx")).content))
    cell = workbook["项目清单"]["B2"]
    assert (cell.value, cell.data_type) == ('=HYPERLINK("http://x")', "s")
    package = json.loads(client.get(reverse("projects:export_oc4ids")).content)
    [item] = package["projects"]
    assert (item["id"], item["status"], item["budget"]["amount"]) == (red.code, "implementation",
                                                                       {"amount": 100000000.0, "currency": "CNY"})
    assert item["locations"][0]["geometry"]["type"] == "Point"
    assert "13812345678" not in json.dumps(package, ensure_ascii=False)


def test_public_livelihood_page_is_open_and_has_no_personal_data(project_world: ProjectWorld, client: Client) -> None:
    project = project_create(project_world, kind=ProjectKind.LIVELIHOOD, name="常有善育工程", public_year=2025,
                             public_promise="新增普惠托位600个")
    services.monthly_report_file(actor=project_world.unit, project_id=project.pk, year=2025, month=6, investment=600,
                                 progress_percent=55)
    html = client.get(reverse("projects:livelihood")).content.decode()
    assert "常有善育工程" in html
    assert "新增普惠托位600个" in html
    assert "进度 55%" in html
    assert "李工" not in html
    assert "138" not in html
    assert project_world.world.department_cg.name not in html
