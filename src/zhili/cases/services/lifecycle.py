"""The one function that changes a case's status: :func:`case_transition`.

It locks the case row, checks the transition table and the actor's permission, applies the
change (:func:`transition_apply`, also used by intake for auto-dispatch of a not-yet-saved case),
writes the timeline event, queues notifications and appends the audit record — all in one
transaction. Two people attempting the same transition at once: the second waits for the lock,
then finds the new status and gets a clear refusal.
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
from zhili.cases.models import (
    AttachmentKind,
    Case,
    CaseEvent,
    ExtensionState,
    Notification,
    Priority,
    Rating,
    SlaState,
)
from zhili.cases.services import sla
from zhili.cases.services.attachments import (
    ValidatedPhoto,
    attachment_files_kept_only_on_success,
    attachments_build,
)
from zhili.cases.services.notifications import (
    notification_for_user,
    notifications_for_department,
    notifications_save,
)
from zhili.cases.states import OPEN_STATUSES, TRANSITIONS, CaseAction, CaseStatus
from zhili.cases.working_time import (
    WORKING_MINUTES_PER_DAY,
    TimeLimit,
    WorkingCalendar,
    add_working_time,
    deadline_after,
    working_calendar_current,
    working_minutes_between,
)
from zhili.core import clock
from zhili.core.errors import ApplicationError, NotFoundError, PermissionDeniedError
from zhili.core.personal_data import personal_text_mask
from zhili.geo.models import Department, Matter

if TYPE_CHECKING:
    from zhili.accounts.models import User

MAX_EXTENSION_WORKING_DAYS = 30
NOTE_MAX_CHARACTERS = 2000


AFTER_PHOTO_ACTIONS = frozenset({CaseAction.REPLY, CaseAction.SELF_HANDLE})
"""Photos sent with these verbs show the result (处置后); with any other, the situation."""


@dataclass(frozen=True)
class TransitionDetails:
    """What a transition needs besides the case: only the fields its action reads are used."""

    note: str = ""
    department_id: int | None = None  # dispatch / reassign
    matter_id: int | None = None  # dispatch may correct the matter
    extension_working_days: int | None = None  # extension request
    approve: bool | None = None  # extension decision
    rating: str = ""  # follow-up
    resolved: bool | None = None  # follow-up
    master_case_id: int | None = None  # merge
    photos: tuple[ValidatedPhoto, ...] = ()  # stored with the transition, inside its transaction


@dataclass
class AppliedTransition:
    events: list[CaseEvent] = field(default_factory=list)
    notifications: list[Notification] = field(default_factory=list)
    audit_data: dict[str, Any] = field(default_factory=dict)


def _status_label(status: str) -> str:
    return str(CaseStatus(status).label)


def _action_label(action: str) -> str:
    return str(CaseAction(action).label)


def _refuse_illegal(case: Case, action: str) -> ApplicationError:
    allowed = [_action_label(name) for name, t in TRANSITIONS.items() if case.status in t.sources]
    return ApplicationError(
        "illegal_transition",
        _("工单 %(number)s 当前状态为「%(status)s」，不能执行「%(action)s」。当前可以执行：%(allowed)s。") % {
            "number": case.number, "status": _status_label(case.status), "action": _action_label(action),
            "allowed": "、".join(allowed) or _("无（已结束）"),
        },
        details={"status": case.status, "action": action},
        status_code=409,
    )


def _require_note(details: TransitionDetails, what: str) -> str:
    note = details.note.strip()
    if not note:
        raise ApplicationError("note_required", _("请填写%(what)s。") % {"what": what})
    if len(note) > NOTE_MAX_CHARACTERS:
        raise ApplicationError("note_too_long", _("%(what)s不能超过 %(limit)d 字，请精简后再提交。") % {
            "what": what, "limit": NOTE_MAX_CHARACTERS})
    return note


def _set_stage(case: Case, *, start: dt.datetime | None, limit: TimeLimit | None, calendar: WorkingCalendar,
               at: dt.datetime) -> None:
    if start is None or limit is None:
        case.stage_due_at = None
        case.stage_warn_at = None
        case.sla_state = SlaState.NORMAL
        return
    deadline = sla.stage_deadline(start, limit, calendar)
    case.stage_due_at = deadline.due_at
    case.stage_warn_at = deadline.warn_at
    case.sla_state = sla.sla_state_at(due_at=deadline.due_at, warn_at=deadline.warn_at, at=at)


def _event(case: Case, action: str, *, from_status: str, actor_id: int | None, actor_label: str, at: dt.datetime,
           note: str = "", data: dict[str, Any] | None = None) -> CaseEvent:
    return CaseEvent(case=case, action=action, from_status=from_status, to_status=case.status, actor_id=actor_id,
                     actor_label=actor_label, department_id=case.department_id, note=note, data=data or {},
                     occurred_at=at)


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _dispatch_department(case: Case, details: TransitionDetails) -> Department:
    department_id = details.department_id or case.department_id
    if department_id is None:
        raise ApplicationError("department_required", _("请选择承办部门后再派单。"))
    department: Department | None = case.department if case.department_id == department_id else None
    if department is None:
        department = Department.objects.filter(pk=department_id).first()
    if department is None:
        raise ApplicationError("department_not_found", _("承办部门不存在，请重新选择。"))
    if not department.is_active:
        raise ApplicationError("department_inactive", _("部门「%(name)s」已停用，请改派其他部门。") % {
            "name": department.name})
    return department


def _start_dispatch_stage(case: Case, *, at: dt.datetime, calendar: WorkingCalendar) -> None:
    urgent = case.is_urgent or case.priority >= Priority.CRITICAL
    case.dispatched_at = at
    case.accepted_at = None
    case.accepted_on_time = None
    accept = sla.stage_deadline(at, sla.accept_limit(case.matter, urgent=urgent), calendar)
    case.accept_due_at = accept.due_at
    case.handle_due_at = deadline_after(at, sla.handle_limit(case.matter, urgent=urgent), calendar)
    case.extension_state = ExtensionState.NONE
    case.extension_requested_days = None
    case.stage_due_at = accept.due_at
    case.stage_warn_at = accept.warn_at
    case.sla_state = sla.sla_state_at(due_at=accept.due_at, warn_at=accept.warn_at, at=at)


def _handle_warning(case: Case, calendar: WorkingCalendar) -> dt.datetime | None:
    if case.handle_due_at is None or case.dispatched_at is None:
        return None
    share = policy.sla_warning_share()
    if case.is_urgent or case.priority >= Priority.CRITICAL:
        return case.dispatched_at + (case.handle_due_at - case.dispatched_at) * share
    total = working_minutes_between(case.dispatched_at, case.handle_due_at, calendar)
    return add_working_time(case.dispatched_at, total * share, calendar)


def _finish(case: Case, *, at: dt.datetime, calendar: WorkingCalendar) -> None:
    case.finished_at = at
    case.handling_seconds = int((at - case.created_at).total_seconds())
    case.follow_up_due_at = deadline_after(at, sla.follow_up_limit(case.matter), calendar)
    _set_stage(case, start=at, limit=sla.follow_up_limit(case.matter), calendar=calendar, at=at)


def _close(case: Case, at: dt.datetime) -> None:
    case.closed_at = at
    case.stage_due_at = None
    case.stage_warn_at = None
    case.sla_state = SlaState.NORMAL


def _notify_reporters(case: Case, *, kind: str, title: str) -> list[Notification]:
    """In-app notices to the reporter and to every merged duplicate's reporter (they follow the master)."""
    user_ids = {case.reporter_user_id} if case.reporter_user_id else set()
    if case.pk is not None:
        user_ids |= set(
            Case.objects.filter(master_case_id=case.pk, reporter_user__isnull=False)
            .values_list("reporter_user_id", flat=True)
        )
    return [notification_for_user(case=case, user_id=user_id, kind=kind, title=title)
            for user_id in sorted(uid for uid in user_ids if uid is not None)]


