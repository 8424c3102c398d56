"""The one function that changes a case's status: :func:`case_transition`.

One skeleton for every verb: lock the case row, authorize the actor, apply the verb
(:func:`transition_apply`: the transition table's check, then the verb's handler from
:mod:`zhili.cases.services.transition_handlers`), save the case, write the timeline events, queue
the notifications, store the attachments and append the audit record — all in one transaction.
Intake applies its automatic dispatch through the same :func:`transition_apply` to a case it has
not saved yet, and saves the rows itself in its one insert. Two people attempting the same
transition at once: the second waits for the lock, then finds the new status and gets a clear refusal.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils.translation import gettext as _

from zhili.accounts.permissions import user_can
from zhili.audit.services import audit_record_append
from zhili.cases import policy
from zhili.cases.models import AttachmentKind, Case, CaseEvent, Notification, Rating
from zhili.cases.services.attachments import attachment_files_kept_only_on_success, attachments_build
from zhili.cases.services.events import case_event_for_transition
from zhili.cases.services.notifications import notifications_save
from zhili.cases.services.transition_handlers import (
    TRANSITION_HANDLERS,
    TransitionDetails,
    TransitionStep,
    status_label,
)
from zhili.cases.states import TRANSITIONS, CaseAction
from zhili.cases.working_time import WorkingCalendar, working_calendar_current
from zhili.core import clock
from zhili.core.errors import ApplicationError, NotFoundError, PermissionDeniedError

if TYPE_CHECKING:
    from zhili.accounts.models import User

# TransitionDetails is case_transition's input: callers import both from here
__all__ = ["AFTER_PHOTO_ACTIONS", "AppliedTransition", "TransitionDetails", "case_transition", "transition_apply"]

AFTER_PHOTO_ACTIONS = frozenset({CaseAction.REPLY, CaseAction.SELF_HANDLE})
"""Photos sent with these verbs show the result (处置后); with any other, the situation."""


@dataclass
class AppliedTransition:
    """A verb applied in memory: the rows its caller saves, and the audit record's data."""

    events: list[CaseEvent] = field(default_factory=list)
    notifications: list[Notification] = field(default_factory=list)
    audit_data: dict[str, Any] = field(default_factory=dict)


def _action_label(action: str) -> str:
    return str(CaseAction(action).label)


def _refuse_unknown(action: str) -> ApplicationError:
    return ApplicationError("unknown_action", _("未知的操作「%(action)s」。") % {"action": action})


def _refuse_illegal(case: Case, action: str) -> ApplicationError:
    allowed = [_action_label(name) for name, t in TRANSITIONS.items() if case.status in t.sources]
    return ApplicationError(
        "illegal_transition",
        _("工单 %(number)s 当前状态为「%(status)s」，不能执行「%(action)s」。当前可以执行：%(allowed)s。") % {
            "number": case.number, "status": status_label(case.status), "action": _action_label(action),
            "allowed": "、".join(allowed) or _("无（已结束）"),
        },
        details={"status": case.status, "action": action},
        status_code=409,
    )


def _decided_already(case: Case, action: str) -> bool:
    """The case went through this decision before: two people of the centre raced for it (the loser is told)."""
    if action == CaseAction.RETURN_DECIDE:
        return case.return_count > 0
    return action == CaseAction.REVIEW and case.replied_at is not None


def _refuse_decided(case: Case, action: str) -> ApplicationError:
    return ApplicationError(
        "already_decided",
        _("工单 %(number)s 的「%(action)s」已由他人办理，当前状态为「%(status)s」。请刷新页面查看结果。") % {
            "number": case.number, "action": _action_label(action), "status": status_label(case.status)},
        details={"status": case.status, "action": action}, status_code=409)


