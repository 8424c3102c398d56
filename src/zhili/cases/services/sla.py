"""Time limits per stage, and the periodic sweep that turns lights yellow and red.

The sweep is two indexed bulk UPDATEs (plus INSERT … SELECT for the notifications): no case is
loaded into Python, so it stays fast with a million open cases.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import connection, transaction

from zhili.cases import policy
from zhili.cases.models import Case, Notification, NotificationChannel, SlaState
from zhili.cases.working_time import TimeLimit, WorkingCalendar, deadline_after
from zhili.core import clock
from zhili.geo.models import Matter, Urgency

DEFAULT_ACCEPT_HOURS = 2
DEFAULT_HANDLE_DAYS = 5
DEFAULT_FOLLOW_UP_DAYS = 2
DEFAULT_URGENT_HOURS = 24


def matter_is_urgent(matter: Matter | None) -> bool:
    return matter is not None and matter.urgency in (Urgency.URGENT, Urgency.EMERGENCY)


def accept_limit(matter: Matter | None, *, urgent: bool) -> TimeLimit:
    hours = matter.accept_limit_hours if matter is not None else DEFAULT_ACCEPT_HOURS
    return TimeLimit.natural_hours(hours) if urgent else TimeLimit.working_hours(hours)


def handle_limit(matter: Matter | None, *, urgent: bool) -> TimeLimit:
    if urgent:
        return TimeLimit.natural_hours(matter.urgent_limit_hours if matter is not None else DEFAULT_URGENT_HOURS)
    return TimeLimit.working_days(matter.handle_limit_days if matter is not None else DEFAULT_HANDLE_DAYS)


def follow_up_limit(matter: Matter | None) -> TimeLimit:
    return TimeLimit.working_days(matter.reply_limit_days if matter is not None else DEFAULT_FOLLOW_UP_DAYS)


def dispatch_limit() -> TimeLimit:
    return TimeLimit.working_hours(policy.dispatch_limit_hours())


@dataclass(frozen=True)
class StageDeadline:
    due_at: dt.datetime
    warn_at: dt.datetime


def stage_deadline(start: dt.datetime, limit: TimeLimit, calendar: WorkingCalendar) -> StageDeadline:
    """Deadline and yellow-light time of a stage starting at ``start``."""
    return StageDeadline(
        due_at=deadline_after(start, limit, calendar),
        warn_at=deadline_after(start, limit.scaled(policy.sla_warning_share()), calendar),
    )


def sla_state_at(*, due_at: dt.datetime | None, warn_at: dt.datetime | None, at: dt.datetime) -> str:
    if due_at is not None and due_at <= at:
        return SlaState.OVERDUE
    if warn_at is not None and warn_at <= at:
        return SlaState.WARNING
    return SlaState.NORMAL


@dataclass(frozen=True)
class SlaSweepResult:
    warned: int
    overdue: int


_KIND_LABEL: dict[str, str] = {SlaState.WARNING: "黄灯预警", SlaState.OVERDUE: "红灯超期"}


def _notification_insert_sql(*, channel: str, new_state: str, condition: str) -> str:
    case_table = Case._meta.db_table
    notification_table = Notification._meta.db_table
    department_join = ""
    department_condition = "c.department_id IS NOT NULL"
    if channel == NotificationChannel.WEBHOOK:
        department_join = "JOIN geo_department d ON d.id = c.department_id"
        department_condition = "d.webhook_url <> ''"
    label = _KIND_LABEL[new_state]
    return (
        f"INSERT INTO {notification_table} (channel, kind, case_id, department_id, title, body, target_url, "  # noqa: S608
        "created_at, next_attempt_at, attempts, last_error) "
        f"SELECT '{channel}', 'sla_{new_state}', c.id, c.department_id, "
        f"'{label}：工单 ' || c.number, '当前环节时限即将或已经届满，请尽快办理。', '', %s, %s, 0, '' "
        f"FROM {case_table} c {department_join} WHERE {condition} AND {department_condition}"
    )


def case_sla_sweep(*, at: dt.datetime | None = None) -> SlaSweepResult:
    """Mark cases whose stage passed its warning share (黄灯) or its deadline (红灯); queue notices.

    Idempotent: a case is marked (and notified) once per light per stage; every stage change
    resets the light to normal.
    """
    at = at or clock.now()
    case_table = Case._meta.db_table
    overdue_condition = "c.sla_state IN ('normal', 'warning') AND c.stage_due_at IS NOT NULL AND c.stage_due_at <= %s"
    warn_condition = (
        "c.sla_state = 'normal' AND c.stage_warn_at IS NOT NULL AND c.stage_warn_at <= %s "
        "AND (c.stage_due_at IS NULL OR c.stage_due_at > %s)"
    )
    counts: dict[str, int] = {}
    at_value = connection.ops.adapt_datetimefield_value(at)
    with transaction.atomic(), connection.cursor() as cursor:
        for new_state, condition, params in (
            (SlaState.OVERDUE, overdue_condition, [at_value]),
            (SlaState.WARNING, warn_condition, [at_value, at_value]),
        ):
            for channel in (NotificationChannel.IN_APP, NotificationChannel.WEBHOOK):
                cursor.execute(
                    _notification_insert_sql(channel=channel, new_state=new_state, condition=condition),
                    [at_value, at_value, *params],
                )
            update_condition = condition.replace("c.", "")
            cursor.execute(
                f"UPDATE {case_table} SET sla_state = %s WHERE {update_condition}",  # noqa: S608
                [new_state, *params],
            )
            counts[new_state] = cursor.rowcount
        if counts[SlaState.OVERDUE] or counts[SlaState.WARNING]:
            from zhili.cases.services.notifications import notifications_schedule_delivery

            notifications_schedule_delivery()
    return SlaSweepResult(warned=counts[SlaState.WARNING], overdue=counts[SlaState.OVERDUE])
