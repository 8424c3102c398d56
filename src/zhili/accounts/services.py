"""Sign-in rules: throttling, optional TOTP for sensitive roles."""

from __future__ import annotations

import datetime as dt

import pyotp
from django.db.models import Q

from zhili.accounts.models import LoginFailure, User
from zhili.accounts.roles import Role
from zhili.core import clock

LOGIN_FAILURE_LIMIT = 5
LOGIN_FAILURE_WINDOW = dt.timedelta(minutes=15)
TOTP_ROLES = frozenset({Role.ADMIN, Role.DISPATCHER})


def login_is_throttled(*, username: str, remote_address: str) -> bool:
    """True when this username or this address failed too often in the recent window."""
    since = clock.now() - LOGIN_FAILURE_WINDOW
    recent = LoginFailure.objects.filter(occurred_at__gte=since)
    by_username = recent.filter(username=username.lower()).count()
    by_address = recent.filter(remote_address=remote_address).count()
    return by_username >= LOGIN_FAILURE_LIMIT or by_address >= LOGIN_FAILURE_LIMIT * 4


def login_failure_record(*, username: str, remote_address: str) -> None:
    LoginFailure.objects.create(username=username.lower(), remote_address=remote_address, occurred_at=clock.now())


def login_failures_clear(*, username: str) -> None:
    LoginFailure.objects.filter(Q(username=username.lower()) | Q(occurred_at__lt=clock.now() - LOGIN_FAILURE_WINDOW)).delete()


def user_totp_enable(*, user: User) -> str:
    """Give an admin or dispatcher a new TOTP secret; returns the provisioning URI for an authenticator app."""
    secret = pyotp.random_base32()
    user.totp_secret = secret
    user.save(update_fields=["totp_secret"])
    return pyotp.TOTP(secret).provisioning_uri(name=user.username, issuer_name="zhili")


def totp_code_is_valid(*, user: User, code: str) -> bool:
    if not user.totp_secret:
        return True
    return bool(code) and pyotp.TOTP(user.totp_secret).verify(code.strip(), valid_window=1)
