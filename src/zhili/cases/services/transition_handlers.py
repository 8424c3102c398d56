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
from zhili.cases.rules.workflow import review_required_for
from zhili.cases.services import sla
from zhili.cases.services.attachments import ValidatedPhoto
from zhili.cases.services.events import case_event_for_merged_in
from zhili.cases.services.notifications import notification_for_user, notifications_for_department
from zhili.cases.services.workflow_settings import workflow_rules_current
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
    return_matter_id: int | None = None  # return: the catalogue entry (权责清单) that puts it elsewhere
    return_basis: str = ""  # return: the rule in words (a regulation, a document's clause)
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
    actor_department_id: int | None = None  # the actor's own unit (the unit that replied cannot review)


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
    case.handle_due_at = deadline_after(at, sla.handle_limit(case.matter, urgent=urgent, appeal_type=case.appeal_type),
                                       calendar)
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


def _dispatch_to(step: TransitionStep, department: Department) -> tuple[dict[str, Any], list[Notification]]:
    """The case goes to ``department`` with fresh sign-for and handling clocks; the department is told."""
    case = step.case
    case.department = department
    case.returned_by_department = None
    _department_stage_start(case, at=step.at, calendar=step.calendar)
    data: dict[str, Any] = {
        "department": department.code, "department_name": department.name,
        "reassigned": step.from_status != CaseStatus.RECEIVED, "accept_due_at": _iso(case.accept_due_at),
        "handle_due_at": _iso(case.handle_due_at)}
    notifications = notifications_for_department(
        case=case, department=department, kind="dispatch",
        title=_("新工单待签收：%(number)s") % {"number": case.number},
        # 保密: the unit's own systems (webhooks) never learn who called
        body=personal_text_mask(case.title) if case.is_confidential else case.title)
    return data, notifications


def dispatch_apply(step: TransitionStep) -> HandlerOutcome:
    """To the chosen department (else the case's proposed one), optionally correcting the matter;
    starts the sign-for and handling clocks and notifies the department."""
    case, details = step.case, step.details
    department = _dispatch_department(case, details)
    proposed_matter_id, proposed_department_id = case.matter_id, case.department_id
    if details.matter_id is not None and details.matter_id != case.matter_id:
        _matter_correct(case, details.matter_id)
    data, notifications = _dispatch_to(step, department)
    if step.actor_id is not None and step.from_status == CaseStatus.RECEIVED and (
            (proposed_department_id is not None and proposed_department_id != department.pk)
            or (proposed_matter_id is not None and case.matter_id != proposed_matter_id)):
        # a dispatcher corrected intake's proposal: a labelled example for the next training
        data.update({"corrected": True, "proposed_matter_id": proposed_matter_id,
                     "proposed_department_id": proposed_department_id})
    return HandlerOutcome(note=_note_optional(details), data=data, notifications=notifications)


def _other_department(step: TransitionStep, *, current_id: int | None, what: str) -> Department:
    """The department a case is sent to instead of ``current_id`` (改派, an upheld return)."""
    if step.details.department_id is None:
        raise ApplicationError("department_required", _("请选择%(what)s的承办部门。") % {"what": what})
    department = _dispatch_department(step.case, step.details)
    if department.pk == current_id:
        raise ApplicationError("same_department", _(
            "「%(name)s」就是原承办单位，请选择另一个承办部门。") % {"name": department.name})
    return department


def withdraw_apply(step: TransitionStep) -> HandlerOutcome:
    """撤回 before the unit signs for it, with a reason: back to the triage queue, the unit is told."""
    case = step.case
    note = _note_required(step.details, _("撤回理由"))
    withdrawn_from = case.department
    notifications = notifications_for_department(
        case=case, department=withdrawn_from, kind="withdraw",
        title=_("工单已被指挥中心撤回：%(number)s") % {"number": case.number}, body=note)
    case.dispatched_at = None
    case.accept_due_at = None
    case.handle_due_at = None
    case.status_note = _("已撤回：%(reason)s") % {"reason": personal_text_mask(note)[:280]}
    _stage_set(case, start=step.at, limit=sla.dispatch_limit(matter=case.matter, priority=case.priority),
               calendar=step.calendar, at=step.at)
    return HandlerOutcome(note=note, data={"withdrawn_from_department": withdrawn_from.code if withdrawn_from else None},
                          notifications=notifications)


def reassign_apply(step: TransitionStep) -> HandlerOutcome:
    """改派 before the unit signs for it, with a reason: to another unit with fresh clocks; both are told."""
    case = step.case
    note = _note_required(step.details, _("改派理由"))
    previous = case.department
    department = _other_department(step, current_id=case.department_id, what=_("改派"))
    notifications = notifications_for_department(
        case=case, department=previous, kind="withdraw",
        title=_("工单已改派其他单位：%(number)s") % {"number": case.number}, body=note)
    data, dispatched = _dispatch_to(step, department)
    data["previous_department"] = previous.code if previous else None
    return HandlerOutcome(note=note, data=data, notifications=notifications + dispatched)


