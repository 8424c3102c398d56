"""Queued jobs of the accounts app: they only call services."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from zhili.accounts.services import sign_in_records_purge

Job = Callable[[], Any]
_every_night: Callable[[Job], Job] = db_periodic_task(crontab(hour="3", minute="50"))


@_every_night
def sign_in_records_retention_periodic() -> dict[str, int]:
    """Remove sign-in records past their retention period (returns how many of each kind)."""
    purged = sign_in_records_purge()
    return {"access_logs": purged.access_logs, "failure_logs": purged.failure_logs, "attempts": purged.attempts}
