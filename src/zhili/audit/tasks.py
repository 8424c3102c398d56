"""Queued jobs of the audit app: they only call services."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from zhili.audit.services import audit_records_seal_all

Job = Callable[[], Any]
_every_minute: Callable[[Job], Job] = db_periodic_task(crontab(minute="*"))


@_every_minute
def audit_seal_periodic() -> int:
    """Seal what the after-commit sealers left (the last records before traffic stopped, a crashed worker's)."""
    return audit_records_seal_all()
