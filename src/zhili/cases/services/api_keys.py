"""API keys of client systems (Open311 ``api_key`` and ``Authorization: Bearer`` on the JSON API)."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
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
    """The active key matching ``raw_key``, or None. Records the use at most every few minutes."""
    if not raw_key or len(raw_key) > 200:
        return None
    api_key = ApiKey.objects.select_related("user").filter(key_hash=_hash(raw_key), is_active=True).first()
    if api_key is None:
        return None
    at = clock.now()
    if api_key.last_used_at is None or at - api_key.last_used_at > _LAST_USED_RESOLUTION:
        ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=at)
    return api_key


def api_key_revoke(*, api_key_id: int) -> None:
    with transaction.atomic():
        ApiKey.objects.filter(pk=api_key_id).update(is_active=False)
        audit_record_append(actor_id=None, action="apikey.revoke", object_type="apikey", object_id=api_key_id)
