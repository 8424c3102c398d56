"""Sign-in rules: the address-wide slow-down, TOTP for sensitive roles (lockouts: django-axes, settings).

Failed sign-ins are counted by django-axes per (account, client address) and lock that pair out for
``ZHILI_LOGIN_LOCKOUT_MINUTES`` after ``ZHILI_LOGIN_FAILURE_LIMIT`` failures; another account signing in
from the same address (an office behind one NAT, everyone behind the load balancer) is never locked
out. An address that failed ``ZHILI_LOGIN_ADDRESS_FAILURE_LIMIT`` times across accounts within that
window has each further attempt answered only after ``ZHILI_LOGIN_ADDRESS_DELAY_SECONDS``: password
spraying slows down, a correct sign-in still gets through after that short wait.
"""

from __future__ import annotations

import datetime as dt
import hmac
from dataclasses import dataclass
from time import sleep

import pyotp
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.db import transaction
from django.db.models import Q

from zhili.accounts.models import User
from zhili.accounts.roles import Role
from zhili.core import clock
from zhili.core.encryption import PersonalDataKeys, personal_decrypt, personal_encrypt, personal_keys_current
from zhili.core.errors import ApplicationError

TOTP_ROLES = frozenset({Role.ADMIN, Role.DISPATCHER})
TOTP_STEP_SECONDS = 30
TOTP_VALID_WINDOW = 1  # the step before and after the current one are accepted (clock drift)


def login_lockout_window() -> dt.timedelta:
    return dt.timedelta(minutes=settings.ZHILI_LOGIN_LOCKOUT_MINUTES)


def login_address_delay_seconds(*, remote_address: str) -> float:
    """How long a sign-in attempt from ``remote_address`` waits before it is checked (0 for most)."""
    delay = float(settings.ZHILI_LOGIN_ADDRESS_DELAY_SECONDS)
    if delay <= 0:
        return 0.0
    since = clock.now() - login_lockout_window()
    failures = AccessFailureLog.objects.filter(ip_address=remote_address, attempt_time__gte=since).count()
    return delay if failures >= settings.ZHILI_LOGIN_ADDRESS_FAILURE_LIMIT else 0.0


def login_address_wait(*, remote_address: str) -> float:
    """Wait the address-wide delay of ``remote_address`` (if any); returns the seconds waited."""
    delay = login_address_delay_seconds(remote_address=remote_address)
    if delay:
        sleep(delay)
    return delay


def user_totp_secret(user: User) -> str:
    """The user's TOTP secret in clear ("" when two-factor sign-in is off)."""
    return personal_decrypt(user.totp_secret_encrypted)


def user_totp_enable(*, user: User) -> str:
    """Give an admin or dispatcher a new TOTP secret; returns the provisioning URI for an authenticator app."""
    secret = pyotp.random_base32()
    user.totp_secret_encrypted = personal_encrypt(secret)
    user.totp_last_step = None
    user.save(update_fields=["totp_secret_encrypted", "totp_last_step"])
    return pyotp.TOTP(secret).provisioning_uri(name=user.username, issuer_name="zhili")


def _matching_step(secret: str, code: str, now: dt.datetime) -> int | None:
    """The time step within the valid window whose code is ``code``, or ``None``."""
    totp = pyotp.TOTP(secret, interval=TOTP_STEP_SECONDS)
    current = int(now.timestamp()) // TOTP_STEP_SECONDS
    for step in range(current - TOTP_VALID_WINDOW, current + TOTP_VALID_WINDOW + 1):
        if hmac.compare_digest(totp.at(step * TOTP_STEP_SECONDS), code):
            return step
    return None


def totp_code_use(*, user: User, code: str) -> bool:
    """True when ``user`` needs no code, or ``code`` is theirs and not used before (it is then used up).

    A code is accepted once: its time step is stored, and a code of that step or an earlier one is
    refused afterwards, also when two sign-ins race (the step is claimed by a conditional update).
    """
    secret = user_totp_secret(user)
    if not user.totp_secret_encrypted:
        return True
    code = code.strip().replace(" ", "")
    if not secret or not code.isdigit():
        return False
    step = _matching_step(secret, code, clock.now())
    if step is None:
        return False
    claimed = User.objects.filter(Q(totp_last_step__isnull=True) | Q(totp_last_step__lt=step),
                                  pk=user.pk).update(totp_last_step=step)
    if claimed:
        user.totp_last_step = step
    return bool(claimed)


@dataclass(frozen=True)
class TotpRekeyResult:
    rekeyed: int  # users whose secret was written again under the configured key
    already_current: int


def users_totp_secrets_rekey(*, old_keys: PersonalDataKeys, dry_run: bool = False) -> TotpRekeyResult:
    """Re-encrypt every TOTP secret under the configured key (after ``ZHILI_PII_KEY`` changed).

    All or nothing: a secret readable with neither key stops the whole run with the usernames.
    """
    new_keys = personal_keys_current()
    rekeyed: list[User] = []
    already_current = 0
    unreadable: list[str] = []
    with transaction.atomic():
        users = User.objects.select_for_update().exclude(totp_secret_encrypted="").only(
            "id", "username", "totp_secret_encrypted").order_by("id")
        for user in users:
            if new_keys.decrypt(user.totp_secret_encrypted) is not None:
                already_current += 1
                continue
            secret = old_keys.decrypt(user.totp_secret_encrypted)
            if secret is None:
                unreadable.append(user.username)
                continue
            user.totp_secret_encrypted = new_keys.encrypt(secret)
            rekeyed.append(user)
        if unreadable:
            raise ApplicationError(
                "totp_secret_unreadable",
                f"{len(unreadable)} 个账号的动态口令密钥用旧密钥和新密钥都解不开（例如 {'、'.join(unreadable[:5])}），"
                "未作任何修改。请确认旧密钥是这套系统原来用的；无法恢复时请为这些账号重新运行 totp_enable。")
        if not dry_run:
            User.objects.bulk_update(rekeyed, ["totp_secret_encrypted"], batch_size=500)
    return TotpRekeyResult(rekeyed=len(rekeyed), already_current=already_current)


@dataclass(frozen=True)
class SignInRecordsPurged:
    access_logs: int
    failure_logs: int
    attempts: int


def sign_in_records_purge(*, at: dt.datetime | None = None) -> SignInRecordsPurged:
    """Delete sign-in records (account, address, time) older than ``ZHILI_LOGIN_RECORD_RETENTION_DAYS``,
    and failure counts older than the lockout window (they no longer lock anything)."""
    now = at or clock.now()
    cutoff = now - dt.timedelta(days=settings.ZHILI_LOGIN_RECORD_RETENTION_DAYS)
    access_logs, _ = AccessLog.objects.filter(attempt_time__lt=cutoff).delete()
    failure_logs, _ = AccessFailureLog.objects.filter(attempt_time__lt=cutoff).delete()
    attempts, _ = AccessAttempt.objects.filter(attempt_time__lt=now - login_lockout_window()).delete()
    return SignInRecordsPurged(access_logs=access_logs, failure_logs=failure_logs, attempts=attempts)
