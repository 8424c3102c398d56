from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zhili.cases.models import WorkingCalendarOverride
from zhili.cases.services.calendar_admin import working_calendar_override_set
from zhili.cases.working_time import (
    TimeLimit,
    WorkingCalendar,
    add_working_time,
    deadline_after,
    working_calendar_current,
    working_minutes_between,
)
from zhili.core.clock import CHINA_TIME_ZONE

LIBRARY = WorkingCalendar()


def china(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=CHINA_TIME_ZONE)


def test_five_working_days_from_the_afternoon_before_national_day_2025() -> None:
    # 09-30 15:00–17:30, holiday 10-01..10-08, then 10-09, 10-10, 10-11 (调休 Saturday), 10-13, 10-14 until 15:00
    assert deadline_after(china(2025, 9, 30, 15), TimeLimit.working_days(5), LIBRARY) == china(2025, 10, 14, 15)


def test_make_up_sunday_before_national_day_2025_is_a_working_day() -> None:
    # Sunday 2025-09-28 is a 调休 working day: 2 working hours from 16:30 end on Monday 10:00
    assert deadline_after(china(2025, 9, 28, 16, 30), TimeLimit.working_hours(2), LIBRARY) == china(2025, 9, 29, 10)


def test_two_working_days_across_spring_festival_2026_counts_the_make_up_saturday() -> None:
    # Fri 02-13 10:00–17:30 (6 h), Sat 02-14 调休 (7 h), holiday 02-15..02-23, Tue 02-24 9:00–10:00
    assert deadline_after(china(2026, 2, 13, 10), TimeLimit.working_days(2), LIBRARY) == china(2026, 2, 24, 10)


def test_labour_day_2026_holiday_and_make_up_saturday() -> None:
    # 2026-05-01..05 holiday, Saturday 05-09 is a 调休 working day
    assert deadline_after(china(2026, 4, 30, 17), TimeLimit.working_hours(1), LIBRARY) == china(2026, 5, 6, 9, 30)
    assert LIBRARY.is_workday(dt.date(2026, 5, 9)) is True


def test_lunch_break_and_evening_do_not_count() -> None:
    assert add_working_time(china(2025, 11, 20, 11), 120, LIBRARY) == china(2025, 11, 20, 14, 30)
    assert add_working_time(china(2025, 11, 20, 20), 30, LIBRARY) == china(2025, 11, 21, 9, 30)


def test_start_on_a_holiday_begins_counting_at_the_next_working_morning() -> None:
    assert add_working_time(china(2025, 10, 4, 10), 60, LIBRARY) == china(2025, 10, 9, 10)


def test_exact_end_of_a_period_is_returned_as_that_end() -> None:
    assert add_working_time(china(2025, 11, 20, 9), 180, LIBRARY) == china(2025, 11, 20, 12)


def test_urgent_limits_count_natural_hours_through_the_holiday() -> None:
    assert deadline_after(china(2025, 9, 30, 15), TimeLimit.natural_hours(24), LIBRARY) == china(2025, 10, 1, 15)


def test_working_minutes_between_is_the_inverse_of_adding() -> None:
    start = china(2025, 9, 30, 15)
    end = deadline_after(start, TimeLimit.working_days(5), LIBRARY)
    assert working_minutes_between(start, end, LIBRARY) == 5 * 420


def test_years_the_library_does_not_know_fall_back_to_monday_to_friday() -> None:
    assert WorkingCalendar().is_workday(dt.date(2031, 1, 6)) is True  # Monday
    assert WorkingCalendar().is_workday(dt.date(2031, 1, 4)) is False  # Saturday


def test_overrides_win_over_the_library() -> None:
    calendar = WorkingCalendar(overrides={dt.date(2025, 11, 21): False})
    assert add_working_time(china(2025, 11, 20, 17), 60, calendar) == china(2025, 11, 24, 9, 30)


@pytest.mark.django_db
def test_admin_entered_schedule_changes_the_current_calendar() -> None:
    working_calendar_override_set(day=dt.date(2031, 1, 4), is_workday=True, name="调休上班", actor=None)
    working_calendar_override_set(day=dt.date(2031, 1, 6), is_workday=False, name="元旦", actor=None)
    calendar = working_calendar_current()
    assert calendar.is_workday(dt.date(2031, 1, 4)) is True
    assert calendar.is_workday(dt.date(2031, 1, 6)) is False
    assert WorkingCalendarOverride.objects.count() == 2


@settings(max_examples=60, deadline=None)
@given(start=st.datetimes(min_value=dt.datetime(2025, 1, 1), max_value=dt.datetime(2026, 12, 20)),
       minutes=st.integers(min_value=1, max_value=20 * 420))
def test_adding_working_time_is_undone_by_measuring_it(start: dt.datetime, minutes: int) -> None:
    aware = start.replace(tzinfo=CHINA_TIME_ZONE)
    end = add_working_time(aware, minutes, LIBRARY)
    assert end > aware
    assert working_minutes_between(aware, end, LIBRARY) == pytest.approx(minutes)
    assert LIBRARY.is_workday(end.date())
