"""Upload readers and download writers of the projects app: the monthly-report template and its
import, the statistics bureau's 入库 list, the project list as Excel and as OC4IDS JSON."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.worksheet.datavalidation import DataValidation

from zhili.core.errors import ApplicationError
from zhili.core.spreadsheets import sheet_append, xlsx_bytes
from zhili.core.workbooks import workbook_sheets_read

MAX_IMPORT_ROWS = 20000

# column key → header, in template order
REPORT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("code", "项目编码"), ("name", "项目名称"), ("month", "填报月份"), ("investment", "当月完成投资(万元)"),
    ("progress_percent", "形象进度(%)"), ("progress_text", "形象进度说明"), ("problems_text", "存在问题"),
)
REPORT_REQUIRED = ("code", "month", "investment")
STATISTICS_COLUMNS: tuple[tuple[str, str], ...] = (
    ("code", "项目编码"), ("name", "项目名称"), ("month", "统计月份"), ("investment_to_date", "累计完成投资(万元)"),
    ("entered_on", "入库日期"),
)
STATISTICS_REQUIRED = ("code", "month", "investment_to_date")
LIBRARY_COLUMNS: tuple[tuple[str, str], ...] = (
    ("code", "项目编码"), ("name", "项目名称"), ("level", "项目级别"), ("kind", "项目类别"), ("department", "责任单位"),
    ("total_investment", "总投资(万元)"), ("plan_year", "计划年度"), ("year_plan", "年度计划投资(万元)"),
    ("industry", "所属行业"), ("is_industrial", "工业项目"), ("owner_name", "业主单位"),
    ("owner_credit_code", "统一社会信用代码"), ("longitude", "经度"), ("latitude", "纬度"), ("coordinate_system", "坐标系"),
    ("planned_start", "计划开工"), ("planned_finish", "计划竣工"), ("contact_name", "联系人"),
    ("contact_phone", "联系电话"),
)
LIBRARY_REQUIRED = ("code", "name", "level", "kind", "department", "total_investment")


@dataclass(frozen=True)
class SheetRow:
    """One data row of an uploaded sheet: its row number as Excel shows it and its cells by column key."""

    number: int
    cells: dict[str, object]


def _header_key(text: object, columns: Sequence[tuple[str, str]]) -> str | None:
    cleaned = "".join(str(text or "").split())
    for key, header in columns:
        if cleaned == "".join(header.split()):
            return key
    return None


def sheet_rows_read(content: bytes, *, file_name: str, columns: Sequence[tuple[str, str]],
                    required: Sequence[str]) -> list[SheetRow]:
    """The rows of the first sheet under a header row naming the columns; refuses a file without them."""
    sheet = workbook_sheets_read(content, file_name=file_name, max_rows=MAX_IMPORT_ROWS + 1)[0]
    if not sheet.rows:
        raise ApplicationError("sheet_empty", _("工作表「%(sheet)s」是空的，请使用下载的模板填写后上传。") % {"sheet": sheet.name})
    header = sheet.rows[0]
    keys = [_header_key(cell, columns) for cell in header]
    labels = dict(columns)
    missing = [labels[key] for key in required if key not in keys]
    if missing:
        raise ApplicationError("columns_missing", _("第1行缺少列：%(columns)s。请使用下载的模板，不要修改表头。")
                               % {"columns": "、".join(missing)})
    if len(sheet.rows) > MAX_IMPORT_ROWS + 1:
        raise ApplicationError("too_many_rows", _("文件超过 %(limit)d 行，请分批导入。") % {"limit": MAX_IMPORT_ROWS})
    rows: list[SheetRow] = []
    for offset, values in enumerate(sheet.rows[1:], start=2):
        cells = {key: value for key, value in zip(keys, values, strict=False) if key is not None}
        if all(value in ("", None) for value in cells.values()):
            continue
        rows.append(SheetRow(number=offset, cells=cells))
    return rows


def _template(columns: Sequence[tuple[str, str]], rows: Iterable[Sequence[Any]], *, title: str, note: str) -> Workbook:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None  # noqa: S101 - a new workbook has its sheet
    sheet.title = title
    sheet_append(sheet, [header for _key, header in columns])
    for row in rows:
        sheet_append(sheet, list(row))
    for index, (_key, header) in enumerate(columns):
        sheet.column_dimensions[chr(ord("A") + index)].width = max(12, len(header) * 2 + 2)
    notes = workbook.create_sheet("填写说明")
    for line in note.splitlines():
        sheet_append(notes, [line])
    return workbook


def monthly_report_template(*, year: int, month: int, projects: Iterable[tuple[str, str]]) -> bytes:
    """The monthly-report template for (year, month): one row per project (code, name), month filled in."""
    month_text = f"{year:04d}-{month:02d}"
    workbook_rows = [(code, name, month_text, None, None, "", "") for code, name in projects]
    note = _("每个项目一行；“填报月份”为 YYYY-MM，须与导入页面所选月份一致。\n"
             "“当月完成投资”以万元计，可保留两位小数；“形象进度(%)”为0–100的整数。\n"
             "整个文件全部校验通过才会导入；有任何一行出错，将列出行号和字段，一行也不导入。")
    workbook = _template(REPORT_COLUMNS, workbook_rows, title="月报", note=note)
    # the progress column accepts whole numbers 0–100 in Excel itself (the import checks it again)
    validation = DataValidation(type="whole", operator="between", formula1="0", formula2="100", allow_blank=True)
    validation.error = "形象进度为0–100的整数"
    workbook["月报"].add_data_validation(validation)
    validation.add("E2:E20000")
    return xlsx_bytes(workbook)


def project_library_template() -> bytes:
    """The project-library template (项目库导入): the headers, and the rules and an example in the note sheet."""
    note = _("每个项目一行；项目编码不能与库中已有项目重复。\n"
             "项目级别：省级/市级/区级/街道级；项目类别：重大项目/重点项目/招引项目/民生实事；责任单位填部门名称或代码。\n"
             "金额以万元计；日期为 YYYY-MM-DD；工业项目填“是”或“否”；坐标系为 WGS-84、GCJ-02 或 BD-09（默认 WGS-84）。\n"
             "整个文件全部校验通过才会导入；有任何一行出错，将列出行号和字段，一行也不导入。\n"
             "示例：XM2026001 | 智能装备产业园 | 区级 | 重点项目 | 区发改局 | 10000 | 2026 | 3000 | 汽车零部件 | 是 | …")
    return xlsx_bytes(_template(LIBRARY_COLUMNS, [], title="项目库", note=note))


def statistics_list_template(*, year: int, month: int, projects: Iterable[tuple[str, str]]) -> bytes:
    month_text = f"{year:04d}-{month:02d}"
    note = _("统计局入库清单：每个已入库项目一行，“累计完成投资”为当年1月至统计月份的累计数（万元）。")
    return xlsx_bytes(_template(STATISTICS_COLUMNS, [(code, name, month_text, None, None) for code, name in projects],
                                title="入库清单", note=note))


PROJECT_LIST_HEADERS = ("项目编码", "项目名称", "级别", "类别", "行业", "业主单位", "统一社会信用代码", "总投资(万元)",
                        "年度计划(万元)", "年度完成(万元)", "年度完成率(%)", "序时进度(%)", "责任单位", "挂钩领导",
                        "当前阶段", "计划开工", "实际开工", "入库状态", "亮灯", "亮灯原因")


def project_list_xlsx(rows: Iterable[Sequence[Any]]) -> bytes:
    """The project list (调度清单) as .xlsx; text a person typed stays text (core.spreadsheets)."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None  # noqa: S101 - a new workbook has its sheet
    sheet.title = "项目清单"
    sheet_append(sheet, PROJECT_LIST_HEADERS)
    for row in rows:
        sheet_append(sheet, list(row))
    return xlsx_bytes(workbook)


def oc4ids_json(package: dict[str, Any]) -> bytes:
    return json.dumps(package, ensure_ascii=False, indent=1, default=_json_default).encode("utf-8")


def _json_default(value: object) -> str:
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)
