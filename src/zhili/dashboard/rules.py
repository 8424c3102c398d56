"""Pure rules of the dashboards: the periods a figure covers (whole local days, months cut at today,
the comparison period). No ORM."""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

from zhili.core import clock


def day_start(day: dt.date) -> dt.datetime:
    """Local midnight (Asia/Shanghai) at the start of ``day``, as an aware datetime."""
    return dt.datetime.combine(day, dt.time.min, tzinfo=clock.CHINA_TIME_ZONE)


@dataclass(frozen=True)
class Period:
    """A range of whole days, both ends included."""

    first_day: dt.date
    last_day: dt.date
    is_month: bool = False

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1

    @property
    def label(self) -> str:
        if self.is_month:
            return f"{self.first_day:%Y-%m}"
        return f"{self.first_day:%Y-%m-%d} ~ {self.last_day:%Y-%m-%d}"

    def previous(self) -> Period:
        """The period a month-on-month comparison uses: the previous month (same number of days when
        this month is still running), or the same number of days just before."""
        if self.is_month:
            last_of_previous = self.first_day - dt.timedelta(days=1)
            first_of_previous = last_of_previous.replace(day=1)
            last = min(last_of_previous, first_of_previous + dt.timedelta(days=self.days - 1))
            return Period(first_of_previous, last, is_month=True)
        return Period(self.first_day - dt.timedelta(days=self.days), self.first_day - dt.timedelta(days=1))


def month_period(year: int, month: int, *, today: dt.date | None = None) -> Period:
    """The month, cut at today when it is the running month."""
    today = today or clock.today()
    first = dt.date(year, month, 1)
    last = dt.date(year, month, calendar.monthrange(year, month)[1])
    return Period(first, min(last, max(today, first)), is_month=True)


def recent_period(days: int, *, today: dt.date | None = None) -> Period:
    today = today or clock.today()
    return Period(today - dt.timedelta(days=days - 1), today)
