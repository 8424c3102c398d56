"""Workbench pages: operator assistant, dispatcher desk, handler inbox, grid worker, public map, exports."""

from __future__ import annotations

import datetime as dt
import io

from django.test import Client, TestCase, override_settings
from django.urls import reverse
from openpyxl import load_workbook

from zhili.cases.models import Case, CaseChannel, SlaState
from zhili.cases.personal_data import phone_lookup_hash
from zhili.cases.services.lifecycle import TransitionDetails, case_transition
from zhili.cases.states import CaseAction, CaseStatus
from zhili.cases.tests.factories import POINT_IN_GRID_A, POINT_IN_GRID_B, People, World, case_create
from zhili.cases.tests.test_views import jpeg
from zhili.core import clock

UNCLEAR = "小区门口有个东西坏了，请来看看"
GARBAGE = "阳光花园门口垃圾桶满了，垃圾堆放没人清运"


def _handling(world: World, people: People, description: str = UNCLEAR) -> Case:
    case = case_create(description=description)
    case_transition(case_id=case.pk, action=CaseAction.DISPATCH, actor=people.dispatcher,
                    details=TransitionDetails(department_id=world.department_cg.pk))
    return case_transition(case_id=case.pk, action=CaseAction.ACCEPT, actor=people.handler_cg,
                           details=TransitionDetails())


# -- operator ---------------------------------------------------------------------------------------

