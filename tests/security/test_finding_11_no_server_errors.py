"""Finding 11: about 20 requests answered HTTP 500 on bad input — Open311 dates of year 9999 or 1 and offsets
like +25:00, a list-valued Open311 attribute, a KPI end of 9999-12-31, a 20-digit offset or filter id, month
0001-01 on the leader dashboard, an enterprise .xlsx with a DTD or a CSV value 1e309, a 20-digit indicator
year, and a case-list export with a 20-digit department that stayed queued at 0 % forever.

Each input now gets a clear 400 whose message names the parameter (Chinese by default, English when the
language is en), and nothing is written: no case, event, audit record, observation, staged batch or export
job. An export job that fails anyway ends in the failed state with a message.
"""

from __future__ import annotations

import html
import io
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from openpyxl import Workbook

from tests.authorization.world import POINT_WEST, World
from zhili.accounts.roles import Role
from zhili.audit.models import AuditRecord
from zhili.cases.contracts import CaseFilter
from zhili.cases.models import Case, CaseEvent
from zhili.cases.services.api_keys import api_key_issue
from zhili.cases.services.workbench import case_list_export_run, case_list_export_start, export_progress
from zhili.enterprises.models import EnterpriseYearValue, ImportBatch, StagedRow
from zhili.enterprises.tests.factories import credit_code_for, enterprise_create
from zhili.indicators.models import Observation

pytestmark = pytest.mark.django_db
HUGE = "99999999999999999999"


@pytest.fixture(autouse=True)
def _own_data_directory(settings: Any, tmp_path: Any) -> None:
    """Export jobs of this test only (other workers write theirs into the shared data directory meanwhile)."""
    settings.DATA_DIR = tmp_path


@dataclass(frozen=True)
class BadInput:
    """One request of the finding: who sends what, and the parameter the 400's message must name."""

    name: str
    role: str | None
    method: str
    path: str
    data: dict[str, Any] | Callable[[World], dict[str, Any]] = field(default_factory=dict)
    parameter: str = ""  # named in the message
    kind: str = "page"  # page | api | open311


def _open311_post(world: World) -> dict[str, Any]:
    return {"api_key": api_key_issue(name="第三方").raw_key, "service_code": "M001", "lat": str(POINT_WEST[1]),
            "long": str(POINT_WEST[0]), "description": "路灯不亮", "attribute[hazard][]": ["yes", "no"]}


def _bulk_dispatch(world: World) -> dict[str, Any]:
    return {"case": [str(world.case_in.pk)], "department": HUGE}


