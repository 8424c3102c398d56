"""Queued jobs of the dashboard app: keep the daily case rollup fresh."""

from __future__ import annotations

from collections.abc import Callable

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from zhili.dashboard.services import case_rollup_rebuild, case_rollup_refresh_recent

PeriodicJob = Callable[[], None]
# huey's decorators are untyped; naming their type keeps these functions typed for mypy.
_every_ten_minutes: Callable[[PeriodicJob], PeriodicJob] = db_periodic_task(crontab(minute="*/10"))
_every_night: Callable[[PeriodicJob], PeriodicJob] = db_periodic_task(crontab(hour="1", minute="17"))


@_every_ten_minutes
def dashboard_rollup_refresh_recent() -> None:
    """Every ten minutes: recompute the recent days (cases of today are always counted live)."""
    case_rollup_refresh_recent()


@_every_night
def dashboard_rollup_rebuild_nightly() -> None:
    """Every night: recompute every day, so changes to old cases reach the dashboards too."""
    case_rollup_rebuild()
