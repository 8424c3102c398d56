from __future__ import annotations

import datetime as dt
import json
import threading

import pytest
from django.db import connection

from zhili.accounts.models import User
from zhili.audit.models import AuditRecord
from zhili.cases.models import Case, CaseEvent, ExtensionState, Notification, Priority, Rating, SlaState
from zhili.cases.services.lifecycle import TransitionDetails, case_transition
from zhili.cases.services.workflow_settings import workflow_settings_save
from zhili.cases.states import TRANSITIONS, CaseAction, CaseStatus
from zhili.cases.tests.factories import (
    POINT_IN_GRID_B,
    People,
    World,
    case_create,
    people_create,
    world_create,
)
from zhili.cases.working_time import TimeLimit, WorkingCalendar, deadline_after
from zhili.core import clock
from zhili.core.clock import CHINA_TIME_ZONE
from zhili.core.errors import ApplicationError, PermissionDeniedError

MONDAY_MORNING = dt.datetime(2025, 11, 17, 9, 0, tzinfo=CHINA_TIME_ZONE)


def details_for(action: str, world: World, master: Case | None = None) -> TransitionDetails:
    table: dict[str, TransitionDetails] = {
        CaseAction.DISPATCH: TransitionDetails(department_id=world.department_cg.pk),
        CaseAction.ACCEPT: TransitionDetails(),
        CaseAction.RETURN: TransitionDetails(note="不属于本部门职责", return_basis="《测试区城市管理职责清单》第 12 条"),
        CaseAction.RETURN_DECIDE: TransitionDetails(approve=True, department_id=world.department_hb.pk),
        CaseAction.WITHDRAW: TransitionDetails(note="派错单位，收回重新分派"),
        CaseAction.REASSIGN: TransitionDetails(note="应由生态环境局办理", department_id=world.department_hb.pk),
        CaseAction.REVIEW: TransitionDetails(approve=True),
        CaseAction.URGE: TransitionDetails(note="市民再次来电催促"),
        CaseAction.EXTENSION_REQUEST: TransitionDetails(note="需要协调施工单位", extension_working_days=2),
        CaseAction.EXTENSION_DECIDE: TransitionDetails(approve=True),
        CaseAction.SUPERVISE: TransitionDetails(note="请加快办理"),
        CaseAction.REPLY: TransitionDetails(note="已清理完毕"),
        CaseAction.SELF_HANDLE: TransitionDetails(note="现场已处理"),
        CaseAction.FOLLOW_UP: TransitionDetails(rating=Rating.SATISFIED, resolved=True),
        CaseAction.REOPEN: TransitionDetails(note="市民反映仍未解决"),
        CaseAction.ARCHIVE: TransitionDetails(),
        CaseAction.MERGE: TransitionDetails(master_case_id=master.pk if master else None),
        CaseAction.CANCEL: TransitionDetails(note="重复录入"),
    }
    return table[action]


# how to bring a fresh (received) case into each status, as (action, details) steps run by an admin
PATHS: dict[str, tuple[str, ...]] = {
    CaseStatus.RECEIVED: (),
    CaseStatus.DISPATCHED: (CaseAction.DISPATCH,),
    CaseStatus.HANDLING: (CaseAction.DISPATCH, CaseAction.ACCEPT),
    CaseStatus.RETURNED: (CaseAction.DISPATCH, CaseAction.RETURN),
    CaseStatus.REVIEWING: (CaseAction.DISPATCH, CaseAction.ACCEPT, CaseAction.REPLY),  # its category needs review
    CaseStatus.FINISHED: (CaseAction.DISPATCH, CaseAction.ACCEPT, CaseAction.REPLY),
    CaseStatus.FOLLOWED_UP: (CaseAction.DISPATCH, CaseAction.ACCEPT, CaseAction.REPLY, CaseAction.FOLLOW_UP),
    CaseStatus.ARCHIVED: (CaseAction.DISPATCH, CaseAction.ACCEPT, CaseAction.REPLY, CaseAction.FOLLOW_UP,
                          CaseAction.ARCHIVE),
    CaseStatus.MERGED: (CaseAction.MERGE,),
    CaseStatus.CANCELLED: (CaseAction.CANCEL,),
}


