"""A livelihood project's month in Chromium: the unit files June's report and the project turns yellow;
the unit raises a problem, which becomes a case routed to the unit; the unit signs for it and closes it;
the leader's 调度 page and the public 民生实事 page (on a phone) show the result."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import LAPTOP, PHONE, screenshot, sign_in
from zhili.accounts.models import User
from zhili.cases.states import CaseStatus
from zhili.core import clock
from zhili.dashboard.tests.factories import PASSWORD
from zhili.geo.data_version import geo_caches_clear
from zhili.projects import services
from zhili.projects.models import Light, Project, ProjectKind, ProjectProblem
from zhili.projects.tests.factories import ProjectWorld, project_create, project_world_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# 15 July 2025: June's reports are due (the live server's thread reads the same frozen clock)
TODAY = dt.datetime(2025, 7, 15, 10, 0, tzinfo=clock.CHINA_TIME_ZONE)
MAY_DUE = dt.datetime(2025, 6, 16, 10, 0, tzinfo=clock.CHINA_TIME_ZONE)


@pytest.fixture
def frozen_july() -> Iterator[None]:
    with clock.frozen(TODAY):
        yield


def _with_password(*users: User) -> None:
    for user in users:
        user.set_password(PASSWORD)
        user.save(update_fields=["password"])


def _livelihood_project(world: ProjectWorld) -> Project:
    """Registered and reported January–May (90 a month of a 1 200 plan) while May was due: 450 of the 500
    expected by May, 4.2 points of the plan behind → green as of May."""
    with clock.frozen(MAY_DUE):
        project = project_create(world, name="城区老旧小区加装电梯", kind=ProjectKind.LIVELIHOOD, public_year=2025,
                                 public_promise="年内完成30台老旧小区电梯加装")
        for month in range(1, 6):
            services.monthly_report_file(actor=world.unit, project_id=project.pk, year=2025, month=month,
                                         investment=90, progress_percent=month * 8)
    project.refresh_from_db()
    assert (project.light, project.light_month) == (Light.GREEN, "2025-05")
    return project


def test_unit_reports_raises_and_closes_a_problem_and_leader_and_public_see_it(
        new_page: Callable[..., Page], frozen_july: None) -> None:
    geo_caches_clear()
    world = project_world_create()
    _with_password(world.unit, world.leader)
    project = _livelihood_project(world)

    # 1. the unit files June: 20 万元 → 470 of the 600 expected by June, 10.8 points of the plan behind → yellow
    unit = new_page(viewport=LAPTOP)
    sign_in(unit, world.unit.username, PASSWORD)
    unit.goto(f"/projects/p/{project.code}/")
    expect(unit.locator("h1")).to_contain_text("城区老旧小区加装电梯")
    screenshot(unit, "projects-01-unit-project-green")
    form = unit.locator("#report-form")
    form.locator("input[name=month]").fill("2025-06")
    form.locator("input[name=investment]").fill("20")
    form.locator("input[name=progress_percent]").fill("45")
    form.locator("input[name=progress_text]").fill("完成12台电梯井道施工")
    form.locator("button[type=submit]").click()
    unit.wait_for_load_state()
    expect(unit.locator("#light-reasons")).to_contain_text("序时进度50.0%，落后10.8个百分点")
    project.refresh_from_db()
    assert (project.light, project.light_month) == (Light.YELLOW, "2025-06")
    screenshot(unit, "projects-02-unit-reported-yellow")

    # 2. the unit raises a problem: a case of the case engine, dispatched to the unit with a deadline
    problem_form = unit.locator("#problem-form")
    problem_form.locator("select[name=kind]").select_option("power")
    problem_form.locator("textarea[name=description]").fill("电梯施工临时用电增容未批复")
    problem_form.locator("button[type=submit]").click()
    unit.wait_for_load_state()
    problem = ProjectProblem.objects.select_related("case").get(project=project)
    case = problem.case
    assert (case.status, case.department_id) == (CaseStatus.DISPATCHED, world.world.department_cg.pk)
    row = unit.locator(f'#problems tr[data-case="{case.number}"]')
    expect(row).to_contain_text("已派单")
    expect(row).to_contain_text("2025-07-22")  # 5 working days from Tuesday 15 July
    screenshot(unit, "projects-03-problem-routed")

    # 3. the responsible unit signs for the case in its inbox and closes it (办结) on the case page
    unit.goto("/cases/inbox/")
    inbox_row = unit.locator("tr", has_text=case.number).first
    expect(inbox_row).to_be_visible()
    inbox_row.locator("button[type=submit]").first.click()
    unit.wait_for_load_state()
    case.refresh_from_db()
    assert case.status == CaseStatus.HANDLING
    unit.goto(f"/cases/{case.number}/")
    reply = unit.locator('form.action-form[action$="/action/reply/"]')
    reply.locator("textarea[name=note]").fill("已协调供电公司完成临时用电增容")
    reply.locator("button[type=submit]").click()
    unit.wait_for_load_state()
    case.refresh_from_db()
    assert case.status == CaseStatus.FINISHED
    unit.goto(f"/projects/p/{project.code}/")
    expect(unit.locator(f'#problems tr[data-case="{case.number}"] .problem-status')).to_contain_text("已办结")
    screenshot(unit, "projects-04-problem-closed")

    # 4. the leader's 调度 page: the project yellow with its reason, no open problem
    leader = new_page(viewport=LAPTOP)
    sign_in(leader, world.leader.username, PASSWORD)
    leader.goto("/projects/?light=yellow")
    leader_row = leader.locator(f'#dispatch-table tr[data-code="{project.code}"]')
    expect(leader_row).to_contain_text("黄灯")
    expect(leader_row).to_contain_text("落后10.8个百分点")
    expect(leader_row.locator("td").nth(9)).to_have_text("0")  # 未办结问题
    expect(leader.locator("#light-summary")).to_contain_text("黄灯 1")
    screenshot(leader, "projects-05-leader-dispatch")

    # 5. the public 民生实事 page on a phone, signed out: the promise and June's progress, no unit or phone
    public = new_page(viewport=PHONE, is_mobile=True)
    public.goto("/projects/livelihood/?year=2025")
    item = public.locator(f'.livelihood-item[data-code="{project.code}"]')
    expect(item).to_contain_text("年内完成30台老旧小区电梯加装")
    expect(item.locator(".progress-line")).to_contain_text("进度 45%")
    expect(item.locator("[role=progressbar]")).to_have_attribute("aria-valuenow", "45")
    body = public.locator("body").inner_text()
    assert "13812345678" not in body
    assert "138****5678" not in body
    assert world.world.department_cg.name not in body
    screenshot(public, "projects-06-public-livelihood-phone")
    for page in (unit, leader, public):
        assert page.js_errors == []  # type: ignore[attr-defined]
