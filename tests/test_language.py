"""Chinese first: the browser's Accept-Language does not switch the interface; the switch does."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse


@pytest.mark.django_db
def test_interface_is_chinese_even_for_an_english_browser(client: Client) -> None:
    response = client.get(reverse("accounts:login"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert response.headers["Content-Language"] == "zh-hans"
    assert "登录治理综合信息平台" in response.content.decode()


@pytest.mark.django_db
def test_language_switch_chooses_english(client: Client) -> None:
    response = client.post(reverse("set_language"), {"language": "en", "next": "/accounts/login/"})
    assert response.status_code == 302
    response = client.get(reverse("accounts:login"))
    assert response.headers["Content-Language"] == "en"


@pytest.mark.django_db
def test_english_catalog_translates_the_sign_in_page(client: Client) -> None:
    client.cookies["django_language"] = "en"
    html = client.get(reverse("accounts:login")).content.decode()
    assert "Sign in to the governance platform" in html
    assert "登录治理综合信息平台" not in html