def case_in_status(status: str, world: World, admin: User) -> tuple[Case, Case]:
    """A case in ``status`` and a separate open master case (for merges)."""
    master = case_create(description="主工单：路灯不亮")
    case = case_create(description="请处理一下门口的情况")
    assert case.status == CaseStatus.RECEIVED
    if status == CaseStatus.REVIEWING:
        Case.objects.filter(pk=case.pk).update(category=world.category_city)
        workflow_settings_save(actor=None, review_category_ids=[world.category_city.pk])
    for action in PATHS[status]:
        case = case_transition(case_id=case.pk, action=action, actor=admin,
                               details=details_for(action, world, master))
    assert case.status == status
    return case, master


LEGAL = sorted((action, source) for action, transition in TRANSITIONS.items() for source in transition.sources)
ILLEGAL = sorted((action, status) for action, transition in TRANSITIONS.items() for status in CaseStatus.values
                 if status not in transition.sources)


@pytest.mark.parametrize(("action", "source"), LEGAL)
def test_every_legal_transition_moves_the_case_and_records_it(action: str, source: str, world: World,
                                                              people: People) -> None:
    case, master = case_in_status(source, world, people.admin)
    if action == CaseAction.SELF_HANDLE:  # only a matter the grid may handle itself can be closed on the spot
        Case.objects.filter(pk=case.pk).update(matter=world.matter_garbage, category=world.category_city)
    if action == CaseAction.EXTENSION_DECIDE:
        case_transition(case_id=case.pk, action=CaseAction.EXTENSION_REQUEST, actor=people.admin,
                        details=details_for(CaseAction.EXTENSION_REQUEST, world))
    events_before = CaseEvent.objects.filter(case=case).count()
    audits_before = AuditRecord.objects.filter(object_id=case.number).count()
    result = case_transition(case_id=case.pk, action=action, actor=people.admin,
                             details=details_for(action, world, master))
    target = TRANSITIONS[action].target or source
    assert result.status == target
    assert Case.objects.get(pk=case.pk).status == target
    event = CaseEvent.objects.filter(case=case).order_by("-id").first()
    assert event is not None
    assert (event.action, event.from_status, event.to_status) == (action, source, target)
    assert CaseEvent.objects.filter(case=case).count() == events_before + 1
    assert AuditRecord.objects.filter(object_id=case.number).count() == audits_before + 1
    assert AuditRecord.objects.filter(object_id=case.number).latest("id").action == f"case.{action}"


@pytest.mark.parametrize(("action", "status"), ILLEGAL)
def test_every_illegal_transition_is_refused_and_changes_nothing(action: str, status: str, world: World,
                                                                 people: People) -> None:
    case, master = case_in_status(status, world, people.admin)
    events_before = CaseEvent.objects.filter(case=case).count()
    with pytest.raises(ApplicationError) as refused:
        case_transition(case_id=case.pk, action=action, actor=people.admin, details=details_for(action, world, master))
    # a reply reviewed (or finished without review) is no longer waiting for a review: "decided already"
    replied = action == CaseAction.REVIEW and status in (CaseStatus.FINISHED, CaseStatus.FOLLOWED_UP,
                                                         CaseStatus.ARCHIVED)
    assert refused.value.code == ("already_decided" if replied else "illegal_transition")
    assert refused.value.status_code == 409
    assert str(CaseStatus(status).label) in refused.value.message
    assert Case.objects.get(pk=case.pk).status == status
    assert CaseEvent.objects.filter(case=case).count() == events_before


# -- permissions per role ------------------------------------------------------------------------

@pytest.mark.parametrize(("role_attribute", "allowed"), [
    ("dispatcher", True), ("admin", True), ("operator", False), ("handler_cg", False), ("grid_worker", False),
    ("leader", False), ("citizen", False),
])
def test_only_dispatchers_and_admins_dispatch(role_attribute: str, allowed: bool, world: World,
                                             people: People) -> None:
    case = case_create()
    actor = getattr(people, role_attribute)
    if allowed:
        assert case_transition(case_id=case.pk, action=CaseAction.DISPATCH, actor=actor,
                               details=details_for(CaseAction.DISPATCH, world)).status == CaseStatus.DISPATCHED
    else:
        with pytest.raises(PermissionDeniedError):
            case_transition(case_id=case.pk, action=CaseAction.DISPATCH, actor=actor,
                            details=details_for(CaseAction.DISPATCH, world))
        assert Case.objects.get(pk=case.pk).status == CaseStatus.RECEIVED


