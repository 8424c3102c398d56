"""Finding 1: ``/admin/login/`` was Django's stock sign-in form. It skipped the two-factor code and the
throttle: with TOTP enabled for ``admin`` the password alone gave a full admin session there, and 30
wrong passwords in a row were neither throttled nor recorded. TOTP codes could be replayed within
their window and the secrets were stored in clear.

Every sign-in now goes through the site's one form (password, django-axes, TOTP)."""

from __future__ import annotations

import datetime as dt
import logging
from urllib.parse import parse_qs, urlsplit

import pyotp
import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.test import Client

from zhili.accounts.models import User
from zhili.accounts.roles import Role
from zhili.accounts.services import user_totp_enable
from zhili.core import clock

pytestmark = pytest.mark.django_db

PASSWORD = "Admin-Passw0rd-2026"
CLIENT = "198.51.100.23"


@pytest.fixture
def admin_with_totp() -> tuple[User, str]:
    user = User.objects.create_user(username="admin", password=PASSWORD, role=Role.ADMIN, is_staff=True,
                                    is_superuser=True)
    uri = user_totp_enable(user=user)
    secret = parse_qs(urlsplit(uri).query)["secret"][0]
    return user, secret


def _signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def test_the_admin_sign_in_page_is_the_sites_sign_in_form(admin_with_totp: tuple[User, str]) -> None:
    client = Client(REMOTE_ADDR=CLIENT)
    response = client.get("/admin/login/?next=/admin/accounts/user/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=%2Fadmin%2Faccounts%2Fuser%2F"
    # the admin index sends a signed-out visitor the same way
    landing = client.get("/admin/", follow=True)
    assert landing.redirect_chain[-1][0].startswith("/accounts/login/")
    assert "totp_code" in landing.content.decode()


@pytest.mark.parametrize("path", ["/admin/login/", "/accounts/login/"])
def test_the_password_alone_never_gives_an_admin_session_when_totp_is_on(
        admin_with_totp: tuple[User, str], path: str) -> None:
    client = Client(REMOTE_ADDR=CLIENT)
    client.post(path, {"username": "admin", "password": PASSWORD, "next": "/admin/"})
    assert not _signed_in(client)
    assert client.get("/admin/").status_code == 302
    assert client.get("/cases/export.xlsx").status_code == 302


def test_password_and_current_code_open_the_admin_through_the_one_form(admin_with_totp: tuple[User, str]) -> None:
    _user, secret = admin_with_totp
    client = Client(REMOTE_ADDR=CLIENT)
    response = client.post("/accounts/login/", {"username": "admin", "password": PASSWORD,
                                                "totp_code": pyotp.TOTP(secret).now(), "next": "/admin/"})
    assert response.status_code == 302
    assert response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200
    # signed in, /admin/login/ goes on to the admin instead of asking again
    assert client.get("/admin/login/?next=/admin/accounts/user/")["Location"] == "/admin/accounts/user/"


def test_signed_in_without_admin_rights_the_admin_sign_in_refuses_instead_of_looping() -> None:
    User.objects.create_user(username="op", password=PASSWORD, role=Role.OPERATOR)
    client = Client(REMOTE_ADDR=CLIENT)
    assert client.post("/accounts/login/", {"username": "op", "password": PASSWORD}).status_code == 302
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 403
    assert "没有管理后台的权限" in response.content.decode()


def test_thirty_wrong_passwords_are_throttled_and_recorded_without_the_secrets(
        admin_with_totp: tuple[User, str], caplog: pytest.LogCaptureFixture, settings: object) -> None:
    from axes.models import AccessAttempt, AccessFailureLog

    settings.ZHILI_LOGIN_ADDRESS_DELAY_SECONDS = 0  # type: ignore[attr-defined] # the address slow-down: finding 9
    _user, secret = admin_with_totp
    client = Client(REMOTE_ADDR=CLIENT)
    statuses = []
    caplog.set_level(logging.DEBUG)
    for attempt in range(30):
        admin_response = client.post("/admin/login/", {"username": "admin", "password": f"guess-{attempt}"})
        assert admin_response.status_code == 302  # never checked there: sent to the one form
        assert admin_response["Location"].startswith("/accounts/login/")
        statuses.append(client.post("/accounts/login/", {"username": "admin", "password": f"guess-{attempt}",
                                                          "totp_code": "123456"}).status_code)
    limit = django_settings.ZHILI_LOGIN_FAILURE_LIMIT
    assert statuses == [200] * (limit - 1) + [429] * (30 - limit + 1)
    assert AccessFailureLog.objects.filter(username="admin", ip_address=CLIENT).count() == 30
    assert AccessAttempt.objects.get(username="admin", ip_address=CLIENT).failures_since_start == 30
    # locked out: even the right password and code are refused now
    locked = client.post("/accounts/login/", {"username": "admin", "password": PASSWORD,
                                              "totp_code": pyotp.TOTP(secret).now()})
    assert locked.status_code == 429
    assert int(locked["Retry-After"]) == django_settings.ZHILI_LOGIN_LOCKOUT_MINUTES * 60
    assert not _signed_in(client)
    stored = "\n".join(AccessAttempt.objects.values_list("post_data", flat=True))
    assert "guess-" not in stored
    assert "123456" not in stored
    logged = caplog.text
    assert "guess-" not in logged
    assert CLIENT not in logged
    assert "123456" not in logged


def test_a_wrong_code_with_the_right_password_counts_as_a_failure(admin_with_totp: tuple[User, str]) -> None:
    from axes.models import AccessAttempt

    client = Client(REMOTE_ADDR=CLIENT)
    response = client.post("/accounts/login/", {"username": "admin", "password": PASSWORD, "totp_code": "000000"})
    assert "动态口令不正确" in response.content.decode()
    assert AccessAttempt.objects.get(username="admin", ip_address=CLIENT).failures_since_start == 1


def test_a_totp_code_cannot_be_replayed_within_its_window(admin_with_totp: tuple[User, str]) -> None:
    _user, secret = admin_with_totp
    at = dt.datetime(2026, 12, 7, 9, 0, 5, tzinfo=dt.UTC)
    code = pyotp.TOTP(secret).at(at)
    with clock.frozen(at):
        first = Client(REMOTE_ADDR=CLIENT)
        assert first.post("/accounts/login/", {"username": "admin", "password": PASSWORD,
                                               "totp_code": code}).status_code == 302
        # someone who watched the code being typed uses it again at once, from elsewhere
        second = Client(REMOTE_ADDR="203.0.113.99")
        replay = second.post("/accounts/login/", {"username": "admin", "password": PASSWORD, "totp_code": code})
        assert replay.status_code == 200
        assert not _signed_in(second)
        assert "动态口令不正确或已使用过" in replay.content.decode()
    # still inside the ±1 step window 30 s later: the old code stays used, the new one works
    with clock.frozen(at + dt.timedelta(seconds=30)):
        again = Client(REMOTE_ADDR=CLIENT)
        assert not _signed_in(again)
        assert again.post("/accounts/login/", {
            "username": "admin", "password": PASSWORD, "totp_code": code}).status_code == 200
        fresh = pyotp.TOTP(secret).at(at + dt.timedelta(seconds=30))
        assert again.post("/accounts/login/", {"username": "admin", "password": PASSWORD,
                                               "totp_code": fresh}).status_code == 302


def test_totp_secrets_are_stored_encrypted(admin_with_totp: tuple[User, str]) -> None:
    from zhili.accounts.services import user_totp_secret

    user, secret = admin_with_totp
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM accounts_user WHERE id = %s", [user.pk])
        row = cursor.fetchone()
    assert row is not None
    assert not any(secret in str(value) for value in row)
    assert user_totp_secret(User.objects.get(pk=user.pk)) == secret


@pytest.mark.django_db(transaction=True)
def test_the_migration_encrypts_the_secrets_already_stored() -> None:
    from django.db.migrations.executor import MigrationExecutor

    from zhili.accounts.services import user_totp_secret

    before = [("accounts", "0002_login_failure")]
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes()
    executor.migrate(before)
    old_state = executor.loader.project_state(before).apps
    OldUser = old_state.get_model("accounts", "User")  # noqa: N806 - a model class
    secret = pyotp.random_base32()
    OldUser.objects.create(username="old-admin", password="!", role=Role.ADMIN, totp_secret=secret)
    OldUser.objects.create(username="old-operator", password="!", role=Role.OPERATOR, totp_secret="")
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(latest)
    migrated = User.objects.get(username="old-admin")
    assert migrated.totp_secret_encrypted
    assert secret not in migrated.totp_secret_encrypted
    assert user_totp_secret(migrated) == secret
    assert User.objects.get(username="old-operator").totp_secret_encrypted == ""
    assert "accounts_loginfailure" not in connection.introspection.table_names()
