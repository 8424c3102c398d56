"""Shared pytest configuration: tests run with the job queue in immediate mode, in the default language."""

import os
from collections.abc import Iterator

import pytest

os.environ.setdefault("ZHILI_TESTING", "1")

# The one Chromium of a run (browser tests and the production-configuration test share it).
pytest_plugins = ["tests.playwright_browser"]


@pytest.fixture(autouse=True)
def _default_language() -> Iterator[None]:
    """Every test starts in the default language (Chinese).

    A request made with ``django_language=en`` leaves English active in the worker thread after it
    (LocaleMiddleware activates a language per request and never resets it), so a later test that
    calls a service directly would otherwise see English messages, depending on test order.
    """
    from django.utils import translation

    translation.activate("zh-hans")
    yield
    translation.activate("zh-hans")


@pytest.fixture(autouse=True)
def _workflow_rules_fresh() -> Iterator[None]:
    """The centre's workflow rules are cached per process: a test that changed them must not leak them."""
    from zhili.cases.services.workflow_settings import workflow_rules_cache_clear

    workflow_rules_cache_clear()
    yield
    workflow_rules_cache_clear()
