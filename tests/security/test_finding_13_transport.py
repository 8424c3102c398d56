"""Finding 13: no setting for secure cookies, HSTS or SSL redirect; ``ALLOWED_HOSTS`` defaulted to ``*``,
so ``Host: evil.example`` made Open311 return ``media_url`` on evil.example.

Now: production has no host default (it refuses to start without ZHILI_ALLOWED_HOSTS), HTTPS is the
default with every switch from the environment, and public links start with ZHILI_PUBLIC_URL.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.test import Client
from PIL import Image

from tests.security.production import production_environment, settings_of, zhili
from zhili.cases.services.api_keys import api_key_issue
from zhili.cases.tests.factories import World, world_create

TRANSPORT = ["ALLOWED_HOSTS", "ZHILI_MISSING_PRODUCTION_SETTINGS", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE",
             "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_HSTS_PRELOAD",
             "SECURE_PROXY_SSL_HEADER", "CSRF_TRUSTED_ORIGINS"]


def test_production_has_no_host_default_and_is_https_by_default(tmp_path: Path) -> None:
    values = settings_of(production_environment(tmp_path), TRANSPORT)
    assert values["ALLOWED_HOSTS"] == []
    assert values["ZHILI_MISSING_PRODUCTION_SETTINGS"] == ["ZHILI_SECRET_KEY", "ZHILI_PII_KEY", "ZHILI_ALLOWED_HOSTS"]
    assert values["SESSION_COOKIE_SECURE"] is True
    assert values["CSRF_COOKIE_SECURE"] is True
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SECURE_HSTS_SECONDS"] == 31_536_000
    assert values["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert values["SECURE_HSTS_PRELOAD"] is True
    assert values["SECURE_PROXY_SSL_HEADER"] is None  # only when told a proxy sets it
    assert values["CSRF_TRUSTED_ORIGINS"] == []


def test_every_transport_switch_comes_from_the_environment(tmp_path: Path) -> None:
    values = settings_of(production_environment(
        tmp_path, ZHILI_ALLOWED_HOSTS="zhili.example.gov.cn,zhili.internal", ZHILI_PROXY_SSL_HEADER="1",
        ZHILI_CSRF_TRUSTED_ORIGINS="https://zhili.example.gov.cn", ZHILI_HSTS_SECONDS="600",
        ZHILI_HSTS_INCLUDE_SUBDOMAINS="0", ZHILI_HSTS_PRELOAD="0"), TRANSPORT)
    assert values["ALLOWED_HOSTS"] == ["zhili.example.gov.cn", "zhili.internal"]
    assert values["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert values["CSRF_TRUSTED_ORIGINS"] == ["https://zhili.example.gov.cn"]
    assert (values["SECURE_HSTS_SECONDS"], values["SECURE_HSTS_INCLUDE_SUBDOMAINS"], values["SECURE_HSTS_PRELOAD"]) == (
        600, False, False)
    plain = settings_of(production_environment(tmp_path, ZHILI_HTTPS="0"), TRANSPORT)
    assert (plain["SESSION_COOKIE_SECURE"], plain["SECURE_SSL_REDIRECT"], plain["SECURE_HSTS_SECONDS"]) == (False, False, 0)


def test_a_malformed_switch_names_the_variable(tmp_path: Path) -> None:
    completed = zhili(["check"], production_environment(tmp_path, ZHILI_HSTS_SECONDS="a year"))
    assert completed.returncode == 1
    assert "ZHILI_HSTS_SECONDS='a year' 不是整数" in completed.stderr
    completed = zhili(["check"], production_environment(tmp_path, ZHILI_SSL_REDIRECT="maybe"))
    assert "ZHILI_SSL_REDIRECT='maybe' 无法识别：请写 1 或 0" in completed.stderr


def test_check_deploy_warns_about_a_wildcard_host(tmp_path: Path) -> None:
    completed = zhili(["check", "--deploy"], production_environment(tmp_path, ZHILI_ALLOWED_HOSTS="*"))
    assert "(zhili.W001) ZHILI_ALLOWED_HOSTS 含 *" in completed.stderr


@pytest.fixture
def cases_world(db: None) -> World:
    return world_create()


def _photo_case(client: Client, world: World) -> str:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (0, 120, 0)).save(buffer, format="JPEG")
    buffer.seek(0)
    buffer.name = "photo.jpg"
    response = client.post("/open311/v2/requests.json", {"api_key": api_key_issue(name="t").raw_key,
                                                         "service_code": "M001", "lat": "31.725", "long": "119.925",
                                                         "media": buffer}, HTTP_HOST="zhili.example.gov.cn")
    assert response.status_code == 201
    return str(response.json()[0]["service_request_id"])


@pytest.mark.django_db
def test_an_untrusted_host_gets_no_media_url(client: Client, cases_world: World, settings: object) -> None:
    settings.ALLOWED_HOSTS = ["zhili.example.gov.cn", "zhili.internal"]  # type: ignore[attr-defined]
    number = _photo_case(client, cases_world)
    evil = client.get(f"/open311/v2/requests/{number}.json", HTTP_HOST="evil.example")
    assert evil.status_code == 400
    assert b"evil.example/cases/media" not in evil.content
    trusted = client.get(f"/open311/v2/requests/{number}.json", HTTP_HOST="zhili.internal").json()[0]
    assert trusted["media_url"].startswith("http://zhili.internal/cases/media/")
    settings.ZHILI_PUBLIC_URL = "https://zhili.example.gov.cn"  # type: ignore[attr-defined]
    public = client.get(f"/open311/v2/requests/{number}.json", HTTP_HOST="zhili.internal").json()[0]
    assert public["media_url"].startswith("https://zhili.example.gov.cn/cases/media/")
