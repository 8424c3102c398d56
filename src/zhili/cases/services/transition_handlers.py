"""What each verb of the transition table does to a case: one small handler per verb.

A handler gets a :class:`TransitionStep` — the case, already moved to the row's target status
(locked by :func:`~zhili.cases.services.lifecycle.case_transition`, or not yet saved when intake
dispatches automatically), what the actor sent, who and when — changes the case in memory and
returns what the timeline event says (note, data) and what to tell whom (unsaved notifications,
further events). It never saves: the caller does, in its own transaction or single insert.

:data:`TRANSITION_HANDLERS` names the handler of every row of :data:`~zhili.cases.states.TRANSITIONS`,
exactly once (checked at import and by a test).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from zhili.cases import policy
from zhili.cases.models import Case, CaseEvent, ExtensionState, Notification, Priority, Rating, SlaState
from zhili.cases.services import sla
from zhili.cases.services.attachments import ValidatedPhoto
from zhili.cases.services.events import case_event_for_merged_in
from zhili.cases.services.notifications import notification_for_user, notifications_for_department
from zhili.cases.states import OPEN_STATUSES, TRANSITIONS, CaseAction, CaseStatus
from zhili.cases.working_time import (
    WORKING_MINUTES_PER_DAY,
    TimeLimit,
    WorkingCalendar,
    add_working_time,
    deadline_after,
    working_minutes_between,
)
from zhili.core.errors import ApplicationError
from zhili.core.personal_data import personal_text_mask
from zhili.geo.models import Department, Matter

MAX_EXTENSION_WORKING_DAYS = 30
NOTE_MAX_CHARACTERS = 2000


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


@dataclass(frozen=True)
class TransitionStep:
    """One verb being applied: the case (status already moved), the actor's input, who and when."""

    case: Case
    action: str
    details: TransitionDetails
    from_status: str
    actor_id: int | None  # None: a rule or an automatic step (auto-dispatch, reopen on 不满意)
    actor_label: str
    at: dt.datetime
    calendar: WorkingCalendar


@dataclass
class HandlerOutcome:
    """What a handler adds: the timeline event's note and data, notifications, further events."""

    note: str
    data: dict[str, Any] = field(default_factory=dict)
    notifications: list[Notification] = field(default_factory=list)
    events: list[CaseEvent] = field(default_factory=list)  # after the transition's own event


Handler = Callable[[TransitionStep], HandlerOutcome]


# -- shared pieces ----------------------------------------------------------------------------------

def status_label(status: str) -> str:
    return str(CaseStatus(status).label)


def _note_optional(details: TransitionDetails) -> str:
    return details.note.strip()[:NOTE_MAX_CHARACTERS]


def _note_required(details: TransitionDetails, what: str) -> str:
    note = details.note.strip()
    if not note:
        raise ApplicationError("note_required", _("请填写%(what)s。") % {"what": what})
    if len(note) > NOTE_MAX_CHARACTERS:
        raise ApplicationError("note_too_long", _("%(what)s不能超过 %(limit)d 字，请精简后再提交。") % {
            "what": what, "limit": NOTE_MAX_CHARACTERS})
    return note


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _counts_natural_time(case: Case) -> bool:
    return case.is_urgent or case.priority >= Priority.CRITICAL