# -- the department's verbs -------------------------------------------------------------------------

def accept_apply(step: TransitionStep) -> HandlerOutcome:
    """签收: records whether it was on time; the handling clock becomes the stage."""
    case = step.case
    case.accepted_at = step.at
    case.accepted_on_time = case.accept_due_at is None or step.at <= case.accept_due_at
    _handle_stage_set(case, at=step.at, calendar=step.calendar)
    return HandlerOutcome(note=_note_optional(step.details), data={
        "accepted_on_time": case.accepted_on_time, "handle_due_at": _iso(case.handle_due_at)})


def _return_basis(step: TransitionStep) -> tuple[str, dict[str, Any]]:
    """The rule a return cites: a catalogue entry (权责清单) or the rule in words; one of them is required."""
    details = step.details
    basis = details.return_basis.strip()[:500]
    data: dict[str, Any] = {}
    if details.return_matter_id is not None:
        matter = Matter.objects.select_related("department").filter(pk=details.return_matter_id).first()
        if matter is None:
            raise ApplicationError("return_matter_not_found", _("所引用的权责清单事项不存在，请重新选择。"))
        data.update({"return_matter": matter.code, "return_matter_department": matter.department.code
                     if matter.department else None})
        cited = _("权责清单「%(code)s %(name)s」（%(department)s）") % {
            "code": matter.code, "name": matter.name,
            "department": matter.department.name if matter.department else _("未指定部门")}
        basis = f"{cited}；{basis}" if basis else cited
    if not basis:
        raise ApplicationError("return_basis_required", _(
            "退回须注明依据：请选择权责清单中该事项所属的条目，或填写不属于本单位职责的法规、文件依据。"))
    data["return_basis"] = basis
    return basis, data


def return_apply(step: TransitionStep) -> HandlerOutcome:
    """退回 with a reason and the rule it cites, at most ``return_limit_per_unit`` times per unit.

    The unit's clocks are kept (a rejected return goes back with them running); the centre's decision
    clock (审定) becomes the stage.
    """
    case = step.case
    note = _note_required(step.details, _("退回理由"))
    basis, data = _return_basis(step)
    returning = case.department
    if returning is not None and case.pk is not None:
        limit = workflow_rules_current().return_limit_per_unit
        earlier = CaseEvent.objects.filter(case_id=case.pk, action=CaseAction.RETURN,
                                           data__returned_by_department_id=returning.pk).count()
        if earlier >= limit:
            raise ApplicationError("return_limit_reached", _(
                "「%(department)s」已退回该工单 %(count)d 次，达到上限（每个单位最多 %(limit)d 次），不能再退回。"
                "请按指挥中心的审定意见办理；确有争议请联系指挥中心协调。") % {
                    "department": returning.name, "count": earlier, "limit": limit}, status_code=409)
    data.update({"returned_by_department": returning.code if returning else None,
                 "returned_by_department_id": returning.pk if returning else None,
                 "was_accepted": case.accepted_at is not None})
    case.return_count += 1
    case.returned_by_department = returning
    case.department = None
    case.extension_state = ExtensionState.NONE
    case.status_note = personal_text_mask(_("%(reason)s（依据：%(basis)s）") % {"reason": note, "basis": basis})[:300]
    _stage_set(case, start=step.at, limit=sla.dispatch_limit(matter=case.matter, priority=case.priority),
               calendar=step.calendar, at=step.at)
    return HandlerOutcome(note=note, data=data)


def return_decide_apply(step: TransitionStep) -> HandlerOutcome:
    """审定退回: uphold → dispatched to another unit; reject → back to the returning unit, its clocks running."""
    case, details = step.case, step.details
    if details.approve is None:
        raise ApplicationError("decision_required", _("请选择同意退回（改派其他单位）或不同意退回（退回原单位继续办理）。"))
    returning = case.returned_by_department
    if details.approve:
        department = _other_department(step, current_id=case.returned_by_department_id, what=_("改派"))
        data, notifications = _dispatch_to(step, department)
        data.update({"upheld": True, "returned_by_department": returning.code if returning else None})
        return HandlerOutcome(note=_note_optional(details), data=data, notifications=notifications)
    note = _note_required(details, _("不同意退回的理由"))
    if returning is None:
        raise ApplicationError("returning_department_unknown", _(
            "该工单没有记录退回单位，无法退回原单位，请选择同意退回并改派。"))
    case.department = returning
    case.returned_by_department = None
    case.status_note = ""
    if case.accepted_at is not None:
        case.status = CaseStatus.HANDLING
        _handle_stage_set(case, at=step.at, calendar=step.calendar)
    else:
        # not signed for yet: it waits for the unit's sign-for again, under the deadline it had
        warn = sla.stage_deadline(case.dispatched_at or step.at, sla.accept_limit(
            case.matter, urgent=_counts_natural_time(case)), step.calendar).warn_at
        case.stage_due_at = case.accept_due_at
        case.stage_warn_at = warn
        case.sla_state = sla.sla_state_at(due_at=case.stage_due_at, warn_at=warn, at=step.at)
    notifications = notifications_for_department(
        case=case, department=returning, kind="return_rejected",
        title=_("退回未获同意，请继续办理：%(number)s") % {"number": case.number}, body=note)
    return HandlerOutcome(note=note, data={"upheld": False, "department": returning.code,
                                           "handle_due_at": _iso(case.handle_due_at)},
                          notifications=notifications)


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
    """办结答复 by the department: on time when before the handling deadline; finished at once, or sent
    to the centre for review (审核) when the case's category requires it."""
    note = _note_required(step.details, _("办理结果"))
    case = step.case
    case.finished_on_time = case.handle_due_at is None or step.at <= case.handle_due_at
    case.replied_at = step.at
    if not review_required_for(workflow_rules_current(), category_id=case.category_id):
        return _finish(step, note)
    case.status = CaseStatus.REVIEWING
    case.reply_text = note
    case.status_note = personal_text_mask(note)[:300]
    _stage_set(case, start=step.at, limit=sla.review_limit(), calendar=step.calendar, at=step.at)
    return HandlerOutcome(note=note, data={"review_required": True, "replied_on_time": case.finished_on_time})


