"""Reporter personal data: encrypted at rest and a keyed hash for caller history (masks: ``core.personal_data``).

The key comes from ``settings.ZHILI_PII_KEY`` (urlsafe base64 of 32 bytes, the Fernet format).
When it is unset (development, tests, demo) a key is derived from ``SECRET_KEY``; production sets
``ZHILI_PII_KEY`` so that rotating the secret key never makes stored phone numbers unreadable.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

from zhili.core.personal_data import phone_digits


def _derive(secret: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"zhili-cases", info=info).derive(secret)


@functools.cache
def _keys() -> tuple[Fernet, bytes]:
    configured = str(getattr(settings, "ZHILI_PII_KEY", "") or "")
    if configured:
        encryption_key = configured.encode("ascii")
        hash_secret = _derive(base64.urlsafe_b64decode(encryption_key), b"phone-lookup-hash")
    else:
        root = settings.SECRET_KEY.encode("utf-8")
        encryption_key = base64.urlsafe_b64encode(_derive(root, b"personal-data-encryption"))
        hash_secret = _derive(root, b"phone-lookup-hash")
    return Fernet(encryption_key), hash_secret


def personal_keys_reset() -> None:
    """Forget the cached keys (after a settings change in tests)."""
    _keys.cache_clear()


def personal_encrypt(text: str) -> str:
    """Encrypt ``text`` (empty stays empty)."""
    if not text:
        return ""
    return _keys()[0].encrypt(text.encode("utf-8")).decode("ascii")


def personal_decrypt(token: str) -> str:
    """Decrypt a value written by :func:`personal_encrypt`; an unreadable value gives ``""``."""
    if not token:
        return ""
    try:
        return _keys()[0].decrypt(token.encode("ascii")).decode("utf-8")
    except (InvalidToken, ValueError):
        return ""


def phone_lookup_hash(phone: str) -> str:
    """Keyed hash (HMAC-SHA256) of the normalised phone: equal phones give equal hashes."""
    normalised = phone_digits(phone)
    if not normalised:
        return ""
    return hmac.new(_keys()[1], normalised.encode("ascii"), hashlib.sha256).hexdigest()