def test_intake_assist_proposes_grid_matter_department_duplicates_and_history(
        client: Client, world: World, people: People) -> None:
    earlier = case_create(description=GARBAGE, phone="13700001111", point=(119.9212, 31.7211))
    client.force_login(people.operator)
    response = client.post(reverse("cases:intake_assist"), {
        "description": GARBAGE, "address_text": "青年路88号阳光花园3幢", "reporter_phone": "13700001111",
    }, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html  # a fragment, not the page
    assert "一网格" in html
    assert 'data-accept-address="测试区青年路88号阳光花园3幢"' in html
    assert 'data-accept-matter="M001"' in html
    assert "垃圾清运</strong> → 城管局" in html
    assert "相距 " in html
    assert " 米" in html
    # link and text, once as a duplicate (with its one-click 催办 merge) and once in the caller's history
    assert html.count(earlier.number) == 5
    assert f'name="urge_case" value="{earlier.number}"' in html
    assert "来电历史（同一号码）" in html


def test_a_phone_typed_in_full_width_or_other_scripts_digits_finds_the_same_caller(
        client: Client, world: World, people: People) -> None:
    """Chinese input methods type full-width digits; the lookup hash reads them as the digits they are
    (bench/fuzz_routes.py found Arabic-Indic digits answered with a 500)."""
    earlier = case_create(description=GARBAGE, phone="13700001111", point=(119.9212, 31.7211))
    client.force_login(people.operator)
    for typed in ("１３７００００１１１１", "١٣٧٠٠٠٠١١١١"):
        response = client.post(reverse("cases:intake_assist"), {
            "description": GARBAGE, "address_text": "青年路88号阳光花园3幢", "reporter_phone": typed,
        }, headers={"HX-Request": "true"})
        assert response.status_code == 200
        assert "来电历史（同一号码）" in response.content.decode()
        assert earlier.number in response.content.decode()
    assert phone_lookup_hash("１３７００００１１１１") == phone_lookup_hash("137 0000 1111")
    assert phone_lookup_hash("١٢") == phone_lookup_hash("12")


def test_intake_assist_with_coordinates_and_nothing_typed(client: Client, world: World, people: People) -> None:
    client.force_login(people.operator)
    response = client.post(reverse("cases:intake_assist"), {
        "description": "", "longitude": str(POINT_IN_GRID_B[0]), "latitude": str(POINT_IN_GRID_B[1])})
    html = response.content.decode()
    assert "二网格" in html
    assert "坐标落点" in html
    assert "data-accept-matter" not in html
    assert "疑似重复" not in html


def test_intake_assist_refuses_other_roles_and_get(client: Client, world: World, people: People) -> None:
    client.force_login(people.handler_cg)
    assert client.post(reverse("cases:intake_assist"), {"description": "垃圾"}).status_code == 403
    client.force_login(people.operator)
    assert client.get(reverse("cases:intake_assist")).status_code == 405


def test_intake_page_wires_the_assistant_and_keystroke_script(client: Client, world: World, people: People) -> None:
    client.force_login(people.operator)
    html = client.get(reverse("cases:intake")).content.decode()
    assert html.count(f'hx-post="{reverse("cases:intake_assist")}"') == 5
    assert 'hx-trigger="input changed delay:400ms"' in html
    assert "cases/workbench" in html
    assert "workbench.js" in html
    assert "<script>" not in html


# -- department handler -----------------------------------------------------------------------------

def test_inbox_shows_countdown_and_row_actions(client: Client, world: World, people: People) -> None:
    monday = dt.datetime(2025, 11, 17, 9, 0, tzinfo=clock.CHINA_TIME_ZONE)
    with clock.frozen(monday):
        case = _handling(world, people)
    handle_due = case.handle_due_at
    assert handle_due is not None
    client.force_login(people.handler_cg)
    with clock.frozen(monday + dt.timedelta(hours=1)):
        html = client.get(reverse("cases:inbox"), {"tab": "handling"}).content.decode()
    # no matter: the default 5 working days (35 office hours) minus the first office hour = 34 hours
    assert case.matter is None
    assert 'data-minutes-left="2040"' in html
    assert f'data-rendered-at="{int((monday + dt.timedelta(hours=1)).timestamp() * 1000)}"' in html
    assert "剩余 34 工作小时 0 分" in html
    assert f'action="{reverse("cases:action", args=[case.number, "reply"])}"' in html
    assert f'action="{reverse("cases:action", args=[case.number, "extension_request"])}"' in html
    assert f'action="{reverse("cases:action", args=[case.number, "return"])}"' in html
    with clock.frozen(handle_due + dt.timedelta(days=1)):
        overdue = client.get(reverse("cases:inbox"), {"tab": "handling"}).content.decode()
    assert 'class="countdown overdue"' in overdue


def test_inbox_reply_with_photo_and_return_with_reason(client: Client, world: World, people: People) -> None:
    first = _handling(world, people)
    second = _handling(world, people, description="另一个东西坏了，请来看看")
    client.force_login(people.handler_cg)
    next_url = f"{reverse('cases:inbox')}?tab=handling"
    response = client.post(reverse("cases:action", args=[first.number, "reply"]),
                           {"note": "已修复", "photos": [jpeg()], "next": next_url})
    assert response.status_code == 302
    assert response["Location"] == next_url
    first.refresh_from_db()
    assert first.status == CaseStatus.FINISHED
    assert first.attachments.count() == 1
    client.post(reverse("cases:action", args=[second.number, "return"]), {
        "note": "不属于本部门", "return_basis": "职责清单第 3 条", "confirm": "yes", "next": next_url})
    second.refresh_from_db()
    assert second.status == CaseStatus.RETURNED


def test_inbox_refuses_dispatcher(client: Client, world: World, people: People) -> None:
    client.force_login(people.dispatcher)
    assert client.get(reverse("cases:inbox")).status_code == 403


# -- dispatcher ---------------------------------------------------------------------------------------

def test_triage_filters_by_category_channel_and_age(client: Client, world: World, people: People) -> None:
    hotline = case_create(description=UNCLEAR)
    patrol = case_create(description="路边有个东西坏了，请来看看", channel=CaseChannel.PATROL, actor=people.grid_worker)
    Case.objects.filter(pk=patrol.pk).update(category=world.category_city,
                                             created_at=clock.now() - dt.timedelta(hours=30))
    client.force_login(people.dispatcher)
    everything = client.get(reverse("cases:triage")).content.decode()
    assert hotline.number in everything
    assert patrol.number in everything
    by_channel = client.get(reverse("cases:triage"), {"channel": "patrol"}).content.decode()
    assert patrol.number in by_channel
    assert hotline.number not in by_channel
    by_category = client.get(reverse("cases:triage"), {"category": world.category_city.pk}).content.decode()
    assert patrol.number in by_category
    assert hotline.number not in by_category
    by_age = client.get(reverse("cases:triage"), {"age": "24"}).content.decode()
    assert patrol.number in by_age
    assert hotline.number not in by_age
    by_street = client.get(reverse("cases:triage"), {"street": world.street.path}).content.decode()
    assert patrol.number in by_street
    assert hotline.number in by_street
    elsewhere = client.get(reverse("cases:triage"), {"street": "/nowhere/"}).content.decode()
    assert hotline.number not in elsewhere


def test_bulk_dispatch_to_one_department_and_to_suggestions(client: Client, world: World, people: People) -> None:
    first = case_create(description=UNCLEAR)
    second = case_create(description="另一个东西坏了，请来看看")
    client.force_login(people.dispatcher)
    response = client.post(reverse("cases:bulk_dispatch"), {
        "case": [first.pk, second.pk], "department": world.department_hb.pk, "query": "channel=hotline"})
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('cases:triage')}?channel=hotline"
    assert set(Case.objects.filter(pk__in=[first.pk, second.pk]).values_list("status", "department_id")) == {
        (CaseStatus.DISPATCHED, world.department_hb.pk)}
    # no department chosen and no matter to suggest one: refused with the reason
    third = case_create(description="第三个东西坏了，请来看看")
    page = client.post(reverse("cases:bulk_dispatch"), {"case": [third.pk]}, follow=True).content.decode()
    assert f"工单 {third.number} 未派单：没有建议的承办部门" in page
    third.refresh_from_db()
    assert third.status == CaseStatus.RECEIVED
    assert client.post(reverse("cases:bulk_dispatch"), {}, follow=True).content.decode().count("请先勾选") == 1
    client.force_login(people.operator)
    assert client.post(reverse("cases:bulk_dispatch"), {"case": [third.pk]}).status_code == 403