def review_apply(step: TransitionStep) -> HandlerOutcome:
    """审核答复 by the centre: accept → 办结 (on time as of the reply); reject → back to the unit with the reason.

    The unit that replied cannot review its own reply.
    """
    case, details = step.case, step.details
    if step.actor_department_id is not None and step.actor_department_id == case.department_id:
        raise ApplicationError("review_by_replying_unit", _(
            "答复由本单位作出，不能由本单位审核。请由指挥中心审核。"), status_code=403)
    if details.approve is None:
        raise ApplicationError("decision_required", _("请选择审核通过或不通过。"))
    if details.approve:
        outcome = _finish(step, case.reply_text)
        outcome.note = _note_optional(details)
        outcome.data["review_accepted"] = True
        return outcome
    note = _note_required(details, _("审核不通过的理由"))
    case.status = CaseStatus.HANDLING
    case.finished_on_time = None
    case.status_note = _("审核未通过：%(reason)s") % {"reason": personal_text_mask(note)[:280]}
    _handle_stage_set(case, at=step.at, calendar=step.calendar)
    notifications = notifications_for_department(
        case=case, department=case.department, kind="review_rejected",
        title=_("答复审核未通过，请重新办理：%(number)s") % {"number": case.number}, body=note)
    return HandlerOutcome(note=note, data={"review_accepted": False, "handle_due_at": _iso(case.handle_due_at)},
                          notifications=notifications)


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


def urge_apply(step: TransitionStep) -> HandlerOutcome:
    """催办: a repeat call about this open case, merged into it instead of a new ticket; the unit is told."""
    case = step.case
    note = _note_required(step.details, _("来电内容"))
    case.urge_count += 1
    notifications = notifications_for_department(
        case=case, department=case.department, kind="urge",
        title=_("催办：工单 %(number)s 第 %(count)d 次重复来电") % {"number": case.number, "count": case.urge_count},
        body=personal_text_mask(note)[:300])
    return HandlerOutcome(note=note, data={"urge_count": case.urge_count}, notifications=notifications)


def cancel_apply(step: TransitionStep) -> HandlerOutcome:
    """撤销 with a reason: the case is closed."""
    note = _note_required(step.details, _("撤销理由"))
    _close(step.case, step.at)
    step.case.status_note = _("已撤销")
    return HandlerOutcome(note=note)


TRANSITION_HANDLERS: dict[str, Handler] = {
    CaseAction.DISPATCH: dispatch_apply,
    CaseAction.ACCEPT: accept_apply,
    CaseAction.WITHDRAW: withdraw_apply,
    CaseAction.REASSIGN: reassign_apply,
    CaseAction.RETURN: return_apply,
    CaseAction.RETURN_DECIDE: return_decide_apply,
    CaseAction.EXTENSION_REQUEST: extension_request_apply,
    CaseAction.EXTENSION_DECIDE: extension_decide_apply,
    CaseAction.SUPERVISE: supervise_apply,
    CaseAction.REPLY: reply_apply,
    CaseAction.REVIEW: review_apply,
    CaseAction.SELF_HANDLE: self_handle_apply,
    CaseAction.FOLLOW_UP: follow_up_apply,
    CaseAction.REOPEN: reopen_apply,
    CaseAction.ARCHIVE: archive_apply,
    CaseAction.MERGE: merge_apply,
    CaseAction.URGE: urge_apply,
    CaseAction.CANCEL: cancel_apply,
}
"""The handler of each row of the transition table, by verb."""

if set(TRANSITION_HANDLERS) != set(TRANSITIONS):
    raise RuntimeError("every transition of cases.states.TRANSITIONS needs exactly one handler, and only those: "
                       f"missing {sorted(set(TRANSITIONS) - set(TRANSITION_HANDLERS))}, "
                       f"unknown {sorted(set(TRANSITION_HANDLERS) - set(TRANSITIONS))}")
