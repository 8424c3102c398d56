"""Spreadsheet cells that stay data: text a person wrote is never written as a formula.

A description starting with ``=HYPERLINK(…)`` or ``=cmd|' /C calc'!A0`` would otherwise become a live
formula in Excel or WPS. Every .xlsx and .csv the platform writes passes its rows through here:

- .xlsx: text starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is written as a
  string cell with Excel's quote prefix (shown exactly as typed, and kept text when edited);
- .csv: the same text gets a leading apostrophe (the usual defence; CSV has no cell types).
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.styles import Font

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def text_is_formula_like(value: object) -> bool:
    """True for text a spreadsheet program would read as a formula or a command."""
    return isinstance(value, str) and value.startswith(FORMULA_TRIGGERS)


def xlsx_row(sheet: Any, values: Iterable[Any]) -> list[Any]:
    """``values`` ready for ``sheet.append``: formula-like text becomes a quoted string cell.

    Works for normal and write-only worksheets; other values pass through unchanged.
    """
    row: list[Any] = []
    write_only = not hasattr(sheet, "iter_rows")
    for value in values:
        if not text_is_formula_like(value):
            row.append(value)
            continue
        cell: Cell = (WriteOnlyCell(sheet, value=value) if write_only
                      else Cell(sheet, row=1, column=1, value=value))  # append() places it
        cell.data_type = "s"
        cell.quotePrefix = True
        row.append(cell)
    return row


def csv_value(value: Any) -> Any:
    """One CSV field: formula-like text gets a leading apostrophe."""
    return f"'{value}" if text_is_formula_like(value) else value


def csv_row(values: Iterable[Any]) -> list[Any]:
    return [csv_value(value) for value in values]


def xlsx_bytes(workbook: Any) -> bytes:
    """Save a (normal, not write-only) workbook to bytes, every formula-like text cell written as text.

    The platform itself writes no formulas, so any formula cell holds text that came from a person.
    """
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.data_type == "f" or text_is_formula_like(cell.value):
                    cell.data_type = "s"
                    cell.quotePrefix = True
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def sheet_append(sheet: Any, values: Iterable[Any]) -> None:
    """Append one row to ``sheet``, formula-like text written as text (see :func:`xlsx_row`)."""
    sheet.append(xlsx_row(sheet, values))


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