def transition_apply(case: Case, *, action: str, details: TransitionDetails, actor_id: int | None,
                     actor_label: str, at: dt.datetime, calendar: WorkingCalendar) -> AppliedTransition:
    """Check ``action`` against the table and apply it to ``case`` in memory (no permission check).

    The caller saves the case and the returned events/notifications in its transaction.
    """
    transition = TRANSITIONS.get(action)
    if transition is None:
        raise ApplicationError("unknown_action", _("未知的操作「%(action)s」。") % {"action": action})
    if case.status not in transition.sources:
        raise _refuse_illegal(case, action)
    from_status = case.status
    if transition.target is not None:
        case.status = transition.target
    case.updated_at = at
    applied = AppliedTransition()
    data: dict[str, Any] = {}
    note = details.note.strip()[:NOTE_MAX_CHARACTERS]

    if action == CaseAction.DISPATCH:
        department = _dispatch_department(case, details)
        proposed_matter_id, proposed_department_id = case.matter_id, case.department_id
        if details.matter_id is not None and details.matter_id != case.matter_id:
            matter = Matter.objects.select_related("category").filter(pk=details.matter_id).first()
            if matter is None:
                raise ApplicationError("matter_not_found", _("所选事项不存在，请重新选择。"))
            case.matter = matter
            case.category_id = matter.category_id
            case.is_urgent = sla.matter_is_urgent(matter)
        case.department = department
        _start_dispatch_stage(case, at=at, calendar=calendar)
        data = {"department": department.code, "department_name": department.name,
                "reassigned": from_status == CaseStatus.RETURNED, "accept_due_at": _iso(case.accept_due_at),
                "handle_due_at": _iso(case.handle_due_at)}
        if actor_id is not None and from_status == CaseStatus.RECEIVED and (
                (proposed_department_id is not None and proposed_department_id != department.pk)
                or (proposed_matter_id is not None and case.matter_id != proposed_matter_id)):
            # a dispatcher corrected intake's proposal: a labelled example for the next training
            data.update({"corrected": True, "proposed_matter_id": proposed_matter_id,
                         "proposed_department_id": proposed_department_id})
        applied.notifications += notifications_for_department(
            case=case, department=department, kind="dispatch",
            title=_("新工单待签收：%(number)s") % {"number": case.number},
            # 保密: the unit's own systems (webhooks) never learn who called
            body=personal_text_mask(case.title) if case.is_confidential else case.title)
    elif action == CaseAction.ACCEPT:
        case.accepted_at = at
        case.accepted_on_time = case.accept_due_at is None or at <= case.accept_due_at
        case.stage_due_at = case.handle_due_at
        case.stage_warn_at = _handle_warning(case, calendar)
        case.sla_state = sla.sla_state_at(due_at=case.stage_due_at, warn_at=case.stage_warn_at, at=at)
        data = {"accepted_on_time": case.accepted_on_time, "handle_due_at": _iso(case.handle_due_at)}
    elif action == CaseAction.RETURN:
        note = _require_note(details, _("退回理由"))
        returning = case.department
        data = {"returned_by_department": returning.code if returning else None}
        case.return_count += 1
        # the returning department's clock stops; the command center's dispatch clock starts
        case.department = None
        case.accept_due_at = None
        case.handle_due_at = None
        case.extension_state = ExtensionState.NONE
        _set_stage(case, start=at, limit=sla.dispatch_limit(), calendar=calendar, at=at)
    elif action == CaseAction.EXTENSION_REQUEST:
        note = _require_note(details, _("延期理由"))
        days = details.extension_working_days
        if days is None or not 1 <= days <= MAX_EXTENSION_WORKING_DAYS:
            raise ApplicationError("extension_days_invalid", _("延期天数须为 1 至 %(max)d 个工作日。") % {
                "max": MAX_EXTENSION_WORKING_DAYS})
        if case.extension_state == ExtensionState.REQUESTED:
            raise ApplicationError("extension_pending", _("该工单已有待审批的延期申请，请等待指挥中心审批。"),
                                   status_code=409)
        case.extension_state = ExtensionState.REQUESTED
        case.extension_requested_days = days
        data = {"extension_working_days": days}
    elif action == CaseAction.EXTENSION_DECIDE:
        if case.extension_state != ExtensionState.REQUESTED or not case.extension_requested_days:
            raise ApplicationError("no_extension_request", _("该工单没有待审批的延期申请。"), status_code=409)
        if details.approve is None:
            raise ApplicationError("decision_required", _("请选择批准或不批准。"))
        days = case.extension_requested_days
        data = {"approved": details.approve, "extension_working_days": days,
                "previous_handle_due_at": _iso(case.handle_due_at)}
        if details.approve:
            base = case.handle_due_at or at
            if case.is_urgent or case.priority >= Priority.CRITICAL:
                case.handle_due_at = base + dt.timedelta(days=days)
            else:
                case.handle_due_at = add_working_time(base, days * WORKING_MINUTES_PER_DAY, calendar)
            case.extension_count += 1
            case.extension_state = ExtensionState.APPROVED
            case.stage_due_at = case.handle_due_at
            case.stage_warn_at = _handle_warning(case, calendar)
            case.sla_state = sla.sla_state_at(due_at=case.stage_due_at, warn_at=case.stage_warn_at, at=at)
            data["handle_due_at"] = _iso(case.handle_due_at)
        else:
            case.extension_state = ExtensionState.DENIED
        applied.notifications += notifications_for_department(
            case=case, department=case.department, kind="extension_decision",
            title=(_("延期申请已批准：%(number)s") if details.approve else _("延期申请未批准：%(number)s")) % {
                "number": case.number})
    elif action == CaseAction.SUPERVISE:
        note = _require_note(details, _("督办意见"))
        case.supervision_count += 1
        case.priority = min(case.priority + 1, Priority.CRITICAL)
        data = {"priority": case.priority}
        applied.notifications += notifications_for_department(
            case=case, department=case.department, kind="supervise",
            title=_("督办：工单 %(number)s") % {"number": case.number}, body=note)
    elif action in (CaseAction.REPLY, CaseAction.SELF_HANDLE):
        note = _require_note(details, _("办理结果"))
        if action == CaseAction.SELF_HANDLE:
            if case.matter is None:
                raise ApplicationError("self_handling_matter_required", _(
                    "网格自处置需要先选择事项（只有权责清单允许网格自处置的事项才能就地办结）。"))
            if not case.matter.grid_self_handling_allowed:
                raise ApplicationError("self_handling_not_allowed", _(
                    "事项「%(matter)s」不允许网格自处置，请上报由指挥中心派单。") % {"matter": case.matter.name})
            case.self_handled = True
            case.finished_on_time = True
        else:
            case.finished_on_time = case.handle_due_at is None or at <= case.handle_due_at
        case.reply_text = note
        case.status_note = personal_text_mask(note)[:300]
        _finish(case, at=at, calendar=calendar)
        data = {"finished_on_time": case.finished_on_time, "follow_up_due_at": _iso(case.follow_up_due_at)}
        applied.notifications += _notify_reporters(
            case, kind="finished", title=_("您反映的问题已办结：%(number)s") % {"number": case.number})
    elif action == CaseAction.FOLLOW_UP:
        if details.rating not in Rating.values:
            raise ApplicationError("rating_required", _("请选择满意、基本满意或不满意。"))
        case.rating = details.rating
        case.resolved = details.resolved
        case.rating_comment = note
        case.followed_up_at = at
        _set_stage(case, start=None, limit=None, calendar=calendar, at=at)
        data = {"rating": case.rating, "resolved": case.resolved}
    elif action == CaseAction.REOPEN:
        note = _require_note(details, _("重办理由"))
        if case.department_id is None:
            raise ApplicationError("department_required", _("该工单没有承办部门，无法重办，请重新派单。"))
        data = {"previous_rating": case.rating, "reopen_count": case.reopen_count + 1}
        case.reopen_count += 1
        case.finished_at = None
        case.finished_on_time = None
        case.handling_seconds = None
        case.follow_up_due_at = None
        case.followed_up_at = None
        case.rating = ""
        case.resolved = None
        _start_dispatch_stage(case, at=at, calendar=calendar)
        applied.notifications += notifications_for_department(
            case=case, department=case.department, kind="reopen",
            title=_("重办工单：%(number)s") % {"number": case.number}, body=note)
    elif action == CaseAction.ARCHIVE:
        _close(case, at)
    elif action == CaseAction.MERGE:
        master_id = details.master_case_id
        if master_id is None or master_id == case.pk:
            raise ApplicationError("master_required", _("请选择要合并到的主工单（不能是本工单）。"))
        master = Case.objects.select_for_update().filter(pk=master_id).first()
        if master is None:
            raise ApplicationError("master_not_found", _("主工单不存在，请重新选择。"))
        if master.status not in OPEN_STATUSES | {CaseStatus.FINISHED}:
            raise ApplicationError("master_closed", _("主工单 %(number)s 当前状态为「%(status)s」，不能再并入重复件。") % {
                "number": master.number, "status": _status_label(master.status)})
        case.master_case = master
        _close(case, at)
        case.status_note = _("已合并至工单 %(number)s") % {"number": master.number}
        data = {"master_case": master.number}
        applied.events.append(CaseEvent(
            case=master, action=CaseAction.MERGED_IN, from_status=master.status, to_status=master.status,
            actor_id=actor_id, actor_label=actor_label, department_id=master.department_id, note=note,
            data={"duplicate_case": case.number}, occurred_at=at))
    elif action == CaseAction.CANCEL:
        note = _require_note(details, _("撤销理由"))
        _close(case, at)
        case.status_note = _("已撤销")
    applied.events.insert(0, _event(case, action, from_status=from_status, actor_id=actor_id,
                                    actor_label=actor_label, at=at, note=note, data=data))
    applied.audit_data = {"number": case.number, "from": from_status, "to": case.status, "note": note[:200], **data}
    return applied


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