def _xlsx_with_document_type() -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["统一社会信用代码", "企业名称", "税收（万元）"])
    sheet.append([credit_code_for(1), "测试制造1有限公司", 12])
    plain = io.BytesIO()
    workbook.save(plain)
    source, hostile = zipfile.ZipFile(io.BytesIO(plain.getvalue())), io.BytesIO()
    with zipfile.ZipFile(hostile, "w") as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                content = (b'<?xml version="1.0"?><!DOCTYPE worksheet [<!ENTITY a "aaaaaaaaaa">'
                           b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>' + content.split(b"?>", 1)[-1])
            target.writestr(item, content)
    return hostile.getvalue()


def _enterprise_upload(file_name: str, content: bytes) -> Callable[[World], dict[str, Any]]:
    def data(world: World) -> dict[str, Any]:
        enterprise_create(1)
        return {"year": "2025", "source_0": "tax", "file_0": SimpleUploadedFile(file_name, content)}

    return data


BAD_INPUTS = [
    BadInput("open311 start_date year 9999", None, "GET", "/open311/v2/requests.json",
             {"start_date": "9999-12-31T23:59:59Z"}, "start_date", "open311"),
    BadInput("open311 end_date year 1", None, "GET", "/open311/v2/requests.json",
             {"end_date": "0001-01-01T00:00:00Z"}, "end_date", "open311"),
    BadInput("open311 offset +25:00", None, "GET", "/open311/v2/requests.json",
             {"start_date": "2026-01-01T00:00:00+25:00"}, "start_date", "open311"),
    BadInput("open311 offset -99:59 on end_date", None, "GET", "/open311/v2/requests.xml",
             {"end_date": "2026-01-01T00:00:00-99:59"}, "end_date", "open311"),
    BadInput("open311 POST list-valued single-value attribute", None, "POST", "/open311/v2/requests.json",
             _open311_post, "attribute[hazard]", "open311"),
    BadInput("api kpis end 9999-12-31", Role.ADMIN, "GET", "/api/v1/cases/kpis",
             {"start": "2026-01-01", "end": "9999-12-31"}, "end", "api"),
    BadInput("api case list offset 20 digits", Role.ADMIN, "GET", "/api/v1/cases/", {"offset": HUGE}, "offset", "api"),
    BadInput("case list category 20 digits", Role.ADMIN, "GET", "/cases/", {"category": HUGE}, "category"),
    BadInput("case list department 20 digits", Role.ADMIN, "GET", "/cases/", {"department": HUGE}, "department"),
    BadInput("triage category 20 digits", Role.DISPATCHER, "GET", "/cases/triage/", {"category": HUGE}, "category"),
    BadInput("bulk dispatch department 20 digits", Role.DISPATCHER, "POST", "/cases/triage/bulk-dispatch/",
             _bulk_dispatch, "department"),
    BadInput("leader dashboard month 0001-01", Role.LEADER, "GET", "/dashboard/leader/", {"month": "0001-01"}, "month"),
    BadInput("leader export month 0001-01", Role.LEADER, "GET", "/dashboard/leader/export.xlsx",
             {"month": "0001-01"}, "month"),
    BadInput("leader report month 0001-01", Role.LEADER, "GET", "/dashboard/leader/report/", {"month": "0001-01"},
             "month"),
    BadInput("leader report export month 0001-01", Role.LEADER, "GET", "/dashboard/leader/report.xlsx",
             {"month": "0001-01"}, "month"),
    BadInput("enterprise xlsx with a DTD", Role.ANALYST, "POST", "/enterprises/import/",
             _enterprise_upload("tax-2025.xlsx", _xlsx_with_document_type()), "DTD"),
    BadInput("indicator observation year 20 digits", Role.PLANNER, "POST", "indicator-observations",
             {"year": HUGE, "value": "101"}, "year"),
    BadInput("case-list export department 20 digits", Role.ADMIN, "GET", "/cases/export.xlsx",
             {"department": HUGE}, "department"),
]


def _written() -> dict[str, int]:
    from zhili.cases.services.workbench import exports_directory

    return {"cases": Case.objects.count(), "events": CaseEvent.objects.count(),
            "audit": AuditRecord.objects.count(), "observations": Observation.objects.count(),
            "enterprise_batches": ImportBatch.objects.count(), "year_values": EnterpriseYearValue.objects.count(),
            "export_jobs": len(list(exports_directory().glob("*.json")))}


def _send(world: World, bad: BadInput, data: dict[str, Any], *, language: str = "") -> Any:
    client = Client(raise_request_exception=False)
    if language:
        client.cookies["django_language"] = language
    if bad.role is not None:
        client.force_login(world.users[bad.role])
    path = f"/indicators/indicators/{world.indicator.pk}/observations/" if bad.path == "indicator-observations" \
        else bad.path
    if bad.method == "GET":
        return client.get(path, data)
    return client.post(path, data)


def _message(response: Any, kind: str) -> str:
    """The refusal's message: the JSON envelope's, Open311's error description, or the page's error paragraph
    (a refused upload shows it among the page's messages)."""
    if kind == "api":
        return str(response.json()["error"]["message"])
    if kind == "open311":
        if response["Content-Type"].startswith("text/xml"):
            return response.content.decode()
        return str(response.json()[0]["description"])
    page = response.content.decode()
    found = re.search(r'<p class="error-message"[^>]*>(.*?)</p>', page, re.S) or re.search(
        r'<li class="error">(.*?)</li>', page, re.S)
    assert found is not None, page[:2000]
    return html.unescape(found.group(1))


@pytest.mark.parametrize("bad", BAD_INPUTS, ids=[bad.name for bad in BAD_INPUTS])
def test_bad_input_is_a_clear_400_and_nothing_is_written(world: World, bad: BadInput) -> None:
    data = bad.data(world) if callable(bad.data) else bad.data
    before = _written()
    response = _send(world, bad, data)
    assert response.status_code == 400, (response.status_code, response.content[:300])
    message = _message(response, bad.kind)
    assert bad.parameter in message
    assert any("\u4e00" <= character <= "\u9fff" for character in message)  # Chinese by default
    assert _written() == before


@pytest.mark.parametrize("bad", [BAD_INPUTS[0], BAD_INPUTS[5], BAD_INPUTS[7], BAD_INPUTS[11]],
                         ids=["open311", "api", "page", "dashboard"])
def test_the_message_is_english_when_the_language_is_english(world: World, bad: BadInput) -> None:
    data = bad.data(world) if callable(bad.data) else bad.data
    response = _send(world, bad, data, language="en")
    assert response.status_code == 400
    message = _message(response, bad.kind)
    assert bad.parameter in message
    assert "should be" in message
    assert not any("\u4e00" <= character <= "\u9fff" for character in message)


def test_a_csv_value_of_1e309_is_a_refused_row_not_a_500(world: World) -> None:
    """1e309 is an infinity to ``float``: the row is reported as not a number and nothing enters the data."""
    client = Client(raise_request_exception=False)
    client.force_login(world.users[Role.ANALYST])
    enterprise_create(1)
    content = f"统一社会信用代码,企业名称,税收（万元）\n{credit_code_for(1)},测试制造1有限公司,1e309\n".encode()
    response = client.post("/enterprises/import/", {"year": "2025", "source_0": "tax",
                                                    "file_0": SimpleUploadedFile("tax-2025.csv", content)})
    assert response.status_code == 302
    row = StagedRow.objects.get(source_file__batch=ImportBatch.objects.get())
    assert row.values == {"tax": None}
    assert [problem["code"] for problem in row.problems] == ["invalid_number"]
    assert EnterpriseYearValue.objects.count() == 0


def test_an_export_job_that_fails_ends_failed_with_a_message(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """The job of the finding overflowed SQLite in the worker and stayed queued at 0 %; any failure of a job
    now ends it failed, with a message, and the page stops polling."""
    admin = world.users[Role.ADMIN]
    job_id = case_list_export_start(user=admin, filters=CaseFilter())

    def overflow(**_kwargs: object) -> None:
        raise OverflowError("Python int too large to convert to SQLite INTEGER")

    monkeypatch.setattr("zhili.cases.services.workbench.case_list", overflow)
    case_list_export_run(job_id=job_id)
    job = export_progress(job_id)
    assert job["state"] == "failed"
    assert "导出失败" in job["error"]
    client = Client()
    client.force_login(admin)
    page = client.get(f"/cases/exports/{job_id}/").content.decode()
    assert 'data-state="failed"' in page
    assert "hx-trigger" not in page  # the page stops polling
    assert "导出失败" in page
    assert client.get(f"/cases/exports/{job_id}/file/").status_code == 404


def test_an_export_job_whose_owner_is_gone_ends_failed(world: World) -> None:
    from zhili.accounts.models import User

    owner = User.objects.create_user(username="departed", password=None, role=Role.ADMIN, display_name="已离职")
    job_id = case_list_export_start(user=owner, filters=CaseFilter())
    owner.delete()
    case_list_export_run(job_id=job_id)
    assert export_progress(job_id)["state"] == "failed"
