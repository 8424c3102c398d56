"""``zhili calendar_set YEAR --holidays … --workdays … [--notice TEXT]`` or ``zhili calendar_set YEAR --csv FILE``.

Enters a year's official schedule (the State Council's notice): its holidays and its make-up workdays
(调休). Dates are ``2027-02-06``, ranges ``2027-02-06..2027-02-13``, separated by spaces or commas.
The CSV has one row per holiday: ``名称,放假开始,放假结束,调休上班`` (workdays separated by ``;``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from zhili.cases.models import CalendarEntrySource
from zhili.cases.services.calendar_admin import (
    calendar_dates_parse,
    calendar_notice_csv_read,
    working_calendar_year_set,
)
from zhili.core.errors import ApplicationError


class Command(BaseCommand):
    help = "录入一年的国务院节假日安排（放假日期与调休上班日），此后该年的时限按它计算。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("year", type=int)
        parser.add_argument("--holidays", nargs="+", default=[], help="放假日期，如 2027-01-01 2027-02-06..2027-02-13")
        parser.add_argument("--workdays", nargs="+", default=[], help="调休上班日（周六或周日），如 2027-02-20")
        parser.add_argument("--csv", type=Path, help="国务院通知整理成的 CSV：名称,放假开始,放假结束,调休上班")
        parser.add_argument("--notice", default="", help="依据，如通知文号")

    def handle(self, *args: Any, **options: Any) -> None:
        year: int = options["year"]
        if not 2000 <= year <= 2100:
            raise CommandError(f"年份 {year} 不对：请写四位年份，如 2027。")
        try:
            if options["csv"]:
                if options["holidays"] or options["workdays"]:
                    raise CommandError("--csv 与 --holidays/--workdays 只能用一种。")
                try:
                    content = options["csv"].read_bytes()
                except OSError as error:
                    raise CommandError(f"读不了 {options['csv']}：{error.strerror}") from error
                holidays, workdays = calendar_notice_csv_read(content)
                source = CalendarEntrySource.CSV
            else:
                holidays = calendar_dates_parse(" ".join(options["holidays"]))
                workdays = calendar_dates_parse(" ".join(options["workdays"]))
                source = CalendarEntrySource.COMMAND
            result = working_calendar_year_set(year=year, holidays=holidays, workdays=workdays, source=source,
                                               notice=options["notice"], actor=None)
        except ApplicationError as error:
            raise CommandError(error.message) from error
        verb = "已替换" if result.replaced else "已录入"
        self.stdout.write(f"{verb} {result.year} 年工作日历：放假 {result.holidays} 天，调休上班 {result.workdays} 天。")
