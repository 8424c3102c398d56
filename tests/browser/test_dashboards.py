"""The command center on a wall screen and a laptop, and the leader dashboard, in Chromium."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import LAPTOP, PHONE, WALL, screenshot, sign_in
from zhili.accounts.roles import Role
from zhili.core import clock
from zhili.dashboard.tests.factories import PASSWORD, case_create, user_create, world_create
from zhili.geo.data_version import geo_caches_clear

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_command_center_map_feed_and_polling(new_page: Callable[..., Page]) -> None:
    geo_caches_clear()
    world = world_create()
    user_create(username="chief", role=Role.LEADER)
    now = clock.now()
    case_create(grid=world.grid_west_1, department=world.water, category=world.facilities, created_at=now,
                title="井盖缺失 电话13912345678")
    for viewport, name in ((WALL, "command-center-1920x1080"), (LAPTOP, "command-center-1366x768")):
        page = new_page(viewport=viewport)
        sign_in(page, "chief", PASSWORD)
        page.goto("/dashboard/")
        expect(page.locator("h1")).to_contain_text("联动指挥中心 · 天宁区")
        expect(page.locator("#cc-map")).to_have_attribute("data-ready", "1")
        assert page.locator("#cc-map").get_attribute("data-features") == "2"
        expect(page.locator('[data-kpi="new_today"]')).to_have_text("1")
        expect(page.locator("#cc-feed")).to_contain_text("井盖缺失 电话139****5678")
        expect(page.locator('[data-chart="trend"]')).to_have_attribute("data-ready", "1")
        screenshot(page, name)
        assert page.js_errors == []  # type: ignore[attr-defined]
    # a new case appears after the next poll, without reloading the page
    page.evaluate("window.__marker = 'same page'")
    case_create(grid=world.grid_east_1, department=world.city_management, category=world.environment,
                created_at=clock.now(), title="垃圾满溢")
    page.evaluate("htmx.trigger('#cc-live', 'every 15s')")
    page.evaluate("htmx.ajax('GET', document.querySelector('#cc-live').getAttribute('hx-get'), "
                  "{target: '#cc-live', swap: 'outerHTML'})")
    expect(page.locator('[data-kpi="new_today"]')).to_have_text("2")
    expect(page.locator("#cc-feed")).to_contain_text("垃圾满溢")
    assert page.evaluate("window.__marker") == "same page"
    map_data = json.loads(page.locator("#cc-map-data").text_content() or "{}")
    assert {row["name"]: row["value"] for row in map_data["values"]} == {"东街道": 1.0, "西街道": 1.0}
    # drill down by clicking the street in the list (a real link)
    page.click("#cc-areas >> text=东街道")
    expect(page.locator("h1")).to_contain_text("联动指挥中心 · 东街道")
    expect(page.locator("#cc-map")).to_have_attribute("data-ready", "1")
    screenshot(page, "command-center-street")
    phone = new_page(viewport=PHONE, is_mobile=True)
    sign_in(phone, "chief", PASSWORD)
    phone.goto("/dashboard/")
    expect(phone.locator('[data-kpi="new_today"]')).to_have_text("2")
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1
    screenshot(phone, "command-center-375")


def test_leader_dashboard_filters_without_reload_and_exports(new_page: Callable[..., Page]) -> None:
    geo_caches_clear()
    world = world_create()
    user_create(username="chief", role=Role.LEADER)
    case_create(grid=world.grid_west_1, department=world.water, category=world.facilities, created_at=clock.now())
    case_create(grid=world.grid_east_1, department=world.city_management, category=world.environment,
                created_at=clock.now())
    page = new_page(viewport=WALL)
    sign_in(page, "chief", PASSWORD)
    page.goto("/dashboard/leader/")
    expect(page.locator('[data-kpi="created_count"] .kpi-value')).to_have_text("2")
    screenshot(page, "leader-dashboard")
    page.select_option("select[name=department]", "SW")
    page.click("form.filters button[type=submit]")
    expect(page.locator('[data-kpi="created_count"] .kpi-value')).to_have_text("1")
    assert "department=SW" in page.url
    with page.expect_download() as download_info:
        page.click("#leader-export")
    assert download_info.value.suggested_filename.startswith("zhili-kpi-")
    page.goto("/dashboard/leader/report/")
    expect(page.locator("#report-summary")).to_contain_text("城管局")
    screenshot(page, "leader-monthly-report")
    english = new_page(viewport=LAPTOP, locale="en-US")
    sign_in(english, "chief", PASSWORD)
    english.evaluate("document.cookie = 'django_language=en; path=/'")
    english.goto("/dashboard/leader/")
    expect(english.locator("h1")).to_have_text("Leader dashboard")
    screenshot(english, "leader-dashboard-en")
