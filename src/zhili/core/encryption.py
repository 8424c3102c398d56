"""Encryption of personal data at rest with the installation's ``ZHILI_PII_KEY`` (the one key mechanism).

The key is ``settings.ZHILI_PII_KEY`` (urlsafe base64 of 32 bytes, the Fernet format), never derived
from ``SECRET_KEY``: production sets it (the server refuses to start without it), development and
tests use an installation key generated once into ``DATA_DIR`` (``zhili.core.environment``).
Reporters' names, phones and ID numbers (cases) and the users' TOTP secrets (accounts) are written
with :func:`personal_encrypt`; ``zhili personal_data_rekey`` re-encrypts them all when the key changes.
"""

from __future__ import annotations

import base64
import functools
from dataclasses import dataclass

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from zhili.core.environment import GENERATE_KEYS_COMMAND, personal_data_key_problem


@dataclass(frozen=True)
class PersonalDataKeys:
    """The encryption key and the secret of the phone look-up hash."""

    fernet: Fernet
    hash_secret: bytes

    def encrypt(self, text: str) -> str:
        """``text`` encrypted with this key (empty stays empty)."""
        if not text:
            return ""
        return self.fernet.encrypt(text.encode("utf-8")).decode("ascii")

    def decrypt(self, token: str) -> str | None:
        """The plain text, or ``None`` when ``token`` was not written with this key."""
        try:
            return self.fernet.decrypt(token.encode("ascii")).decode("utf-8")
        except (InvalidToken, ValueError):
            return None


def key_derive(secret: bytes, info: bytes) -> bytes:
    """32 bytes derived from ``secret`` for one purpose (``info``), HKDF-SHA256."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"zhili-cases", info=info).derive(secret)


def personal_keys_from_key(key: str) -> PersonalDataKeys:
    """The keys of a ``ZHILI_PII_KEY`` value; :class:`ImproperlyConfigured` when it is malformed."""
    problem = personal_data_key_problem(key)
    if problem:
        raise ImproperlyConfigured(problem)
    return PersonalDataKeys(fernet=Fernet(key.encode("ascii")),
                            hash_secret=key_derive(base64.urlsafe_b64decode(key.encode("ascii")),
                                                   b"phone-lookup-hash"))


@functools.cache
def _keys() -> PersonalDataKeys:
    configured = str(getattr(settings, "ZHILI_PII_KEY", "") or "")
    if not configured:
        raise ImproperlyConfigured(f"ZHILI_PII_KEY 未设置：个人信息无法加解密。用 {GENERATE_KEYS_COMMAND} 生成并写入环境。"
                                   f" / ZHILI_PII_KEY is not set; generate one with {GENERATE_KEYS_COMMAND}.")
    return personal_keys_from_key(configured)


def personal_keys_current() -> PersonalDataKeys:
    """The configured keys (``settings.ZHILI_PII_KEY``)."""
    return _keys()


def personal_keys_reset() -> None:
    """Forget the cached keys (after a settings change in tests)."""
    _keys.cache_clear()


def personal_encrypt(text: str) -> str:
    """Encrypt ``text`` (empty stays empty)."""
    return _keys().encrypt(text)


def personal_decrypt(token: str) -> str:
    """Decrypt a value written by :func:`personal_encrypt`; an unreadable value gives ``""``."""
    if not token:
        return ""
    return _keys().decrypt(token) or ""
