"""Reads for operators: working-calendar coverage and the figures /metrics exports."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Min
from django.utils.translation import gettext as _

from zhili.cases.models import Case, Notification, SlaSweepMark, WorkingCalendarOverride, WorkingCalendarYear
from zhili.cases.states import OPEN_STATUSES
from zhili.cases.working_time import (
    COVERAGE_WARNING_DAYS,
    CalendarYearSource,
    calendar_sources_between,
    calendar_year_source,
    working_calendar_current,
)
from zhili.core import clock


@dataclass(frozen=True)
class CalendarCoverage:
    today: dt.date
    covered_until: dt.date | None  # last day of the unbroken covered run from today's year
    days_left: int  # days from today to covered_until (0 when today is not covered)
    warning: str  # "" when coverage reaches COVERAGE_WARNING_DAYS ahead
    years: list[CalendarYearSource]  # from last year to the last covered or entered year


def calendar_coverage(*, today: dt.date | None = None) -> CalendarCoverage:
    today = today or clock.now().date()
    calendar = working_calendar_current()
    covered_until = calendar.covered_until(today)
    days_left = (covered_until - today).days if covered_until else 0
    warning = ""
    if days_left < COVERAGE_WARNING_DAYS:
        next_year = covered_until.year + 1 if covered_until else today.year
        warning = (_("工作日历只覆盖到 %(until)s（还剩 %(days)s 天）：请录入 %(year)s 年的国务院节假日安排"
                     "（zhili calendar_set %(year)s --holidays … --workdays …，或工作日历页面），"
                     "否则该年的时限按周一至周五计算。")
                   % {"until": covered_until.isoformat() if covered_until else "—", "days": days_left, "year": next_year})
    first_year = today.year - 1
    last_year = max(today.year + 1, max(calendar.entered_years, default=today.year))
    years = [calendar_year_source(calendar, year) for year in range(first_year, last_year + 1)]
    return CalendarCoverage(today=today, covered_until=covered_until, days_left=days_left, warning=warning,
                            years=years)


@dataclass(frozen=True)
class EnteredCalendarYear:
    year: int
    source_label: str
    notice: str
    entered_at: dt.datetime
    entered_by: str
    holidays: list[tuple[dt.date, str]]
    workdays: list[tuple[dt.date, str]]


def calendar_entered_years() -> list[EnteredCalendarYear]:
    """Every entered year with its dates, newest first."""
    entered: list[EnteredCalendarYear] = []
    for row in WorkingCalendarYear.objects.select_related("entered_by").order_by("-year"):
        overrides = WorkingCalendarOverride.objects.filter(day__year=row.year).order_by("day")
        entered.append(EnteredCalendarYear(
            year=row.year, source_label=row.get_source_display(), notice=row.notice, entered_at=row.entered_at,
            entered_by=row.entered_by.username if row.entered_by else _("服务器命令"),
            holidays=[(item.day, item.name) for item in overrides if not item.is_workday],
            workdays=[(item.day, item.name) for item in overrides if item.is_workday]))
    return entered


@dataclass(frozen=True)
class OperationsFigures:
    overdue_cases: int
    oldest_undelivered_notification_seconds: float  # 0 when nothing waits
    sla_sweep_duration_seconds: float
    sla_sweep_last_run_timestamp: float  # 0 before the first sweep


def operations_figures(*, at: dt.datetime | None = None) -> OperationsFigures:
    at = at or clock.now()
    overdue = Case.objects.filter(stage_due_at__lte=at, status__in=OPEN_STATUSES).count()
    oldest = (Notification.objects.filter(delivered_at__isnull=True, failed_at__isnull=True)
              .aggregate(oldest=Min("created_at"))["oldest"])
    mark = SlaSweepMark.objects.filter(pk=1).values("swept_at", "duration_seconds").first()
    return OperationsFigures(
        overdue_cases=overdue,
        oldest_undelivered_notification_seconds=max(0.0, (at - oldest).total_seconds()) if oldest else 0.0,
        sla_sweep_duration_seconds=float(mark["duration_seconds"]) if mark else 0.0,
        sla_sweep_last_run_timestamp=mark["swept_at"].timestamp() if mark else 0.0,
    )


def deadline_calendar_sources(cases: Iterable[Case]) -> list[CalendarYearSource]:
    """Which calendar source the deadlines of ``cases`` were computed with, year by year (for the display)."""
    instants: list[dt.datetime | None] = []
    for case in cases:
        instants += [case.created_at, case.stage_due_at, case.accept_due_at, case.handle_due_at,
                     case.follow_up_due_at]
    return calendar_sources_between(working_calendar_current(), instants)