def _stage_set(case: Case, *, start: dt.datetime | None, limit: TimeLimit | None, calendar: WorkingCalendar,
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


def _handle_warning(case: Case, calendar: WorkingCalendar) -> dt.datetime | None:
    if case.handle_due_at is None or case.dispatched_at is None:
        return None
    share = policy.sla_warning_share()
    if _counts_natural_time(case):
        return case.dispatched_at + (case.handle_due_at - case.dispatched_at) * share
    total = working_minutes_between(case.dispatched_at, case.handle_due_at, calendar)
    return add_working_time(case.dispatched_at, total * share, calendar)


def _handle_stage_set(case: Case, *, at: dt.datetime, calendar: WorkingCalendar) -> None:
    case.stage_due_at = case.handle_due_at
    case.stage_warn_at = _handle_warning(case, calendar)
    case.sla_state = sla.sla_state_at(due_at=case.stage_due_at, warn_at=case.stage_warn_at, at=at)


def _department_stage_start(case: Case, *, at: dt.datetime, calendar: WorkingCalendar) -> None:
    """The department's clocks from ``at`` (dispatch, reopen): sign-for, and handling."""
    urgent = _counts_natural_time(case)
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


def _close(case: Case, at: dt.datetime) -> None:
    case.closed_at = at
    case.stage_due_at = None
    case.stage_warn_at = None
    case.sla_state = SlaState.NORMAL


def _reporters_notified(case: Case, *, kind: str, title: str) -> list[Notification]:
    """In-app notices to the reporter and to every merged duplicate's reporter (they follow the master)."""
    user_ids = {case.reporter_user_id} if case.reporter_user_id else set()
    if case.pk is not None:
        user_ids |= set(
            Case.objects.filter(master_case_id=case.pk, reporter_user__isnull=False)
            .values_list("reporter_user_id", flat=True)
        )
    return [notification_for_user(case=case, user_id=user_id, kind=kind, title=title)
            for user_id in sorted(uid for uid in user_ids if uid is not None)]


# -- dispatch (派单 / 改派): the one place for manual, bulk and intake's automatic dispatch -----------------

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


def _matter_correct(case: Case, matter_id: int) -> None:
    matter = Matter.objects.select_related("category").filter(pk=matter_id).first()
    if matter is None:
        raise ApplicationError("matter_not_found", _("所选事项不存在，请重新选择。"))
    case.matter = matter
    case.category_id = matter.category_id
    case.is_urgent = sla.matter_is_urgent(matter)


def dispatch_apply(step: TransitionStep) -> HandlerOutcome:
    """To the chosen department (else the case's proposed one), optionally correcting the matter;
    starts the sign-for and handling clocks and notifies the department."""
    case, details = step.case, step.details
    department = _dispatch_department(case, details)
    proposed_matter_id, proposed_department_id = case.matter_id, case.department_id
    if details.matter_id is not None and details.matter_id != case.matter_id:
        _matter_correct(case, details.matter_id)
    case.department = department
    _department_stage_start(case, at=step.at, calendar=step.calendar)
    data: dict[str, Any] = {
        "department": department.code, "department_name": department.name,
        "reassigned": step.from_status == CaseStatus.RETURNED, "accept_due_at": _iso(case.accept_due_at),
        "handle_due_at": _iso(case.handle_due_at)}
    if step.actor_id is not None and step.from_status == CaseStatus.RECEIVED and (
            (proposed_department_id is not None and proposed_department_id != department.pk)
            or (proposed_matter_id is not None and case.matter_id != proposed_matter_id)):
        # a dispatcher corrected intake's proposal: a labelled example for the next training
        data.update({"corrected": True, "proposed_matter_id": proposed_matter_id,
                     "proposed_department_id": proposed_department_id})
    notifications = notifications_for_department(
        case=case, department=department, kind="dispatch",
        title=_("新工单待签收：%(number)s") % {"number": case.number},
        # 保密: the unit's own systems (webhooks) never learn who called
        body=personal_text_mask(case.title) if case.is_confidential else case.title)
    return HandlerOutcome(note=_note_optional(details), data=data, notifications=notifications)


# -- the department's verbs -------------------------------------------------------------------------

def accept_apply(step: TransitionStep) -> HandlerOutcome:
    """签收: records whether it was on time; the handling clock becomes the stage."""
    case = step.case
    case.accepted_at = step.at
    case.accepted_on_time = case.accept_due_at is None or step.at <= case.accept_due_at
    _handle_stage_set(case, at=step.at, calendar=step.calendar)
    return HandlerOutcome(note=_note_optional(step.details), data={
        "accepted_on_time": case.accepted_on_time, "handle_due_at": _iso(case.handle_due_at)})


def return_apply(step: TransitionStep) -> HandlerOutcome:
    """退回 with a reason: the department's clock stops, the command center's dispatch clock starts."""
    case = step.case
    note = _note_required(step.details, _("退回理由"))
    returning = case.department
    data = {"returned_by_department": returning.code if returning else None}
    case.return_count += 1
    case.department = None
    case.accept_due_at = None
    case.handle_due_at = None
    case.extension_state = ExtensionState.NONE
    _stage_set(case, start=step.at, limit=sla.dispatch_limit(), calendar=step.calendar, at=step.at)
    return HandlerOutcome(note=note, data=data)


def extension_request_apply(step: TransitionStep) -> HandlerOutcome:
    """申请延期: 1–30 working days with a reason; one pending request at a time."""
    case, details = step.case, step.details
    note = _note_required(details, _("延期理由"))
    days = details.extension_working_days
    if days is None or not 1 <= days <= MAX_EXTENSION_WORKING_DAYS:
        raise ApplicationError("extension_days_invalid", _("延期天数须为 1 至 %(max)d 个工作日。") % {
            "max": MAX_EXTENSION_WORKING_DAYS})
    if case.extension_state == ExtensionState.REQUESTED:
        raise ApplicationError("extension_pending", _("该工单已有待审批的延期申请，请等待指挥中心审批。"),
                               status_code=409)
    case.extension_state = ExtensionState.REQUESTED
    case.extension_requested_days = days
    return HandlerOutcome(note=note, data={"extension_working_days": days})


def extension_decide_apply(step: TransitionStep) -> HandlerOutcome:
    """审批延期: approval moves the handling deadline by the requested working days."""
    case, details, at = step.case, step.details, step.at
    if case.extension_state != ExtensionState.REQUESTED or not case.extension_requested_days:
        raise ApplicationError("no_extension_request", _("该工单没有待审批的延期申请。"), status_code=409)
    if details.approve is None:
        raise ApplicationError("decision_required", _("请选择批准或不批准。"))
    days = case.extension_requested_days
    data: dict[str, Any] = {"approved": details.approve, "extension_working_days": days,
                            "previous_handle_due_at": _iso(case.handle_due_at)}
    if details.approve:
        base = case.handle_due_at or at
        if _counts_natural_time(case):
            case.handle_due_at = base + dt.timedelta(days=days)
        else:
            case.handle_due_at = add_working_time(base, days * WORKING_MINUTES_PER_DAY, step.calendar)
        case.extension_count += 1
        case.extension_state = ExtensionState.APPROVED
        _handle_stage_set(case, at=at, calendar=step.calendar)
        data["handle_due_at"] = _iso(case.handle_due_at)
    else:
        case.extension_state = ExtensionState.DENIED
    title = _("延期申请已批准：%(number)s") if details.approve else _("延期申请未批准：%(number)s")
    notifications = notifications_for_department(case=case, department=case.department,
                                                 kind="extension_decision", title=title % {"number": case.number})
    return HandlerOutcome(note=_note_optional(details), data=data, notifications=notifications)


def supervise_apply(step: TransitionStep) -> HandlerOutcome:
    """督办: raises the priority one step (at most critical) and notifies the department."""
    case = step.case
    note = _note_required(step.details, _("督办意见"))
    case.supervision_count += 1
    case.priority = min(case.priority + 1, Priority.CRITICAL)
    notifications = notifications_for_department(case=case, department=case.department, kind="supervise",
                                                 title=_("督办：工单 %(number)s") % {"number": case.number},
                                                 body=note)
    return HandlerOutcome(note=note, data={"priority": case.priority}, notifications=notifications)


# -- finishing: reply, and the grid's own handling ------------------------------------------------

def _finish(step: TransitionStep, note: str) -> HandlerOutcome:
    """办结: the reply is stored, the follow-up clock starts, the reporters are told."""
    case, at = step.case, step.at
    case.reply_text = note
    case.status_note = personal_text_mask(note)[:300]
    case.finished_at = at
    case.handling_seconds = int((at - case.created_at).total_seconds())
    case.follow_up_due_at = deadline_after(at, sla.follow_up_limit(case.matter), step.calendar)
    _stage_set(case, start=at, limit=sla.follow_up_limit(case.matter), calendar=step.calendar, at=at)
    notifications = _reporters_notified(case, kind="finished",
                                        title=_("您反映的问题已办结：%(number)s") % {"number": case.number})
    return HandlerOutcome(note=note, data={"finished_on_time": case.finished_on_time,
                                           "follow_up_due_at": _iso(case.follow_up_due_at)},
                          notifications=notifications)


def reply_apply(step: TransitionStep) -> HandlerOutcome:
    """办结答复 by the department: on time when before the handling deadline."""
    note = _note_required(step.details, _("办理结果"))
    case = step.case
    case.finished_on_time = case.handle_due_at is None or step.at <= case.handle_due_at
    return _finish(step, note)


def self_handle_apply(step: TransitionStep) -> HandlerOutcome:
    """网格自处置: only for a matter the catalogue lets the grid close on the spot; always on time."""
    note = _note_required(step.details, _("办理结果"))
    case = step.case
    if case.matter is None:
        raise ApplicationError("self_handling_matter_required", _(
            "网格自处置需要先选择事项（只有权责清单允许网格自处置的事项才能就地办结）。"))
    if not case.matter.grid_self_handling_allowed:
        raise ApplicationError("self_handling_not_allowed", _(
            "事项「%(matter)s」不允许网格自处置，请上报由指挥中心派单。") % {"matter": case.matter.name})
    case.self_handled = True
    case.finished_on_time = True
    return _finish(step, note)


# -- after finishing ------------------------------------------------------------------------------

def follow_up_apply(step: TransitionStep) -> HandlerOutcome:
    """回访 / 评价: the rating and whether it was resolved; no clock runs afterwards."""
    case, details = step.case, step.details
    if details.rating not in Rating.values:
        raise ApplicationError("rating_required", _("请选择满意、基本满意或不满意。"))
    note = _note_optional(details)
    case.rating = details.rating
    case.resolved = details.resolved
    case.rating_comment = note
    case.followed_up_at = step.at
    _stage_set(case, start=None, limit=None, calendar=step.calendar, at=step.at)
    return HandlerOutcome(note=note, data={"rating": case.rating, "resolved": case.resolved})


def reopen_apply(step: TransitionStep) -> HandlerOutcome:
    """重办: back to the same department with fresh clocks; the finishing and the rating are cleared."""
    case = step.case
    note = _note_required(step.details, _("重办理由"))
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
    _department_stage_start(case, at=step.at, calendar=step.calendar)
    notifications = notifications_for_department(case=case, department=case.department, kind="reopen",
                                                 title=_("重办工单：%(number)s") % {"number": case.number},
                                                 body=note)
    return HandlerOutcome(note=note, data=data, notifications=notifications)


def archive_apply(step: TransitionStep) -> HandlerOutcome:
    """归档: the case is closed."""
    _close(step.case, step.at)
    return HandlerOutcome(note=_note_optional(step.details))


# -- ending an open case otherwise ------------------------------------------------------------------

def merge_apply(step: TransitionStep) -> HandlerOutcome:
    """合并 into an open (or finished) master, locked here; the master's timeline records it."""
    case, details = step.case, step.details
    master_id = details.master_case_id
    if master_id is None or master_id == case.pk:
        raise ApplicationError("master_required", _("请选择要合并到的主工单（不能是本工单）。"))
    master = Case.objects.select_for_update().filter(pk=master_id).first()
    if master is None:
        raise ApplicationError("master_not_found", _("主工单不存在，请重新选择。"))
    if master.status not in OPEN_STATUSES | {CaseStatus.FINISHED}:
        raise ApplicationError("master_closed", _("主工单 %(number)s 当前状态为「%(status)s」，不能再并入重复件。") % {
            "number": master.number, "status": status_label(master.status)})
    note = _note_optional(details)
    case.master_case = master
    _close(case, step.at)
    case.status_note = _("已合并至工单 %(number)s") % {"number": master.number}
    merged_in = case_event_for_merged_in(master=master, duplicate=case, actor_id=step.actor_id,
                                         actor_label=step.actor_label, at=step.at, note=note)
    return HandlerOutcome(note=note, data={"master_case": master.number}, events=[merged_in])


def cancel_apply(step: TransitionStep) -> HandlerOutcome:
    """撤销 with a reason: the case is closed."""
    note = _note_required(step.details, _("撤销理由"))
    _close(step.case, step.at)
    step.case.status_note = _("已撤销")
    return HandlerOutcome(note=note)


TRANSITION_HANDLERS: dict[str, Handler] = {
    CaseAction.DISPATCH: dispatch_apply,
    CaseAction.ACCEPT: accept_apply,
    CaseAction.RETURN: return_apply,
    CaseAction.EXTENSION_REQUEST: extension_request_apply,
    CaseAction.EXTENSION_DECIDE: extension_decide_apply,
    CaseAction.SUPERVISE: supervise_apply,
    CaseAction.REPLY: reply_apply,
    CaseAction.SELF_HANDLE: self_handle_apply,
    CaseAction.FOLLOW_UP: follow_up_apply,
    CaseAction.REOPEN: reopen_apply,
    CaseAction.ARCHIVE: archive_apply,
    CaseAction.MERGE: merge_apply,
    CaseAction.CANCEL: cancel_apply,
}
"""The handler of each row of the transition table, by verb."""

if set(TRANSITION_HANDLERS) != set(TRANSITIONS):
    raise RuntimeError("every transition of cases.states.TRANSITIONS needs exactly one handler, and only those: "
                       f"missing {sorted(set(TRANSITIONS) - set(TRANSITION_HANDLERS))}, "
                       f"unknown {sorted(set(TRANSITION_HANDLERS) - set(TRANSITIONS))}")
