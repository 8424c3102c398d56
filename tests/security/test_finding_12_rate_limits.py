"""Finding 12 (rate-limit part): anonymous reports had no rate limit (15 in 2.2 s all accepted), and
nor had Open311 or the JSON API.

Now the report form, tracking look-ups, Open311 (per api_key, else per client address) and the JSON
API (per user) are counted on the shared cache (the database cache, Redis with REDIS_URL) and answer
429 with ``Retry-After`` and a message in the person's language, in each endpoint's own format."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator

import pytest
from django.core.cache import cache
from django.test import Client, override_settings

from tests.authorization.world import POINT_WEST, World
from tests.security.production import production_environment, settings_of, zhili
from zhili.cases.models import Case, CaseChannel
from zhili.cases.services.api_keys import api_key_issue
from zhili.core import clock

pytestmark = pytest.mark.django_db

# a moment at the start of a one-minute window, so the window does not roll over mid-test
START = dt.datetime(2026, 12, 7, 10, 0, 0, tzinfo=dt.UTC)


@pytest.fixture
def limits(settings: object) -> Iterator[dict[str, str]]:
    configured = {"report_form": "3/m", "track": "2/m", "open311_address": "4/m", "open311_key": "2/m",
                  "api_user": "3/m"}
    settings.ZHILI_RATE_LIMITS = configured  # type: ignore[attr-defined]
    with clock.frozen(START):
        yield configured


def _report(client: Client, description: str) -> tuple[int, str, str | None]:
    token = client.get("/cases/report/").context["form_token"]
    response = client.post("/cases/report/", {"description": description, "form_token": token,
                                              "longitude": POINT_WEST[0], "latitude": POINT_WEST[1]})
    return response.status_code, response.content.decode(), response.get("Retry-After")


def test_anonymous_reports_are_limited_per_address(world: World, limits: dict[str, str]) -> None:
    citizen = Client(REMOTE_ADDR="198.51.100.10")
    results = [_report(citizen, f"路灯不亮第{index}处") for index in range(5)]
    assert [status for status, _page, _retry in results] == [200, 200, 200, 429, 429]
    _status, page, retry_after = results[3]
    assert retry_after == "60"
    assert "请求过于频繁，请 60 秒后再试。" in page
    assert Case.objects.filter(channel=CaseChannel.CITIZEN_APP, description__startswith="路灯不亮第").count() == 3
    # another citizen (another address) is not affected
    assert _report(Client(REMOTE_ADDR="198.51.100.11"), "井盖松动")[0] == 200
    # the next window lets the first citizen report again
    with clock.frozen(START + dt.timedelta(seconds=61)):
        assert _report(citizen, "路灯不亮又一处")[0] == 200


def test_the_limit_speaks_english_to_an_english_page(world: World, limits: dict[str, str]) -> None:
    citizen = Client(REMOTE_ADDR="198.51.100.12")
    citizen.cookies["django_language"] = "en"
    for index in range(3):
        _report(citizen, f"垃圾桶满了{index}")
    with clock.frozen(START + dt.timedelta(seconds=15)):
        status, page, retry_after = _report(citizen, "垃圾桶满了再一个")
    assert (status, retry_after) == (429, "45")
    assert "Too many requests: please try again in 45 seconds." in page


def test_behind_the_proxy_each_citizen_has_their_own_count(world: World, limits: dict[str, str],
                                                           settings: object) -> None:
    settings.ZHILI_TRUSTED_PROXIES = ["127.0.0.1"]  # type: ignore[attr-defined]
    first = Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.30")
    second = Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.31")
    assert [_report(first, f"噪声扰民{index}")[0] for index in range(4)] == [200, 200, 200, 429]
    assert _report(second, "噪声扰民另一户")[0] == 200


def test_tracking_code_lookups_are_limited_per_address(world: World, limits: dict[str, str]) -> None:
    guesser = Client(REMOTE_ADDR="198.51.100.40")
    statuses = [guesser.get("/cases/track/", {"code": f"ZZZZ{index:04d}"}).status_code for index in range(3)]
    assert statuses == [200, 200, 429]
    assert guesser.get("/cases/track/").status_code == 200  # the empty form is not counted


def test_open311_reads_are_limited_per_address_in_the_open311_error_format(world: World,
                                                                           limits: dict[str, str]) -> None:
    reader = Client(REMOTE_ADDR="198.51.100.50")
    statuses = [reader.get("/open311/v2/requests.json").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 200]
    refused = reader.get("/open311/v2/requests.json")
    assert refused.status_code == 429
    assert refused["Retry-After"] == "60"
    assert refused.json() == [{"code": 429, "description": "请求过于频繁，请 60 秒后再试。"}]
    as_xml = reader.get(f"/open311/v2/requests/{world.case_in.number}.xml")
    assert as_xml.status_code == 429
    assert b"<errors><error><code>429</code>" in as_xml.content
    assert Client(REMOTE_ADDR="198.51.100.51").get("/open311/v2/services.json").status_code == 200


def test_open311_with_an_api_key_is_limited_per_key(world: World, limits: dict[str, str]) -> None:
    partner = api_key_issue(name="合作系统").raw_key
    other = api_key_issue(name="另一系统").raw_key
    form = {"service_code": "M001", "lat": "31.725", "long": "119.925", "description": "垃圾没人清运"}
    shared_address = Client(REMOTE_ADDR="198.51.100.60")
    posted = [shared_address.post("/open311/v2/requests.json", {**form, "api_key": partner}).status_code
              for _ in range(3)]
    assert posted == [201, 201, 429]
    refused = shared_address.post("/open311/v2/requests.json", {**form, "api_key": partner})
    assert refused["Retry-After"] == "60"
    assert refused.json()[0]["code"] == 429
    assert Case.objects.filter(channel=CaseChannel.OPEN311).count() == 2
    # another key from the same address has its own count; a keyed GET counts against the key
    assert shared_address.post("/open311/v2/requests.json", {**form, "api_key": other}).status_code == 201
    assert shared_address.get("/open311/v2/requests.json", {"api_key": other}).status_code == 200
    assert shared_address.get("/open311/v2/requests.json", {"api_key": other}).status_code == 429
    # requests without a valid key are counted per address (key guessing included)
    guesses = [shared_address.post("/open311/v2/requests.json", {**form, "api_key": f"guess{index}"}).status_code
               for index in range(5)]
    assert guesses == [403, 403, 403, 403, 429]


def test_the_json_api_is_limited_per_user(world: World, limits: dict[str, str]) -> None:
    leader = Client(REMOTE_ADDR="198.51.100.70")
    leader.force_login(world.users["leader"])
    statuses = [leader.get("/api/v1/cases/").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    refused = leader.get("/api/v1/cases/kpis")
    assert refused.status_code == 429
    assert refused["Retry-After"] == "60"
    assert refused.json() == {"error": {"code": "rate_limited", "message": "请求过于频繁，请 60 秒后再试。",
                                        "details": {"scope": "api_user", "retry_after": 60}}}
    # the same user through an API key shares the count; another user does not
    key = api_key_issue(name="领导驾驶舱", user=world.users["leader"]).raw_key
    assert Client().get("/api/v1/cases/", HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 429
    dispatcher = Client(REMOTE_ADDR="198.51.100.70")
    dispatcher.force_login(world.users["dispatcher"])
    assert dispatcher.get("/api/v1/cases/").status_code == 200


def test_counts_live_in_the_shared_cache_without_addresses(world: World, limits: dict[str, str]) -> None:
    from zhili.core.models import CacheEntry

    Client(REMOTE_ADDR="198.51.100.80").get("/open311/v2/services.json")
    keys = list(CacheEntry.objects.values_list("cache_key", flat=True))
    assert len(keys) == 1
    assert "open311_address" in keys[0]
    assert "198.51.100.80" not in keys[0]
    # a second web process reads the same table: the count is shared, not per process
    assert cache.get(keys[0].split(":", 2)[2]) == 1


def _redis_cache(url: str) -> dict[str, dict[str, str]]:
    return {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url,
                        "KEY_PREFIX": f"zhili-test-{os.getpid()}"}}


# Redis is exercised where it runs (the PostgreSQL run of the suite sets ZHILI_TEST_REDIS_URL).
BACKENDS = ["database"] + (["redis"] if os.environ.get("ZHILI_TEST_REDIS_URL") else [])


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_limit_holds_on_each_shared_cache(world: World, limits: dict[str, str], backend: str) -> None:
    caches = _redis_cache(os.environ["ZHILI_TEST_REDIS_URL"]) if backend == "redis" else None
    with override_settings(**({"CACHES": caches} if caches else {})):
        reader = Client(REMOTE_ADDR="198.51.100.90")
        try:
            statuses = [reader.get("/open311/v2/services.json").status_code for _ in range(5)]
        finally:
            if backend == "redis":
                cache.clear()
        assert statuses == [200, 200, 200, 200, 429]


def test_production_has_limits_and_the_test_suite_sets_its_own(tmp_path: object) -> None:
    from pathlib import Path

    data_dir = Path(str(tmp_path))
    production = settings_of(production_environment(data_dir), ["ZHILI_RATE_LIMITS", "CACHES"])
    assert production["ZHILI_RATE_LIMITS"] == {"report_form": "10/10m", "track": "60/10m",
                                               "open311_address": "60/m", "open311_key": "600/m",
                                               "api_user": "1200/m"}
    assert production["CACHES"]["default"]["BACKEND"] == "django.core.cache.backends.db.DatabaseCache"  # type: ignore[index]
    with_redis = settings_of(production_environment(data_dir, REDIS_URL="redis://127.0.0.1:6379/3",
                                                    ZHILI_RATE_REPORTS="5/h"), ["ZHILI_RATE_LIMITS", "CACHES"])
    assert with_redis["CACHES"]["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache"  # type: ignore[index]
    assert with_redis["ZHILI_RATE_LIMITS"]["report_form"] == "5/h"  # type: ignore[index]
    malformed = zhili(["check"], production_environment(data_dir, ZHILI_RATE_API_USER="lots"))
    assert malformed.returncode != 0
    assert "ZHILI_RATE_API_USER='lots'" in malformed.stderr
