"""The dispatch and handling rules of the 12345 norms, as pure functions of a :class:`WorkflowRules`.

The centre edits the numbers (the ``WorkflowSettings`` row, admin "工单办理规则"); these functions
only read them, so every limit is a pure function of (rules, case facts) and the working calendar.
Where each default comes from: docs/cases.md, "Appeal types, dispatch limits, returns, review".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from zhili.cases.models import AppealType, Priority
from zhili.cases.working_time import TimeLimit
from zhili.geo.models import Urgency


class DispatchClass(StrEnum):
    """北京市接诉即办: how fast the centre must dispatch, by how urgent the matter is."""

    EMERGENCY = "emergency"  # 紧急诉求 (danger to life or property): 1 hour
    URGENT = "urgent"  # 水电气热 outages, extreme weather and other urgent matters: 2 hours
    GENERAL = "general"  # everything else: 24 hours


@dataclass(frozen=True)
class WorkflowRules:
    """The numbers a centre may change; the defaults are the norms' (Guangdong handling, Beijing dispatch)."""

    handle_days_by_appeal_type: dict[str, int] = field(default_factory=lambda: {
        AppealType.CONSULTATION: 2, AppealType.HELP: 10, AppealType.COMPLAINT: 15, AppealType.REPORT: 15,
        AppealType.SUGGESTION: 10, AppealType.PRAISE: 5})
    dispatch_hours_by_class: dict[str, int] = field(default_factory=lambda: {
        DispatchClass.EMERGENCY: 1, DispatchClass.URGENT: 2, DispatchClass.GENERAL: 24})
    return_limit_per_unit: int = 2
    review_limit_days: int = 1
    review_category_ids: frozenset[int] = frozenset()


def dispatch_class_for(*, matter_urgency: str | None, priority: int) -> DispatchClass:
    """Emergency: a 特急 matter or a critical priority (danger words); urgent: a 紧急 matter or a high priority."""
    if matter_urgency == Urgency.EMERGENCY or priority >= Priority.CRITICAL:
        return DispatchClass.EMERGENCY
    if matter_urgency == Urgency.URGENT or priority >= Priority.HIGH:
        return DispatchClass.URGENT
    return DispatchClass.GENERAL


def dispatch_limit_for(rules: WorkflowRules, *, matter_urgency: str | None, priority: int) -> TimeLimit:
    """The centre's dispatch limit, in natural hours (the centre answers around the clock)."""
    dispatch_class = dispatch_class_for(matter_urgency=matter_urgency, priority=priority)
    return TimeLimit.natural_hours(rules.dispatch_hours_by_class[dispatch_class])


def handle_days_for(rules: WorkflowRules, *, matter_days: int, appeal_type: str) -> int:
    """Working days a unit has to handle a case: its appeal type's limit, else its matter's (权责清单).

    The provincial rules give each type its limit whatever the matter; a case nobody typed keeps the
    catalogue's limit. (Urgent matters count natural hours instead and never reach this.)
    """
    type_days = rules.handle_days_by_appeal_type.get(appeal_type) if appeal_type else None
    return matter_days if type_days is None else type_days


def review_required_for(rules: WorkflowRules, *, category_id: int | None) -> bool:
    """A reply to a case of this category goes to the centre for review (审核) before it is finished."""
    return category_id is not None and category_id in rules.review_category_ids
