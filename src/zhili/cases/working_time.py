"""Chinese working time: holidays, make-up working days (调休) and office hours.

Deadlines are pure functions of (start, limit, calendar). The calendar answers "is this date a
working day?" from, in order: the hand-entered :class:`~zhili.cases.models.WorkingCalendarOverride`
rows; for a year whose whole official schedule was entered (``zhili calendar_set``, the calendar page
or the State Council notice as CSV — :class:`~zhili.cases.models.WorkingCalendarYear`), Monday–Friday
apart from those rows; the ``chinesecalendar`` library (holidays and 调休 as published by the State
Council) for the years it covers; and for years nobody covers, Monday–Friday — which the calendar
page, ``/readyz``, the system check and every deadline display say (:func:`calendar_year_source`).

Office hours are 09:00–12:00 and 13:30–17:30 (7 working hours a day). A limit of N working days
is N × 7 working hours, so "5 working days from Tuesday 15:00" ends at 15:00 on the fifth
following working day. Urgent matters count natural hours instead.
"""

from __future__ import annotations

import datetime as dt
import functools
import importlib.metadata
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

import chinese_calendar
from chinese_calendar import constants as chinese_calendar_constants
from django.utils.translation import gettext as _

from zhili.cases.models import WorkingCalendarOverride, WorkingCalendarYear
from zhili.core.clock import CHINA_TIME_ZONE

OFFICE_PERIODS: tuple[tuple[dt.time, dt.time], ...] = (
    (dt.time(9, 0), dt.time(12, 0)),
    (dt.time(13, 30), dt.time(17, 30)),
)
WORKING_MINUTES_PER_DAY = 420
_MAX_DAYS_SCANNED = 3 * 366


LIBRARY_VERSION = importlib.metadata.version("chinesecalendar")
LIBRARY_YEARS = range(min(chinese_calendar_constants.holidays).year, max(chinese_calendar_constants.holidays).year + 1)
# The system check and /readyz warn when the covered range ends sooner than this.
COVERAGE_WARNING_DAYS = 60


class CalendarSource(StrEnum):
    ENTERED = "entered"  # the year's schedule entered in the platform
    LIBRARY = "library"  # the chinesecalendar library
    WEEKDAYS = "weekdays"  # nobody covers the year: Monday–Friday


@dataclass(frozen=True)
class WorkingCalendar:
    """Which dates are working days; ``overrides`` win, then entered years, then the library."""

    overrides: Mapping[dt.date, bool] = field(default_factory=dict)
    entered_years: frozenset[int] = frozenset()

    def is_workday(self, day: dt.date) -> bool:
        override = self.overrides.get(day)
        if override is not None:
            return override
        if day.year in self.entered_years:
            return day.weekday() < 5
        return _library_is_workday(day)

    def source_for_year(self, year: int) -> CalendarSource:
        if year in self.entered_years:
            return CalendarSource.ENTERED
        if year in LIBRARY_YEARS:
            return CalendarSource.LIBRARY
        return CalendarSource.WEEKDAYS

    def covered_until(self, today: dt.date) -> dt.date | None:
        """The last day of the unbroken run of covered years from ``today``'s year (None: not covered)."""
        year = today.year
        if self.source_for_year(year) == CalendarSource.WEEKDAYS:
            return None
        while self.source_for_year(year + 1) != CalendarSource.WEEKDAYS:
            year += 1
        return dt.date(year, 12, 31)


@dataclass(frozen=True)
class CalendarYearSource:
    """Which source a year's working days come from, in words for a deadline display."""

    year: int
    source: CalendarSource
    label: str


def calendar_year_source(calendar: WorkingCalendar, year: int) -> CalendarYearSource:
    source = calendar.source_for_year(year)
    if source == CalendarSource.ENTERED:
        label = _("%(year)s 年：平台录入的国务院安排") % {"year": year}
    elif source == CalendarSource.LIBRARY:
        label = _("%(year)s 年：chinesecalendar %(version)s（国务院安排）") % {"year": year, "version": LIBRARY_VERSION}
    else:
        label = _("%(year)s 年：未录入，按周一至周五计算") % {"year": year}
    return CalendarYearSource(year=year, source=source, label=label)


def calendar_sources_between(calendar: WorkingCalendar, instants: Iterable[dt.datetime | None]) -> list[CalendarYearSource]:
    """The source of every year from the earliest to the latest of ``instants`` (None ignored)."""
    years = [instant.astimezone(CHINA_TIME_ZONE).year for instant in instants if instant is not None]
    if not years:
        return []
    return [calendar_year_source(calendar, year) for year in range(min(years), max(years) + 1)]