def test_only_the_responsible_department_signs_for_and_returns(world: World, people: People) -> None:
    case, _master = case_in_status(CaseStatus.DISPATCHED, world, people.admin)
    for action in (CaseAction.ACCEPT, CaseAction.RETURN):
        with pytest.raises(PermissionDeniedError):
            case_transition(case_id=case.pk, action=action, actor=people.handler_hb,
                            details=details_for(action, world))
    accepted = case_transition(case_id=case.pk, action=CaseAction.ACCEPT, actor=people.handler_cg)
    assert accepted.status == CaseStatus.HANDLING


def test_handler_cannot_decide_own_extension_and_dispatcher_cannot_reply(world: World, people: People) -> None:
    case, _master = case_in_status(CaseStatus.HANDLING, world, people.admin)
    case_transition(case_id=case.pk, action=CaseAction.EXTENSION_REQUEST, actor=people.handler_cg,
                    details=details_for(CaseAction.EXTENSION_REQUEST, world))
    with pytest.raises(PermissionDeniedError):
        case_transition(case_id=case.pk, action=CaseAction.EXTENSION_DECIDE, actor=people.handler_cg,
                        details=TransitionDetails(approve=True))
    with pytest.raises(PermissionDeniedError):
        case_transition(case_id=case.pk, action=CaseAction.REPLY, actor=people.dispatcher,
                        details=details_for(CaseAction.REPLY, world))


def test_cancel_is_for_admins_only(world: World, people: People) -> None:
    case = case_create()
    with pytest.raises(PermissionDeniedError):
        case_transition(case_id=case.pk, action=CaseAction.CANCEL, actor=people.dispatcher,
                        details=details_for(CaseAction.CANCEL, world))
    assert case_transition(case_id=case.pk, action=CaseAction.CANCEL, actor=people.admin,
                           details=details_for(CaseAction.CANCEL, world)).status == CaseStatus.CANCELLED


def test_dispatcher_outside_the_area_is_refused(world: World, people: People) -> None:
    from zhili.accounts.roles import Role
    from zhili.cases.tests.factories import user_create

    outsider = user_create(Role.DISPATCHER, scope_area=world.grid_b)
    case = case_create()  # in grid A
    with pytest.raises(PermissionDeniedError):
        case_transition(case_id=case.pk, action=CaseAction.DISPATCH, actor=outsider,
                        details=details_for(CaseAction.DISPATCH, world))
    in_b = case_create(point=POINT_IN_GRID_B)
    assert case_transition(case_id=in_b.pk, action=CaseAction.DISPATCH, actor=outsider,
                           details=details_for(CaseAction.DISPATCH, world)).status == CaseStatus.DISPATCHED


def test_citizen_rates_own_case_only(world: World, people: People) -> None:
    from zhili.cases.services.intake import IntakeRequest, case_intake

    own = case_intake(request=IntakeRequest(channel="citizen_app", description="路灯不亮了", longitude=119.925,
                                            latitude=31.725), actor=people.citizen).case
    other = case_create()
    for case in (own, other):
        for action in PATHS[CaseStatus.FINISHED]:
            case_transition(case_id=case.pk, action=action, actor=people.admin, details=details_for(action, world))
    rated = case_transition(case_id=own.pk, action=CaseAction.FOLLOW_UP, actor=people.citizen,
                            details=TransitionDetails(rating=Rating.SATISFIED, resolved=True))
    assert (rated.status, rated.rating, rated.resolved) == (CaseStatus.FOLLOWED_UP, Rating.SATISFIED, True)
    with pytest.raises(PermissionDeniedError):
        case_transition(case_id=other.pk, action=CaseAction.FOLLOW_UP, actor=people.citizen,
                        details=TransitionDetails(rating=Rating.SATISFIED))


def test_anonymous_actor_needs_the_system_flag(world: World) -> None:
    case = case_create()
    with pytest.raises(PermissionDeniedError):
        case_transition(case_id=case.pk, action=CaseAction.CANCEL, actor=None, details=TransitionDetails(note="x"))


# -- deadlines, returns, extensions, supervision ---------------------------------------------------

