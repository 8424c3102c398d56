from __future__ import annotations

import datetime as dt
import io
import json

import pytest

from zhili.cases import demo
from zhili.cases.contracts import CaseFilter
from zhili.cases.models import Case, CaseChannel, Rating
from zhili.cases.selectors import (
    caller_history,
    case_kpis,
    case_kpis_by,
    case_list,
    cases_visible_to,
    department_inbox,
    triage_queue,
)
from zhili.cases.selectors_workbench import triage_filtered
from zhili.cases.services.lifecycle import TransitionDetails, case_transition
from zhili.cases.states import CaseAction, CaseStatus
from zhili.cases.tests.factories import POINT_IN_GRID_B, People, World, case_create
from zhili.core import clock
from zhili.core.clock import CHINA_TIME_ZONE

START = dt.datetime(2000, 1, 1, tzinfo=CHINA_TIME_ZONE)
END = dt.datetime(2100, 1, 1, tzinfo=CHINA_TIME_ZONE)


def _finish(case: Case, people: People, *, rating: str | None, late: bool = False) -> None:
    base = case.created_at
    with clock.frozen(base + dt.timedelta(minutes=10)):
        if case.status == CaseStatus.RECEIVED:
            case_transition(case_id=case.pk, action=CaseAction.DISPATCH, actor=people.admin)
        case_transition(case_id=case.pk, action=CaseAction.ACCEPT, actor=people.admin)
    with clock.frozen(base + dt.timedelta(days=30 if late else 1)):
        case_transition(case_id=case.pk, action=CaseAction.REPLY, actor=people.admin,
                        details=TransitionDetails(note="已办结"))
        if rating:
            case_transition(case_id=case.pk, action=CaseAction.FOLLOW_UP, actor=people.admin,
                            details=TransitionDetails(rating=rating, resolved=rating != Rating.UNSATISFIED))


def test_kpis_have_exact_definitions(world: World, people: People) -> None:
    monday = dt.datetime(2025, 11, 17, 9, tzinfo=CHINA_TIME_ZONE)
    with clock.frozen(monday):
        cases = [case_create(description="垃圾桶满了，垃圾堆放没人清运") for _ in range(4)]
        duplicate = case_create(description="有个情况")
        noise = case_create(description="工地施工噪音扰民，噪声很大", point=POINT_IN_GRID_B)
    _finish(cases[0], people, rating=Rating.SATISFIED)
    _finish(cases[1], people, rating=Rating.BASICALLY_SATISFIED, late=True)
    _finish(cases[2], people, rating=Rating.UNSATISFIED)  # reopened by policy
    if Case.objects.get(pk=cases[3].pk).status == CaseStatus.RECEIVED:
        case_transition(case_id=cases[3].pk, action=CaseAction.DISPATCH, actor=people.admin,
                        details=TransitionDetails(department_id=world.department_cg.pk))
    case_transition(case_id=cases[3].pk, action=CaseAction.RETURN, actor=people.admin,
                    details=TransitionDetails(note="非本部门", return_basis="职责清单第 3 条"))
    case_transition(case_id=duplicate.pk, action=CaseAction.MERGE, actor=people.admin,
                    details=TransitionDetails(master_case_id=noise.pk))
    kpis = case_kpis(case_filter=CaseFilter(), start=START, end=END)
    assert kpis.created_count == 6
    assert kpis.finished_count == 2  # the unsatisfied one was reopened, so it is not finished any more
    assert kpis.ever_finished_count == 3
    assert kpis.finish_on_time_rate == 50.0
    assert kpis.satisfaction_rate == 100.0  # its rating was cleared by the reopening
    assert kpis.reopen_rate == 33.3  # 1 reopened of 3 ever finished (not of the 2 finished now)
    assert kpis.return_rate == 20.0  # 5 cases were dispatched (4 + noise)
    assert kpis.duplicate_rate == 16.7
    assert kpis.average_handling_hours == pytest.approx((24 + 30 * 24) / 2, abs=0.1)
    by_department = dict(case_kpis_by(group="department", case_filter=CaseFilter(), start=START, end=END))
    assert by_department["生态环境局"].created_count == 1
    grid_b = case_kpis(case_filter=CaseFilter(area_paths=(world.grid_b.path,)), start=START, end=END)
    assert grid_b.created_count == 1
    assert noise.grid_id == world.grid_b.pk
    streets = case_kpis_by(group="street", case_filter=CaseFilter(), start=START, end=END)
    assert [(label, kpi.created_count) for label, kpi in streets] == [("测试街道", 6)]


def test_scopes_of_lists(world: World, people: People) -> None:
    in_a = case_create(description="垃圾桶满了，垃圾堆放没人清运")
    in_b = case_create(description="有个情况", point=POINT_IN_GRID_B)
    assert set(cases_visible_to(people.grid_worker)) == {in_a}
    assert set(cases_visible_to(people.handler_cg)) == {in_a}
    assert set(cases_visible_to(people.leader)) == {in_a, in_b}
    assert list(cases_visible_to(people.citizen)) == []
    assert list(triage_queue(user=people.dispatcher)) == [in_b]
    assert list(department_inbox(user=people.handler_cg, tab="pending")) == [in_a]
    assert list(caller_history(user=people.operator, phone="138-1234-1234")) == [in_b, in_a]
    assert list(caller_history(user=people.leader, phone="13812341234")) == []