@functools.lru_cache(maxsize=8192)
def _library_is_workday(day: dt.date) -> bool:
    """The calendar library's answer (its tables are fixed for the installed version, so it is cached:
    every intake computes a deadline); weekdays for years the library does not cover."""
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        return day.weekday() < 5


@dataclass(frozen=True)
class TimeLimit:
    """A stage's limit: working minutes (office hours on working days) or natural minutes."""

    minutes: int
    natural: bool = False

    @classmethod
    def working_days(cls, days: float) -> TimeLimit:
        return cls(minutes=round(days * WORKING_MINUTES_PER_DAY))

    @classmethod
    def working_hours(cls, hours: float) -> TimeLimit:
        return cls(minutes=round(hours * 60))

    @classmethod
    def natural_hours(cls, hours: float) -> TimeLimit:
        return cls(minutes=round(hours * 60), natural=True)

    def scaled(self, share: float) -> TimeLimit:
        return TimeLimit(minutes=round(self.minutes * share), natural=self.natural)


def add_working_time(start: dt.datetime, minutes: float, calendar: WorkingCalendar) -> dt.datetime:
    """The instant when ``minutes`` of office time have passed after ``start``.

    Time before office hours, at lunch, after hours, on holidays and weekends does not count;
    调休 Saturdays/Sundays count. The result is aware, in China time.
    """
    if start.tzinfo is None:
        raise ValueError("add_working_time() needs an aware datetime")
    cursor = start.astimezone(CHINA_TIME_ZONE)
    remaining = dt.timedelta(minutes=minutes)
    if remaining <= dt.timedelta(0):
        return cursor
    day = cursor.date()
    for _scanned in range(_MAX_DAYS_SCANNED):
        if calendar.is_workday(day):
            for begin, end in OFFICE_PERIODS:
                period_start = dt.datetime.combine(day, begin, CHINA_TIME_ZONE)
                period_end = dt.datetime.combine(day, end, CHINA_TIME_ZONE)
                if cursor >= period_end:
                    continue
                effective_start = max(cursor, period_start)
                available = period_end - effective_start
                if remaining <= available:
                    return effective_start + remaining
                remaining -= available
                cursor = period_end
        day += dt.timedelta(days=1)
        cursor = dt.datetime.combine(day, dt.time(0, 0), CHINA_TIME_ZONE)
    raise ValueError("working time limit longer than three years")


def working_minutes_between(start: dt.datetime, end: dt.datetime, calendar: WorkingCalendar) -> float:
    """Office minutes between two instants (0 when ``end`` is not after ``start``)."""
    if end <= start:
        return 0.0
    first = start.astimezone(CHINA_TIME_ZONE)
    last = end.astimezone(CHINA_TIME_ZONE)
    total = dt.timedelta(0)
    day = first.date()
    while day <= last.date():
        if calendar.is_workday(day):
            for begin, stop in OFFICE_PERIODS:
                period_start = max(first, dt.datetime.combine(day, begin, CHINA_TIME_ZONE))
                period_end = min(last, dt.datetime.combine(day, stop, CHINA_TIME_ZONE))
                if period_end > period_start:
                    total += period_end - period_start
        day += dt.timedelta(days=1)
    return total.total_seconds() / 60


def deadline_after(start: dt.datetime, limit: TimeLimit, calendar: WorkingCalendar) -> dt.datetime:
    """The deadline of a stage that starts at ``start`` with ``limit``."""
    if limit.natural:
        return start.astimezone(CHINA_TIME_ZONE) + dt.timedelta(minutes=limit.minutes)
    return add_working_time(start, limit.minutes, calendar)


# -- the process-wide calendar, rebuilt when the override table changes -------------------------

_CACHE_SECONDS = 60.0
_cache_lock = threading.Lock()
_cached: tuple[float, WorkingCalendar] | None = None


def working_calendar_current() -> WorkingCalendar:
    """The calendar with today's overrides (cached per process for a minute)."""
    global _cached
    with _cache_lock:
        if _cached is not None and time.monotonic() - _cached[0] < _CACHE_SECONDS:
            return _cached[1]

    overrides = dict(WorkingCalendarOverride.objects.values_list("day", "is_workday"))
    entered_years = frozenset(WorkingCalendarYear.objects.values_list("year", flat=True))
    calendar = WorkingCalendar(overrides=overrides, entered_years=entered_years)
    with _cache_lock:
        _cached = (time.monotonic(), calendar)
    return calendar


def working_calendar_cache_clear() -> None:
    global _cached
    with _cache_lock:
        _cached = None
