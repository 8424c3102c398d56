"""Entering a year's official schedule: by command, by the calendar page, as the notice CSV; coverage warnings."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from zhili.accounts.models import User
from zhili.cases.models import Case, WorkingCalendarOverride, WorkingCalendarYear
from zhili.cases.selectors_operations import calendar_coverage
from zhili.cases.services.lifecycle import TransitionDetails, case_transition
from zhili.cases.states import CaseAction
from zhili.cases.tests.factories import World, case_create, user_create
from zhili.cases.working_time import (
    CalendarSource,
    TimeLimit,
    deadline_after,
    working_calendar_cache_clear,
    working_calendar_current,
)
from zhili.core import clock
from zhili.core.clock import CHINA_TIME_ZONE

# An example schedule for 2027 written for these tests (Spring Festival: 6 February 2027), not the State
# Council's notice: holidays 5–13 February, make-up workdays Sunday 14 and Saturday 20 February.
HOLIDAYS_2027 = ["2027-01-01", "2027-02-05..2027-02-13"]
WORKDAYS_2027 = ["2027-02-14", "2027-02-20"]
THURSDAY_BEFORE_SPRING_FESTIVAL = dt.datetime(2027, 2, 4, 10, 0, tzinfo=CHINA_TIME_ZONE)


@pytest.fixture(autouse=True)
def _fresh_calendar() -> Iterator[None]:
    """The process keeps the calendar a minute; a rolled-back test's entries must not outlive it."""
    working_calendar_cache_clear()
    yield
    working_calendar_cache_clear()


@pytest.mark.django_db
def test_entering_2027_by_command_changes_a_deadline_across_spring_festival(capsys: pytest.CaptureFixture[str]) -> None:
    five_days = TimeLimit.working_days(5)
    before = deadline_after(THURSDAY_BEFORE_SPRING_FESTIVAL, five_days, working_calendar_current())
    assert before == dt.datetime(2027, 2, 11, 10, 0, tzinfo=CHINA_TIME_ZONE)  # Monday–Friday: not covered
    assert working_calendar_current().source_for_year(2027) == CalendarSource.WEEKDAYS

    call_command("calendar_set", "2027", "--holidays", *HOLIDAYS_2027, "--workdays", *WORKDAYS_2027,
                 "--notice", "测试用示例安排")
    assert capsys.readouterr().out.strip() == "已录入 2027 年工作日历：放假 10 天，调休上班 2 天。"

    calendar = working_calendar_current()
    # Thursday 4th 10:00–17:30 (6 h), then no work until Sunday 14th (make-up day), Monday 15th … Thursday 18th
    assert deadline_after(THURSDAY_BEFORE_SPRING_FESTIVAL, five_days, calendar) == dt.datetime(
        2027, 2, 18, 10, 0, tzinfo=CHINA_TIME_ZONE)
    assert calendar.source_for_year(2027) == CalendarSource.ENTERED
    assert calendar.is_workday(dt.date(2027, 2, 20)) is True  # make-up Saturday
    assert calendar.is_workday(dt.date(2027, 2, 27)) is False  # an ordinary Saturday of an entered year
    assert calendar.is_workday(dt.date(2027, 10, 1)) is True  # not listed: the entered schedule is the whole truth


@pytest.mark.django_db
def _dispatched(dispatcher: User, world: World) -> Case:
    case = case_create(description="路灯不亮了，晚上很黑")
    return case_transition(case_id=case.pk, action=CaseAction.DISPATCH, actor=dispatcher,
                           details=TransitionDetails(department_id=world.department_cg.pk))


def test_a_case_across_spring_festival_2027_is_due_later_and_says_which_calendar(world: World) -> None:
    dispatcher = user_create("dispatcher")
    evening = THURSDAY_BEFORE_SPRING_FESTIVAL.replace(hour=17)
    with clock.frozen(evening):
        before = _dispatched(dispatcher, world)
    call_command("calendar_set", "2027", "--holidays", *HOLIDAYS_2027, "--workdays", *WORKDAYS_2027)
    with clock.frozen(evening):
        after = _dispatched(dispatcher, world)
    # the sign-for stage's working hours run into the next working day: Friday 5th, or the make-up Sunday 14th
    assert before.stage_due_at is not None
    assert after.stage_due_at is not None
    assert before.stage_due_at.astimezone(CHINA_TIME_ZONE).date() == dt.date(2027, 2, 5)
    assert after.stage_due_at.astimezone(CHINA_TIME_ZONE).date() == dt.date(2027, 2, 14)
    client = Client()
    client.force_login(dispatcher)
    page = client.get(f"/cases/{after.number}/").content.decode()
    assert "时限按工作日历计算" in page
    assert '<span data-source="entered">2027 年：平台录入的国务院安排</span>' in page


@pytest.mark.django_db
def test_a_date_both_holiday_and_workday_is_refused_with_both_named() -> None:
    with pytest.raises(CommandError, match=r"2027-02-07 既是放假日期（2027-02-05\.\.2027-02-13），又列为调休上班日（2027-02-07）"):
        call_command("calendar_set", "2027", "--holidays", "2027-02-05..2027-02-13", "--workdays", "2027-02-07")
    assert WorkingCalendarYear.objects.count() == 0
    assert WorkingCalendarOverride.objects.count() == 0


