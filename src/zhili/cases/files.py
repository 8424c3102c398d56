"""Upload readers and download writers of the cases app: work-order history files, set-aside rows.

A history file is read as it comes: an .xlsx/.xls with any number of sheets (each with its own
header row, found among the first rows by the headers it recognises), or a CSV in UTF-8, UTF-16,
GBK or GB18030. Cells keep their type (a time stays a ``datetime``, an Excel serial date a number),
so the importer can read timestamps in every shape a hotline system exports.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import PurePath

import charset_normalizer
from django.utils.translation import gettext as _
from openpyxl import Workbook

from zhili.core import clock
from zhili.core.errors import ApplicationError
from zhili.core.personal_data import personal_text_mask
from zhili.core.spreadsheets import xlsx_bytes
from zhili.core.text_files import text_bytes_decode
from zhili.core.workbooks import WORKBOOK_SUFFIXES, workbook_sheets_read

MAX_ROWS = 50_000
HEADER_SEARCH_ROWS = 10
ACCEPTED_SUFFIXES = (*WORKBOOK_SUFFIXES, ".csv")
CSV_SHEET_NAME = "CSV"


@dataclass(frozen=True)
class SheetTable:
    """One sheet of a history file: its header row and data rows (raw cell values).

    ``row_numbers[i]`` is the spreadsheet row number of ``rows[i]`` (1-based, as Excel shows it);
    rows with no value at all are left out.
    """

    name: str
    headers: list[str]
    rows: list[list[object]]
    row_numbers: list[int]


@dataclass(frozen=True)
class HistoryFile:
    file_format: str  # "xlsx", "xls", "xlsm" or "csv"
    encoding: str
    sheets: list[SheetTable]

    @property
    def row_count(self) -> int:
        return sum(len(sheet.rows) for sheet in self.sheets)


def _cell_empty(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def header_text(value: object) -> str:
    """A header cell as text: whitespace (also inside, "受 理 时 间") and a trailing colon removed."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return re.sub(r"\s+", "", str(value)).rstrip(":：")


def _decode(content: bytes) -> tuple[str, str]:
    decoded = text_bytes_decode(content)
    if decoded is not None:
        return decoded
    best = charset_normalizer.from_bytes(content).best()
    guess = (best.encoding if best else "") or ""
    try:
        return content.decode(guess), guess
    except (UnicodeDecodeError, LookupError) as error:
        raise ApplicationError("encoding_unknown", _("无法识别 CSV 文件的编码，请另存为 UTF-8 或 GBK 后重试。")) from error


def _csv_rows(content: bytes) -> tuple[list[list[object]], str]:
    text, encoding = _decode(content)
    try:
        # newline="" lets the csv module handle carriage returns inside cells itself
        rows: list[list[object]] = [list(row) for row in csv.reader(io.StringIO(text, newline=""))]
    except csv.Error as error:
        raise ApplicationError("file_unreadable", _("无法读取 CSV 文件（%(reason)s），请用 Excel 另存为 .xlsx 后重试。") % {
            "reason": error}) from error
    return rows, encoding


def _header_position(rows: Sequence[Sequence[object]], known_headers: frozenset[str]) -> int | None:
    """Index of the header row: among the first rows, the one naming most known headers (else the first non-empty)."""
    best: tuple[int, int] | None = None
    first_filled: int | None = None
    for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        filled = [cell for cell in row if not _cell_empty(cell)]
        if not filled:
            continue
        if first_filled is None:
            first_filled = index
        known = sum(1 for cell in filled if header_text(cell).lower() in known_headers)
        if known and (best is None or known > best[0]):
            best = (known, index)
    return best[1] if best is not None else first_filled


def _sheet_table(name: str, rows: list[list[object]], known_headers: frozenset[str]) -> SheetTable | None:
    position = _header_position(rows, known_headers)
    if position is None:
        return None  # an empty sheet
    raw_headers = rows[position]
    headers = [header_text(cell) or _("第%(number)d列") % {"number": index + 1} for index, cell in enumerate(raw_headers)]
    width = len(headers)
    body: list[list[object]] = []
    numbers: list[int] = []
    for offset, row in enumerate(rows[position + 1:], start=position + 2):
        if all(_cell_empty(cell) for cell in row):
            continue
        body.append(list(row[:width]) + [""] * (width - len(row)))
        numbers.append(offset)
    return SheetTable(name=name, headers=headers, rows=body, row_numbers=numbers)