def test_dispatch_sets_stored_deadlines_from_the_matter(world: World, people: People) -> None:
    with clock.frozen(MONDAY_MORNING):
        case = case_create(description="小区门口有情况")
        dispatched = case_transition(case_id=case.pk, action=CaseAction.DISPATCH, actor=people.dispatcher,
                                     details=TransitionDetails(department_id=world.department_cg.pk,
                                                               matter_id=world.matter_road.pk))
    # matter defaults: accept 2 working hours, handle 5 working days
    assert dispatched.accept_due_at == dt.datetime(2025, 11, 17, 11, tzinfo=CHINA_TIME_ZONE)
    assert dispatched.handle_due_at == dt.datetime(2025, 11, 21, 17, 30, tzinfo=CHINA_TIME_ZONE)  # end of Friday
    assert dispatched.stage_due_at == dispatched.accept_due_at
    # yellow light at 80 % of 120 minutes
    assert dispatched.stage_warn_at == dt.datetime(2025, 11, 17, 10, 36, tzinfo=CHINA_TIME_ZONE)
    with clock.frozen(MONDAY_MORNING + dt.timedelta(hours=3)):
        accepted = case_transition(case_id=case.pk, action=CaseAction.ACCEPT, actor=people.handler_cg)
    assert accepted.accepted_on_time is False
    assert accepted.stage_due_at == accepted.handle_due_at


def test_urgent_matter_counts_natural_hours(world: World, people: People) -> None:
    saturday = dt.datetime(2025, 11, 22, 22, 0, tzinfo=CHINA_TIME_ZONE)
    with clock.frozen(saturday):
        case = case_create(description="楼道里有很重的燃气味道，疑似漏气", matter_code="M004")
    assert case.status == CaseStatus.DISPATCHED
    assert case.priority == Priority.HIGH
    assert case.accept_due_at == saturday + dt.timedelta(hours=1)
    assert case.handle_due_at == saturday + dt.timedelta(hours=4)


def test_return_waits_for_the_centre_and_an_upheld_return_starts_a_new_clock(world: World, people: People) -> None:
    with clock.frozen(MONDAY_MORNING):
        case, _master = case_in_status(CaseStatus.HANDLING, world, people.admin)
    first_handle_due = case.handle_due_at
    with clock.frozen(MONDAY_MORNING + dt.timedelta(hours=1)):
        returned = case_transition(case_id=case.pk, action=CaseAction.RETURN, actor=people.handler_cg,
                                   details=TransitionDetails(note="应由生态环境局办理",
                                                             return_matter_id=world.matter_noise.pk))
    assert returned.status == CaseStatus.RETURNED
    assert (returned.department_id, returned.returned_by_department_id, returned.return_count) == (
        None, world.department_cg.pk, 1)
    assert returned.handle_due_at == first_handle_due  # kept: a rejected return goes back with it running
    # the command center's decision clock: a general matter, 24 natural hours (北京: 一般诉求 24 小时)
    assert returned.stage_due_at == dt.datetime(2025, 11, 18, 10, tzinfo=CHINA_TIME_ZONE)
    # the reason and the rule reach the dispatcher
    assert returned.status_note == "应由生态环境局办理（依据：权责清单「M003 噪声扰民」（生态环境局））"
    with clock.frozen(dt.datetime(2025, 11, 18, 9, tzinfo=CHINA_TIME_ZONE)):
        reassigned = case_transition(case_id=case.pk, action=CaseAction.RETURN_DECIDE, actor=people.dispatcher,
                                     details=TransitionDetails(approve=True, department_id=world.department_hb.pk))
    assert (reassigned.status, reassigned.department_id, reassigned.returned_by_department_id) == (
        CaseStatus.DISPATCHED, world.department_hb.pk, None)
    assert reassigned.handle_due_at == dt.datetime(2025, 11, 24, 17, 30, tzinfo=CHINA_TIME_ZONE)
    event = CaseEvent.objects.filter(case=case, action=CaseAction.RETURN_DECIDE).get()
    assert (event.data["upheld"], event.data["reassigned"], event.data["returned_by_department"]) == (True, True, "CG")


