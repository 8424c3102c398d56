from __future__ import annotations

import io

import pytest
from django.test import Client
from django.urls import reverse
from docx import Document
from openpyxl import load_workbook
from PIL import Image

from zhili.cases.models import AttachmentKind, Case, CaseAttachment
from zhili.cases.services.lifecycle import TransitionDetails, case_transition
from zhili.cases.states import CaseAction, CaseStatus
from zhili.cases.tests.factories import People, World, case_create


def jpeg(name: str = "photo.jpg", size: tuple[int, int] = (40, 30)) -> io.BytesIO:
    buffer = io.BytesIO()
    Image.new("RGB", size, (20, 120, 40)).save(buffer, format="JPEG")
    buffer.seek(0)
    buffer.name = name
    return buffer


@pytest.mark.parametrize(("url_name", "role", "status"), [
    ("cases:intake", "operator", 200), ("cases:intake", "handler_cg", 403),
    ("cases:triage", "dispatcher", 200), ("cases:triage", "operator", 403),
    ("cases:inbox", "handler_cg", 200), ("cases:inbox", "dispatcher", 403),
    ("cases:grid_worker", "grid_worker", 200), ("cases:grid_worker", "citizen", 403),
    ("cases:list", "leader", 200), ("cases:list", "citizen", 200),
    ("cases:import", "operator", 200), ("cases:import", "handler_cg", 403),
])
def test_pages_per_role(url_name: str, role: str, status: int, client: Client, world: World, people: People) -> None:
    case_create(description="垃圾桶满了，垃圾堆放没人清运")
    client.force_login(getattr(people, role))
    assert client.get(reverse(url_name)).status_code == status


def test_pages_need_login(client: Client, world: World) -> None:
    response = client.get(reverse("cases:triage"))
    assert response.status_code == 302
    assert "/accounts/" in response["Location"]


def test_operator_intake_form_creates_a_case_and_shows_proposals(client: Client, world: World,
                                                                   people: People) -> None:
    client.force_login(people.operator)
    response = client.post(reverse("cases:intake"), {
        "description": "阳光花园门口垃圾桶满了，垃圾堆放没人清运", "address_text": "青年路88号阳光花园3幢",
        "reporter_name": "赵六", "reporter_phone": "13700001111", "form_token": "t1"})
    assert response.status_code == 200
    case = Case.objects.get()
    assert case.status == CaseStatus.DISPATCHED
    assert case.tracking_code in response.content.decode()
    preview = client.get(reverse("cases:proposals"), {"description": "噪音扰民"}, headers={"HX-Request": "true"})
    assert "噪声扰民" in preview.content.decode()
    empty = client.post(reverse("cases:intake"), {"description": ""})
    assert empty.status_code == 400
    assert "请填写诉求内容" in empty.content.decode()


def test_citizen_report_with_photo_then_tracking_and_rating(client: Client, world: World, people: People) -> None:
    response = client.post(reverse("cases:report"), {
        "description": "路边垃圾桶满了，垃圾堆放没人清运", "longitude": "119.925", "latitude": "31.725",
        "photos": jpeg(), "form_token": "r1"})
    assert response.status_code == 200
    case = Case.objects.get()
    assert case.channel == "citizen_app"
    assert case.tracking_code in response.content.decode()
    assert CaseAttachment.objects.filter(case=case, kind=AttachmentKind.PHOTO).count() == 1
    tracking = client.get(reverse("cases:track"), {"code": case.tracking_code.lower()})
    assert "已派单" in tracking.content.decode()
    for action, note in ((CaseAction.ACCEPT, ""), (CaseAction.REPLY, "已清运")):
        case_transition(case_id=case.pk, action=action, actor=people.admin, details=TransitionDetails(note=note))
    rated = client.post(reverse("cases:track"), {"code": case.tracking_code, "rating": "satisfied",
                                                 "resolved": "yes"})
    assert rated.status_code == 302
    case.refresh_from_db()
    assert (case.status, case.rating, case.resolved) == (CaseStatus.FOLLOWED_UP, "satisfied", True)
    again = client.post(reverse("cases:track"), {"code": case.tracking_code, "rating": "unsatisfied"})
    assert again.status_code == 400


def test_unknown_tracking_code(client: Client, world: World) -> None:
    response = client.get(reverse("cases:track"), {"code": "ZZZZZZZZZZZZ"})
    assert "没有找到" in response.content.decode()


def test_report_refuses_files_that_are_not_images(client: Client, world: World) -> None:
    fake = io.BytesIO(b"%PDF-1.4 not an image")
    fake.name = "photo.jpg"
    response = client.post(reverse("cases:report"), {"description": "路灯坏了", "longitude": "119.925",
                                                     "latitude": "31.725", "photos": fake})
    assert response.status_code == 400
    assert "不是可识别的图片" in response.content.decode()
    assert Case.objects.count() == 0