def transition_apply(case: Case, *, action: str, details: TransitionDetails, actor_id: int | None,
                     actor_label: str, at: dt.datetime, calendar: WorkingCalendar,
                     actor_department_id: int | None = None) -> AppliedTransition:
    """Check ``action`` against the table and apply its handler to ``case`` in memory (no permission check).

    ``case`` is locked by the caller, or not saved yet (intake). Nothing is saved here: the caller
    saves the case and the returned events (the transition's own first) and notifications.
    """
    transition = TRANSITIONS.get(action)
    if transition is None:
        raise _refuse_unknown(action)
    if case.status not in transition.sources:
        raise _refuse_decided(case, action) if _decided_already(case, action) else _refuse_illegal(case, action)
    from_status = case.status
    if transition.target is not None:
        case.status = transition.target
    case.updated_at = at
    outcome = TRANSITION_HANDLERS[action](TransitionStep(
        case=case, action=action, details=details, from_status=from_status, actor_id=actor_id,
        actor_label=actor_label, at=at, calendar=calendar, actor_department_id=actor_department_id))
    if transition.target is not None and case.status not in {transition.target, *transition.alternative_targets}:
        raise RuntimeError(f"handler of {action} moved case {case.number} to {case.status}, outside its table row")
    event = case_event_for_transition(case=case, action=action, from_status=from_status, actor_id=actor_id,
                                      actor_label=actor_label, at=at, note=outcome.note, data=outcome.data)
    return AppliedTransition(
        events=[event, *outcome.events], notifications=outcome.notifications,
        audit_data={"number": case.number, "from": from_status, "to": case.status, "note": outcome.note[:200],
                    **outcome.data})


def _authorize(actor: User | None, action: str, case: Case, *, system: bool) -> None:
    if actor is None:
        if not system:
            raise PermissionDeniedError("login_required", _("请先登录后再办理。"))
        return
    permissions = TRANSITIONS[action].permissions
    if not any(user_can(actor, permission, case) for permission in permissions):
        raise PermissionDeniedError(
            "permission_denied",
            _("您没有权限对工单 %(number)s 执行「%(action)s」（需要该工单所在范围或部门的相应权限）。") % {
                "number": case.number, "action": _action_label(action)},
        )


def _reopen_by_rule_due(case: Case, action: str) -> bool:
    """A 不满意 follow-up reopens the case by policy, at most ``policy.reopen_limit()`` times."""
    return (action == CaseAction.FOLLOW_UP and case.rating == Rating.UNSATISFIED
            and policy.reopen_on_unsatisfied() and case.reopen_count < policy.reopen_limit()
            and case.department_id is not None)


def case_transition(*, case_id: int, action: str, actor: User | None, details: TransitionDetails | None = None,
                    actor_label: str = "", system: bool = False) -> Case:
    """Move case ``case_id`` along ``action`` and record it; returns the updated case.

    ``actor`` must hold one of the transition's permissions for this case (for a merge, for the
    master too). ``actor=None`` is only accepted with ``system=True`` (automatic policies, a citizen
    proven by tracking code). Raises :class:`ApplicationError` (409) for transitions the table does
    not allow; a refused transition leaves nothing behind, its photos included.
    """
    details = details or TransitionDetails()
    if action not in TRANSITIONS:
        raise _refuse_unknown(action)
    with attachment_files_kept_only_on_success(), transaction.atomic():
        # lock
        case = Case.objects.select_for_update().filter(pk=case_id).first()
        if case is None:
            raise NotFoundError("case_not_found", _("工单不存在或已被删除。"))
        # authorize
        _authorize(actor, action, case, system=system)
        if action == CaseAction.MERGE and actor is not None and details.master_case_id is not None:
            master = Case.objects.filter(pk=details.master_case_id).first()
            if master is not None:
                _authorize(actor, action, master, system=system)
        # apply
        at = clock.now()
        calendar = working_calendar_current()
        label = actor_label or (str(actor) if actor is not None else _("系统"))
        actor_id = actor.pk if actor is not None else None
        applied = transition_apply(case, action=action, details=details, actor_id=actor_id, actor_label=label,
                                   at=at, calendar=calendar,
                                   actor_department_id=actor.department_id if actor is not None else None)
        if _reopen_by_rule_due(case, action):
            reopened = transition_apply(
                case, action=CaseAction.REOPEN,
                details=TransitionDetails(note=_("市民不满意，按规定自动重办。")),
                actor_id=None, actor_label=_("重办规则"), at=at, calendar=calendar)
            applied.events += reopened.events
            applied.notifications += reopened.notifications
            applied.audit_data["reopened"] = True
        # save, events (the attachments linked to the transition's own), notify
        case.save()
        CaseEvent.objects.bulk_create(applied.events)
        if details.photos:
            kind = AttachmentKind.AFTER_PHOTO if action in AFTER_PHOTO_ACTIONS else AttachmentKind.PHOTO
            for attachment in attachments_build(case=case, photos=details.photos, kind=kind,
                                                uploaded_by_id=actor_id, at=at):
                attachment.event = applied.events[0]
                attachment.save(update_fields=["event"])
        notifications_save(applied.notifications)
        # audit, last
        audit_record_append(actor_id=actor_id, actor_label=label, action=f"case.{action}", object_type="case",
                            object_id=case.number, data=applied.audit_data)
    return case
