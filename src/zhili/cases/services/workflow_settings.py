"""The centre's dispatch and handling rules (``WorkflowSettings``), read cached and changed with a record.

Intake reads the rules on every case (its dispatch limit), so they are cached per process for
:data:`CACHE_SECONDS`; a change clears this process's cache at once and the others' within that time.
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING

from django.db import transaction

from zhili.audit.services import audit_record_append
from zhili.cases.models import AppealType, WorkflowSettings
from zhili.cases.rules.workflow import DispatchClass, WorkflowRules
from zhili.core import clock

if TYPE_CHECKING:
    from zhili.accounts.models import User

CACHE_SECONDS = 30.0
_cache_lock = threading.Lock()
_cached: tuple[float, WorkflowRules] | None = None

_HANDLE_FIELDS = {
    AppealType.CONSULTATION: "consultation_handle_days", AppealType.HELP: "help_handle_days",
    AppealType.COMPLAINT: "complaint_handle_days", AppealType.REPORT: "report_handle_days",
    AppealType.SUGGESTION: "suggestion_handle_days", AppealType.PRAISE: "praise_handle_days",
}
_DISPATCH_FIELDS = {
    DispatchClass.EMERGENCY: "dispatch_emergency_hours", DispatchClass.URGENT: "dispatch_urgent_hours",
    DispatchClass.GENERAL: "dispatch_general_hours",
}


def workflow_rules_from(row: WorkflowSettings | None) -> WorkflowRules:
    """The rules of the settings row (the norms' defaults when the centre never saved one)."""
    if row is None:
        return WorkflowRules()
    return WorkflowRules(
        handle_days_by_appeal_type={key: max(1, getattr(row, name)) for key, name in _HANDLE_FIELDS.items()},
        dispatch_hours_by_class={key: max(1, getattr(row, name)) for key, name in _DISPATCH_FIELDS.items()},
        return_limit_per_unit=row.return_limit_per_unit, review_limit_days=max(1, row.review_limit_days),
        review_category_ids=frozenset(row.review_categories.values_list("pk", flat=True)),
    )


def workflow_rules_current() -> WorkflowRules:
    """The rules in force (cached per process for :data:`CACHE_SECONDS`)."""
    global _cached
    with _cache_lock:
        if _cached is not None and time.monotonic() - _cached[0] < CACHE_SECONDS:
            return _cached[1]
    rules = workflow_rules_from(WorkflowSettings.objects.filter(pk=1).first())
    with _cache_lock:
        _cached = (time.monotonic(), rules)
    return rules


def workflow_rules_cache_clear() -> None:
    global _cached
    with _cache_lock:
        _cached = None


def workflow_settings_recorded(*, row: WorkflowSettings, actor: User | None) -> None:
    """Record a change of the settings row (already saved by the admin form): audit, and a fresh cache.

    Runs inside the admin's transaction; the audit record is its last write.
    """
    rules = workflow_rules_from(row)
    audit_record_append(
        actor_id=actor.pk if actor is not None else None, action="cases.workflow_settings", object_type="settings",
        object_id="workflow", data={
            "handle_days": {str(key): value for key, value in rules.handle_days_by_appeal_type.items()},
            "dispatch_hours": {str(key): value for key, value in rules.dispatch_hours_by_class.items()},
            "return_limit_per_unit": rules.return_limit_per_unit, "review_limit_days": rules.review_limit_days,
            "review_category_ids": sorted(rules.review_category_ids)})
    transaction.on_commit(workflow_rules_cache_clear)
    workflow_rules_cache_clear()


def workflow_settings_save(*, actor: User | None, review_category_ids: list[int] | None = None,
                           **values: int) -> WorkflowSettings:
    """Set some of the numbers (field names of ``WorkflowSettings``) and, when given, the review categories."""
    with transaction.atomic():
        row, _created = WorkflowSettings.objects.select_for_update().get_or_create(pk=1)
        for name, value in values.items():
            if name not in {f.name for f in WorkflowSettings._meta.concrete_fields} or name in ("id", "updated_at"):
                raise ValueError(f"unknown workflow setting {name}")
            setattr(row, name, value)
        row.updated_at = clock.now()
        row.save()
        if review_category_ids is not None:
            row.review_categories.set(review_category_ids)
        workflow_settings_recorded(row=row, actor=actor)
    return row