def history_file_read(content: bytes, *, file_name: str, known_headers: Iterable[str]) -> HistoryFile:
    """Every sheet of a history file with its header row; refuses an unreadable, empty or oversized file.

    ``known_headers`` are the header names the importer recognises (lower case): they tell the
    header row from a title row above it.
    """
    suffix = PurePath(file_name).suffix.lower()
    if suffix not in ACCEPTED_SUFFIXES:
        raise ApplicationError("file_format", _("只支持 .xlsx、.xls 和 .csv 文件（收到「%(suffix)s」）。") % {
            "suffix": suffix or file_name})
    known = frozenset(header.lower() for header in known_headers)
    if suffix == ".csv":
        rows, encoding = _csv_rows(content)
        if len(rows) > MAX_ROWS + 1:
            raise ApplicationError("file_too_many_rows", _("一次最多导入 %(max)d 行，请拆分文件。") % {"max": MAX_ROWS})
        table = _sheet_table(CSV_SHEET_NAME, rows, known)
        sheets = [table] if table is not None else []
        file_format = "csv"
    else:
        workbook = workbook_sheets_read(content, file_name=file_name, max_rows=MAX_ROWS + HEADER_SEARCH_ROWS)
        sheets = []
        for sheet in workbook:
            table = _sheet_table(sheet.name, sheet.rows, known)
            if table is not None:
                sheets.append(table)
        encoding, file_format = suffix[1:], suffix[1:]
    if not any(sheet.rows for sheet in sheets):
        raise ApplicationError("file_empty", _("文件中没有数据（每个工作表都只有表头或是空的）。"))
    if sum(len(sheet.rows) for sheet in sheets) > MAX_ROWS:
        raise ApplicationError("file_too_many_rows", _("一次最多导入 %(max)d 行，请拆分文件。") % {"max": MAX_ROWS})
    return HistoryFile(file_format=file_format, encoding=encoding, sheets=sheets)


# -- download: the rows set aside ------------------------------------------------------------------

def _cell_for_download(value: object, *, mask: bool) -> object:
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None) if value.tzinfo is None else value.astimezone(clock.CHINA_TIME_ZONE).replace(
            tzinfo=None)
    if isinstance(value, str):
        text = value[:32_000]  # an Excel cell holds at most 32,767 characters
        return personal_text_mask(text) if mask else text
    return value


def set_aside_workbook(*, headers_by_sheet: dict[str, list[str]], rows: Sequence[tuple[str, int, list[object], str]],
                       masked_columns: dict[str, set[int]] | None = None, mask: bool = False) -> bytes:
    """The rows an import set aside, one sheet per source sheet: 原工作表, 原行号, the row's cells, 原因.

    ``rows`` are (sheet name, row number, cells, reason). With ``mask`` (the downloader may not see
    personal data) phone and ID numbers inside text are masked and ``masked_columns`` (per sheet,
    the reporter's name/phone columns) are blanked to a mask.
    """
    workbook = Workbook()
    default = workbook.active
    by_sheet: dict[str, list[tuple[int, list[object], str]]] = {}
    for sheet_name, row_number, cells, reason in rows:
        by_sheet.setdefault(sheet_name, []).append((row_number, cells, reason))
    for index, (sheet_name, items) in enumerate(by_sheet.items()):
        title = re.sub(r"[\[\]:*?/\\]", "_", sheet_name)[:28] or f"Sheet{index + 1}"
        sheet = workbook.create_sheet(title if title not in workbook.sheetnames else f"{title[:24]}_{index}")
        headers = headers_by_sheet.get(sheet_name, [])
        sheet.append([_("原工作表"), _("原行号"), *headers, _("原因")])
        hidden = (masked_columns or {}).get(sheet_name, set()) if mask else set()
        for row_number, cells, reason in items:
            shown = ["***" if position in hidden and not _cell_empty(cell) else _cell_for_download(cell, mask=mask)
                     for position, cell in enumerate(cells)]
            sheet.append([sheet_name, row_number, *shown, reason])
    if default is not None and len(workbook.sheetnames) > 1:
        workbook.remove(default)
    elif default is not None:
        default.append([_("没有被搁置的行。")])
    return xlsx_bytes(workbook)
