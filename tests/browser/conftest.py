"""Playwright (Python) driving Debian's Chromium against pytest-django's live server.

Screenshots go to ``test-artifacts/browser/`` at the repository root (git-ignored). The test machines
have no internet: Chromium runs headless with every background network feature switched off, and all
scripts and styles come from the live server itself.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page

from tests.playwright_browser import CHROMIUM, CHROMIUM_ARGS

__all__ = ["CHROMIUM", "CHROMIUM_ARGS", "screenshot", "sign_in"]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"
PHONE = {"width": 375, "height": 812}
WALL = {"width": 1920, "height": 1080}
LAPTOP = {"width": 1366, "height": 768}


@pytest.fixture
def new_page(browser: Browser, live_server: object) -> Iterator[Callable[..., Page]]:
    """``new_page(viewport=..., is_mobile=...)``: a page in its own browser context (own cookies)."""
    contexts: list[BrowserContext] = []
    base_url = str(live_server.url)  # type: ignore[attr-defined]

    def make(*, viewport: dict[str, int] | None = None, is_mobile: bool = False, locale: str = "zh-CN") -> Page:
        context = browser.new_context(base_url=base_url, viewport=viewport or LAPTOP, is_mobile=is_mobile,
                                      has_touch=is_mobile, locale=locale)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(20_000)
        page.set_default_navigation_timeout(60_000)
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on("response", lambda response: errors.append(f"{response.status} {response.url}")
                if response.status >= 400 and not response.url.endswith("/favicon.ico") else None)
        page.js_errors = errors  # type: ignore[attr-defined]
        return page

    yield make
    for context in contexts:
        context.close()


def screenshot(page: Page, name: str, *, full_page: bool = True) -> Path:
    """Save a screenshot as ``test-artifacts/browser/<name>.png`` and return its path."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{re.sub(r'[^A-Za-z0-9_.-]', '_', name)}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


def sign_in(page: Page, username: str, password: str) -> None:
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("form button[type=submit]")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