def test_demo_cases_are_deterministic_and_idempotent(world: World, people: People,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(demo, "DEMO_CASE_COUNT", 150)
    with clock.frozen(dt.datetime(2026, 3, 2, 10, tzinfo=CHINA_TIME_ZONE)):
        demo.load_demo(seed=7, stdout=io.StringIO())
        first = list(Case.objects.order_by("number").values_list("number", "status", "description"))
        demo.load_demo(seed=7, stdout=io.StringIO())
    assert len(first) == 150
    assert Case.objects.count() == 150
    statuses = {status for _number, status, _text in first}
    assert {CaseStatus.ARCHIVED, CaseStatus.HANDLING} <= statuses
    Case.objects.update(master_case=None)
    Case.objects.all().delete()
    with clock.frozen(dt.datetime(2026, 3, 2, 10, tzinfo=CHINA_TIME_ZONE)):
        demo.load_demo(seed=7, stdout=io.StringIO())
    again = list(Case.objects.order_by("number").values_list("number", "status", "description"))
    assert again == first


def test_one_case_filter_narrows_every_list_the_same_way(world: World, people: People) -> None:
    """The case list, triage and the export read one CaseFilter; each field narrows, and the filter
    survives the export job's JSON unchanged."""
    from_grid_a = case_create(description="路灯不亮，晚上很黑", channel=CaseChannel.HOTLINE)
    from_grid_b = case_create(description="噪声扰民，夜里施工", point=POINT_IN_GRID_B, channel=CaseChannel.CITIZEN_APP)
    Case.objects.filter(pk=from_grid_a.pk).update(created_at=dt.datetime(2026, 3, 2, 9, tzinfo=CHINA_TIME_ZONE),
                                                  classification_confidence=0.2, status=CaseStatus.RECEIVED)
    Case.objects.filter(pk=from_grid_b.pk).update(created_at=dt.datetime(2026, 3, 9, 9, tzinfo=CHINA_TIME_ZONE),
                                                  classification_confidence=0.9, status=CaseStatus.RECEIVED)

    def listed(case_filter: CaseFilter) -> list[int]:
        return [case.pk for case in case_list(user=people.admin, case_filter=case_filter)]

    assert listed(CaseFilter()) == [from_grid_b.pk, from_grid_a.pk]
    assert listed(CaseFilter(grid_id=world.grid_b.pk)) == [from_grid_b.pk]
    assert listed(CaseFilter(area_paths=(world.grid_a.path,))) == [from_grid_a.pk]
    assert listed(CaseFilter(channel=CaseChannel.CITIZEN_APP)) == [from_grid_b.pk]
    assert listed(CaseFilter(text="噪声")) == [from_grid_b.pk]
    assert listed(CaseFilter(created_to=dt.datetime(2026, 3, 5, tzinfo=CHINA_TIME_ZONE))) == [from_grid_a.pk]
    assert listed(CaseFilter(created_from=dt.datetime(2026, 3, 5, tzinfo=CHINA_TIME_ZONE))) == [from_grid_b.pk]
    assert listed(CaseFilter(confidence_below=0.5)) == [from_grid_a.pk]
    assert listed(CaseFilter(status=CaseStatus.FINISHED)) == []
    triaged = triage_filtered(user=people.dispatcher, case_filter=CaseFilter(confidence_below=0.5))
    assert [case.pk for case in triaged] == [from_grid_a.pk]

    stored = CaseFilter(area_paths=(world.street.path,), text="路灯", open_only=True,
                        created_from=dt.datetime(2026, 3, 1, tzinfo=CHINA_TIME_ZONE))
    assert CaseFilter.from_json(json.loads(json.dumps(stored.as_json()))) == stored
    # a job written before the filter had more fields still reads
    assert CaseFilter.from_json({"status": "", "text": "路灯"}) == CaseFilter(text="路灯")
    # only the rollup's own dimensions let the rollup answer
    assert CaseFilter(area_paths=(world.street.path,), department_id=1).rollup_answerable
    assert not CaseFilter(grid_id=world.grid_a.pk).rollup_answerable
    assert not CaseFilter(text="路灯").rollup_answerable


def test_demo_cases_show_the_new_states_with_reasons_types_urgings_and_yellow_lights(
        world: World, people: People, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(demo, "DEMO_CASE_COUNT", 600)
    with clock.frozen(dt.datetime(2026, 3, 2, 10, tzinfo=CHINA_TIME_ZONE)):
        demo.load_demo(seed=7, stdout=io.StringIO())
    returned = Case.objects.filter(status=CaseStatus.RETURNED)
    assert returned.exists()
    assert not returned.filter(status_note="").exists()  # every return says why, and on what basis
    assert not returned.filter(returned_by_department__isnull=True).exists()
    assert Case.objects.filter(status=CaseStatus.REVIEWING, replied_at__isnull=False).exists()
    assert Case.objects.filter(urge_count__gt=0).exists()
    assert Case.objects.exclude(appeal_type="").exists()
    assert Case.objects.filter(sla_state="warning").exists()
