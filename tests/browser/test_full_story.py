"""The full story in Chromium: a citizen reports with a photo on a phone → the command center and the
dispatcher's queue show it → dispatched → the department signs for it and replies → the citizen rates
it by tracking code → the KPIs change. Screenshots of every page go to test-artifacts/browser/."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import Page, expect

from tests.browser.conftest import LAPTOP, PHONE, WALL, screenshot, sign_in
from zhili.accounts.roles import Role
from zhili.cases.models import Case
from zhili.cases.states import CaseStatus
from zhili.dashboard.tests.factories import PASSWORD, user_create, world_create
from zhili.geo.data_version import geo_caches_clear
from zhili.geo.models import Matter

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# inside 西一网格 of the fixture district
REPORT_LONGITUDE, REPORT_LATITUDE = "119.95", "31.80"


def _photo(tmp_path: Path) -> Path:
    path = tmp_path / "scene.jpg"
    Image.new("RGB", (640, 480), (120, 140, 90)).save(path, "JPEG")
    return path


def _map_value(page: Page, name: str) -> float | None:
    data = json.loads(page.locator("#cc-map-data").text_content() or "{}")
    values: dict[str, float | None] = {row["name"]: row["value"] for row in data["values"]}
    return values[name]


def test_report_dispatch_accept_reply_rate_changes_kpis(new_page: Callable[..., Page], tmp_path: Path) -> None:
    geo_caches_clear()
    world = world_create()
    Matter.objects.create(code="HJ001", name="路面垃圾", category=world.environment,
                          department=world.city_management, keywords="垃圾,保洁")
    user_create(username="dispatcher", role=Role.DISPATCHER)
    user_create(username="handler", role=Role.HANDLER, department=world.city_management)
    user_create(username="chief", role=Role.LEADER)

    # 1. the citizen reports on a phone, with a photo and a place
    citizen = new_page(viewport=PHONE, is_mobile=True)
    citizen.goto("/cases/report/")
    screenshot(citizen, "01-citizen-report-form")
    citizen.set_input_files("#photos", str(_photo(tmp_path)))
    citizen.fill("[data-longitude]", REPORT_LONGITUDE)
    citizen.fill("[data-latitude]", REPORT_LATITUDE)
    citizen.fill("#description", "小区门口有一堆东西堵住了人行道，已经好几天了")
    citizen.fill("#reporter_phone", "13912345678")
    citizen.click("form.mobile-form button[type=submit]")
    tracking_code = (citizen.locator("strong.code").text_content() or "").strip()
    assert len(tracking_code) == 12
    assert citizen.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1
    screenshot(citizen, "02-citizen-report-done")
    case = Case.objects.get(tracking_code=tracking_code)
    assert case.status == CaseStatus.RECEIVED
    assert case.grid_id == world.grid_west_1.pk
    assert case.attachments.count() == 1

    # 2. the command center shows it on the map and in the feed (a leader: the phone number stays masked)
    wall = new_page(viewport=WALL)
    sign_in(wall, "chief", PASSWORD)
    wall.goto("/dashboard/?metric=new_today")
    expect(wall.locator("#cc-map")).to_have_attribute("data-ready", "1")
    expect(wall.locator('[data-kpi="new_today"]')).to_have_text("1")
    expect(wall.locator("#cc-feed")).to_contain_text(case.number)
    assert _map_value(wall, "西街道") == 1.0
    assert "13912345678" not in wall.content()
    screenshot(wall, "03-command-center-new-case")

    # 3. the dispatcher finds it in the triage queue and dispatches it to 城管局
    dispatcher = new_page(viewport=LAPTOP)
    sign_in(dispatcher, "dispatcher", PASSWORD)
    dispatcher.goto("/cases/triage/")
    row = dispatcher.locator("tr", has_text=case.number).first
    expect(row).to_be_visible()
    screenshot(dispatcher, "04-dispatcher-triage")
    row.locator("select[name=department]").select_option(str(world.city_management.pk))
    row.locator("button[type=submit]").click()
    dispatcher.wait_for_load_state()
    case.refresh_from_db()
    assert case.status == CaseStatus.DISPATCHED
    assert case.department_id == world.city_management.pk

    # 4. the department handler signs for it and replies
    handler = new_page(viewport=LAPTOP)
    sign_in(handler, "handler", PASSWORD)
    handler.goto("/cases/inbox/")
    handler_row = handler.locator("tr", has_text=case.number).first
    expect(handler_row).to_be_visible()
    screenshot(handler, "05-handler-inbox")
    handler_row.locator("button[type=submit]").click()
    handler.wait_for_load_state()
    case.refresh_from_db()
    assert case.status == CaseStatus.HANDLING
    handler.goto(f"/cases/{case.number}/")
    reply = handler.locator('form.action-form[action$="/action/reply/"]')
    reply.locator("textarea[name=note]").fill("已联系物业清理完毕，人行道恢复通行。")
    screenshot(handler, "06-handler-case-file")
    reply.locator("button[type=submit]").click()
    handler.wait_for_load_state()
    case.refresh_from_db()
    assert case.status == CaseStatus.FINISHED

    # 5. the citizen rates it on the tracking page
    citizen.goto(f"/cases/track/?code={tracking_code}")
    citizen.check("input[name=rating][value=satisfied]")
    citizen.check("input[name=resolved][value=yes]")
    screenshot(citizen, "07-citizen-track-rate")
    citizen.click("form[method=post] button[type=submit]")
    citizen.wait_for_load_state()
    case.refresh_from_db()
    assert case.rating == "satisfied"
    assert case.resolved is True
    screenshot(citizen, "08-citizen-track-rated")

    # 6. the KPIs change: the command center (after its next poll) and the leader dashboard
    wall.evaluate("htmx.ajax('GET', document.querySelector('#cc-live').getAttribute('hx-get'), "
                  "{target: '#cc-live', swap: 'outerHTML'})")
    expect(wall.locator('[data-kpi="satisfaction_rate"]')).to_have_text("100.0%")
    expect(wall.locator('[data-kpi="open"]')).to_have_text("0")
    screenshot(wall, "09-command-center-after")
    leader = new_page(viewport=WALL)
    sign_in(leader, "chief", PASSWORD)
    leader.goto("/dashboard/leader/")
    expect(leader.locator('[data-kpi="finished_count"] .kpi-value')).to_have_text("1")
    expect(leader.locator('[data-kpi="satisfaction_rate"] .kpi-value')).to_have_text("100.0%")
    expect(leader.locator('[data-kpi="resolution_rate"] .kpi-value')).to_have_text("100.0%")
    screenshot(leader, "10-leader-dashboard-after")
    leader.goto(f"/cases/{case.number}/")
    screenshot(leader, "11-case-file")
