"""Photos sent with a transition are stored by the transition, inside its transaction: a refused
transition leaves no attachment row and no file behind (before, the page wrote them first)."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.storage import FileSystemStorage
from django.test import Client
from django.urls import reverse

from zhili.cases.models import AttachmentKind, Case, CaseAttachment, CaseEvent
from zhili.cases.services.attachments import photo_validate
from zhili.cases.services.lifecycle import TransitionDetails, case_transition
from zhili.cases.states import CaseAction, CaseStatus
from zhili.cases.tests.factories import People, World, case_create
from zhili.cases.tests.test_views import jpeg
from zhili.core.errors import ApplicationError

pytestmark = pytest.mark.django_db


@pytest.fixture
def media(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The case-file storage moved to an empty directory of this test."""
    root = tmp_path / "case-files"
    storage = FileSystemStorage(location=root, base_url=None)
    for name in ("private_file", "public_file"):
        monkeypatch.setattr(CaseAttachment._meta.get_field(name), "storage", storage)
    return root


def _files(root: Path, case: Case | None = None) -> list[Path]:
    """The files written for ``case`` (or for any case)."""
    if not root.exists():
        return []
    return sorted(path for path in root.rglob("*")
                  if path.is_file() and (case is None or path.name.startswith(f"{case.number}-")))


def test_a_transition_the_table_refuses_stores_no_photo(world: World, people: People, media: Path) -> None:
    case = case_create(description="有个情况")  # received: nobody can reply yet
    photo = photo_validate(name="after.jpg", stream=jpeg("after.jpg"))
    with pytest.raises(ApplicationError) as refused:
        case_transition(case_id=case.pk, action=CaseAction.REPLY, actor=people.admin,
                        details=TransitionDetails(note="已处理", photos=(photo,)))
    assert refused.value.status_code == 409
    assert CaseAttachment.objects.count() == 0
    assert _files(media, case) == []


def test_a_refused_page_action_with_photos_leaves_no_row_or_file(client: Client, world: World, people: People,
                                                                 media: Path) -> None:
    case = case_create(description="有个情况")
    client.force_login(people.admin)  # allowed to reply in general, but not to a case nobody has accepted
    response = client.post(reverse("cases:action", args=[case.number, "reply"]),
                           {"note": "已处理", "photos": [jpeg("a.jpg"), jpeg("b.jpg")]})
    assert response.status_code == 302  # back to the case with the refusal as a message
    assert Case.objects.get(pk=case.pk).status == CaseStatus.RECEIVED
    assert (CaseAttachment.objects.count(), _files(media, case)) == (0, [])
    client.force_login(people.dispatcher)  # may not reply at all
    refused = client.post(reverse("cases:action", args=[case.number, "reply"]),
                          {"note": "已处理", "photos": [jpeg("c.jpg")]})
    assert refused.status_code == 403
    assert (CaseAttachment.objects.count(), _files(media, case)) == (0, [])


def test_an_accepted_reply_stores_its_photos_with_the_reply_event(world: World, people: People, media: Path) -> None:
    case = case_create(description="垃圾桶满了，垃圾堆放没人清运")
    if case.status == CaseStatus.RECEIVED:
        case_transition(case_id=case.pk, action=CaseAction.DISPATCH, actor=people.admin,
                        details=TransitionDetails(department_id=world.department_cg.pk))
    case_transition(case_id=case.pk, action=CaseAction.ACCEPT, actor=people.admin)
    photo = photo_validate(name="after.jpg", stream=jpeg("after.jpg"))
    case_transition(case_id=case.pk, action=CaseAction.REPLY, actor=people.admin,
                    details=TransitionDetails(note="已清运", photos=(photo,)))
    attachment = CaseAttachment.objects.get()
    assert attachment.kind == AttachmentKind.AFTER_PHOTO
    assert attachment.event == CaseEvent.objects.get(case=case, action=CaseAction.REPLY)
    assert len(_files(media, case)) == 2  # the original and the EXIF-free public copy


def test_a_refused_on_the_spot_closing_keeps_neither_the_case_nor_its_photos(client: Client, world: World,
                                                                             people: People, media: Path) -> None:
    client.force_login(people.grid_worker)
    response = client.post(reverse("cases:grid_worker"), {
        "description": "路面破损有个坑", "longitude": "119.925", "latitude": "31.725",
        "matter_code": world.matter_road.code, "self_handle": "on", "result": "已修补",
        "photos": jpeg("before.jpg"), "after_photos": jpeg("after.jpg"), "form_token": "g-road"})
    assert response.status_code in (400, 403)
    assert (Case.objects.count(), CaseAttachment.objects.count(), _files(media)) == (0, 0, [])
