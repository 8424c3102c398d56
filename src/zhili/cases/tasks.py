"""Queued jobs of the cases app: they only call services."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from zhili.cases.services.notifications import NOTIFICATIONS_DELIVER_JOB, notifications_deliver_pending
from zhili.cases.services.retention import case_files_retention_sweep, cases_personal_data_anonymise
from zhili.cases.services.sla import case_sla_sweep
from zhili.cases.services.workbench import CASE_LIST_EXPORT_JOB, case_list_export_run
from zhili.core.jobs import job_register

Job = Callable[[], Any]
# huey's decorators are untyped; naming their type keeps these functions typed for mypy.
_queued_with_retries: Callable[[Job], Job] = db_task(retries=3, retry_delay=30)
_every_minute: Callable[[Job], Job] = db_periodic_task(crontab(minute="*"))
_every_minute_too: Callable[[Job], Job] = db_periodic_task(crontab(minute="*"))
_every_night: Callable[[Job], Job] = db_periodic_task(crontab(hour="3", minute="30"))
_every_night_too: Callable[[Job], Job] = db_periodic_task(crontab(hour="3", minute="40"))


@_queued_with_retries
def notifications_deliver_task() -> int:
    """Deliver due outbox rows (queued after each commit that wrote some)."""
    return notifications_deliver_pending()


@_every_minute
def notifications_retry_periodic() -> int:
    """Pick up rows whose backoff has passed (and any a crashed worker left claimed)."""
    return notifications_deliver_pending()


@_every_minute_too
def sla_sweep_periodic() -> tuple[int, int]:
    """Turn lights yellow/red once a minute."""
    result = case_sla_sweep()
    return result.warned, result.overdue


@_every_night
def personal_data_retention_periodic() -> int:
    """Erase the reporter's personal data of cases closed longer ago than the retention period."""
    return cases_personal_data_anonymise().anonymised


@_every_night_too
def files_retention_periodic() -> dict[str, int]:
    """Remove old export files and uploaded import files (what was removed is audited and returned)."""
    return case_files_retention_sweep().as_dict()

_queued_export: Callable[[Callable[[str], None]], Callable[[str], None]] = db_task(retries=1, retry_delay=10)


@_queued_export
def case_list_export_task(job_id: str) -> None:
    """Write a case-list Excel export in the background (the page polls its progress)."""
    case_list_export_run(job_id=job_id)


job_register(NOTIFICATIONS_DELIVER_JOB, notifications_deliver_task)
job_register(CASE_LIST_EXPORT_JOB, case_list_export_task)
