"""The 12345 norms on the lifecycle: appeal types and their limits, dispatch limits, decided returns,
withdrawal and reassignment, review before closing, repeat calls merged as 催办, 保密 reporters."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection

from zhili.accounts.models import User
from zhili.accounts.personal_data_policy import Disclosure, PersonalField, personal_disclosure
from zhili.accounts.roles import Role
from zhili.audit.models import AuditRecord
from zhili.cases.models import AppealType, Case, CaseEvent, Notification, Priority
from zhili.cases.rules.workflow import DispatchClass, WorkflowRules, dispatch_class_for, handle_days_for
from zhili.cases.services import sla
from zhili.cases.services.lifecycle import TransitionDetails, case_transition
from zhili.cases.services.workflow_settings import workflow_rules_current, workflow_settings_save
from zhili.cases.states import CaseAction, CaseStatus
from zhili.cases.tests.factories import People, World, case_create, people_create, user_create, world_create
from zhili.cases.working_time import TimeLimit
from zhili.core import clock
from zhili.core.clock import CHINA_TIME_ZONE
from zhili.core.errors import ApplicationError, PermissionDeniedError
from zhili.geo.models import Urgency


def china(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=CHINA_TIME_ZONE)


def _dispatched(world: World, people: People, *, at: dt.datetime, appeal_type: str = "",
                department_id: int | None = None) -> Case:
    with clock.frozen(at):
        case = case_create(appeal_type=appeal_type)
        return case_transition(case_id=case.pk, action=CaseAction.DISPATCH, actor=people.dispatcher,
                               details=TransitionDetails(department_id=department_id or world.department_cg.pk))


def _return(case: Case, actor: User, *, basis: str = "《测试区城市管理职责清单》第 12 条") -> Case:
    return case_transition(case_id=case.pk, action=CaseAction.RETURN, actor=actor,
                           details=TransitionDetails(note="不属于本单位职责", return_basis=basis))


# -- 诉求类型 and their limits ----------------------------------------------------------------------

@pytest.mark.parametrize(("appeal_type", "start", "due"), [
    # 国庆 2025: 10-01..10-08 off, Saturday 10-11 a 调休 working day
    (AppealType.CONSULTATION, china(2025, 9, 30, 15), china(2025, 10, 10, 15)),  # 2 days: 10-09, 10-10
    (AppealType.HELP, china(2025, 9, 30, 15), china(2025, 10, 21, 15)),  # 10 days
    (AppealType.SUGGESTION, china(2025, 9, 30, 15), china(2025, 10, 21, 15)),
    (AppealType.COMPLAINT, china(2025, 9, 30, 15), china(2025, 10, 28, 15)),  # 15 days
    (AppealType.REPORT, china(2025, 9, 30, 15), china(2025, 10, 28, 15)),
    (AppealType.PRAISE, china(2025, 9, 30, 15), china(2025, 10, 14, 15)),  # 5 days
    # 春节 2026: 02-15..02-23 off, Saturday 02-14 a 调休 working day
    (AppealType.CONSULTATION, china(2026, 2, 13, 10), china(2026, 2, 24, 10)),  # 02-14 (Sat) counts, then 02-24
    (AppealType.HELP, china(2026, 2, 13, 10), china(2026, 3, 5, 10)),
    ("", china(2026, 2, 13, 10), china(2026, 2, 27, 10)),  # no type: the matter's (default) 5 days
])
def test_each_appeal_type_has_its_own_handling_limit_across_the_holidays(
        appeal_type: str, start: dt.datetime, due: dt.datetime, world: World, people: People) -> None:
    case = _dispatched(world, people, at=start, appeal_type=appeal_type)
    assert case.appeal_type == appeal_type
    assert case.handle_due_at == due


def test_the_centre_changes_a_type_limit_without_code_and_the_change_is_audited(world: World,
                                                                                people: People) -> None:
    workflow_settings_save(actor=people.admin, complaint_handle_days=3)
    assert workflow_rules_current().handle_days_by_appeal_type[AppealType.COMPLAINT] == 3
    case = _dispatched(world, people, at=china(2025, 11, 17, 9), appeal_type=AppealType.COMPLAINT)
    assert case.handle_due_at == china(2025, 11, 19, 17, 30)  # Monday 09:00 + 3 working days: Wednesday evening
    record = AuditRecord.objects.filter(action="cases.workflow_settings").get()
    assert (record.actor_id, record.data["handle_days"]["complaint"]) == (people.admin.pk, 3)


def test_an_unknown_appeal_type_is_refused_with_the_allowed_ones(world: World) -> None:
    with pytest.raises(ApplicationError) as refused:
        case_create(appeal_type="抱怨")
    assert refused.value.code == "appeal_type_invalid"
    assert "consultation（咨询）" in refused.value.message
    assert not Case.objects.exists()


def test_appeal_type_rules_are_pure_functions() -> None:
    rules = WorkflowRules()
    assert handle_days_for(rules, matter_days=5, appeal_type=AppealType.COMPLAINT) == 15
    assert handle_days_for(rules, matter_days=7, appeal_type="") == 7
    assert dispatch_class_for(matter_urgency=Urgency.EMERGENCY, priority=Priority.NORMAL) == DispatchClass.EMERGENCY
    assert dispatch_class_for(matter_urgency=None, priority=Priority.CRITICAL) == DispatchClass.EMERGENCY
    assert dispatch_class_for(matter_urgency=Urgency.URGENT, priority=Priority.NORMAL) == DispatchClass.URGENT
    assert dispatch_class_for(matter_urgency=Urgency.NORMAL, priority=Priority.NORMAL) == DispatchClass.GENERAL


def test_dispatch_limits_follow_urgency_in_natural_hours(world: World) -> None:
    friday_evening = china(2025, 11, 21, 20)
    with clock.frozen(friday_evening):
        general = case_create(description="小区门口有个东西坏了，请来看看")
    assert general.status == CaseStatus.RECEIVED
    assert general.stage_due_at == friday_evening + dt.timedelta(hours=24)  # 一般诉求 24 h, weekend included
    assert sla.dispatch_limit(matter=world.matter_gas, priority=Priority.NORMAL) == TimeLimit.natural_hours(2)
    assert sla.dispatch_limit(matter=None, priority=Priority.CRITICAL) == TimeLimit.natural_hours(1)
    workflow_settings_save(actor=None, dispatch_general_hours=12)
    assert sla.dispatch_limit(matter=world.matter_road, priority=Priority.NORMAL) == TimeLimit.natural_hours(12)


# -- returns that are decided ----------------------------------------------------------------------

def test_a_return_without_a_rule_is_refused_and_leaves_nothing(world: World, people: People) -> None:
    case = _dispatched(world, people, at=china(2025, 11, 17, 9))
    events = CaseEvent.objects.filter(case=case).count()
    with pytest.raises(ApplicationError) as refused:
        case_transition(case_id=case.pk, action=CaseAction.RETURN, actor=people.handler_cg,
                        details=TransitionDetails(note="不归我们管"))
    assert refused.value.code == "return_basis_required"
    assert "权责清单" in refused.value.message
    with pytest.raises(ApplicationError) as no_reason:
        case_transition(case_id=case.pk, action=CaseAction.RETURN, actor=people.handler_cg,
                        details=TransitionDetails(return_basis="第 3 条"))
    assert no_reason.value.code == "note_required"
    assert Case.objects.get(pk=case.pk).status == CaseStatus.DISPATCHED
    assert CaseEvent.objects.filter(case=case).count() == events


def test_only_the_case_unit_returns_it(world: World, people: People) -> None:
    case = _dispatched(world, people, at=china(2025, 11, 17, 9))
    for outsider in (people.handler_hb, people.grid_worker, people.operator, people.leader):
        with pytest.raises(PermissionDeniedError):
            _return(case, outsider)
    assert _return(case, people.handler_cg).status == CaseStatus.RETURNED


def test_a_rejected_return_goes_back_to_the_unit_with_its_clock_running(world: World, people: People) -> None:
    case = _dispatched(world, people, at=china(2025, 11, 17, 9))
    with clock.frozen(china(2025, 11, 17, 10)):
        case_transition(case_id=case.pk, action=CaseAction.ACCEPT, actor=people.handler_cg)
        returned = _return(case, people.handler_cg)
    handle_due = returned.handle_due_at
    assert handle_due == china(2025, 11, 21, 17, 30)  # dispatched Monday 09:00, 5 working days
    with clock.frozen(china(2025, 11, 18, 9)):
        with pytest.raises(ApplicationError) as no_reason:
            case_transition(case_id=case.pk, action=CaseAction.RETURN_DECIDE, actor=people.dispatcher,
                            details=TransitionDetails(approve=False))
        assert no_reason.value.code == "note_required"
        back = case_transition(case_id=case.pk, action=CaseAction.RETURN_DECIDE, actor=people.dispatcher,
                               details=TransitionDetails(approve=False, note="属于城管局职责清单第 5 条"))
    assert (back.status, back.department_id, back.handle_due_at, back.stage_due_at) == (
        CaseStatus.HANDLING, world.department_cg.pk, handle_due, handle_due)
    notice = Notification.objects.filter(case=case, kind="return_rejected", channel="in_app").get()
    assert (notice.department_id, notice.body) == (world.department_cg.pk, "属于城管局职责清单第 5 条")


def test_a_rejected_return_of_an_unsigned_case_waits_for_the_sign_for_again(world: World, people: People) -> None:
    case = _dispatched(world, people, at=china(2025, 11, 17, 9))
    accept_due = case.accept_due_at
    with clock.frozen(china(2025, 11, 17, 9, 30)):
        _return(case, people.handler_cg)
        back = case_transition(case_id=case.pk, action=CaseAction.RETURN_DECIDE, actor=people.dispatcher,
                               details=TransitionDetails(approve=False, note="属于本单位"))
    assert (back.status, back.accept_due_at, back.stage_due_at) == (CaseStatus.DISPATCHED, accept_due, accept_due)


def test_an_upheld_return_must_go_to_another_unit(world: World, people: People) -> None:
    case = _dispatched(world, people, at=china(2025, 11, 17, 9))
    _return(case, people.handler_cg)
    with pytest.raises(ApplicationError) as same:
        case_transition(case_id=case.pk, action=CaseAction.RETURN_DECIDE, actor=people.dispatcher,
                        details=TransitionDetails(approve=True, department_id=world.department_cg.pk))
    assert same.value.code == "same_department"
    with pytest.raises(PermissionDeniedError):
        case_transition(case_id=case.pk, action=CaseAction.RETURN_DECIDE, actor=people.handler_cg,
                        details=TransitionDetails(approve=True, department_id=world.department_hb.pk))
    with pytest.raises(ApplicationError) as plain_dispatch:
        case_transition(case_id=case.pk, action=CaseAction.DISPATCH, actor=people.dispatcher,
                        details=TransitionDetails(department_id=world.department_hb.pk))
    assert plain_dispatch.value.code == "illegal_transition"  # a return is decided, not bypassed


def test_a_unit_returns_the_same_case_at_most_twice(world: World, people: People) -> None:
    case = _dispatched(world, people, at=china(2025, 11, 17, 9))
    for _round in range(2):
        _return(case, people.handler_cg)
        case_transition(case_id=case.pk, action=CaseAction.RETURN_DECIDE, actor=people.dispatcher,
                        details=TransitionDetails(approve=False, note="请继续办理"))
    with pytest.raises(ApplicationError) as refused:
        _return(case, people.handler_cg)
    assert refused.value.code == "return_limit_reached"
    assert refused.value.message.startswith("「城管局」已退回该工单 2 次，达到上限（每个单位最多 2 次），不能再退回。")
    assert Case.objects.get(pk=case.pk).status == CaseStatus.DISPATCHED
    # another unit's returns are counted separately
    case_transition(case_id=case.pk, action=CaseAction.REASSIGN, actor=people.dispatcher,
                    details=TransitionDetails(note="改派环保", department_id=world.department_hb.pk))
    assert _return(case, people.handler_hb).status == CaseStatus.RETURNED


def test_the_return_cap_is_configurable(world: World, people: People) -> None:
    workflow_settings_save(actor=None, return_limit_per_unit=1)
    case = _dispatched(world, people, at=china(2025, 11, 17, 9))
    _return(case, people.handler_cg)
    case_transition(case_id=case.pk, action=CaseAction.RETURN_DECIDE, actor=people.dispatcher,
                    details=TransitionDetails(approve=False, note="请继续办理"))
    with pytest.raises(ApplicationError) as refused:
        _return(case, people.handler_cg)
    assert "每个单位最多 1 次" in refused.value.message


# -- 撤回 / 改派 ------------------------------------------------------------------------------------

def test_a_dispatcher_withdraws_a_case_before_it_is_signed_for(world: World, people: People) -> None:
    case = _dispatched(world, people, at=china(2025, 11, 17, 9))
    with pytest.raises(ApplicationError) as no_reason:
        case_transition(case_id=case.pk, action=CaseAction.WITHDRAW, actor=people.dispatcher)
    assert no_reason.value.code == "note_required"
    with pytest.raises(PermissionDeniedError):
        case_transition(case_id=case.pk, action=CaseAction.WITHDRAW, actor=people.handler_cg,
                        details=TransitionDetails(note="不要了"))
    with clock.frozen(china(2025, 11, 17, 9, 10)):
        withdrawn = case_transition(case_id=case.pk, action=CaseAction.WITHDRAW, actor=people.dispatcher,
                                    details=TransitionDetails(note="派错单位"))
    assert (withdrawn.status, withdrawn.dispatched_at, withdrawn.accept_due_at, withdrawn.handle_due_at) == (
        CaseStatus.RECEIVED, None, None, None)
    assert withdrawn.stage_due_at == china(2025, 11, 18, 9, 10)
    assert Notification.objects.filter(case=case, kind="withdraw", department=world.department_cg,
                                       channel="in_app").count() == 1


def test_a_signed_case_can_no_longer_be_withdrawn_or_reassigned(world: World, people: People) -> None:
    case = _dispatched(world, people, at=china(2025, 11, 17, 9))
    case_transition(case_id=case.pk, action=CaseAction.ACCEPT, actor=people.handler_cg)
    for action in (CaseAction.WITHDRAW, CaseAction.REASSIGN):
        with pytest.raises(ApplicationError) as refused:
            case_transition(case_id=case.pk, action=action, actor=people.dispatcher,
                            details=TransitionDetails(note="改", department_id=world.department_hb.pk))
        assert refused.value.code == "illegal_transition"
        assert "办理中" in refused.value.message


def test_reassign_sends_the_case_to_another_unit_with_fresh_clocks(world: World, people: People) -> None:
    case = _dispatched(world, people, at=china(2025, 11, 17, 9))
    with clock.frozen(china(2025, 11, 18, 9)):
        with pytest.raises(ApplicationError) as same:
            case_transition(case_id=case.pk, action=CaseAction.REASSIGN, actor=people.dispatcher,
                            details=TransitionDetails(note="改派", department_id=world.department_cg.pk))
        assert same.value.code == "same_department"
        moved = case_transition(case_id=case.pk, action=CaseAction.REASSIGN, actor=people.dispatcher,
                                details=TransitionDetails(note="应由生态环境局办理",
                                                          department_id=world.department_hb.pk))
    assert (moved.status, moved.department_id, moved.handle_due_at) == (
        CaseStatus.DISPATCHED, world.department_hb.pk, china(2025, 11, 24, 17, 30))
    event = CaseEvent.objects.filter(case=case, action=CaseAction.REASSIGN).get()
    assert (event.note, event.data["previous_department"], event.data["department"]) == (
        "应由生态环境局办理", "CG", "HB")
    assert set(Notification.objects.filter(case=case, channel="in_app", kind__in=["withdraw", "dispatch"])
               .values_list("kind", "department__code")) == {("withdraw", "CG"), ("dispatch", "CG"),
                                                             ("dispatch", "HB")}


# -- review before closing -------------------------------------------------------------------------

def _handling_in_reviewed_category(world: World, people: People) -> Case:
    workflow_settings_save(actor=None, review_category_ids=[world.category_city.pk])
    case = _dispatched(world, people, at=china(2025, 11, 17, 9))
    Case.objects.filter(pk=case.pk).update(category=world.category_city)
    return case_transition(case_id=case.pk, action=CaseAction.ACCEPT, actor=people.handler_cg)


def test_a_reply_in_a_reviewed_category_waits_for_the_centre(world: World, people: People) -> None:
    case = _handling_in_reviewed_category(world, people)
    with clock.frozen(china(2025, 11, 18, 9)):
        replied = case_transition(case_id=case.pk, action=CaseAction.REPLY, actor=people.handler_cg,
                                  details=TransitionDetails(note="已修复"))
    assert (replied.status, replied.finished_at, replied.reply_text) == (CaseStatus.REVIEWING, None, "已修复")
    assert replied.stage_due_at == china(2025, 11, 18, 17, 30)  # one working day to review
    with clock.frozen(china(2025, 11, 18, 15)):
        accepted = case_transition(case_id=case.pk, action=CaseAction.REVIEW, actor=people.dispatcher,
                                   details=TransitionDetails(approve=True))
    assert (accepted.status, accepted.finished_at, accepted.finished_on_time, accepted.replied_at) == (
        CaseStatus.FINISHED, china(2025, 11, 18, 15), True, china(2025, 11, 18, 9))


def test_a_rejected_review_sends_the_case_back_with_the_reason(world: World, people: People) -> None:
    case = _handling_in_reviewed_category(world, people)
    case_transition(case_id=case.pk, action=CaseAction.REPLY, actor=people.handler_cg,
                    details=TransitionDetails(note="已处理"))
    with pytest.raises(ApplicationError) as no_reason:
        case_transition(case_id=case.pk, action=CaseAction.REVIEW, actor=people.dispatcher,
                        details=TransitionDetails(approve=False))
    assert no_reason.value.code == "note_required"
    rejected = case_transition(case_id=case.pk, action=CaseAction.REVIEW, actor=people.dispatcher,
                               details=TransitionDetails(approve=False, note="未附现场照片"))
    assert (rejected.status, rejected.finished_on_time) == (CaseStatus.HANDLING, None)
    assert rejected.status_note == "审核未通过：未附现场照片"
    assert Notification.objects.filter(case=case, kind="review_rejected", department=world.department_cg,
                                       channel="in_app").count() == 1


def test_the_unit_that_replied_cannot_review_and_handlers_have_no_review(world: World, people: People) -> None:
    case = _handling_in_reviewed_category(world, people)
    case_transition(case_id=case.pk, action=CaseAction.REPLY, actor=people.handler_cg,
                    details=TransitionDetails(note="已处理"))
    with pytest.raises(PermissionDeniedError):
        case_transition(case_id=case.pk, action=CaseAction.REVIEW, actor=people.handler_cg,
                        details=TransitionDetails(approve=True))
    own_unit_admin = user_create(Role.ADMIN, department=world.department_cg)
    with pytest.raises(ApplicationError) as refused:
        case_transition(case_id=case.pk, action=CaseAction.REVIEW, actor=own_unit_admin,
                        details=TransitionDetails(approve=True))
    assert refused.value.code == "review_by_replying_unit"
    assert Case.objects.get(pk=case.pk).status == CaseStatus.REVIEWING


def test_without_a_review_category_a_reply_finishes_at_once(world: World, people: People) -> None:
    case = _dispatched(world, people, at=china(2025, 11, 17, 9))
    case_transition(case_id=case.pk, action=CaseAction.ACCEPT, actor=people.handler_cg)
    assert case_transition(case_id=case.pk, action=CaseAction.REPLY, actor=people.handler_cg,
                           details=TransitionDetails(note="已处理")).status == CaseStatus.FINISHED


# -- repeat calls ----------------------------------------------------------------------------------

def test_a_repeat_call_is_merged_as_an_urging_with_a_count(world: World, people: People) -> None:
    case = _dispatched(world, people, at=china(2025, 11, 17, 9))
    with pytest.raises(PermissionDeniedError):
        case_transition(case_id=case.pk, action=CaseAction.URGE, actor=people.handler_cg,
                        details=TransitionDetails(note="再次来电"))
    for _call in range(2):
        urged = case_transition(case_id=case.pk, action=CaseAction.URGE, actor=people.operator,
                                details=TransitionDetails(note="市民再次来电，问题仍在"))
    assert (urged.status, urged.urge_count) == (CaseStatus.DISPATCHED, 2)
    titles = list(Notification.objects.filter(case=case, kind="urge", channel="in_app").order_by("id")
                  .values_list("title", flat=True))
    assert titles == [f"催办：工单 {case.number} 第 1 次重复来电", f"催办：工单 {case.number} 第 2 次重复来电"]
    assert AuditRecord.objects.filter(object_id=case.number, action="case.urge").count() == 2


# -- 保密 --------------------------------------------------------------------------------------------

def test_a_confidential_reporter_is_withheld_from_everyone_outside_the_centre(world: World, people: People) -> None:
    case = case_create(confidential=True)
    shown = {role: personal_disclosure(getattr(people, role), PersonalField.REPORTER_PHONE, case)
             for role in ("dispatcher", "operator", "handler_cg", "leader", "grid_worker")}
    assert shown == {"dispatcher": Disclosure.SHOW, "operator": Disclosure.SHOW,
                     "handler_cg": Disclosure.WITHHOLD, "leader": Disclosure.WITHHOLD,
                     "grid_worker": Disclosure.WITHHOLD}
    ordinary = case_create(description="另一处路灯不亮")
    assert personal_disclosure(people.leader, PersonalField.REPORTER_PHONE, ordinary) == Disclosure.MASK


# -- concurrency -----------------------------------------------------------------------------------

@pytest.mark.django_db(transaction=True)
def test_two_dispatchers_deciding_the_same_return_at_once_one_wins() -> None:
    world = world_create()
    people = people_create(world)
    second_dispatcher = user_create(Role.DISPATCHER, scope_area=world.district)
    case = _dispatched(world, people, at=clock.now())
    _return(case, people.handler_cg)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []
    lock = threading.Lock()

    def decide(actor: User, details: TransitionDetails) -> None:
        barrier.wait()
        try:
            case_transition(case_id=case.pk, action=CaseAction.RETURN_DECIDE, actor=actor, details=details)
            outcome = "decided"
        except ApplicationError as error:
            outcome = error.code
        finally:
            connection.close()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=decide, args=(people.dispatcher, TransitionDetails(
                   approve=True, department_id=world.department_hb.pk))),
               threading.Thread(target=decide, args=(second_dispatcher, TransitionDetails(
                   approve=False, note="属于城管局")))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["already_decided", "decided"]
    assert CaseEvent.objects.filter(case=case, action=CaseAction.RETURN_DECIDE).count() == 1
    assert AuditRecord.objects.filter(object_id=case.number, action="case.return_decide").count() == 1