def test_extension_moves_the_deadline_by_working_days_across_national_day(world: World, people: People) -> None:
    with clock.frozen(dt.datetime(2025, 9, 24, 15, tzinfo=CHINA_TIME_ZONE)):
        case, _master = case_in_status(CaseStatus.HANDLING, world, people.admin)
    # dispatched Wed 09-24 15:00 + 5 working days → Wed 10-01? no: 09-28 is a 调休 Sunday → Tue 09-30 15:00
    assert case.handle_due_at == dt.datetime(2025, 9, 30, 15, tzinfo=CHINA_TIME_ZONE)
    with clock.frozen(dt.datetime(2025, 9, 29, 10, tzinfo=CHINA_TIME_ZONE)):
        case_transition(case_id=case.pk, action=CaseAction.EXTENSION_REQUEST, actor=people.handler_cg,
                        details=TransitionDetails(note="节日期间施工单位停工", extension_working_days=5))
        with pytest.raises(ApplicationError) as pending:
            case_transition(case_id=case.pk, action=CaseAction.EXTENSION_REQUEST, actor=people.handler_cg,
                            details=TransitionDetails(note="再延", extension_working_days=1))
        assert pending.value.code == "extension_pending"
        extended = case_transition(case_id=case.pk, action=CaseAction.EXTENSION_DECIDE, actor=people.dispatcher,
                                   details=TransitionDetails(approve=True))
    assert extended.handle_due_at == dt.datetime(2025, 10, 14, 15, tzinfo=CHINA_TIME_ZONE)
    assert (extended.extension_count, extended.extension_state) == (1, ExtensionState.APPROVED)
    assert extended.stage_due_at == extended.handle_due_at


def test_denied_extension_keeps_the_deadline(world: World, people: People) -> None:
    case, _master = case_in_status(CaseStatus.HANDLING, world, people.admin)
    due = case.handle_due_at
    case_transition(case_id=case.pk, action=CaseAction.EXTENSION_REQUEST, actor=people.handler_cg,
                    details=TransitionDetails(note="原因", extension_working_days=3))
    denied = case_transition(case_id=case.pk, action=CaseAction.EXTENSION_DECIDE, actor=people.dispatcher,
                             details=TransitionDetails(approve=False))
    assert (denied.handle_due_at, denied.extension_count, denied.extension_state) == (due, 0, ExtensionState.DENIED)


def test_supervision_raises_priority_and_notifies_the_department(world: World, people: People) -> None:
    case, _master = case_in_status(CaseStatus.HANDLING, world, people.admin)
    supervised = case_transition(case_id=case.pk, action=CaseAction.SUPERVISE, actor=people.dispatcher,
                                 details=TransitionDetails(note="市领导关注，今日办结"))
    assert (supervised.priority, supervised.supervision_count) == (Priority.HIGH, 1)
    notice = Notification.objects.filter(case=case, kind="supervise").get()
    assert (notice.department_id, notice.body) == (world.department_cg.pk, "市领导关注，今日办结")
    with pytest.raises(ApplicationError) as missing:
        case_transition(case_id=case.pk, action=CaseAction.SUPERVISE, actor=people.dispatcher)
    assert missing.value.code == "note_required"


def test_reply_on_time_and_late(world: World, people: People) -> None:
    with clock.frozen(MONDAY_MORNING):
        on_time, _master = case_in_status(CaseStatus.HANDLING, world, people.admin)
        late, _master2 = case_in_status(CaseStatus.HANDLING, world, people.admin)
    with clock.frozen(MONDAY_MORNING + dt.timedelta(days=2)):
        first = case_transition(case_id=on_time.pk, action=CaseAction.REPLY, actor=people.handler_cg,
                                details=TransitionDetails(note="已处理，联系电话13812345678"))
    with clock.frozen(MONDAY_MORNING + dt.timedelta(days=10)):
        second = case_transition(case_id=late.pk, action=CaseAction.REPLY, actor=people.handler_cg,
                                 details=TransitionDetails(note="已处理"))
    assert (first.finished_on_time, second.finished_on_time) == (True, False)
    assert first.handling_seconds == 2 * 86400
    assert first.status_note == "已处理，联系电话138****5678"


