"""Sign-in: throttling after repeated failures (django-axes), TOTP for roles that enable it."""

from __future__ import annotations

import pyotp
import pytest
from axes.models import AccessAttempt, AccessFailureLog
from django.conf import settings
from django.test import Client
from django.urls import reverse

from zhili.accounts.models import User
from zhili.accounts.roles import Role
from zhili.accounts.services import user_totp_enable, user_totp_secret

PASSWORD = "Correct-Horse-2026"


@pytest.mark.django_db
def test_correct_password_signs_in_and_clears_failures(client: Client) -> None:
    User.objects.create_user(username="op", password=PASSWORD, role=Role.OPERATOR)
    client.post(reverse("accounts:login"), {"username": "op", "password": "wrong"})
    assert AccessAttempt.objects.get(username="op").failures_since_start == 1
    assert AccessFailureLog.objects.filter(username="op").count() == 1
    response = client.post(reverse("accounts:login"), {"username": "op", "password": PASSWORD})
    assert response.status_code == 302
    assert AccessAttempt.objects.filter(username="op").count() == 0


@pytest.mark.django_db
def test_repeated_failures_lock_the_username_even_for_the_right_password(client: Client) -> None:
    User.objects.create_user(username="op", password=PASSWORD, role=Role.OPERATOR)
    for _attempt in range(settings.ZHILI_LOGIN_FAILURE_LIMIT):
        client.post(reverse("accounts:login"), {"username": "op", "password": "wrong"})
    response = client.post(reverse("accounts:login"), {"username": "op", "password": PASSWORD})
    assert response.status_code == 429
    assert response["Retry-After"] == str(settings.ZHILI_LOGIN_LOCKOUT_MINUTES * 60)
    assert "登录失败次数过多" in response.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_totp_is_required_once_enabled(client: Client) -> None:
    admin_user = User.objects.create_user(username="boss", password=PASSWORD, role=Role.ADMIN)
    user_totp_enable(user=admin_user)
    admin_user.refresh_from_db()
    response = client.post(reverse("accounts:login"), {"username": "boss", "password": PASSWORD, "totp_code": "000000"})
    assert "动态口令不正确" in response.content.decode()
    assert "_auth_user_id" not in client.session
    code = pyotp.TOTP(user_totp_secret(admin_user)).now()
    response = client.post(reverse("accounts:login"), {"username": "boss", "password": PASSWORD, "totp_code": code})
    assert response.status_code == 302


@pytest.mark.django_db
def test_totp_enable_command_is_for_admins_and_dispatchers() -> None:
    from io import StringIO

    from django.core.management import call_command
    from django.core.management.base import CommandError

    User.objects.create_user(username="disp", password=PASSWORD, role=Role.DISPATCHER)
    User.objects.create_user(username="op", password=PASSWORD, role=Role.OPERATOR)
    output = StringIO()
    call_command("totp_enable", "disp", stdout=output)
    assert "otpauth://totp/zhili:disp" in output.getvalue()
    dispatcher = User.objects.get(username="disp")
    assert len(user_totp_secret(dispatcher)) == 32
    assert user_totp_secret(dispatcher) not in dispatcher.totp_secret_encrypted
    with pytest.raises(CommandError, match="无需开启"):
        call_command("totp_enable", "op")
    assert User.objects.get(username="op").totp_secret_encrypted == ""


@pytest.mark.django_db
def test_sign_in_records_are_kept_for_the_retention_period_only(client: Client) -> None:
    import datetime as dt

    from axes.models import AccessLog

    from zhili.accounts.services import sign_in_records_purge
    from zhili.core import clock

    User.objects.create_user(username="op", password=PASSWORD, role=Role.OPERATOR)
    client.post(reverse("accounts:login"), {"username": "op", "password": "wrong"})
    client.post(reverse("accounts:login"), {"username": "op", "password": PASSWORD})
    assert (AccessLog.objects.count(), AccessFailureLog.objects.count()) == (1, 1)
    Client().post(reverse("accounts:login"), {"username": "op", "password": "wrong-again"})
    assert sign_in_records_purge(at=clock.now()).attempts == 0
    assert sign_in_records_purge(at=clock.now() + dt.timedelta(minutes=16)).attempts == 1
    later = clock.now() + dt.timedelta(days=settings.ZHILI_LOGIN_RECORD_RETENTION_DAYS, minutes=1)
    purged = sign_in_records_purge(at=later)
    assert (purged.access_logs, purged.failure_logs) == (1, 2)
    assert (AccessLog.objects.count(), AccessFailureLog.objects.count()) == (0, 0)


@pytest.mark.django_db
def test_a_sign_in_without_a_password_is_a_form_error_not_a_server_error(client: Client) -> None:
    response = client.post("/accounts/login/", {"username": "somebody"})
    assert response.status_code == 200
    assert response.context["form"].errors