def test_supervise_from_the_lights_and_extension_decision(client: Client, world: World, people: People) -> None:
    case = _handling(world, people)
    Case.objects.filter(pk=case.pk).update(sla_state=SlaState.OVERDUE)
    case_transition(case_id=case.pk, action=CaseAction.EXTENSION_REQUEST, actor=people.handler_cg,
                    details=TransitionDetails(note="需要协调", extension_working_days=2))
    client.force_login(people.dispatcher)
    html = client.get(reverse("cases:triage")).content.decode()
    assert f'action="{reverse("cases:action", args=[case.number, "supervise"])}"' in html
    assert f'action="{reverse("cases:action", args=[case.number, "extension_decide"])}"' in html
    client.post(reverse("cases:action", args=[case.number, "supervise"]), {"note": "请今天办结"})
    client.post(reverse("cases:action", args=[case.number, "extension_decide"]), {"approve": "yes"})
    case.refresh_from_db()
    assert case.supervision_count == 1
    assert case.extension_count == 1


def test_merge_side_by_side(client: Client, world: World, people: People) -> None:
    master = case_create(description=GARBAGE)
    duplicate = case_create(description=GARBAGE, phone="13900002222")
    assert duplicate.duplicate_candidates, "intake should have flagged the duplicate"
    client.force_login(people.dispatcher)
    html = client.get(reverse("cases:merge"), {"case": duplicate.number}).content.decode()
    assert 'data-side="duplicate"' in html
    assert 'data-side="master"' in html
    assert f'value="{master.number}"' in html
    response = client.post(reverse("cases:action", args=[duplicate.number, "merge"]),
                           {"master_case_number": master.number, "next": reverse("cases:triage")})
    assert response.status_code == 302
    duplicate.refresh_from_db()
    assert duplicate.status == CaseStatus.MERGED
    assert duplicate.master_case_id == master.pk
    client.force_login(people.operator)
    assert client.get(reverse("cases:merge"), {"case": duplicate.number}).status_code == 403


# -- citizens --------------------------------------------------------------------------------------------

