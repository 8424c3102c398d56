"""Time limits per stage, and the periodic sweep that turns lights yellow and red.

The sweep is two indexed bulk UPDATEs (plus INSERT … SELECT for the notifications): no case is
loaded into Python, so it stays fast with a million open cases.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.db.backends.utils import CursorWrapper

from zhili.cases import policy
from zhili.cases.models import Case, Notification, NotificationChannel, SlaState, SlaSweepMark
from zhili.cases.rules.workflow import dispatch_limit_for, handle_days_for
from zhili.cases.services.notifications import notifications_schedule_delivery
from zhili.cases.services.workflow_settings import workflow_rules_current
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


def handle_limit(matter: Matter | None, *, urgent: bool, appeal_type: str = "") -> TimeLimit:
    """Urgent: the matter's natural hours; else the appeal type's working days (诉求类型), else the matter's."""
    if urgent:
        return TimeLimit.natural_hours(matter.urgent_limit_hours if matter is not None else DEFAULT_URGENT_HOURS)
    matter_days = matter.handle_limit_days if matter is not None else DEFAULT_HANDLE_DAYS
    return TimeLimit.working_days(handle_days_for(workflow_rules_current(), matter_days=matter_days,
                                                  appeal_type=appeal_type))


def follow_up_limit(matter: Matter | None) -> TimeLimit:
    return TimeLimit.working_days(matter.reply_limit_days if matter is not None else DEFAULT_FOLLOW_UP_DAYS)


def dispatch_limit(*, matter: Matter | None, priority: int) -> TimeLimit:
    """The centre's dispatch limit (北京: 1 h emergency, 2 h utilities and extreme weather, 24 h general)."""
    return dispatch_limit_for(workflow_rules_current(), matter_urgency=matter.urgency if matter is not None else None,
                              priority=priority)


def review_limit() -> TimeLimit:
    """The centre's time to review (审核) a unit's reply."""
    return TimeLimit.working_days(workflow_rules_current().review_limit_days)


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
# Deadlines are looked for since the previous sweep minus this margin (transactions in flight, clock steps).
WATERMARK_MARGIN = dt.timedelta(minutes=15)
logger = logging.getLogger(__name__)


def _conditions(new_state: str, *, with_lower_bound: bool) -> str:
    """The WHERE clause (over alias ``c``) of the rows that turn ``new_state`` now."""
    if new_state == SlaState.OVERDUE:
        condition = "c.stage_due_at IS NOT NULL AND c.stage_due_at <= %(at)s AND c.sla_state IN ('normal', 'warning')"
        if with_lower_bound:
            condition += " AND c.stage_due_at > %(since)s"
        return condition
    condition = ("c.stage_warn_at IS NOT NULL AND c.stage_warn_at <= %(at)s AND c.sla_state = 'normal' "
                 "AND (c.stage_due_at IS NULL OR c.stage_due_at > %(at)s)")
    if with_lower_bound:
        condition += " AND c.stage_warn_at > %(since)s"
    return condition


def _notification_columns() -> str:
    return ("channel, kind, case_id, department_id, title, body, target_url, created_at, next_attempt_at, attempts, "
            "last_error")


def _notification_select(new_state: str, source: str, *, webhook: bool, condition: str = "") -> str:
    """One digest row per department (in-app, or webhook when it has a URL): the count in the title,
    the case numbers in the body. A backlog of thousands of red lights is a few rows, not thousands."""
    label = _KIND_LABEL[new_state]
    channel = NotificationChannel.WEBHOOK if webhook else NotificationChannel.IN_APP
    join = "JOIN geo_department d ON d.id = c.department_id AND d.webhook_url <> ''" if webhook else ""
    target_url = "MAX(d.webhook_url)" if webhook else "''"
    numbers = ("string_agg(c.number, ',' ORDER BY c.number)" if connection.vendor == "postgresql"
               else "group_concat(c.number, ',')")
    extra = f"AND {condition}" if condition else ""
    return (
        f"SELECT '{channel}', 'sla_{new_state}', CAST(NULL AS BIGINT), c.department_id, "  # noqa: S608
        f"'{label}：' || COUNT(*) || ' 件工单', {numbers}, {target_url}, %(at)s, %(at)s, 0, '' "
        f"FROM {source} c {join} WHERE c.department_id IS NOT NULL {extra} GROUP BY c.department_id"
    )