def case_transition(*, case_id: int, action: str, actor: User | None, details: TransitionDetails | None = None,
                    actor_label: str = "", system: bool = False) -> Case:
    """Move case ``case_id`` along ``action`` and record it; returns the updated case.

    ``actor`` must hold one of the transition's permissions for this case. ``actor=None`` is
    only accepted with ``system=True`` (automatic policies, a citizen proven by tracking code).
    Raises :class:`ApplicationError` (409) for transitions the table does not allow.
    """
    details = details or TransitionDetails()
    if action not in TRANSITIONS:
        raise ApplicationError("unknown_action", _("未知的操作「%(action)s」。") % {"action": action})
    with attachment_files_kept_only_on_success(), transaction.atomic():
        case = Case.objects.select_for_update().filter(pk=case_id).first()
        if case is None:
            raise NotFoundError("case_not_found", _("工单不存在或已被删除。"))
        _authorize(actor, action, case, system=system)
        if action == CaseAction.MERGE and actor is not None and details.master_case_id is not None:
            master = Case.objects.filter(pk=details.master_case_id).first()
            if master is not None:
                _authorize(actor, action, master, system=system)
        at = clock.now()
        calendar = working_calendar_current()
        label = actor_label or (str(actor) if actor is not None else _("系统"))
        actor_id = actor.pk if actor is not None else None
        applied = transition_apply(case, action=action, details=details, actor_id=actor_id, actor_label=label,
                                   at=at, calendar=calendar)
        if (action == CaseAction.FOLLOW_UP and case.rating == Rating.UNSATISFIED
                and policy.reopen_on_unsatisfied() and case.reopen_count < policy.reopen_limit()
                and case.department_id is not None):
            reopened = transition_apply(
                case, action=CaseAction.REOPEN,
                details=TransitionDetails(note=_("市民不满意，按规定自动重办。")),
                actor_id=None, actor_label=_("重办规则"), at=at, calendar=calendar)
            applied.events += reopened.events
            applied.notifications += reopened.notifications
            applied.audit_data["reopened"] = True
        case.save()
        CaseEvent.objects.bulk_create(applied.events)
        if details.photos:
            kind = AttachmentKind.AFTER_PHOTO if action in AFTER_PHOTO_ACTIONS else AttachmentKind.PHOTO
            for attachment in attachments_build(case=case, photos=details.photos, kind=kind,
                                                uploaded_by_id=actor_id, at=at):
                attachment.event = applied.events[0]
                attachment.save(update_fields=["event"])
        notifications_save(applied.notifications)
        audit_record_append(actor_id=actor_id, actor_label=label, action=f"case.{action}", object_type="case",
                            object_id=case.number, data=applied.audit_data)
    return case
