"""Queued jobs of the indicators app."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from zhili.core import clock
from zhili.indicators.services import indicator_data_reminders_send, observations_fill_from_platform


@db_task()  # type: ignore[untyped-decorator]
def fill_platform_indicators_for_year(year: int) -> int:
    """Fill platform-fed indicators for ``year``; returns how many values were created or revised."""
    result = observations_fill_from_platform(year=year)
    return result.created + result.revised


@db_periodic_task(crontab(hour="2", minute="30"))  # type: ignore[untyped-decorator]
def fill_platform_indicators() -> int:
    """Nightly: refresh the current year's and (early in the year) last year's platform-fed values."""
    today = clock.today()
    changed = observations_fill_from_platform(year=today.year)
    total = changed.created + changed.revised
    if today.month <= 3:
        previous = observations_fill_from_platform(year=today.year - 1)
        total += previous.created + previous.revised
    return total


@db_periodic_task(crontab(hour="8", minute="0"))  # type: ignore[untyped-decorator]
def remind_indicator_data_deadline() -> int:
    """Daily: 30, 7 and 1 days before a plan's yearly data deadline, remind the planners which
    departments still owe figures; returns how many plans got a reminder."""

    return len(indicator_data_reminders_send())
