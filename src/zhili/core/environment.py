"""Reading settings from the environment: typed values with clear errors, and the development keys.

A malformed value (``ZHILI_HSTS_SECONDS=abc``) stops every command at once with a message naming the
variable; a *missing* production value is only recorded (settings ``ZHILI_MISSING_PRODUCTION_SETTINGS``)
so that commands which neither serve nor migrate (``makemigrations --check``, ``check --deploy``,
``keys_generate``) still run, and the server, the job worker and ``migrate`` refuse to start
(:mod:`zhili.core.startup`).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import ipaddress
import os
import re
import secrets
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}

GENERATE_KEYS_COMMAND = ".venv/bin/zhili keys_generate"


def environment_flag(name: str, *, default: bool) -> bool:
    """``1/true/yes/on`` or ``0/false/no/off``; unset or empty gives ``default``."""
    raw = os.environ.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} 无法识别：请写 1 或 0。 / {name} must be 1 or 0.")


def environment_integer(name: str, *, default: int, minimum: int = 0) -> int:
    """A whole number ≥ ``minimum``; unset or empty gives ``default``."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(
            f"{name}={raw!r} 不是整数：请写不小于 {minimum} 的整数。 / {name} must be a whole number ≥ {minimum}."
        ) from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name}={value} 太小：最小为 {minimum}。 / {name} must be ≥ {minimum}.")
    return value


def environment_list(name: str, *, default: tuple[str, ...] = ()) -> list[str]:
    """Comma-separated values, blanks dropped; unset gives ``default``."""
    raw = os.environ.get(name)
    if raw is None:
        return list(default)
    return [item.strip() for item in raw.split(",") if item.strip()]


def environment_networks(name: str) -> list[str]:
    """Comma-separated addresses or CIDRs (``10.0.0.0/8, 127.0.0.1``); a malformed entry stops the process."""
    values = environment_list(name)
    for value in values:
        try:
            ipaddress.ip_network(value, strict=False)
        except ValueError:
            raise ImproperlyConfigured(f"{name}: {value!r} 不是地址或网段（例：10.0.0.0/8）"
                                       f" / not an address or network (e.g. 10.0.0.0/8)") from None
    return values


_RATE = re.compile(r"^(\d+)\s*/\s*(\d*)\s*(s|sec|m|min|h|hour|d|day)$")
_RATE_UNITS = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "hour": 3600, "d": 86400, "day": 86400}


def rate_parse(text: str) -> tuple[int, int] | None:
    """``"60/m"``, ``"10/10m"``, ``"1000/h"`` → (requests, seconds); ``"0"`` or ``"off"`` → ``None`` (no limit).

    :class:`ValueError` when ``text`` is neither.
    """
    text = text.strip().lower()
    if text in {"0", "off"}:
        return None
    match = _RATE.match(text)
    if match is None or int(match.group(1)) < 1:
        raise ValueError(text)
    count, multiple, unit = int(match.group(1)), int(match.group(2) or "1"), match.group(3)
    if multiple < 1:
        raise ValueError(text)
    return count, multiple * _RATE_UNITS[unit]


def environment_rate(name: str, *, default: str) -> str:
    """A rate limit ``requests/period`` (``60/m``, ``10/10m``, ``1000/h``) or ``0`` for none."""
    raw = os.environ.get(name, "").strip() or default
    try:
        rate_parse(raw)
    except ValueError:
        raise ImproperlyConfigured(
            f"{name}={raw!r} 无法识别：请写“次数/时段”，例如 60/m、10/10m、1000/h，或 0 表示不限。"
            f" / {name} must be requests/period such as 60/m, 10/10m, 1000/h, or 0 for no limit.") from None
    return raw


def personal_data_key_problem(key: str) -> str:
    """Why ``key`` is not a usable ``ZHILI_PII_KEY`` ("" when it is): urlsafe base64 of 32 bytes."""
    try:
        decoded = base64.urlsafe_b64decode(key.encode("ascii"))
    except (binascii.Error, ValueError, UnicodeEncodeError):
        decoded = b""
    if len(decoded) != 32:
        return (f"ZHILI_PII_KEY 格式不对：应为 32 字节的 urlsafe base64（44 个字符），用 {GENERATE_KEYS_COMMAND} 生成。"
                f" / ZHILI_PII_KEY must be 32 bytes in urlsafe base64 (44 characters); generate one with "
                f"{GENERATE_KEYS_COMMAND}.")
    return ""


def personal_data_key_new() -> str:
    """A fresh ``ZHILI_PII_KEY`` (the Fernet format: urlsafe base64 of 32 random bytes)."""
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode("ascii")


def secret_key_new() -> str:
    """A fresh ``ZHILI_SECRET_KEY`` (64 random urlsafe characters)."""
    return secrets.token_urlsafe(48)


def development_personal_data_key(path: Path) -> str:
    """The development/test installation's own PII key, generated once into ``path`` (mode 600).

    Never derived from the secret key or written in the source: a database copied off a development
    machine cannot be decrypted with anything published. Parallel processes (pytest-xdist workers)
    race safely: the key file appears atomically through a hard link, and the loser reads the winner's.
    """
    with contextlib.suppress(FileNotFoundError):
        return path.read_text(encoding="ascii").strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    draft = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="ascii") as handle:
        handle.write(personal_data_key_new() + "\n")
    try:
        os.link(draft, path)
    except FileExistsError:
        pass
    finally:
        draft.unlink()
    return path.read_text(encoding="ascii").strip()
