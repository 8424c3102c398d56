"""The job port: services queue background work by name, never by importing a ``tasks`` module.

Each app's ``tasks.py`` (the queue's entry points, which only call services) registers its jobs here
when the app is ready (``AppConfig.ready`` imports it), so no service imports ``tasks`` and the
import graph has no circle through the queue. :func:`job_enqueue` defers to the commit of the
current transaction (at once outside one), so a job never starts before the rows it reads exist and
never runs for a write that was rolled back.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import transaction

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
