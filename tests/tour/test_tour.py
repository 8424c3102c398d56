"""The browser tour: every role (the demo users, and a visitor who is not signed in) visits every page its
navigation reaches, in Chinese and in English, at 1,280 px and at 390 px (``tests/tour/crawl.py``).

One tour runs for the module (one signed-in context per role, both widths measured on one load); each
test asserts one promise over all of it:
- no page is wider than its window (nothing cut off or scrolling sideways);
- axe-core finds no WCAG 2 A/AA violation;
- no link a role is shown answers 403;
- a page in English shows no Han characters except data (names, addresses, what people wrote).
"""

from __future__ import annotations

import importlib
import io
import json
import time
from collections.abc import Iterator

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import models
from playwright.sync_api import Browser

from tests.tour.crawl import Tour, catalogue_han_runs, role_tour
from zhili.accounts.demo import DEMO_PASSWORD, DEMO_USERS
from zhili.accounts.roles import Role
from zhili.cases import demo as cases_demo
from zhili.cases.personal_data import personal_decrypt
from zhili.core.management.commands.demo_load import DEMO_APPS
from zhili.enterprises import demo as enterprises_demo
from zhili.enterprises.industry import DIVISIONS, SECTIONS
from zhili.geo.data_version import geo_caches_clear

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("tour")]

# The demo district, smaller: the pages are the same, the tour is faster.
TOUR_CASE_COUNT = 300
TOUR_ENTERPRISE_COUNT = 120
# Who tours, where each starts, and the public pages a visitor (no account) opens.
VISITOR_PAGES = ["/accounts/login/", "/cases/report/", "/cases/track/", "/cases/map/"]
# One demo user per role (the demo has two analysts: the evaluator and the one who signs off).
TOUR_USERS = list({role: username for username, role, _name, _department in reversed(DEMO_USERS)}.values())[::-1]


def _demo_load() -> None:
    cases_demo.DEMO_CASE_COUNT, saved_cases = TOUR_CASE_COUNT, cases_demo.DEMO_CASE_COUNT
    enterprises_demo.DEMO_ENTERPRISE_COUNT, saved_enterprises = (TOUR_ENTERPRISE_COUNT,
                                                                 enterprises_demo.DEMO_ENTERPRISE_COUNT)
    try:
        for app in DEMO_APPS:
            importlib.import_module(f"zhili.{app}.demo").load_demo(seed=20260101, stdout=io.StringIO())
    finally:
        cases_demo.DEMO_CASE_COUNT = saved_cases
        enterprises_demo.DEMO_ENTERPRISE_COUNT = saved_enterprises


def _data_text() -> str:
    """Every stored text value (the data a page may show in Chinese whatever the language: names, addresses,
    what people wrote; personal data decrypted, as the pages of staff who may read it show it), the names of
    the national industry classification (GB/T 4754-2017, reference data like area names), and the Han text
    the English catalogues keep on purpose (file headers a file must carry, address examples)."""
    parts: list[str] = [*SECTIONS.values(), *DIVISIONS.values()]
    for model in apps.get_models():
        if not model.__module__.startswith("zhili."):
            continue
        fields = [f.name for f in model._meta.concrete_fields
                  if isinstance(f, (models.CharField, models.TextField, models.JSONField))]
        for row in model._default_manager.values_list(*fields) if fields else []:
            for name, value in zip(fields, row, strict=True):
                if isinstance(value, str) and name.endswith("_encrypted"):
                    parts.append(personal_decrypt(value))
                elif isinstance(value, str):
                    parts.append(value)
                elif value is not None:
                    parts.append(json.dumps(value, ensure_ascii=False))
    parts.extend(catalogue_han_runs())
    parts.append("简体中文")  # the language switch names each language in that language
    return "\n".join(parts)


@pytest.fixture(scope="module")
def tour(browser: Browser, live_server: object, django_db_setup: None,
         django_db_blocker: pytest.FixtureRequest) -> Iterator[Tour]:
    """The demo district loaded (committed, so the live server's thread sees it), toured by every role,
    then flushed so the tests after this module find the empty database they expect."""
    base_url = str(live_server.url)  # type: ignore[attr-defined]
    result = Tour()
    with django_db_blocker.unblock():  # type: ignore[attr-defined]
        geo_caches_clear()
        started = time.perf_counter()
        _demo_load()
        data_text = _data_text()
        timings = [f"demo data {time.perf_counter() - started:.0f} s"]
        try:
            for username, password, start_paths in [("visitor", None, VISITOR_PAGES),
                                                    *((username, DEMO_PASSWORD, ["/"]) for username in TOUR_USERS)]:
                started = time.perf_counter()
                role_tour(browser, base_url, result, role=username, password=password, start_paths=start_paths,
                          data_text=data_text)
                timings.append(f"{username} {time.perf_counter() - started:.0f} s")
            print("tour:", ", ".join(timings))  # noqa: T201 - where the tour's time goes (pytest -s)
            yield result
        finally:
            call_command("flush", interactive=False, verbosity=0)
            geo_caches_clear()


def _report(lines: list[str], *, views: int) -> str:
    return f"{len(lines)} problems in {views} views:\n" + "\n".join(lines[:80])


def test_the_tour_visits_every_role_in_both_languages_at_both_widths(tour: Tour) -> None:
    roles = {finding.view.role for finding in tour.findings}
    assert roles == {"visitor", *TOUR_USERS}
    assert {role for username, role, *_rest in DEMO_USERS if username in TOUR_USERS} == set(Role)  # every role
    for role in roles:
        combinations = {(f.view.language, f.view.viewport) for f in tour.findings if f.view.role == role}
        assert combinations == {("zh-hans", "desktop"), ("zh-hans", "phone"), ("en", "desktop"), ("en", "phone")}
    print(f"tour: {tour.views} views, {tour.mains_shared} with a <main> already checked")  # noqa: T201


def test_no_page_is_wider_than_its_window(tour: Tour) -> None:
    too_wide = [f"{f.view}: document {f.document_width} px in a {f.viewport_width} px window"
                for f in tour.findings if f.document_width > f.viewport_width]
    assert too_wide == [], _report(too_wide, views=tour.views)


def test_axe_finds_no_wcag_2_a_or_aa_violation(tour: Tour) -> None:
    violations = [f"{f.view}: {v['id']} ({v['impact']}, {v['count']}×) {v['help']} — {v['targets']}"
                  for f in tour.findings for v in f.violations]
    assert violations == [], _report(violations, views=tour.views)


def test_no_link_a_role_sees_answers_403(tour: Tour) -> None:
    assert tour.refused_links == [], _report(tour.refused_links, views=tour.views)


def test_every_page_answers_without_an_error(tour: Tour) -> None:
    failed = [f"{f.view}: HTTP {f.status} (linked from {f.came_from or 'the navigation'})"
              for f in tour.findings if f.status >= 400 and f.status != 403]
    assert failed == [], _report(failed, views=tour.views)


def test_english_pages_show_no_chinese_outside_data(tour: Tour) -> None:
    chinese = [f"{f.view}: {f.han_outside_data}" for f in tour.findings
               if f.view.language == "en" and f.han_outside_data]
    assert chinese == [], _report(chinese, views=tour.views)
