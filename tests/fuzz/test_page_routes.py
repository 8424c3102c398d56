"""Hypothesis over the query and form parameters of every page route (all URL patterns but the API, Open311
and the admin site, which have their own runs), as anonymous and as each role: no answer is a server error.

Each example sends one request to every route of an app, its parameters drawn from the names the view reads
(tests/fuzz/routes.py finds them in the source) with values drawn from bad inputs and generated text,
numbers, dates and times (years 1 to 9999, offsets beyond ±24 h), single or repeated as a list; the path is
filled with a real value or, sometimes, a huge id or an odd string. Hypothesis shrinks a failure to the
smallest request that still fails.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fuzz.routes import BAD_VALUES, GENERIC_NAMES, HUGE, FuzzRequest, Route, page_roles, page_routes
from tests.fuzz.routes import request_send as send
from tests.fuzz.world import FuzzWorld, fuzz_world_create

ROUTES = page_routes()
APPS = sorted({route.template.strip("/").split("/")[0] or "core" for route in ROUTES})
PAGE_SETTINGS = settings(max_examples=15, deadline=None, derandomize=True, database=None,
                         suppress_health_check=list(HealthCheck))


def _app(route: Route) -> str:
    return route.template.strip("/").split("/")[0] or "core"


def _timestamp(year: int, month: int, day: int, hour: int, offset: int, zulu: bool) -> str:
    stamp = f"{year:04d}-{month:02d}-{day:02d}T{hour:02d}:00:00"
    return stamp + ("Z" if zulu else f"{'+' if offset >= 0 else '-'}{abs(offset) // 60:02d}:{abs(offset) % 60:02d}")


YEARS = st.one_of(st.sampled_from([1, 2, 999, 1969, 1970, 2026, 2100, 2101, 9999]), st.integers(0, 9999))
DATES = st.builds(lambda year, month, day: f"{year:04d}-{month:02d}-{day:02d}", YEARS, st.integers(0, 13),
                  st.integers(0, 32))
TIMES = st.builds(_timestamp, YEARS, st.integers(1, 12), st.integers(1, 28), st.integers(0, 25),
                  st.integers(-60 * 30, 60 * 30), st.booleans())
MONTHS = st.builds(lambda year, month: f"{year:04d}-{month:02d}", YEARS, st.integers(0, 13))
NUMBERS = st.one_of(st.integers().map(str), st.integers(10 ** 18, 10 ** 40).map(str),
                    st.floats(allow_nan=True, allow_infinity=True).map(repr), st.sampled_from(["1e309", "²", "١٢"]))
# the values that broke the platform before (finding 11 of issue 14), drawn as often as each family below
KNOWN_BREAKERS = (HUGE, "-" + HUGE, "9223372036854775808", "1e309", "²", "0001-01", "9999-12", "0001-01-01",
                  "9999-12-31", "9999-12-31T23:59:59Z", "0001-01-01T00:00:00Z", "2026-01-01T00:00:00+25:00")
VALUES = st.one_of(st.sampled_from(KNOWN_BREAKERS), st.sampled_from(BAD_VALUES), NUMBERS, DATES, TIMES, MONTHS,
                   st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=30))


@st.composite
def _request(draw: Any, route: Route, world: FuzzWorld) -> FuzzRequest:
    own = sorted(route.extra.get("own", ()))
    names = own if own and draw(st.integers(0, 3)) else sorted({*own, *GENERIC_NAMES})
    chosen = draw(st.lists(st.sampled_from(names), min_size=1, max_size=4, unique=True))
    data = {name: draw(st.lists(VALUES, min_size=1, max_size=4) if draw(st.booleans()) else
                       st.builds(lambda value: [value], VALUES)) for name in chosen}
    path = route.template
    for name in route.path_names:
        known = world.path_values.get(name) or ["1"]
        odd = [HUGE, "0", "9" * 30] if name in route.integer_names else ["x" * 300, "中文", HUGE, "-1", "a b"]
        path = path.replace(f"<{name}>", draw(st.sampled_from(known) | st.sampled_from(odd)), 1)
    method = draw(st.sampled_from(route.methods))
    return FuzzRequest(method, path, data, None, draw(st.sampled_from(page_roles())))


@pytest.fixture
def fuzz_world(db: None) -> FuzzWorld:
    return fuzz_world_create()


def _clients(world: FuzzWorld) -> dict[str, Client]:
    clients = {"anonymous": Client(raise_request_exception=False)}
    for role in page_roles():
        if role != "anonymous":
            clients[role] = Client(raise_request_exception=False)
            clients[role].force_login(world.users[role])
    return clients


def test_every_page_route_is_fuzzed() -> None:
    assert APPS == ["accounts", "cases", "core", "dashboard", "enterprises", "geo", "healthz", "i18n", "indicators",
                    "metrics", "projects", "readyz", "textintel"]
    assert len(ROUTES) >= 90
    assert all(route.kind == "page" for route in ROUTES)


@pytest.mark.parametrize("app", APPS)
def test_page_parameters_never_give_a_server_error(app: str, fuzz_world: FuzzWorld) -> None:
    routes = [route for route in ROUTES if _app(route) == app]
    clients = _clients(fuzz_world)

    @PAGE_SETTINGS
    @given(data=st.data())
    def run(data: Any) -> None:
        failures = []
        for route in routes:
            request = data.draw(_request(route, fuzz_world), label=route.template)
            response = send(clients[request.role], request)
            if getattr(response, "streaming", False):
                b"".join(response.streaming_content)
            if request.role != "anonymous" and request.path.startswith("/accounts/"):
                clients[request.role].force_login(fuzz_world.users[request.role])  # signed out: sign in again
            if response.status_code >= 500:
                error = getattr(response, "exc_info", None)
                failures.append(f"{request.describe()} → {response.status_code} {error[1]!r}" if error else
                                f"{request.describe()} → {response.status_code}")
        assert not failures, "\n".join(failures)

    run()
