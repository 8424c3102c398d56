"""Reporter personal data: encrypted at rest and a keyed hash for caller history (masks: ``core.personal_data``).

Encryption is ``zhili.core.encryption``. The key is ``settings.ZHILI_PII_KEY`` (urlsafe base64 of
32 bytes, the Fernet format), never derived from ``SECRET_KEY``: production sets it (the server refuses to start without it), development and
tests use an installation key generated once into ``DATA_DIR`` (``zhili.core.environment``).
Installations that ran before December 2026 had their key derived from ``SECRET_KEY``;
``zhili personal_data_rekey --from-secret-key`` re-encrypts their rows under the configured key
(:func:`personal_keys_derived_from_secret_key` keeps that old derivation for this purpose only).
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from cryptography.fernet import Fernet

from zhili.core.encryption import (
    PersonalDataKeys,
    key_derive,
    personal_decrypt,
    personal_encrypt,
    personal_keys_current,
    personal_keys_from_key,
    personal_keys_reset,
)
from zhili.core.personal_data import phone_digits

# The key mechanism itself lives in zhili.core.encryption (accounts encrypts TOTP secrets with it too).
__all__ = ["PersonalDataKeys", "personal_decrypt", "personal_encrypt", "personal_keys_current",
           "personal_keys_derived_from_secret_key", "personal_keys_from_key", "personal_keys_reset",
           "phone_lookup_hash"]


def personal_keys_derived_from_secret_key(secret_key: str) -> PersonalDataKeys:
    """The keys older installations derived from ``SECRET_KEY`` — only to re-encrypt their rows."""
    root = secret_key.encode("utf-8")
    return PersonalDataKeys(fernet=Fernet(base64.urlsafe_b64encode(key_derive(root, b"personal-data-encryption"))),
                            hash_secret=key_derive(root, b"phone-lookup-hash"))


def phone_lookup_hash(phone: str, *, keys: PersonalDataKeys | None = None) -> str:
    """Keyed hash (HMAC-SHA256) of the normalised phone: equal phones give equal hashes."""
    normalised = phone_digits(phone)
    if not normalised:
        return ""
    return hmac.new((keys or personal_keys_current()).hash_secret, normalised.encode("ascii"),
                    hashlib.sha256).hexdigest()
