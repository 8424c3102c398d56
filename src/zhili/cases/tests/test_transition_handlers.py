"""The verbs' handlers: one per row of the transition table, and one dispatch for every path to it."""

from __future__ import annotations

import ast
import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from zhili.cases.models import Case, CaseEvent, ExtensionState, Notification, SlaState
from zhili.cases.services import transition_handlers
from zhili.cases.services.intake import IntakeRequest, case_intake
from zhili.cases.services.lifecycle import TransitionDetails, case_transition
from zhili.cases.services.transition_handlers import TRANSITION_HANDLERS, HandlerOutcome, TransitionStep
from zhili.cases.services.workbench import cases_dispatch_bulk
from zhili.cases.states import TRANSITIONS, CaseAction, CaseStatus
from zhili.cases.tests.factories import POINT_IN_GRID_A, People, World
from zhili.core import clock
from zhili.core.clock import CHINA_TIME_ZONE
from zhili.core.errors import ApplicationError

MONDAY_MORNING = dt.datetime(2025, 11, 17, 9, 0, tzinfo=CHINA_TIME_ZONE)
CASES_APP = Path(__file__).resolve().parents[1]


def test_every_verb_of_the_transition_table_has_exactly_one_handler_of_its_own() -> None:
    assert sorted(TRANSITION_HANDLERS) == sorted(TRANSITIONS)
    handlers = list(TRANSITION_HANDLERS.values())
    assert len({id(handler) for handler in handlers}) == len(TRANSITIONS)  # no handler serves two verbs
    # the handler is named after its verb and lives in the handlers module, where a reader looks for it
    assert {action: (handler.__name__, handler.__module__) for action, handler in TRANSITION_HANDLERS.items()} == {
        action: (f"{action}_apply", transition_handlers.__name__) for action in TRANSITIONS}


def test_case_events_are_built_only_by_the_named_factories() -> None:
    """No ``CaseEvent(...)`` outside cases/services/events.py (models, migrations and tests aside)."""
    builders: list[str] = []
    for path in sorted(CASES_APP.rglob("*.py")):
        relative = path.relative_to(CASES_APP).as_posix()
        if relative.startswith(("tests/", "migrations/")) or relative in {"models.py", "services/events.py"}:
            continue
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "CaseEvent":
                builders.append(f"{relative}:{node.lineno}")
    assert builders == []


def _received(description: str, *, automatically: bool) -> Case:
    request = IntakeRequest(channel="hotline", description=description, longitude=POINT_IN_GRID_A[0],
                            latitude=POINT_IN_GRID_A[1], matter_code="M001")
    return case_intake(request=request, actor=None, dispatch_automatically=automatically).case


def _dispatch_shape(case: Case) -> dict[str, Any]:
    """Everything a dispatch decides, the same whoever dispatched (actor and note left aside)."""
    stored = Case.objects.get(pk=case.pk)
    event = CaseEvent.objects.get(case=case, action=CaseAction.DISPATCH)
    notices = Notification.objects.filter(case=case).order_by("id")
    return {
        "case": (stored.status, stored.department_id, stored.dispatched_at, stored.accept_due_at,
                 stored.handle_due_at, stored.stage_due_at, stored.stage_warn_at, stored.sla_state,
                 stored.extension_state),
        "event": (event.from_status, event.to_status, event.department_id, event.occurred_at, event.data),
        "notifications": [(notice.channel, notice.kind, notice.department_id, notice.recipient_id,
                           notice.title.replace(case.number, "<number>"), notice.body, notice.target_url)
                          for notice in notices],
    }


