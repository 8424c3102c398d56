"""工作日历: administrators enter a year's official schedule (by hand or as the State Council notice CSV)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from zhili.accounts.permissions import Action, require
from zhili.cases.models import CalendarEntrySource
from zhili.cases.selectors_operations import calendar_coverage, calendar_entered_years
from zhili.cases.services.calendar_admin import (
    calendar_dates_parse,
    calendar_notice_csv_read,
    working_calendar_year_set,
)
from zhili.cases.views import _user
from zhili.core import clock
from zhili.core.errors import ApplicationError
from zhili.core.pages import page_guard
from zhili.core.parameters import year_parameter

_CSV_MAX_BYTES = 64 * 1024


def _year(form: Any) -> int:
    year = year_parameter(form, "year", earliest=2000, label=_("年份"))
    if year is None:
        raise ApplicationError("calendar_year_invalid", _("请写四位年份，如 2027。"))
    return year


def _context(**extra: Any) -> dict[str, Any]:
    return {"coverage": calendar_coverage(), "entered": calendar_entered_years(),
            "next_year": clock.now().year + 1, **extra}


@login_required
@page_guard
@require_http_methods(["GET", "POST"])
def calendar_page(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    require(user, Action.USER_MANAGE)
    if request.method == "POST":
        form = request.POST
        try:
            year = _year(form)
            upload = request.FILES.get("notice_csv")
            if upload is not None:
                if (upload.size or 0) > _CSV_MAX_BYTES:
                    raise ApplicationError("calendar_csv_too_large", _("CSV 文件太大：一年的安排只有十几行。"))
                holidays, workdays = calendar_notice_csv_read(upload.read())
                source = CalendarEntrySource.CSV
            else:
                holidays = calendar_dates_parse(form.get("holidays", ""))
                workdays = calendar_dates_parse(form.get("workdays", ""))
                source = CalendarEntrySource.PAGE
            result = working_calendar_year_set(year=year, holidays=holidays, workdays=workdays, source=source,
                                               notice=form.get("notice", ""), actor=user)
        except ApplicationError as error:
            return render(request, "cases/calendar.html", _context(error=error, form=form), status=400)
        request.session["calendar_saved"] = result.year
        return redirect("cases:calendar")
    return render(request, "cases/calendar.html", _context(saved=request.session.pop("calendar_saved", None)))
