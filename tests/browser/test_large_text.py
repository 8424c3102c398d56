"""Large-text mode on the citizen pages (适老化): a button that says whether it is on, remembered across pages,
and the page still fits a 390 px phone and passes axe-core with the larger text."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from tests.tour.crawl import AXE_RUN_SCRIPT, AXE_SCRIPT, AXE_TAGS, PHONE, WIDTH_SCRIPT

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_large_text_is_a_pressed_button_remembered_on_the_next_page(new_page: Callable[..., Page]) -> None:
    page = new_page(viewport=PHONE, is_mobile=True)
    page.context.add_init_script(path=str(AXE_SCRIPT))
    page.goto("/cases/report/")
    toggle = page.locator("[data-text-size-toggle]")
    expect(toggle).to_have_attribute("aria-pressed", "false")
    normal = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    toggle.click()
    expect(toggle).to_have_attribute("aria-pressed", "true")
    assert page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)") == 20.0 > normal
    page.goto("/cases/track/")
    assert page.evaluate("document.documentElement.classList.contains('large-text')") is True
    expect(page.locator("[data-text-size-toggle]")).to_have_attribute("aria-pressed", "true")
    for path in ("/cases/report/", "/cases/track/", "/cases/map/"):
        page.goto(path)
        assert page.evaluate(WIDTH_SCRIPT) <= PHONE["width"], path
        assert page.evaluate(AXE_RUN_SCRIPT, [AXE_TAGS, False]) == [], path
    page.locator("[data-text-size-toggle]").click()
    page.goto("/cases/report/")
    assert page.evaluate("document.documentElement.classList.contains('large-text')") is False
    assert page.js_errors == []  # type: ignore[attr-defined]
