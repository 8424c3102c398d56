from __future__ import annotations

import datetime as dt
import re
import threading
from collections.abc import Callable

import pytest
from django.db import connection

from zhili.audit.models import AuditRecord
from zhili.cases.models import Case, CaseChannel, CaseEvent, Notification, Priority
from zhili.cases.personal_data import personal_decrypt, phone_lookup_hash
from zhili.cases.services.intake import IntakeRequest, case_intake, case_number_allocate
from zhili.cases.states import CaseAction, CaseStatus
from zhili.cases.tests.factories import (
    POINT_IN_GRID_A,
    POINT_OUTSIDE,
    People,
    World,
    case_create,
    world_create,
)
from zhili.core import clock
from zhili.core.clock import CHINA_TIME_ZONE
from zhili.core.errors import ApplicationError

AT = dt.datetime(2026, 11, 22, 10, 0, tzinfo=CHINA_TIME_ZONE)


def _run_together(target: Callable[[], None], count: int) -> None:
    """``target`` in ``count`` threads at once; returns when all have finished."""
    threads = [threading.Thread(target=target) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def intake(description: str, *, point: tuple[float, float] | None = POINT_IN_GRID_A, channel: str = "hotline",
           **fields: object) -> Case:
    request = IntakeRequest(channel=channel, description=description, longitude=point[0] if point else None,
                            latitude=point[1] if point else None, **fields)  # type: ignore[arg-type]
    return case_intake(request=request, actor=None).case


def test_confident_report_is_located_classified_and_dispatched(world: World) -> None:
    with clock.frozen(AT):
        case = intake("小区门口的垃圾桶满了，垃圾堆放好几天没人清运", reporter_name="李四",
                      reporter_phone="138 1234 5678")
    assert re.fullmatch(r"20261122\d{6}", case.number)
    assert re.fullmatch(r"[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{12}", case.tracking_code)
    assert (case.grid_id, case.area_path) == (world.grid_a.pk, world.grid_a.path)
    assert (case.matter_id, case.department_id, case.status) == (
        world.matter_garbage.pk, world.department_cg.pk, CaseStatus.DISPATCHED)
    assert case.classification_confidence >= 0.75
    assert list(CaseEvent.objects.filter(case=case).values_list("action", "to_status")) == [
        (CaseAction.CREATE, CaseStatus.RECEIVED), (CaseAction.DISPATCH, CaseStatus.DISPATCHED)]
    assert Notification.objects.filter(case=case, kind="dispatch", department=world.department_cg).count() == 1
    record = AuditRecord.objects.get(object_id=case.number)
    assert record.action == "case.create"
    assert "13812345678" not in str(record.data)


@pytest.mark.django_db(transaction=True)
def test_intake_outside_a_transaction_writes_case_events_notification_and_audit_together() -> None:
    """Outside a transaction (the API's case) the rows go in one statement on PostgreSQL: all linked, all there."""
    world = world_create()
    assert not connection.in_atomic_block
    with clock.frozen(AT):
        case = intake("小区门口的垃圾桶满了，垃圾堆放好几天没人清运", reporter_phone="13812345678")
    assert not connection.in_atomic_block  # nothing left open
    stored = Case.objects.get(pk=case.pk)
    assert (stored.number, stored.status, stored.department_id) == (
        case.number, CaseStatus.DISPATCHED, world.department_cg.pk)
    events = list(CaseEvent.objects.filter(case=stored).order_by("id"))
    assert [(event.action, event.to_status) for event in events] == [
        (CaseAction.CREATE, CaseStatus.RECEIVED), (CaseAction.DISPATCH, CaseStatus.DISPATCHED)]
    assert [event.case_id for event in events] == [case.pk, case.pk]
    notification = Notification.objects.get(case=stored, kind="dispatch")
    assert notification.department_id == world.department_cg.pk
    record = AuditRecord.objects.get(object_id=case.number)
    assert (record.action, record.data["status"]) == ("case.create", CaseStatus.DISPATCHED)
    # a second intake is numbered after the first and refers only to its own case
    with clock.frozen(AT):
        second = intake("路灯不亮，晚上很黑", reporter_phone="13812345679")
    assert int(second.number) == int(case.number) + 1
    assert CaseEvent.objects.filter(case_id=second.pk).count() >= 1
    assert CaseEvent.objects.filter(case_id=case.pk).count() == 2


def test_personal_data_is_encrypted_hashed_and_masked(world: World) -> None:
    case = intake("路灯不亮", reporter_name="欧阳娜娜", reporter_phone="+86 138-1234-5678",
                  reporter_id_number="320402199001011234")
    stored = Case.objects.filter(pk=case.pk).values()[0]
    assert "13812345678" not in str(stored)
    assert "320402199001011234" not in str(stored)
    assert personal_decrypt(stored["reporter_phone_encrypted"]) == "+86 138-1234-5678"
    assert personal_decrypt(stored["reporter_id_number_encrypted"]) == "320402199001011234"
    assert (stored["reporter_phone_masked"], stored["reporter_name_masked"]) == ("138****5678", "欧***")
    assert stored["reporter_phone_hash"] == phone_lookup_hash("13812345678")


def test_unclear_report_waits_for_the_dispatcher(world: World) -> None:
    case = intake("我想反映一个情况，希望有关部门重视")
    assert (case.status, case.matter_id, case.department_id, case.classification_confidence) == (
        CaseStatus.RECEIVED, None, None, 0.0)
    assert case.stage_due_at is not None  # the dispatcher's clock runs


def test_one_keyword_is_not_enough_to_dispatch_automatically(world: World) -> None:
    case = intake("晚上有噪音")
    assert (case.status, case.matter_id) == (CaseStatus.RECEIVED, world.matter_noise.pk)


def test_client_chosen_service_code_dispatches(world: World) -> None:
    case = intake("请处理", matter_code="M003")
    assert (case.status, case.department_id, case.classification_confidence) == (
        CaseStatus.DISPATCHED, world.department_hb.pk, 1.0)


def test_unknown_service_code_is_refused(world: World) -> None:
    with pytest.raises(ApplicationError) as refused:
        intake("请处理", matter_code="NOPE")
    assert (refused.value.code, refused.value.status_code) == ("matter_not_found", 404)
    assert Case.objects.count() == 0


@pytest.mark.parametrize(("description", "code"), [("", "description_required"), ("   \n ", "description_required"),
                                                   ("很" * 10_000, "description_too_long")])
def test_empty_and_huge_descriptions_get_a_clear_error_and_nothing_is_written(description: str, code: str,
                                                                           world: World) -> None:
    with pytest.raises(ApplicationError) as refused:
        intake(description)
    assert refused.value.code == code
    assert Case.objects.count() == 0
    assert AuditRecord.objects.filter(action="case.create").count() == 0


def test_emoji_and_traditional_characters_are_kept(world: World) -> None:
    case = intake("🚧 馬路上有個大坑，車輛經過很危險 😡")
    assert Case.objects.get(pk=case.pk).description == "🚧 馬路上有個大坑，車輛經過很危險 😡"


def test_point_outside_the_district(world: World) -> None:
    with pytest.raises(ApplicationError) as refused:
        intake("路灯坏了", point=POINT_OUTSIDE, channel=CaseChannel.CITIZEN_APP)
    assert refused.value.code == "location_outside_district"
    hotline = intake("路灯坏了", point=POINT_OUTSIDE)
    assert (hotline.grid_id, hotline.status, hotline.location_note) == (
        None, CaseStatus.RECEIVED, "位置不在本区网格范围内，待派单员确认")


def test_citizen_report_needs_a_location(world: World) -> None:
    with pytest.raises(ApplicationError) as refused:
        intake("路灯坏了", point=None, channel=CaseChannel.CITIZEN_APP)
    assert refused.value.code == "location_required"


def test_address_text_locates_when_there_is_no_point(world: World) -> None:
    case = intake("楼下垃圾没人收", point=None, address_text="青年路88号阳光花园3幢")
    assert case.grid_id == world.grid_a.pk
    assert case.address is not None
    assert case.address.code == "TA1"
    assert (case.longitude, case.latitude) == (119.921, 31.721)


def test_gcj02_points_are_converted_to_wgs84(world: World) -> None:
    from zhili.geo.coordinates import wgs84_to_gcj02

    gcj_longitude, gcj_latitude = wgs84_to_gcj02(*POINT_IN_GRID_A)
    case = intake("路灯坏了", point=(gcj_longitude, gcj_latitude), coordinate_system="gcj02")
    assert case.longitude == pytest.approx(POINT_IN_GRID_A[0], abs=1e-5)
    assert case.grid_id == world.grid_a.pk


def test_danger_words_raise_priority(world: World) -> None:
    assert intake("楼道里闻到燃气泄漏的味道").priority == Priority.HIGH


def test_nearby_similar_open_case_is_flagged_and_held_for_the_dispatcher(world: World) -> None:
    first = intake("阳光花园3幢门口的垃圾桶满了，垃圾堆放好几天没人清运，臭味很大")
    second = intake("阳光花园3幢门口的垃圾桶满了，垃圾堆放好几天没人清运，臭味很大！")
    assert first.status == CaseStatus.DISPATCHED
    assert second.duplicate_candidates[0][0] == first.pk
    assert second.duplicate_candidates[0][1] >= 0.8
    assert second.status == CaseStatus.RECEIVED


def test_case_numbers_follow_each_other_within_a_day_and_restart_the_next(world: World) -> None:
    assert case_number_allocate(AT) == "20261122000001"
    assert case_number_allocate(AT) == "20261122000002"
    assert case_number_allocate(AT + dt.timedelta(days=1)) == "20261123000001"
    # the day is the China day: 23:30 UTC on the 22nd is already the 23rd in Shanghai
    assert case_number_allocate(dt.datetime(2026, 11, 22, 23, 30, tzinfo=dt.UTC)) == "20261123000002"


@pytest.mark.django_db(transaction=True)
def test_case_numbers_outside_a_transaction_are_unique_under_concurrency_and_leave_no_transaction_open() -> None:
    """Intake numbers outside its transaction (on PostgreSQL: one round trip that commits without a flush)."""
    numbers: list[str] = []
    lock = threading.Lock()
    barrier = threading.Barrier(4)

    def allocate() -> None:
        barrier.wait()
        try:
            for _ in range(10):
                number = case_number_allocate(AT)
                with lock:
                    numbers.append(number)
            assert not connection.in_atomic_block
            with connection.cursor() as cursor:  # the connection is usable: no failed or open block left
                cursor.execute("SELECT 1")
                assert cursor.fetchone() == (1,)
        finally:
            connection.close()

    _run_together(allocate, 4)
    assert sorted(numbers) == [f"20261122{index:06d}" for index in range(1, 41)]


def test_idempotency_key_returns_the_same_case(world: World) -> None:
    request = IntakeRequest(channel="api", description="路面坑洼破损", longitude=119.925, latitude=31.725)
    first = case_intake(request=request, actor=None, client_key="apikey:1", idempotency_key="k-1")
    again = case_intake(request=request, actor=None, client_key="apikey:1", idempotency_key="k-1")
    assert (first.replayed, again.replayed, again.case.pk) == (False, True, first.case.pk)
    other_client = case_intake(request=request, actor=None, client_key="apikey:2", idempotency_key="k-1")
    assert other_client.case.pk != first.case.pk
    assert Case.objects.count() == 2
    with pytest.raises(ApplicationError) as reused:
        case_intake(request=IntakeRequest(channel="api", description="另一件事", longitude=119.925, latitude=31.725),
                    actor=None, client_key="apikey:1", idempotency_key="k-1")
    assert (reused.value.code, reused.value.status_code) == ("idempotency_key_reused", 422)


@pytest.mark.parametrize("point", [(119.925, 31.725), None], ids=["located", "no-location"])
def test_a_retry_is_answered_before_classifying_and_numbering(world: World, monkeypatch: pytest.MonkeyPatch,
                                                               point: tuple[float, float] | None) -> None:
    from zhili.cases import classification
    from zhili.cases.services import intake as intake_module

    def request(description: str) -> IntakeRequest:
        return IntakeRequest(channel="hotline", description=description, longitude=point[0] if point else None,
                             latitude=point[1] if point else None)

    with clock.frozen(AT):
        first = case_intake(request=request("路面坑洼破损"), actor=None, client_key="apikey:1", idempotency_key="k-9")
        classified: list[str] = []

        def counting_proposals(text: str) -> list[classification.MatterProposal]:
            classified.append(text)
            return classification.matter_proposals(text)

        monkeypatch.setattr(intake_module, "matter_proposals", counting_proposals)
        again = case_intake(request=request("路面坑洼破损"), actor=None, client_key="apikey:1", idempotency_key="k-9")
        assert (again.replayed, again.case.pk, classified) == (True, first.case.pk, [])
        following = case_intake(request=request("路灯不亮"), actor=None, client_key="apikey:1",
                                idempotency_key="k-10")
    assert classified == [f"{following.case.title}\n路灯不亮"]
    assert int(following.case.number) == int(first.case.number) + 1  # the retry took no number


@pytest.mark.django_db(transaction=True)
def test_racing_retries_with_one_key_create_one_case() -> None:
    world_create()
    request = IntakeRequest(channel="api", description="路面坑洼破损", longitude=119.925, latitude=31.725)
    barrier = threading.Barrier(4)
    numbers: list[str] = []
    lock = threading.Lock()

    def submit() -> None:
        barrier.wait()
        try:
            result = case_intake(request=request, actor=None, client_key="apikey:9", idempotency_key="same-key")
            with lock:
                numbers.append(result.case.number)
        finally:
            connection.close()

    _run_together(submit, 4)
    assert len(numbers) == 4
    assert len(set(numbers)) == 1
    assert Case.objects.count() == 1


def test_patrol_and_citizen_reports_keep_their_reporter(world: World, people: People) -> None:
    citizen_case = case_intake(request=IntakeRequest(channel="citizen_app", description="路灯不亮",
                                                     longitude=119.925, latitude=31.725), actor=people.citizen).case
    assert (citizen_case.reporter_user_id, citizen_case.created_by_id) == (people.citizen.pk, None)
    operator_case = case_create(actor=people.operator)
    assert (operator_case.reporter_user_id, operator_case.created_by_id) == (None, people.operator.pk)