def test_unsatisfied_follow_up_reopens_by_policy_until_the_limit(world: World, people: People) -> None:
    case, _master = case_in_status(CaseStatus.FINISHED, world, people.admin)
    reopened = case_transition(case_id=case.pk, action=CaseAction.FOLLOW_UP, actor=people.operator,
                               details=TransitionDetails(rating=Rating.UNSATISFIED, resolved=False, note="没修好"))
    assert (reopened.status, reopened.reopen_count, reopened.department_id) == (
        CaseStatus.DISPATCHED, 1, world.department_cg.pk)
    actions = list(CaseEvent.objects.filter(case=case).values_list("action", flat=True))
    assert actions[-2:] == [CaseAction.FOLLOW_UP, CaseAction.REOPEN]
    for _round in range(2):
        for action in (CaseAction.ACCEPT, CaseAction.REPLY):
            case_transition(case_id=case.pk, action=action, actor=people.admin, details=details_for(action, world))
        last = case_transition(case_id=case.pk, action=CaseAction.FOLLOW_UP, actor=people.operator,
                               details=TransitionDetails(rating=Rating.UNSATISFIED))
    assert (last.status, last.reopen_count) == (CaseStatus.FOLLOWED_UP, 2)


def test_self_handling_needs_a_matter_that_allows_it(world: World, people: People) -> None:
    road = case_create(description="路面有坑", matter_code="M002")
    assert road.status == CaseStatus.DISPATCHED
    garbage = case_create(description="路边有一点垃圾")
    Case.objects.filter(pk=garbage.pk).update(matter=world.matter_garbage)
    handled = case_transition(case_id=garbage.pk, action=CaseAction.SELF_HANDLE, actor=people.grid_worker,
                              details=TransitionDetails(note="已捡拾清理"))
    assert (handled.status, handled.self_handled, handled.finished_on_time) == (CaseStatus.FINISHED, True, True)
    noisy = case_create(description="有情况")
    Case.objects.filter(pk=noisy.pk).update(matter=world.matter_noise)
    with pytest.raises(ApplicationError) as refused:
        case_transition(case_id=noisy.pk, action=CaseAction.SELF_HANDLE, actor=people.grid_worker,
                        details=TransitionDetails(note="处理"))
    assert refused.value.code == "self_handling_not_allowed"


def test_merge_keeps_the_duplicate_reporter_and_notifies_them_with_the_master(world: World, people: People) -> None:
    from zhili.cases.services.intake import IntakeRequest, case_intake

    master = case_create(description="阳光花园门口路灯不亮")
    duplicate = case_intake(request=IntakeRequest(channel="citizen_app", description="门口路灯坏了好几天",
                                                  longitude=119.925, latitude=31.725), actor=people.citizen).case
    merged = case_transition(case_id=duplicate.pk, action=CaseAction.MERGE, actor=people.dispatcher,
                             details=TransitionDetails(master_case_id=master.pk, note="同一路灯"))
    assert (merged.status, merged.master_case_id, merged.number) == (CaseStatus.MERGED, master.pk, duplicate.number)
    assert merged.reporter_user_id == people.citizen.pk
    assert CaseEvent.objects.filter(case=master, action=CaseAction.MERGED_IN).get().data == {
        "duplicate_case": duplicate.number}
    for action in PATHS[CaseStatus.FINISHED]:
        case_transition(case_id=master.pk, action=action, actor=people.admin, details=details_for(action, world))
    notice = Notification.objects.get(case=master, kind="finished")
    assert notice.recipient_id == people.citizen.pk
    other = case_create(description="另一件")
    with pytest.raises(ApplicationError) as self_merge:
        case_transition(case_id=other.pk, action=CaseAction.MERGE, actor=people.dispatcher,
                        details=TransitionDetails(master_case_id=other.pk))
    assert self_merge.value.code == "master_required"


