"""The job port: services queue background work by name, never by importing a ``tasks`` module.

Each app's ``tasks.py`` (the queue's entry points, which only call services) registers its jobs here
when the app is ready (``AppConfig.ready`` imports it), so no service imports ``tasks`` and the
import graph has no circle through the queue. :func:`job_enqueue` defers to the commit of the
current transaction (at once outside one), so a job never starts before the rows it reads exist and
never runs for a write that was rolled back.

Work a person submits goes through :func:`job_submit`, which also writes the job ledger
(``core.Job``) and caps each user's queued and running jobs (``ZHILI_JOBS_PER_USER``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from zhili.core import clock
from zhili.core.errors import ApplicationError

JobEntry = Callable[..., Any]
_JOBS: dict[str, JobEntry] = {}


def job_register(name: str, entry: JobEntry) -> None:
    """Register the queue entry point (a huey task) that runs job ``name`` (``"<app>.<job>"``)."""
    registered = _JOBS.get(name)
    if registered is not None and registered is not entry:
        raise RuntimeError(f"job {name!r} is registered twice")
    _JOBS[name] = entry


def job_names() -> list[str]:
    return sorted(_JOBS)


def job_queue(name: str, *arguments: object, delay_seconds: float | None = None) -> None:
    """Queue job ``name`` now (in immediate mode — tests, the embedded demo — it runs at once)."""
    entry = _JOBS.get(name)
    if entry is None:
        raise RuntimeError(f"no job {name!r} is registered (known: {', '.join(job_names()) or 'none'}); "
                           "is its app's tasks module imported in AppConfig.ready?")
    if delay_seconds and not settings.HUEY.get("immediate"):
        task: Any = entry  # huey's task object (registered as a plain callable)
        task.schedule(args=arguments, delay=delay_seconds)
        return
    entry(*arguments)


def job_enqueue(name: str, *arguments: object, delay_seconds: float | None = None) -> None:
    """Queue job ``name`` with ``arguments`` once the current transaction commits."""
    transaction.on_commit(lambda: job_queue(name, *arguments, delay_seconds=delay_seconds))


JOB_LEDGER_RUN = "core.job_ledger_run"
JOBS_PER_USER_DEFAULT = 3
# A job queued or running longer than this is taken for lost (a worker killed mid-job) and no
# longer counts against its user's cap, so a crash never locks a person out for good.
JOB_STALE_HOURS = 6
_ACTIVE = ("queued", "running")


def jobs_per_user_limit() -> int:
    return int(getattr(settings, "ZHILI_JOBS_PER_USER", JOBS_PER_USER_DEFAULT))


def job_submit(name: str, *arguments: object, user_id: int | None) -> int:
    """Record job ``name`` in the ledger and queue it once the current transaction commits; its id.

    Refuses (429, :class:`ApplicationError` ``jobs_per_user_limit``) when user ``user_id`` already
    has ``ZHILI_JOBS_PER_USER`` jobs queued or running, so call it inside the transaction that
    writes the job's own record: a refusal then leaves nothing written. ``user_id`` None (the demo
    loader, scripts) is not capped. Arguments must be JSON values.
    """
    # deferred: the ledger's model can be imported only once the app registry is ready
    from zhili.core.models import Job

    if name not in _JOBS:
        raise RuntimeError(f"no job {name!r} is registered (known: {', '.join(job_names()) or 'none'})")
    now = clock.now()
    if user_id is not None:
        limit = jobs_per_user_limit()
        active = Job.objects.filter(user_id=user_id, status__in=_ACTIVE,
                                    created_at__gte=now - dt.timedelta(hours=JOB_STALE_HOURS)).count()
        if active >= limit:
            raise ApplicationError(
                "jobs_per_user_limit",
                _("您已有 %(count)d 个后台任务在排队或运行，达到每人 %(limit)d 个的上限：请等其中一个完成后再提交。")
                % {"count": active, "limit": limit}, status_code=429)
    job = Job.objects.create(name=name, arguments=list(arguments), user_id=user_id, created_at=now)
    job_enqueue(JOB_LEDGER_RUN, job.pk)
    return job.pk


def job_ledger_run(*, job_id: int) -> None:
    """Run a submitted job in this worker (called by the queue) and record how it ended."""
    # deferred: the ledger's model can be imported only once the app registry is ready
    from zhili.core.models import Job

    job = Job.objects.filter(pk=job_id, status="queued").first()
    if job is None:
        return
    Job.objects.filter(pk=job.pk).update(status="running", started_at=clock.now())
    entry: Any = _JOBS[job.name]
    run_here = getattr(entry, "call_local", entry)  # a huey task runs here, in the ledger's own task
    try:
        run_here(*job.arguments)
    except Exception as error:
        Job.objects.filter(pk=job.pk).update(status="failed", finished_at=clock.now(),
                                             error_message=str(error)[:2000])
        raise
    Job.objects.filter(pk=job.pk).update(status="succeeded", finished_at=clock.now())
