"""The one Chromium of a test run, shared by the browser tests and the production-configuration test.

Playwright's sync API keeps an event loop running in the test thread while a browser is open, so a
second ``sync_playwright()`` in the same worker fails ("Sync API inside the asyncio loop"): every test
that drives Chromium takes this session fixture instead of starting its own.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

# Playwright's sync API runs an event loop in the test thread; the ORM calls of the test body are
# still synchronous and safe there.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

from playwright.sync_api import Browser, sync_playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    # Import every view module (and what they import) before the first page, so that first request is
    # not the one paying for it while the browser waits.
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield launched
        launched.close()
