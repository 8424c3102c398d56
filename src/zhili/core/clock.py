"""The injectable clock: every rule that depends on "now" asks this module.

Tests freeze time with :func:`frozen`; production reads the system clock.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from zoneinfo import ZoneInfo

CHINA_TIME_ZONE = ZoneInfo("Asia/Shanghai")
_frozen_at: dt.datetime | None = None


def now() -> dt.datetime:
    """The current aware time (UTC-based aware datetime, or the frozen one)."""
    if _frozen_at is not None:
        return _frozen_at
    return dt.datetime.now(dt.UTC)


def local_now() -> dt.datetime:
    return now().astimezone(CHINA_TIME_ZONE)


def today() -> dt.date:
    return local_now().date()


@contextlib.contextmanager
def frozen(at: dt.datetime) -> Iterator[None]:
    """Freeze :func:`now` at ``at`` (must be timezone-aware) inside the block."""
    global _frozen_at
    if at.tzinfo is None:
        raise ValueError("frozen() needs an aware datetime")
    previous = _frozen_at
    _frozen_at = at
    try:
        yield
    finally:
        _frozen_at = previous
