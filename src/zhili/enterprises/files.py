"""Download writers of the enterprises app for the list pages (Excel), and the one function every
spreadsheet row of this app is written through.

Text a user or a source file supplied (an enterprise name, an objection, a department) is written
as data: a cell that starts with = + - @, a tab or a carriage return is stored as text, never as a
formula (CSV/DDE injection).
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def sheet_append(sheet: Worksheet, values: Iterable[Any]) -> None:
    """Append one row; text that a spreadsheet would read as a formula is stored as text. Every cell
    of this app's downloads is written here — the one line to switch to the shared core helper."""
    row_values = list(values)
    sheet.append(row_values)
    row = sheet.max_row
    for column, value in enumerate(row_values, start=1):
        if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
            cell = sheet.cell(row=row, column=column)
            cell.value = value
            cell.data_type = "s"


def table_xlsx(title: str, headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """A one-sheet workbook: a title row, a header row and the rows (every list page's download)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

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
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