@pytest.mark.parametrize(("holidays", "workdays", "message"), [
    (["2027-13-01"], [], "“2027-13-01”不是日期"),
    (["2028-01-01"], [], "2028-01-01（“2028-01-01”）不在 2027 年内"),
    (["2027-01-01"], ["2027-02-15"], "2027-02-15 是工作日（周一），不需要列为调休上班日"),
    (["2027-02-13..2027-02-05"], [], "日期范围“2027-02-13..2027-02-05”不对"),
])
@pytest.mark.django_db
def test_bad_dates_are_refused_and_nothing_is_written(holidays: list[str], workdays: list[str], message: str) -> None:
    arguments = ["calendar_set", "2027", "--holidays", *holidays] + (["--workdays", *workdays] if workdays else [])
    with pytest.raises(CommandError, match=message):
        call_command(*arguments)
    assert WorkingCalendarOverride.objects.count() == 0


NOTICE_CSV = "名称,放假开始,放假结束,调休上班\n元旦,2027-01-01,2027-01-01,\n春节,2027-02-05,2027-02-13,2027-02-14;2027-02-20\n"


@pytest.mark.django_db
def test_the_calendar_page_imports_the_notice_csv_and_replaces_the_year(world: World) -> None:
    admin = user_create("admin")
    client = Client()
    client.force_login(admin)
    page = client.get("/cases/calendar/").content.decode()
    assert "工作日历只覆盖到" in page or "2027 年：未录入，按周一至周五计算" in page
    response = client.post("/cases/calendar/", {"year": "2027", "notice": "示例通知", "notice_csv": SimpleUploadedFile(
        "notice.csv", NOTICE_CSV.encode("gb18030"), content_type="text/csv")})
    assert response.status_code == 302
    year = WorkingCalendarYear.objects.get(year=2027)
    assert (year.source, year.notice, year.entered_by) == ("csv", "示例通知", admin)
    assert list(WorkingCalendarOverride.objects.filter(is_workday=True).values_list("day", "name")) == [
        (dt.date(2027, 2, 14), "春节调休上班"), (dt.date(2027, 2, 20), "春节调休上班")]
    assert WorkingCalendarOverride.objects.filter(is_workday=False).count() == 10
    shown = client.get("/cases/calendar/").content.decode()
    assert "2027 年的安排已保存" in shown
    assert "02-05 春节" in shown
    refused = client.post("/cases/calendar/", {"year": "2027", "holidays": "2027-02-05..2027-02-13",
                                               "workdays": "2027-02-13"})
    assert refused.status_code == 400
    assert "2027-02-13 既是放假日期（2027-02-05..2027-02-13），又列为调休上班日（2027-02-13）" in refused.content.decode()
    assert WorkingCalendarOverride.objects.filter(is_workday=False).count() == 10  # the refused entry changed nothing
    client.post("/cases/calendar/", {"year": "2027", "holidays": "2027-01-01 2027-02-06..2027-02-12",
                                     "workdays": "2027-02-14"})
    assert WorkingCalendarOverride.objects.filter(day__year=2027).count() == 9  # replaced, not added


@pytest.mark.django_db
def test_coverage_warns_sixty_days_before_its_end() -> None:
    with clock.frozen(dt.datetime(2026, 11, 1, 9, 0, tzinfo=CHINA_TIME_ZONE)):
        early = calendar_coverage()
    assert (early.covered_until, early.days_left, early.warning) == (dt.date(2026, 12, 31), 60, "")
    with clock.frozen(dt.datetime(2026, 11, 2, 9, 0, tzinfo=CHINA_TIME_ZONE)):
        late = calendar_coverage()
    assert late.days_left == 59
    assert late.warning.startswith("工作日历只覆盖到 2026-12-31（还剩 59 天）：请录入 2027 年的国务院节假日安排")
    call_command("calendar_set", "2027", "--holidays", *HOLIDAYS_2027, "--workdays", *WORKDAYS_2027)
    with clock.frozen(dt.datetime(2026, 11, 2, 9, 0, tzinfo=CHINA_TIME_ZONE)):
        entered = calendar_coverage()
    assert (entered.covered_until, entered.warning) == (dt.date(2027, 12, 31), "")


@pytest.mark.django_db
def test_the_system_check_warns_with_the_database() -> None:
    from django.core.checks import run_checks

    with clock.frozen(dt.datetime(2026, 12, 3, 9, 0, tzinfo=CHINA_TIME_ZONE)):
        messages = [message for message in run_checks(databases=["default"]) if message.id == "zhili.W010"]
        assert [message.msg[:39] for message in messages] == ["工作日历只覆盖到 2026-12-31（还剩 28 天）：请录入 2027 年"]
        assert [message for message in run_checks() if message.id == "zhili.W010"] == []
        call_command("calendar_set", "2027", "--holidays", *HOLIDAYS_2027)
        assert [message for message in run_checks(databases=["default"]) if message.id == "zhili.W010"] == []