def test_intake_bulk_and_manual_dispatch_run_the_one_handler_and_record_the_same_dispatch(
        world: World, people: People, monkeypatch: pytest.MonkeyPatch) -> None:
    world.department_cg.webhook_url = "https://hooks.example.org/cg"
    world.department_cg.save()
    seen: list[tuple[str, str]] = []
    dispatch = TRANSITION_HANDLERS[CaseAction.DISPATCH]

    def dispatch_watched(step: TransitionStep) -> HandlerOutcome:
        seen.append((step.from_status, step.actor_label))
        return dispatch(step)

    monkeypatch.setitem(TRANSITION_HANDLERS, CaseAction.DISPATCH, dispatch_watched)
    description = "小区门口的垃圾桶满了，垃圾堆放好几天没人清运"
    with clock.frozen(MONDAY_MORNING):
        automatic = _received(description, automatically=True)
        by_bulk = _received(description, automatically=False)
        by_hand = _received(description, automatically=False)
        assert (automatic.status, by_bulk.status, by_hand.status) == (
            CaseStatus.DISPATCHED, CaseStatus.RECEIVED, CaseStatus.RECEIVED)
        result = cases_dispatch_bulk(case_ids=[by_bulk.pk], department_id=None, actor=people.dispatcher)
        assert (result.dispatched, result.refused) == ([by_bulk.number], [])
        case_transition(case_id=by_hand.pk, action=CaseAction.DISPATCH, actor=people.dispatcher,
                        details=TransitionDetails())
    label = str(people.dispatcher)
    assert seen == [(CaseStatus.RECEIVED, "自动派单"), (CaseStatus.RECEIVED, label), (CaseStatus.RECEIVED, label)]

    shapes = [_dispatch_shape(case) for case in (automatic, by_bulk, by_hand)]
    assert shapes[1] == shapes[0]
    assert shapes[2] == shapes[0]
    # and the shape is the dispatch's: 城管局's clocks from Monday 09:00 (sign-for 2 working hours,
    # handling 5 working days, yellow at 80 % of the sign-for stage), in-app and webhook notices
    accept_due = dt.datetime(2025, 11, 17, 11, tzinfo=CHINA_TIME_ZONE)
    handle_due = dt.datetime(2025, 11, 21, 17, 30, tzinfo=CHINA_TIME_ZONE)
    assert shapes[0]["case"] == (CaseStatus.DISPATCHED, world.department_cg.pk, MONDAY_MORNING, accept_due,
                                 handle_due, accept_due, dt.datetime(2025, 11, 17, 10, 36, tzinfo=CHINA_TIME_ZONE),
                                 SlaState.NORMAL, ExtensionState.NONE)
    assert shapes[0]["event"] == (CaseStatus.RECEIVED, CaseStatus.DISPATCHED, world.department_cg.pk,
                                  MONDAY_MORNING, {
                                      "department": "CG", "department_name": "城管局", "reassigned": False,
                                      "accept_due_at": accept_due.isoformat(), "handle_due_at": handle_due.isoformat()})
    title = "新工单待签收：<number>"
    assert shapes[0]["notifications"] == [
        ("in_app", "dispatch", world.department_cg.pk, None, title, description[:30], ""),
        ("webhook", "dispatch", world.department_cg.pk, None, title, description[:30],
         "https://hooks.example.org/cg")]
    # what differs is who and why
    events = {case.number: CaseEvent.objects.get(case=case, action=CaseAction.DISPATCH)
              for case in (automatic, by_bulk, by_hand)}
    assert [(event.actor_id, event.actor_label, event.note) for event in events.values()] == [
        (None, "自动派单", "置信度 100%，自动派单"), (people.dispatcher.pk, label, "批量派单"),
        (people.dispatcher.pk, label, "")]


def test_a_refused_verb_changes_nothing_in_memory_that_is_saved(world: World, people: People) -> None:
    """A handler refuses before anything is written: the case stays as it was in the database."""
    with clock.frozen(MONDAY_MORNING):
        case = _received("小区门口的垃圾桶满了，垃圾堆放好几天没人清运", automatically=False)
    world.department_hb.is_active = False
    world.department_hb.save()
    with pytest.raises(ApplicationError) as refused:
        case_transition(case_id=case.pk, action=CaseAction.DISPATCH, actor=people.dispatcher,
                        details=TransitionDetails(department_id=world.department_hb.pk))
    assert refused.value.code == "department_inactive"
    stored = Case.objects.get(pk=case.pk)
    assert (stored.status, stored.department_id, stored.dispatched_at) == (
        CaseStatus.RECEIVED, world.department_cg.pk, None)
    assert list(CaseEvent.objects.filter(case=case).values_list("action", flat=True)) == [CaseAction.CREATE]
    assert not Notification.objects.filter(case=case).exists()