@override_settings(ZHILI_PUBLIC_MAP_FIXED_DAYS=30)
def test_public_map_has_no_personal_data_and_fixed_cases_age_off(client: Client, world: World,
                                                                 people: People) -> None:
    open_case = case_create(description="我是李四，电话13811112222，路灯坏了", name="李四", phone="13811112222")
    fixed_recent = _handling(world, people)
    case_transition(case_id=fixed_recent.pk, action=CaseAction.REPLY, actor=people.handler_cg,
                    details=TransitionDetails(note="已修"))
    fixed_old = _handling(world, people, description="很久以前的东西坏了")
    case_transition(case_id=fixed_old.pk, action=CaseAction.REPLY, actor=people.handler_cg,
                    details=TransitionDetails(note="已修"))
    Case.objects.filter(pk=fixed_old.pk).update(finished_at=clock.now() - dt.timedelta(days=31))
    response = client.get(reverse("cases:public_map"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "李四" not in html
    assert "13811112222" not in html
    assert "138" not in html
    assert open_case.number not in html
    assert "路灯坏了" not in html
    assert html.count('"fixed": true') == 1
    assert html.count('"fixed": false') == 1
    assert f'"longitude": {round(POINT_IN_GRID_A[0], 3)}' in html
    assert "办结 30 天后不再显示" in html


# -- case file --------------------------------------------------------------------------------------------

def test_case_file_is_printable(client: Client, world: World, people: People) -> None:
    case = _handling(world, people)
    client.force_login(people.handler_cg)
    html = client.get(reverse("cases:detail", args=[case.number])).content.decode()
    assert 'media="print"' in html
    assert "cases/print" in html
    assert "data-print" in html
    assert reverse("cases:export", args=[case.number, "docx"]) in html


# -- exports -----------------------------------------------------------------------------------------------

def _export(client: Client, query: dict[str, str]) -> tuple[str, list[tuple[object, ...]]]:
    with TestCase.captureOnCommitCallbacks(execute=True):  # the export job is queued after commit
        response = client.get(reverse("cases:list_export"), query)
    assert response.status_code == 302
    job_url = response["Location"]
    progress = client.get(job_url, headers={"HX-Request": "true"}).content.decode()
    assert 'data-state="done"' in progress
    job_id = job_url.rstrip("/").rsplit("/", 1)[-1]
    download = client.get(reverse("cases:export_download", args=[job_id]))
    assert download.status_code == 200
    workbook = load_workbook(io.BytesIO(b"".join(download.streaming_content)))  # type: ignore[attr-defined]
    sheet = workbook.active
    assert sheet is not None
    return job_id, list(sheet.iter_rows(values_only=True))


def test_list_export_with_filter_clear_for_operator_masked_for_leader(client: Client, world: World,
                                                                       people: People) -> None:
    hotline = case_create(description="王五家门口路灯坏了，电话13912345678", name="王五", phone="13912345678")
    case_create(description="路边有个东西坏了", channel=CaseChannel.PATROL, actor=people.grid_worker, phone="")
    client.force_login(people.operator)
    job_id, rows = _export(client, {"channel": "hotline"})
    assert len(rows) == 2
    assert rows[0][:3] == ("工单编号", "受理时间", "来源渠道")
    assert rows[1][0] == hotline.number
    assert rows[1][12:14] == ("王五", "13912345678")
    client.force_login(people.leader)
    _job, masked = _export(client, {"channel": "hotline"})
    assert masked[1][12:14] == ("王*", "139****5678")
    assert "13912345678" not in str(masked)
    # a job belongs to whoever started it
    assert client.get(reverse("cases:export_job", args=[job_id])).status_code == 404
    assert client.get(reverse("cases:export_download", args=[job_id])).status_code == 404
    client.force_login(people.grid_worker)
    assert client.get(reverse("cases:list_export")).status_code == 403


def test_list_page_links_export_with_current_filter(client: Client, world: World, people: People) -> None:
    client.force_login(people.leader)
    html = client.get(reverse("cases:list"), {"channel": "patrol"}).content.decode()
    assert f'href="{reverse("cases:list_export")}?channel=patrol"' in html
    assert reverse("dashboard:leader_report") in html
    client.force_login(people.grid_worker)
    assert reverse("cases:list_export") not in client.get(reverse("cases:list")).content.decode()


# -- grid worker -------------------------------------------------------------------------------------------

def test_grid_worker_page_shows_my_grid_and_tasks(client: Client, world: World, people: People) -> None:
    task = case_create(description=UNCLEAR)
    elsewhere = case_create(description=UNCLEAR, point=POINT_IN_GRID_B)
    client.force_login(people.grid_worker)
    html = client.get(reverse("cases:grid_worker")).content.decode()
    assert task.number in html
    assert elsewhere.number not in html
    assert f'data-geojson-url="{reverse("geo:export")}?level=grid&amp;root={world.grid_a.code}"' in html
    assert 'id="grid-tasks-data"' in html
    assert "我的网格 · 一网格" in html
    response = client.post(reverse("cases:grid_worker"), {
        "description": "路边有零星垃圾", "longitude": str(POINT_IN_GRID_A[0]),
        "latitude": str(POINT_IN_GRID_A[1]), "matter_code": "", "self_handle": "on", "result": "已清运",
        "photos": [jpeg("before.jpg")], "after_photos": [jpeg("after.jpg")], "form_token": "g1"})
    assert response.status_code == 302
    closed = Case.objects.get(channel=CaseChannel.PATROL)
    assert closed.status == CaseStatus.FINISHED
    assert closed.self_handled is True
    client.force_login(people.citizen)
    assert client.get(reverse("cases:grid_worker")).status_code == 403