def _sweep_postgresql(cursor: CursorWrapper, new_state: str, params: dict[str, Any], bounded: bool) -> int:
    """One statement: UPDATE … RETURNING feeds both notification INSERTs (in-app and webhook)."""
    case_table = Case._meta.db_table
    notification_table = Notification._meta.db_table
    sql = (
        f"WITH changed AS (UPDATE {case_table} c SET sla_state = %(state)s "  # noqa: S608
        f"WHERE {_conditions(new_state, with_lower_bound=bounded)} RETURNING c.id, c.number, c.department_id), "
        f"queued AS (INSERT INTO {notification_table} ({_notification_columns()}) "
        f"{_notification_select(new_state, 'changed', webhook=False)} UNION ALL "
        f"{_notification_select(new_state, 'changed', webhook=True)} RETURNING 1) "
        "SELECT (SELECT count(*) FROM changed), (SELECT count(*) FROM queued)"
    )
    cursor.execute(sql, {**params, "state": new_state})
    changed, _queued = cursor.fetchone()
    return int(changed)


def _sweep_portable(cursor: CursorWrapper, new_state: str, params: dict[str, Any], bounded: bool) -> int:
    """SQLite: notifications first, then the UPDATE, with the same condition (the write lock is held)."""
    case_table = Case._meta.db_table
    notification_table = Notification._meta.db_table
    condition = _conditions(new_state, with_lower_bound=bounded)
    for webhook in (False, True):
        cursor.execute(
            f"INSERT INTO {notification_table} ({_notification_columns()}) "
            f"{_notification_select(new_state, case_table, webhook=webhook, condition=condition)}", params)
    cursor.execute(f"UPDATE {case_table} AS c SET sla_state = %(state)s WHERE {condition}",  # noqa: S608
                   {**params, "state": new_state})
    return int(cursor.rowcount)


def case_sla_sweep(*, at: dt.datetime | None = None) -> SlaSweepResult:
    """Mark cases whose stage passed its warning share (黄灯) or its deadline (红灯); queue notices.

    Only deadlines since the previous sweep (minus a margin) are scanned, through partial indexes on
    ``stage_warn_at``/``stage_due_at``; the first sweep scans them all. Idempotent: a case is marked
    (and notified) once per light per stage; every stage change recomputes its light.
    """
    started = time.monotonic()
    at = at or clock.now()
    mark = SlaSweepMark.objects.filter(pk=1).values_list("swept_at", flat=True).first()
    bounded = mark is not None and mark < at
    params: dict[str, Any] = {"at": connection.ops.adapt_datetimefield_value(at)}
    if bounded and mark is not None:
        params["since"] = connection.ops.adapt_datetimefield_value(mark - WATERMARK_MARGIN)
    sweep = _sweep_postgresql if connection.vendor == "postgresql" else _sweep_portable
    counts: dict[str, int] = {}
    with transaction.atomic(), connection.cursor() as cursor:
        for new_state in (SlaState.OVERDUE, SlaState.WARNING):
            counts[new_state] = sweep(cursor, new_state, params, bounded)
        duration = time.monotonic() - started
        SlaSweepMark.objects.update_or_create(pk=1, defaults={"swept_at": at, "duration_seconds": duration})
        if counts[SlaState.OVERDUE] or counts[SlaState.WARNING]:

            notifications_schedule_delivery()
    logger.info("sla sweep: %d overdue, %d warned in %.3f s", counts[SlaState.OVERDUE], counts[SlaState.WARNING],
                duration)
    return SlaSweepResult(warned=counts[SlaState.WARNING], overdue=counts[SlaState.OVERDUE])
