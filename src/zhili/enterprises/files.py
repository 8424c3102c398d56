"""Download writers of the enterprises app for the list pages (Excel).

Every row goes through ``zhili.core.spreadsheets``: text a user or a source file supplied (an
enterprise name, an objection, a department) is written as data, never as a formula.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font

from zhili.core.spreadsheets import sheet_append, xlsx_bytes


def table_xlsx(title: str, headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """A one-sheet workbook: a title row, a header row and the rows (every list page's download)."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None  # noqa: S101 - a new workbook always has one sheet
    sheet.title = title[:31].replace("/", "-")
    sheet_append(sheet, [title])
    sheet["A1"].font = Font(bold=True, size=13)
    sheet_append(sheet, list(headers))
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet_append(sheet, list(row))
    return xlsx_bytes(workbook)
