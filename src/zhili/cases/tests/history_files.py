"""Small work-order history files in the shapes real 12345 exports come in — written for the tests.

Our own invented rows (no copy of anyone's records): five yearly sheets, the export's usual headers
(工单编号, 一级分类…五级分类, 紧急程度, 来电类别, 受理渠道, 主要内容, 受理时间, 办理情况, 工单状态,
受理类型, 办理单位, 转办时间, 办结时间, operator and caller names), times ending in ``.000``,
closing times rounded to the minute (a few seconds before intake), empty rows between records.
"""

from __future__ import annotations

import datetime as dt
import io
import random
from collections.abc import Sequence
from dataclasses import dataclass

from openpyxl import Workbook

EXPORT_HEADERS = ["工单编号", "一级分类", "二级分类", "三级分类", "四级分类", "五级分类", "紧急程度", "来电类别",
                  "受理渠道", "主要内容", "受理时间", "办理情况", "工单状态", "受理类型", "办理单位", "转办时间",
                  "办结时间", "话务员", "来电人"]
UNITS = ("区城管局", "区住建局", "区生态环境局", "红梅街道办事处", "市供电公司")
CATEGORIES = (
    ("城乡建设", "市政设施", "路灯"), ("城乡建设", "环境卫生", "垃圾清运"), ("环境保护", "噪声污染", "施工噪音"),
    ("城乡建设", "道路交通", "道路破损"), ("劳动和社会保障", "工资待遇", "拖欠工资"),
)
TEXTS = {
    "路灯": "市民来电反映：{place}路灯不亮已经一周，晚上出行不便，希望尽快修复。",
    "垃圾清运": "市民来电反映：{place}小区垃圾桶满了没人清运，气味很大，请相关部门处理。",
    "施工噪音": "市民来电反映：{place}工地夜间施工噪音扰民，影响休息，要求查处。",
    "道路破损": "市民来电反映：{place}路面坑洼破损，电动车容易摔倒，请尽快修补。",
    "拖欠工资": "市民来电反映：在{place}附近一家公司打工，老板拖欠三个月工资，要求协调。",
}
PLACES = ("青年路", "北环新村", "竹林路", "红梅新村", "东方花园", "丽华新村")


@dataclass(frozen=True)
class HistoryRow:
    number: str
    category: tuple[str, str, str]
    text: str
    received: dt.datetime
    dispatched: dt.datetime
    finished: dt.datetime | None
    unit: str
    status: str
    reply: str


def history_rows(count: int, *, year: int, seed: int = 0, prefix: str = "GD") -> list[HistoryRow]:
    """``count`` finished work orders of ``year``; every fourth is closed seconds after intake, so the export's
    minute rounding puts its closing time 1–25 s *before* intake."""
    generator = random.Random(seed * 10_000 + year)
    rows = []
    for index in range(count):
        category = CATEGORIES[index % len(CATEGORIES)]
        received = dt.datetime(year, 1, 1, 8, 0) + dt.timedelta(minutes=generator.randrange(0, 364 * 24 * 60),
                                                                 seconds=generator.randrange(1, 26))
        if index % 4 == 3:
            # closed a few seconds after intake; the export rounds it to the minute: 1–25 s *before* intake
            finished = received + dt.timedelta(seconds=3)
        else:
            finished = received + dt.timedelta(hours=generator.randrange(2, 240))
        text = TEXTS[category[2]].format(place=PLACES[generator.randrange(len(PLACES))])
        rows.append(HistoryRow(
            number=f"{prefix}{year}{index + 1:06d}", category=category, text=text, received=received,
            dispatched=received + dt.timedelta(minutes=30), finished=finished, unit=UNITS[index % len(UNITS)],
            status="已办结", reply="已处理完毕，市民表示认可。"))
    return rows


def _to_minute(moment: dt.datetime) -> dt.datetime:
    return (moment + dt.timedelta(seconds=30)).replace(second=0, microsecond=0)


def _millisecond_text(moment: dt.datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M:%S}.000"


def export_row(row: HistoryRow) -> list[object]:
    """One row as the export writes it: times as text with ``.000``, the closing time rounded to the minute."""
    finished = _to_minute(row.finished) if row.finished else None
    return [row.number, *row.category, "", "", "一般", "投诉", "电话", row.text, _millisecond_text(row.received),
            row.reply, row.status, "直接转办", row.unit, _millisecond_text(row.dispatched),
            _millisecond_text(finished) if finished else "", "坐席007", "张先生"]


def history_workbook(sheets: Sequence[tuple[str, Sequence[Sequence[object]]]],
                     headers: Sequence[str] = EXPORT_HEADERS,
                     headers_by_sheet: dict[str, Sequence[str]] | None = None, blank_every: int = 0) -> bytes:
    """An .xlsx with one sheet per (name, rows); ``blank_every`` inserts an empty row after every n rows."""
    workbook = Workbook()
    default = workbook.active
    for name, rows in sheets:
        sheet = workbook.create_sheet(name)
        sheet.append(list((headers_by_sheet or {}).get(name, headers)))
        for position, row in enumerate(rows, start=1):
            sheet.append(list(row))
            if blank_every and position % blank_every == 0:
                sheet.append([])
    if default is not None:
        workbook.remove(default)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def five_sheet_export(rows_per_sheet: int = 4, *, seed: int = 0, first_year: int = 2016,
                      blank_every: int = 2) -> tuple[bytes, list[HistoryRow]]:
    """The shape of a real export: five yearly sheets, ``.000`` times, minute-rounded closes, empty rows."""
    sheets = []
    everything: list[HistoryRow] = []
    for year in range(first_year, first_year + 5):
        rows = history_rows(rows_per_sheet, year=year, seed=seed)
        everything += rows
        sheets.append((f"{year}年", [export_row(row) for row in rows]))
    return history_workbook(sheets, blank_every=blank_every), everything


def history_xls(rows: Sequence[Sequence[object]], headers: Sequence[str] = EXPORT_HEADERS,
                sheet_name: str = "工单") -> bytes:
    """A legacy .xls (BIFF8, as xlwt writes it) with the given rows; datetimes get a date format."""
    import xlwt

    workbook = xlwt.Workbook(encoding="utf-8")
    sheet = workbook.add_sheet(sheet_name)
    date_style = xlwt.easyxf(num_format_str="yyyy-mm-dd hh:mm:ss")
    for column, header in enumerate(headers):
        sheet.write(0, column, header)
    for row_index, row in enumerate(rows, start=1):
        for column, value in enumerate(row):
            if isinstance(value, dt.datetime):
                sheet.write(row_index, column, value, date_style)
            else:
                sheet.write(row_index, column, value)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
