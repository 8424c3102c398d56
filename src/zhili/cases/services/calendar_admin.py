"""Keeping the working calendar: an administrator enters a year's official schedule.

The State Council publishes each year's holidays and make-up workdays (调休) in November; the
``chinesecalendar`` library follows some months later. Until then the year is entered here — by
``zhili calendar_set YEAR --holidays … --workdays …``, the calendar page, or the notice as a small CSV
(:func:`calendar_notice_csv_read`) — and the entered schedule is then the whole truth for that year.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils.translation import gettext as _

from zhili.accounts.permissions import Action, require
from zhili.audit.services import audit_record_append
from zhili.cases.models import CalendarEntrySource, WorkingCalendarOverride, WorkingCalendarYear
from zhili.cases.working_time import working_calendar_cache_clear
from zhili.core import clock
from zhili.core.errors import ApplicationError

if TYPE_CHECKING:
    from zhili.accounts.models import User


def working_calendar_override_set(*, day: dt.date, is_workday: bool, name: str, actor: User | None) -> None:
    """Declare ``day`` a working day (调休) or a holiday; wins over the calendar library.

    ``actor=None`` is for management commands run by an operator on the server.
    """
    if actor is not None:
        require(actor, Action.USER_MANAGE)
    with transaction.atomic():
        WorkingCalendarOverride.objects.update_or_create(day=day, defaults={"is_workday": is_workday,
                                                                            "name": name[:60]})
        audit_record_append(actor_id=actor.pk if actor else None, action="calendar.override", object_type="calendar",
                            object_id=day.isoformat(), data={"is_workday": is_workday, "name": name})
        transaction.on_commit(working_calendar_cache_clear)
    working_calendar_cache_clear()


def working_calendar_override_delete(*, day: dt.date, actor: User | None) -> None:
    if actor is not None:
        require(actor, Action.USER_MANAGE)
    with transaction.atomic():
        WorkingCalendarOverride.objects.filter(day=day).delete()
        audit_record_append(actor_id=actor.pk if actor else None, action="calendar.override_delete",
                            object_type="calendar", object_id=day.isoformat())
    working_calendar_cache_clear()


# -- a whole year's schedule --------------------------------------------------------------------

_RANGE = re.compile(r"^(\d{4}-\d{1,2}-\d{1,2})\s*(?:\.\.|~|～|至)\s*(\d{4}-\d{1,2}-\d{1,2})$")
_SEPARATORS = re.compile(r"[\s,，;；、]+")
_MAX_RANGE_DAYS = 31


@dataclass(frozen=True)
class CalendarDay:
    day: dt.date
    name: str
    entry: str  # as written (``2027-02-06..2027-02-13``), for error messages


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat("-".join(part.zfill(2) for part in text.split("-")))
    except ValueError:
        raise ApplicationError("calendar_date_invalid", _("“%(text)s”不是日期：请写成 2027-02-06 或 2027-02-06..2027-02-13。")
                               % {"text": text}) from None


def calendar_dates_parse(text: str, *, name: str = "") -> list[CalendarDay]:
    """``2027-01-01, 2027-02-06..2027-02-13`` → one :class:`CalendarDay` per date (ranges inclusive)."""
    days: list[CalendarDay] = []
    normalized = re.sub(r"\s*(\.\.|~|～|至)\s*", r"\1", text.strip())
    for entry in (item for item in _SEPARATORS.split(normalized) if item):
        match = _RANGE.match(entry)
        if match is None:
            days.append(CalendarDay(day=_date(entry), name=name, entry=entry))
            continue
        first, last = _date(match.group(1)), _date(match.group(2))
        if last < first or (last - first).days >= _MAX_RANGE_DAYS:
            raise ApplicationError("calendar_range_invalid", _("日期范围“%(entry)s”不对：结束日期应在开始日期之后，且不超过 %(days)s 天。")
                                   % {"entry": entry, "days": _MAX_RANGE_DAYS})
        days += [CalendarDay(day=first + dt.timedelta(days=offset), name=name, entry=entry)
                 for offset in range((last - first).days + 1)]
    return days


_CSV_COLUMNS = {"名称": "name", "name": "name", "放假开始": "start", "holiday_start": "start",
                "放假结束": "end", "holiday_end": "end", "调休上班": "workdays", "workdays": "workdays"}


def calendar_notice_csv_read(content: bytes) -> tuple[list[CalendarDay], list[CalendarDay]]:
    """The State Council's notice as CSV, one row per holiday: ``名称,放假开始,放假结束,调休上班``.

    ``调休上班`` lists that holiday's make-up workdays separated by ``;`` (may be empty). Returns
    (holidays, workdays). UTF-8 (with or without BOM) or GB18030, as spreadsheets save it.
    """
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ApplicationError("calendar_csv_encoding", _("文件不是 UTF-8 或 GB18030 编码的 CSV。"))
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        raise ApplicationError("calendar_csv_empty", _("CSV 文件是空的：第一行应为 名称,放假开始,放假结束,调休上班。"))
    header = [_CSV_COLUMNS.get(cell.strip().lower() if cell.strip().isascii() else cell.strip(), "") for cell in rows[0]]
    if not {"name", "start", "end"} <= set(header):
        raise ApplicationError("calendar_csv_header", _("第一行应为 名称,放假开始,放假结束,调休上班（现在是：%(header)s）。")
                               % {"header": ",".join(rows[0])})
    holidays: list[CalendarDay] = []
    workdays: list[CalendarDay] = []
    for line_number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        values = {key: (row[index].strip() if index < len(row) else "") for index, key in enumerate(header) if key}
        name = values.get("name", "")
        if not values.get("start"):
            raise ApplicationError("calendar_csv_row", _("第 %(line)s 行缺少放假开始日期。") % {"line": line_number})
        span = f"{values['start']}..{values.get('end') or values['start']}"
        try:
            holidays += calendar_dates_parse(span, name=name)
            workdays += calendar_dates_parse(values.get("workdays", ""), name=f"{name}调休上班" if name else "")
        except ApplicationError as error:
            raise ApplicationError(error.code, _("第 %(line)s 行：%(message)s") % {"line": line_number,
                                                                                  "message": error.message}) from None
    return holidays, workdays


def _schedule_validate(year: int, holidays: list[CalendarDay], workdays: list[CalendarDay]) -> None:
    if not holidays:
        raise ApplicationError("calendar_no_holidays", _("%(year)s 年没有列出任何放假日期：请按国务院通知填写。") % {"year": year})
    for entry in (*holidays, *workdays):
        if entry.day.year != year:
            raise ApplicationError("calendar_wrong_year", _("%(day)s（“%(entry)s”）不在 %(year)s 年内。")
                                   % {"day": entry.day.isoformat(), "entry": entry.entry, "year": year})
    holiday_entries = {entry.day: entry for entry in holidays}
    for workday in workdays:
        holiday = holiday_entries.get(workday.day)
        if holiday is not None:
            raise ApplicationError(
                "calendar_conflict",
                _("%(day)s 既是放假日期（%(holiday)s），又列为调休上班日（%(workday)s）：一天只能是其中一种，请核对通知。")
                % {"day": workday.day.isoformat(), "holiday": holiday.entry, "workday": workday.entry})
        if workday.day.weekday() < 5:
            raise ApplicationError("calendar_workday_not_weekend",
                                   _("%(day)s 是工作日（周%(weekday)s），不需要列为调休上班日：调休上班日是周六或周日。")
                                   % {"day": workday.day.isoformat(), "weekday": "一二三四五"[workday.day.weekday()]})


@dataclass(frozen=True)
class CalendarYearResult:
    year: int
    holidays: int
    workdays: int
    replaced: bool  # the year had been entered before


def working_calendar_year_set(*, year: int, holidays: list[CalendarDay], workdays: list[CalendarDay],
                              source: str, notice: str = "", actor: User | None) -> CalendarYearResult:
    """Enter ``year``'s whole official schedule: its holidays and its make-up workdays (调休).

    Replaces what was entered for the year before (all or nothing). From then on the year's days are
    Monday–Friday apart from these dates, whatever the calendar library says. Refused, with the dates
    named: a date listed both as holiday and as workday, a date outside ``year``, a make-up workday on
    a weekday, no holidays at all. ``actor=None`` is an operator's command on the server.
    """
    if actor is not None:
        require(actor, Action.USER_MANAGE)
    if source not in CalendarEntrySource.values:
        raise ValueError(f"unknown calendar source {source!r}")
    _schedule_validate(year, holidays, workdays)
    with transaction.atomic():
        first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
        WorkingCalendarOverride.objects.filter(day__gte=first, day__lte=last).delete()
        rows = {entry.day: WorkingCalendarOverride(day=entry.day, is_workday=False, name=(entry.name or "法定节假日")[:60])
                for entry in holidays}
        rows.update({entry.day: WorkingCalendarOverride(day=entry.day, is_workday=True, name=(entry.name or "调休上班")[:60])
                     for entry in workdays})
        WorkingCalendarOverride.objects.bulk_create(sorted(rows.values(), key=lambda row: row.day))
        _entry, created = WorkingCalendarYear.objects.update_or_create(
            year=year, defaults={"source": source, "notice": notice[:200], "entered_at": clock.now(),
                                 "entered_by": actor})
        holiday_count = sum(1 for row in rows.values() if not row.is_workday)
        audit_record_append(actor_id=actor.pk if actor else None, action="calendar.year_set", object_type="calendar",
                            object_id=str(year), data={"source": source, "notice": notice,
                                                       "holidays": sorted(entry.day.isoformat() for entry in holidays),
                                                       "workdays": sorted(entry.day.isoformat() for entry in workdays)})
        transaction.on_commit(working_calendar_cache_clear)
    working_calendar_cache_clear()
    return CalendarYearResult(year=year, holidays=holiday_count, workdays=len(rows) - holiday_count,
                              replaced=not created)
