"""Workbenches in Chromium: the operator types and accepts proposals with one keystroke; the grid worker,
on a 375 px phone, sees their grid, reports with photo + GPS and closes a small matter on the spot."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import Page, expect

from tests.browser.conftest import LAPTOP, PHONE, screenshot, sign_in
from zhili.accounts.models import GridAssignment
from zhili.accounts.roles import Role
from zhili.cases.models import Case, CaseChannel
from zhili.cases.states import CaseStatus
from zhili.cases.tests.factories import POINT_IN_GRID_A, world_create
from zhili.dashboard.tests.factories import PASSWORD, user_create
from zhili.geo.data_version import geo_caches_clear

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _photo(tmp_path: Path, name: str, colour: tuple[int, int, int]) -> Path:
    path = tmp_path / name
    Image.new("RGB", (640, 480), colour).save(path, "JPEG")
    return path


def test_operator_accepts_proposals_with_keystrokes(new_page: Callable[..., Page]) -> None:
    geo_caches_clear()
    world = world_create()
    user_create(username="operator", role=Role.OPERATOR, scope_area=world.district)
    page = new_page(viewport=LAPTOP)
    sign_in(page, "operator", PASSWORD)
    page.goto("/cases/intake/")
    page.fill("#description", "小区门口路面坑洼破损，电动车摔了好几次")
    first_matter = page.locator("[data-accept-matter]").first
    expect(first_matter).to_be_visible()
    expect(page.locator("#assist")).to_contain_text("道路破损")
    expect(page.locator("#assist")).to_contain_text("城管局")
    page.fill("#address_text", "青年路88号阳光花园3幢")
    expect(page.locator("[data-top-address]")).to_be_visible()
    expect(page.locator("#assist")).to_contain_text("一网格")
    page.fill("#reporter_phone", "13700001111")
    page.locator("#description").focus()
    page.keyboard.press("Alt+Digit1")
    accepted = first_matter.get_attribute("data-accept-matter")
    assert accepted == "M002"
    expect(page.locator("select[name=matter_code]")).to_have_value("M002")
    page.keyboard.press("Alt+KeyG")
    expect(page.locator("input[name=longitude]")).to_have_value("119.921")
    screenshot(page, "20-operator-intake-proposals")
    page.click("form.intake-form button[type=submit]")
    tracking_code = (page.locator("strong.code").text_content() or "").strip()
    assert len(tracking_code) == 12
    screenshot(page, "21-operator-intake-done")
    case = Case.objects.get(tracking_code=tracking_code)
    assert case.matter is not None
    assert case.matter.code == "M002"
    assert case.grid_id == world.grid_a.pk
    assert case.department_id == world.department_cg.pk
    assert case.status == CaseStatus.DISPATCHED
    assert page.js_errors == []  # type: ignore[attr-defined]


def test_grid_worker_on_a_phone_reports_and_closes_on_the_spot(new_page: Callable[..., Page],
                                                                tmp_path: Path) -> None:
    geo_caches_clear()
    world = world_create()
    worker = user_create(username="gridworker", role=Role.GRID_WORKER, scope_area=world.grid_a)
    GridAssignment.objects.create(user=worker, grid=world.grid_a)
    page = new_page(viewport=PHONE, is_mobile=True)
    page.context.grant_permissions(["geolocation"])
    page.context.set_geolocation({"longitude": POINT_IN_GRID_A[0], "latitude": POINT_IN_GRID_A[1]})
    sign_in(page, "gridworker", PASSWORD)
    page.goto("/cases/grid-worker/")
    expect(page.locator("#grid-map")).to_have_attribute("data-ready", "1")
    screenshot(page, "22-grid-worker-home")
    page.set_input_files("#photos", str(_photo(tmp_path, "before.jpg", (120, 90, 60))))
    page.click("[data-locate]")
    expect(page.locator("[data-longitude]")).to_have_value(f"{POINT_IN_GRID_A[0]:.6f}")
    page.fill("#description", "路边有零星垃圾")
    page.check("input[name=self_handle]")
    page.set_input_files("input[name=after_photos]", str(_photo(tmp_path, "after.jpg", (200, 200, 200))))
    page.fill("input[name=result]", "已清理干净")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1
    screenshot(page, "23-grid-worker-report-filled")
    page.click("form.mobile-form button[type=submit]")
    page.wait_for_load_state()
    case = Case.objects.get(channel=CaseChannel.PATROL)
    expect(page.locator("body")).to_contain_text(case.number)
    assert case.status == CaseStatus.FINISHED
    assert case.self_handled is True
    assert case.grid_id == world.grid_a.pk
    assert case.attachments.count() == 2
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1
    screenshot(page, "24-grid-worker-closed-on-the-spot")
    assert page.js_errors == []  # type: ignore[attr-defined]