def test_sla_sweep_marks_yellow_then_red_once(world: World, people: People) -> None:
    from zhili.cases.services.sla import case_sla_sweep

    with clock.frozen(MONDAY_MORNING):
        case, _master = case_in_status(CaseStatus.DISPATCHED, world, people.admin)
    assert case.sla_state == SlaState.NORMAL
    result = case_sla_sweep(at=MONDAY_MORNING + dt.timedelta(minutes=100))
    assert (result.warned, result.overdue) == (1, 0)  # the case's sign-for clock (the master has 24 h to dispatch)
    assert Case.objects.get(pk=case.pk).sla_state == SlaState.WARNING
    assert case_sla_sweep(at=MONDAY_MORNING + dt.timedelta(minutes=101)) == type(result)(warned=0, overdue=0)
    result = case_sla_sweep(at=MONDAY_MORNING + dt.timedelta(hours=3))
    assert (result.warned, result.overdue) == (0, 1)  # the case, past its sign-for clock
    assert Case.objects.get(pk=case.pk).sla_state == SlaState.OVERDUE
    assert list(Notification.objects.filter(case=case).values_list("kind", flat=True)) == ["dispatch"]
    digests = Notification.objects.filter(kind__startswith="sla_").order_by("id")
    assert [(notice.kind, notice.department_id, notice.title, notice.body) for notice in digests] == [
        ("sla_warning", world.department_cg.pk, "黄灯预警：1 件工单", case.number),
        ("sla_overdue", world.department_cg.pk, "红灯超期：1 件工单", case.number),
    ]


def test_deadline_is_a_pure_function_of_start_limit_and_calendar() -> None:
    start = dt.datetime(2025, 9, 30, 15, tzinfo=CHINA_TIME_ZONE)
    assert deadline_after(start, TimeLimit.working_days(5), WorkingCalendar()) == deadline_after(
        start, TimeLimit.working_days(5), WorkingCalendar())


# -- concurrency ---------------------------------------------------------------------------------

@pytest.mark.django_db(transaction=True)
def test_two_dispatchers_at_once_give_exactly_one_dispatch() -> None:
    world = world_create()
    people = people_create(world)
    from zhili.accounts.roles import Role
    from zhili.cases.tests.factories import user_create

    second_dispatcher = user_create(Role.DISPATCHER, scope_area=world.district)
    case = case_create()
    barrier = threading.Barrier(2)
    outcomes: list[str] = []
    lock = threading.Lock()

    def dispatch(actor: User, department_id: int) -> None:
        barrier.wait()
        try:
            case_transition(case_id=case.pk, action=CaseAction.DISPATCH, actor=actor,
                            details=TransitionDetails(department_id=department_id))
            outcome = "dispatched"
        except ApplicationError as error:
            outcome = error.code
        finally:
            connection.close()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=dispatch, args=(people.dispatcher, world.department_cg.pk)),
               threading.Thread(target=dispatch, args=(second_dispatcher, world.department_hb.pk))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["dispatched", "illegal_transition"]
    assert CaseEvent.objects.filter(case=case, action=CaseAction.DISPATCH).count() == 1
    assert Notification.objects.filter(case=case, kind="dispatch").count() == 1
    assert AuditRecord.objects.filter(object_id=case.number, action="case.dispatch").count() == 1


def test_outbox_delivers_once_and_retries_failed_webhooks_with_backoff(world: World, people: People,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from zhili.cases.services import notifications

    world.department_cg.webhook_url = "https://hooks.example.org/cg"
    world.department_cg.save()
    sent: list[int] = []
    failures = iter([OSError("connection refused"), None])

    def fake_send(notification: Notification) -> None:
        outcome = next(failures)
        if outcome is not None:
            raise outcome
        sent.append(notification.pk)

    monkeypatch.setattr(notifications, "_send_webhook", fake_send)
    with clock.frozen(MONDAY_MORNING):
        case, _master = case_in_status(CaseStatus.DISPATCHED, world, people.admin)
        assert notifications.notifications_deliver_pending() == 1  # the in-app row; the webhook failed
    webhook = Notification.objects.get(case=case, channel="webhook")
    assert (webhook.attempts, webhook.delivered_at, webhook.last_error) == (1, None, "connection refused")
    assert webhook.next_attempt_at == MONDAY_MORNING + dt.timedelta(minutes=1)
    with clock.frozen(MONDAY_MORNING + dt.timedelta(seconds=30)):
        assert notifications.notifications_deliver_pending() == 0  # still backing off
    with clock.frozen(MONDAY_MORNING + dt.timedelta(minutes=2)):
        assert notifications.notifications_deliver_pending() == 1
        assert notifications.notification_deliver(webhook.pk) is False  # already delivered: no second send
    assert sent == [webhook.pk]
    assert Notification.objects.filter(case=case, delivered_at__isnull=True).count() == 0
    payload = json.loads(notifications._webhook_payload(webhook))
    assert (payload["notification_id"], payload["case_number"]) == (webhook.pk, case.number)
