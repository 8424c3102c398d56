"""Keeping the working calendar: an administrator enters a year's official schedule by hand."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.db import transaction

from zhili.accounts.permissions import Action, require
from zhili.audit.services import audit_record_append
from zhili.cases.models import WorkingCalendarOverride
from zhili.cases.working_time import working_calendar_cache_clear

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