def test_report_refuses_oversized_photos(client: Client, world: World, settings: object) -> None:
    settings.ZHILI_UPLOAD_MAX_BYTES = 1000  # type: ignore[attr-defined]
    response = client.post(reverse("cases:report"), {"description": "路灯坏了", "longitude": "119.925",
                                                     "latitude": "31.725", "photos": jpeg(size=(400, 400))})
    assert response.status_code == 400
    assert "超过" in response.content.decode()
    assert Case.objects.count() == 0


def test_grid_worker_closes_a_small_matter_on_the_spot(client: Client, world: World, people: People) -> None:
    client.force_login(people.grid_worker)
    response = client.post(reverse("cases:grid_worker"), {
        "description": "路边有零星垃圾", "longitude": "119.925", "latitude": "31.725", "matter_code": "",
        "self_handle": "on", "result": "已清理", "photos": jpeg("before.jpg"), "after_photos": jpeg("after.jpg"),
        "form_token": "g1"})
    assert response.status_code == 302
    case = Case.objects.get()
    assert (case.status, case.self_handled, case.channel) == (CaseStatus.FINISHED, True, "patrol")
    assert sorted(CaseAttachment.objects.filter(case=case).values_list("kind", flat=True)) == [
        AttachmentKind.AFTER_PHOTO, AttachmentKind.PHOTO]
    no_after = client.post(reverse("cases:grid_worker"), {
        "description": "路边有零星垃圾", "longitude": "119.925", "latitude": "31.725", "self_handle": "on"})
    assert no_after.status_code == 400
    assert Case.objects.count() == 1


def test_grid_worker_closes_on_the_spot_with_a_chosen_matter(client: Client, world: World, people: People) -> None:
    # A chosen matter means full confidence; closing on the spot must not auto-dispatch it first.
    client.force_login(people.grid_worker)
    response = client.post(reverse("cases:grid_worker"), {
        "description": "路边垃圾桶满溢", "longitude": "119.925", "latitude": "31.725",
        "matter_code": world.matter_garbage.code, "self_handle": "on", "result": "已清运",
        "photos": jpeg("before.jpg"), "after_photos": jpeg("after.jpg"), "form_token": "g2"})
    assert response.status_code == 302
    case = Case.objects.get()
    assert (case.status, case.self_handled, case.matter_id) == (CaseStatus.FINISHED, True, world.matter_garbage.pk)
    assert case.department_id == world.matter_garbage.department_id


def test_case_file_page_actions_and_exports(client: Client, world: World, people: People) -> None:
    case = case_create(description="有情况请处理", phone="13811112222", name="钱七")
    client.force_login(people.dispatcher)
    page = client.get(reverse("cases:detail", args=[case.number]))
    assert page.status_code == 200
    assert "13811112222" in page.content.decode()
    response = client.post(reverse("cases:action", args=[case.number, "dispatch"]),
                           {"department": world.department_cg.pk})
    assert response.status_code == 302
    assert Case.objects.get(pk=case.pk).status == CaseStatus.DISPATCHED
    docx = client.get(reverse("cases:export", args=[case.number, "docx"]))
    text = "\n".join(cell.text for table in Document(io.BytesIO(docx.content)).tables for row in table.rows
                     for cell in row.cells)
    assert case.number in text
    assert "派单" in text
    workbook = load_workbook(io.BytesIO(client.get(reverse("cases:export", args=[case.number, "xlsx"])).content))
    assert workbook["办理过程"]["B3"].value == "派单"
    client.force_login(people.leader)
    leader_page = client.get(reverse("cases:detail", args=[case.number])).content.decode()
    assert "138****2222" in leader_page
    assert "13811112222" not in leader_page


def test_action_refused_for_illegal_transition_shows_message(client: Client, world: World, people: People) -> None:
    case = case_create(description="有情况请处理")
    client.force_login(people.dispatcher)
    response = client.post(reverse("cases:action", args=[case.number, "archive"]), follow=True)
    assert "不能执行「归档」" in response.content.decode()


def test_private_attachments_need_permission(client: Client, world: World, people: People) -> None:
    client.post(reverse("cases:report"), {"description": "路灯坏了", "longitude": "119.925", "latitude": "31.725",
                                          "photos": jpeg()})
    attachment = CaseAttachment.objects.get()
    url = reverse("cases:attachment", args=[attachment.pk])
    assert client.get(url).status_code == 302
    client.force_login(people.handler_hb)
    assert client.get(url).status_code == 404
    client.force_login(people.dispatcher)
    assert client.get(url).status_code == 200
