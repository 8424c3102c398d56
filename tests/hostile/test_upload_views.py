"""A 100 MB upload against every import page: refused with a clear message, without reading it
into memory, and nothing written. The file is sparse on disk and handed to the view as Django's
upload handler would (a temporary file), so the test stays fast and memory-light."""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.db import SessionStore
from django.core.files.uploadedfile import UploadedFile
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory
from django.utils.datastructures import MultiValueDict

from tests.hostile import files
from zhili.accounts.models import User
from zhili.accounts.roles import Role
from zhili.cases import views_import as case_import_views
from zhili.cases.models import CaseImportBatch
from zhili.enterprises import views as enterprise_views
from zhili.enterprises.models import ImportBatch
from zhili.geo import views as geo_views
from zhili.geo.models import Area
from zhili.indicators import views as indicator_views
from zhili.indicators.models import IndicatorDraft, Observation
from zhili.indicators.tests.factories import small_plan_create

SIZE = 100 * files.MEBIBYTE
MEMORY_CEILING_BYTES = 64 * files.MEBIBYTE  # far below the 100 MB that reading the file would take


@pytest.fixture
def big_upload(tmp_path: Path) -> Iterator[Callable[[str], UploadedFile[bytes]]]:
    handles: list[Any] = []

    def make(name: str) -> UploadedFile[bytes]:
        path = files.sparse_file(tmp_path / name, size=SIZE, head=files.small_xlsx([["a"]])[:64])
        handle = path.open("rb")
        handles.append(handle)
        return UploadedFile(file=handle, name=name, content_type="application/octet-stream", size=SIZE)

    yield make
    for handle in handles:
        handle.close()


def _post(user: User, path: str, field: str, upload: UploadedFile[bytes], data: dict[str, str]) -> HttpRequest:
    request = RequestFactory().post(path, data=data)
    request.user = user
    request.session = SessionStore()
    request._messages = FallbackStorage(request)  # what MessageMiddleware does
    request.FILES.update(MultiValueDict({field: [upload]}))
    return request


def _measured(view: Callable[..., HttpResponse], request: HttpRequest, **kwargs: Any) -> tuple[HttpResponse, int]:
    tracemalloc.start()
    try:
        response = view(request, **kwargs)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return response, peak


def _user(role: str) -> User:
    return User.objects.create_user(username=f"upload-{role}", password=None, role=role)


def _messages_text(request: HttpRequest) -> str:
    return " ".join(str(message) for message in get_messages(request))


@pytest.mark.django_db
def test_geo_import_page_refuses_a_100_megabyte_file(big_upload: Callable[[str], UploadedFile[bytes]]) -> None:
    request = _post(_user(Role.ADMIN), "/geo/import/", "file", big_upload("grids.geojson"),
                    {"coordinate_system": "wgs84"})
    response, peak = _measured(geo_views.area_import, request)
    assert response.status_code == 400
    assert "超过 20 MB" in response.content.decode()
    assert peak < MEMORY_CEILING_BYTES
    assert Area.objects.count() == 0


@pytest.mark.django_db
def test_enterprise_import_page_refuses_a_100_megabyte_file(
        big_upload: Callable[[str], UploadedFile[bytes]]) -> None:
    request = _post(_user(Role.ANALYST), "/enterprises/import/", "file_0", big_upload("tax.xlsx"),
                    {"year": "2025", "source_0": "tax"})
    response, peak = _measured(enterprise_views.import_page, request)
    assert response.status_code == 400  # the form again, with the reason
    assert "超过 20 MB" in _messages_text(request)
    assert peak < MEMORY_CEILING_BYTES
    assert ImportBatch.objects.count() == 0


@pytest.mark.django_db
def test_indicator_template_upload_refuses_a_100_megabyte_file(
        big_upload: Callable[[str], UploadedFile[bytes]]) -> None:
    plan, _indicator = small_plan_create()
    request = _post(_user(Role.PLANNER), f"/indicators/plans/{plan.pk}/upload/", "file", big_upload("plan.xlsx"), {})
    response, peak = _measured(indicator_views.plan_upload, request, plan_id=plan.pk)
    assert response.status_code == 200
    assert "超过 20 MB" in _messages_text(request)
    assert peak < MEMORY_CEILING_BYTES
    assert Observation.objects.count() == 0


@pytest.mark.django_db
def test_indicator_document_upload_refuses_a_100_megabyte_file(
        big_upload: Callable[[str], UploadedFile[bytes]]) -> None:
    plan, _indicator = small_plan_create()
    request = _post(_user(Role.PLANNER), f"/indicators/plans/{plan.pk}/drafts/", "file", big_upload("plan.txt"), {})
    response, peak = _measured(indicator_views.plan_drafts, request, plan_id=plan.pk)
    assert response.status_code == 302
    assert "超过 20 MB" in _messages_text(request)
    assert peak < MEMORY_CEILING_BYTES
    assert IndicatorDraft.objects.count() == 0


@pytest.mark.django_db
def test_cases_import_page_refuses_a_100_megabyte_file(big_upload: Callable[[str], UploadedFile[bytes]]) -> None:
    request = _post(_user(Role.OPERATOR), "/cases/import/", "file", big_upload("cases.xlsx"), {})
    response, peak = _measured(case_import_views.import_upload, request)
    assert response.status_code in (400, 413)
    assert "20 MB" in response.content.decode()
    assert peak < MEMORY_CEILING_BYTES
    assert CaseImportBatch.objects.count() == 0
