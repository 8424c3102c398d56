"""Queued jobs of the cases app: they only call services."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from zhili.cases.services.notifications import notifications_deliver_pending
from zhili.cases.services.sla import case_sla_sweep


@db_task(retries=3, retry_delay=30)
def notifications_deliver_task() -> int:
    """Deliver due outbox rows (queued after each commit that wrote some)."""
    return notifications_deliver_pending()


@db_periodic_task(crontab(minute="*"))
def notifications_retry_periodic() -> int:
    """Pick up rows whose backoff has passed (and any a crashed worker left claimed)."""
    return notifications_deliver_pending()


@db_periodic_task(crontab(minute="*"))
def sla_sweep_periodic() -> tuple[int, int]:
    """Turn lights yellow/red once a minute."""
    result = case_sla_sweep()
    return result.warned, result.overdue
