"""Reading uploaded workbooks — .xlsx, .xlsm and legacy .xls — into sheets of plain cell values.

One reader for every app that accepts a spreadsheet (python-calamine: .xls from tax, grid and
electricity systems reads as well as .xlsx, and far faster than openpyxl). Cells come back as
``str`` (``""`` when empty), ``float``/``int``, ``bool``, ``datetime``/``date``/``time``; merged
cells are filled with their top-left value, so a value written once over a merged block counts for
every row of it. A ".xls" that is really a web page (some systems export an HTML table under that
name) is refused with a message that says so, and so is an .xlsx whose XML declares a DTD (no
spreadsheet program writes one; it is how entity-expansion and external-entity attacks start).
Callers word their own errors about content.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from pathlib import PurePath

from django.utils.translation import gettext as _

from zhili.core.errors import ApplicationError

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xls")
_HTML_MARKERS = (b"<html", b"<table", b"<!doctype", b"<?xml", b"<meta", b"<head", b"<body", b"<tr")
_OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_SIGNATURE = b"PK\x03\x04"
_PROLOG_BYTES = 16 * 1024  # a DTD comes before the root element: the head of each XML part is enough
_XML_PARTS_CHECKED = 2000


@dataclass(frozen=True)
class WorkbookSheet:
    """One sheet: its name and its rows (lists of cell values, the header row first)."""

    name: str
    rows: list[list[object]]


def workbook_file_name_accepted(file_name: str) -> bool:
    """Whether the file name is a workbook this reader takes (.xlsx, .xlsm, .xls)."""
    return PurePath(file_name).suffix.lower() in WORKBOOK_SUFFIXES


def _looks_like_html(content: bytes) -> bool:
    head = content[:2048].lstrip(b"\xef\xbb\xbf\xff\xfe\xfe\xff \t\r\n\x00").lower().replace(b"\x00", b"")
    return head.startswith(b"<") and any(marker in head for marker in _HTML_MARKERS)


def _filled(rows: list[list[object]], merged: list[tuple[tuple[int, int], tuple[int, int]]]) -> list[list[object]]:
    for (first_row, first_column), (last_row, last_column) in merged:
        if first_row >= len(rows) or first_column >= len(rows[first_row]):
            continue
        value = rows[first_row][first_column]
        for row_index in range(first_row, last_row + 1):
            while row_index >= len(rows):
                rows.append([])
            row = rows[row_index]
            if len(row) <= last_column:
                row.extend([""] * (last_column + 1 - len(row)))
            for column_index in range(first_column, last_column + 1):
                row[column_index] = value
    return rows


def workbook_document_type_refuse(content: bytes, *, file_name: str) -> None:
    """Raise :class:`ApplicationError` ``file_has_dtd`` when an .xlsx/.xlsm (a zip of XML parts) declares a
    DTD (``<!DOCTYPE``) in any part; anything that is not such a zip passes (other checks read it)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except (zipfile.BadZipFile, ValueError, OSError):
        return
    with archive:
        parts = [info for info in archive.infolist() if info.filename.lower().endswith((".xml", ".rels", ".vml"))]
        for info in parts[:_XML_PARTS_CHECKED]:
            try:
                with archive.open(info) as member:
                    head = member.read(_PROLOG_BYTES)
            except (zipfile.BadZipFile, NotImplementedError, RuntimeError, ValueError, OSError, EOFError):
                return  # damaged or encrypted: the reader says so
            if b"<!doctype" in head.lower():
                raise ApplicationError("file_has_dtd", _(
                    "文件「%(name)s」的内容含有文档类型定义（DTD），Excel/WPS 保存的工作簿不会有这种内容，出于安全原因不予读取。"
                    "请用 Excel 或 WPS 打开后另存为 .xlsx 再上传。") % {"name": PurePath(file_name).name or "upload"})


def workbook_sheets_read(content: bytes, *, file_name: str, max_rows: int | None = None) -> list[WorkbookSheet]:
    """Every sheet of an .xlsx/.xlsm/.xls file, in workbook order, with merged cells filled.

    ``max_rows`` (per sheet) stops reading a sheet past that many rows, so a workbook bomb costs no
    more than the limit: the caller sees ``max_rows + 1`` rows and refuses the file. Raises
    :class:`ApplicationError` ``file_is_html`` for an HTML table saved as .xls, ``file_unreadable``
    for anything else that is not a readable workbook (damaged, encrypted, another format).
    """
    # deferred: the Rust reader is loaded only for .xls/.xlsx reading
    from python_calamine import CalamineWorkbook

    name = PurePath(file_name).name or "upload"
    if _looks_like_html(content):
        raise ApplicationError(
            "file_is_html",
            _("文件「%(name)s」虽然以 .xls 结尾，实际是网页（HTML）表格——有些系统这样导出 Excel。"
              "请用 Excel 或 WPS 打开它，另存为 .xlsx（或 CSV）后重新上传。") % {"name": name})
    if not content.startswith((_OLE_SIGNATURE, _ZIP_SIGNATURE)):
        raise ApplicationError("file_unreadable", _(
            "无法读取文件「%(name)s」：它不是 Excel 工作簿（.xlsx 或 .xls）。请确认文件未损坏，或另存为 .xlsx 后重新上传。")
            % {"name": name})
    workbook_document_type_refuse(content, file_name=name)
    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(content))
        sheets: list[WorkbookSheet] = []
        for index, sheet_name in enumerate(workbook.sheet_names):
            sheet = workbook.get_sheet_by_index(index)
            limit = None if max_rows is None else max_rows + 1
            rows: list[list[object]] = [list(row) for row in sheet.to_python(skip_empty_area=False, nrows=limit)]
            merged = sheet.merged_cell_ranges or []
            sheets.append(WorkbookSheet(name=str(sheet_name), rows=_filled(rows, list(merged))))
    except ApplicationError:
        raise
    except Exception as error:  # calamine raises its own error types, and panics as Python exceptions
        raise ApplicationError("file_unreadable", _(
            "无法读取 Excel 文件「%(name)s」（%(reason)s）：文件可能已损坏、加密，或不是 .xlsx/.xls 格式。"
            "请用 Excel 或 WPS 打开后另存为 .xlsx 再上传。") % {"name": name, "reason": type(error).__name__}) from error
    if not sheets:
        raise ApplicationError("file_empty", _("文件「%(name)s」中没有工作表。") % {"name": name})
    return sheets
