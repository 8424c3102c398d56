"""API keys of client systems (Open311 ``api_key`` and ``Authorization: Bearer`` on the JSON API)."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import transaction

from zhili.audit.services import audit_record_append
from zhili.cases.models import ApiKey
from zhili.core import clock

if TYPE_CHECKING:
    from zhili.accounts.models import User

KEY_PREFIX = "zl_"
_LAST_USED_RESOLUTION = dt.timedelta(minutes=5)
API_KEY_RECHECK_SECONDS = 10.0
_REMEMBERED_KEYS_MAX = 1000
# key hash → (the active key, time.monotonic() when it was read); dict operations are atomic under the GIL
_recently_checked: dict[str, tuple[ApiKey, float]] = {}


def _hash(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class IssuedKey:
    api_key: ApiKey
    raw_key: str  # shown once; only its hash is stored


def api_key_issue(*, name: str, user: User | None = None) -> IssuedKey:
    """Create a key for a client system; the clear key is returned once and never stored."""
    raw_key = KEY_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        api_key = ApiKey.objects.create(name=name[:100], key_hash=_hash(raw_key), key_prefix=raw_key[:8],
                                        user=user, created_at=clock.now())
        audit_record_append(actor_id=None, actor_label="zhili open311_apikey", action="apikey.issue",
                            object_type="apikey", object_id=api_key.pk,
                            data={"name": api_key.name, "user_id": user.pk if user else None})
    return IssuedKey(api_key=api_key, raw_key=raw_key)


def api_key_authenticate(raw_key: str) -> ApiKey | None:
    """The active key matching ``raw_key``, or None. Records the use at most every few minutes.

    A client system sends the same key with every request, so a process remembers a key it has
    just checked for ``API_KEY_RECHECK_SECONDS`` (one query saved per request under load). A
    revocation therefore takes effect at once in the process that revoked it and within that many
    seconds everywhere else.
    """
    if not raw_key or len(raw_key) > 200:
        return None
    key_hash = _hash(raw_key)
    now = time.monotonic()
    remembered = _recently_checked.get(key_hash)
    if remembered is not None and now - remembered[1] < API_KEY_RECHECK_SECONDS:
        return remembered[0]
    api_key = ApiKey.objects.select_related("user").filter(key_hash=key_hash, is_active=True).first()
    if api_key is None:
        _recently_checked.pop(key_hash, None)
        return None
    at = clock.now()
    if api_key.last_used_at is None or at - api_key.last_used_at > _LAST_USED_RESOLUTION:
        ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=at)
    if len(_recently_checked) >= _REMEMBERED_KEYS_MAX:
        _recently_checked.clear()
    _recently_checked[key_hash] = (api_key, now)
    return api_key


def api_key_revoke(*, api_key_id: int) -> None:
    with transaction.atomic():
        ApiKey.objects.filter(pk=api_key_id).update(is_active=False)
        api_keys_forget()
        audit_record_append(actor_id=None, action="apikey.revoke", object_type="apikey", object_id=api_key_id)


def api_keys_forget() -> None:
    """Forget the keys this process checked recently (after a revocation, and between tests)."""
    _recently_checked.clear()
