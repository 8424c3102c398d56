"""The .xlsx template of a plan (sheets 指标 and 观测值) and the parser of a filled-in template.

The parser never writes: it returns what to write and every problem found, cell by cell, so the
import can be all-or-nothing (:func:`zhili.indicators.services.plan_workbook_import`).
"""

from __future__ import annotations

import io
import math
import re
from dataclasses import dataclass, field
from typing import IO, Any

from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from zhili.core.errors import ApplicationError
from zhili.core.spreadsheets import xlsx_bytes
from zhili.core.uploads import upload_size_limit
from zhili.core.workbooks import workbook_document_type_refuse, workbook_sheets_read
from zhili.indicators.contracts import ObservationInput
from zhili.indicators.models import Indicator, IndicatorKind, Plan, QualitativeStatus
from zhili.indicators.selectors import current_values
from zhili.indicators.units import conversion_factor, normalise_unit

INDICATOR_SHEET = "指标"
OBSERVATION_SHEET = "观测值"
HEADER_ROW = 2
FIRST_DATA_ROW = 3
QUALITATIVE_LABELS = {str(label): str(value) for value, label in QualitativeStatus.choices}
_READ_ONLY_FILL = PatternFill("solid", fgColor="F1F5F9")
_INPUT_FILL = PatternFill("solid", fgColor="FEFCE8")
_HEADER_FONT = Font(bold=True)
_YEAR_HEADER = re.compile(r"^\s*(\d{4})")

INDICATOR_COLUMNS = ("指标编号", "分组", "序号", "指标名称", "单位", "属性", "类型", "方向", "基期年份", "基期值",
                     "目标值", "目标表述", "数据来源部门", "备注")
INDICATOR_EDITABLE = {"基期值", "数据来源部门"}


def _instructions(sheet: Worksheet, text: str, width: int) -> None:
    sheet.cell(row=1, column=1, value=text).alignment = Alignment(wrap_text=True, vertical="top")
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    sheet.row_dimensions[1].height = 60


def plan_template_workbook(plan: Plan) -> bytes:
    """The plan's template with current values filled in, as .xlsx bytes."""
    workbook = Workbook()
    indicators = list(plan.indicators.select_related("group").order_by("number", "pk"))
    current = current_values(indicator.pk for indicator in indicators)

    sheet = workbook.active
    assert sheet is not None  # noqa: S101 - a new workbook always has one sheet
    sheet.title = INDICATOR_SHEET
    _instructions(sheet, _(
        "填写说明：本表列出%(plan)s的全部指标。黄色列（基期值、数据来源部门）可修改，灰色列为规划原文，"
        "请勿修改；指标编号用于匹配，不能改动。基期值只填数字，不带单位。"
    ) % {"plan": plan}, len(INDICATOR_COLUMNS))
    for column, title in enumerate(INDICATOR_COLUMNS, start=1):
        cell = sheet.cell(row=HEADER_ROW, column=column, value=title)
        cell.font = _HEADER_FONT
    for row_number, indicator in enumerate(indicators, start=FIRST_DATA_ROW):
        row_values: list[Any] = [indicator.code, indicator.group.name, indicator.number, indicator.name, indicator.unit,
                  indicator.get_attribute_display(), indicator.get_kind_display(), indicator.get_direction_display(),
                  indicator.baseline_year or plan.base_year, indicator.baseline_value, indicator.target_value,
                  indicator.target_text, indicator.source_department, indicator.notes]
        for column, (title, value) in enumerate(zip(INDICATOR_COLUMNS, row_values, strict=True), start=1):
            cell = sheet.cell(row=row_number, column=column, value=value)
            cell.fill = _INPUT_FILL if title in INDICATOR_EDITABLE else _READ_ONLY_FILL
    baseline_column = get_column_letter(INDICATOR_COLUMNS.index("基期值") + 1)
    decimal_rule = DataValidation(type="decimal", operator="between", formula1="-1000000000000",
                                  formula2="1000000000000", allow_blank=True, showErrorMessage=True,
                                  errorTitle=_("需要数字"), error=_("基期值只能填数字（不带单位）。"))
    sheet.add_data_validation(decimal_rule)
    if indicators:
        decimal_rule.add(f"{baseline_column}{FIRST_DATA_ROW}:{baseline_column}{FIRST_DATA_ROW + len(indicators) - 1}")
    for letter, width in zip("ABCDEFGHIJKLMN", (10, 14, 6, 40, 12, 8, 12, 10, 9, 10, 10, 16, 16, 40), strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = "E3"

    sheet = workbook.create_sheet(OBSERVATION_SHEET)
    years = list(range(plan.base_year, plan.target_year + 1))
    headers = ["指标编号", "指标名称", "类型", "填报单位"]
    headers += [f"{year}（基期）" if year == plan.base_year else str(year) for year in years]
    headers += ["数据来源", "说明"]
    _instructions(sheet, _(
        "填写说明：每行一个指标，每列一个年份，填写该年度实际值（只填数字，不带单位和文字）。"
        "“填报单位”默认为指标单位，可改为可换算的单位（如万元/亿元），系统自动换算。"
        "年均增速类指标按“填报单位”填写当年增速（%%）或水平值。定性指标从下拉列表选择完成情况。"
        "空白单元格不作修改；已有数值被改动时系统保留历史版本。任何一处有误，整份文件不导入。"
    ), len(headers))
    for column, title in enumerate(headers, start=1):
        sheet.cell(row=HEADER_ROW, column=column, value=title).font = _HEADER_FONT
    first_year_column = 5
    qualitative_rule = DataValidation(type="list", formula1='"' + ",".join(QUALITATIVE_LABELS) + '"',
                                      allow_blank=True, showErrorMessage=True, errorTitle=_("请选择"),
                                      error=_("定性指标请从列表中选择完成情况。"))
    number_rule = DataValidation(type="decimal", operator="between", formula1="-1000000000000",
                                 formula2="1000000000000", allow_blank=True, showErrorMessage=True,
                                 errorTitle=_("需要数字"), error=_("请只填写数字，不带单位和文字。"))
    sheet.add_data_validation(qualitative_rule)
    sheet.add_data_validation(number_rule)
    last_year_column = get_column_letter(first_year_column + len(years) - 1)
    for row_number, indicator in enumerate(indicators, start=FIRST_DATA_ROW):
        values = current.values.get(indicator.pk, {})
        qualitative = current.qualitative.get(indicator.pk, {})
        sheet.cell(row=row_number, column=1, value=indicator.code).fill = _READ_ONLY_FILL
        sheet.cell(row=row_number, column=2, value=indicator.name).fill = _READ_ONLY_FILL
        kind_cell = sheet.cell(row=row_number, column=3, value=indicator.get_kind_display())
        kind_cell.fill = _READ_ONLY_FILL
        if indicator.kind == IndicatorKind.GROWTH and indicator.growth_input == "rate":
            kind_cell.comment = Comment(_("填写当年增速（%），如 6.5"), "zhili")
        sheet.cell(row=row_number, column=4, value=indicator.value_unit).fill = _INPUT_FILL
        for offset, year in enumerate(years):
            cell = sheet.cell(row=row_number, column=first_year_column + offset)
            cell.fill = _INPUT_FILL
            if indicator.kind == IndicatorKind.QUALITATIVE:
                slug = qualitative.get(year)
                cell.value = str(QualitativeStatus(slug).label) if slug else None
            else:
                cell.value = values.get(year)
        target = qualitative_rule if indicator.kind == IndicatorKind.QUALITATIVE else number_rule
        target.add(f"{get_column_letter(first_year_column)}{row_number}:{last_year_column}{row_number}")
    sheet.column_dimensions["A"].width = 10
    sheet.column_dimensions["B"].width = 40
    sheet.column_dimensions["C"].width = 12
    sheet.column_dimensions["D"].width = 12
    sheet.freeze_panes = "E3"
    return xlsx_bytes(workbook)


@dataclass(frozen=True)
class CellProblem:
    sheet: str
    cell: str
    problem: str
    action: str

    def as_dict(self) -> dict[str, str]:
        return {"sheet": self.sheet, "cell": self.cell, "problem": self.problem, "action": self.action}


@dataclass(frozen=True)
class IndicatorUpdate:
    indicator_id: int
    baseline_value: float | None
    source_department: str


@dataclass
class ParsedWorkbook:
    observations: list[ObservationInput] = field(default_factory=list)
    indicator_updates: list[IndicatorUpdate] = field(default_factory=list)
    problems: list[CellProblem] = field(default_factory=list)
    conversions: list[str] = field(default_factory=list)
    # implausible but possible values (an order-of-magnitude jump): imported only once a person confirms
    warnings: list[CellProblem] = field(default_factory=list)


_THOUSANDS_GROUPS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")
_DECIMAL_COMMA = re.compile(r"^[+-]?\d+,\d+$")
_EUROPEAN = re.compile(r"^[+-]?\d{1,3}(\.\d{3})+,\d+$")
# A value this many times the previous year's (or that share of it) is flagged for confirmation: about an
# order of magnitude, where a misread decimal comma (×10), a wrong unit (×10⁴) or a typo lands.
JUMP_FACTOR = 5.0


@dataclass(frozen=True)
class NumberReading:
    value: float | None
    note: str = ""  # how a comma was read, when it was not the only reading


def _comma_candidates(text: str) -> list[tuple[float, str]]:
    """Every reading of a number written with commas: (value, how it was read)."""
    candidates: list[tuple[float, str]] = []
    if _EUROPEAN.match(text):
        return [(float(text.replace(".", "").replace(",", ".")), _("千分位为点、小数点为逗号"))]
    if "." in text:
        if _THOUSANDS_GROUPS.match(text):
            return [(float(text.replace(",", "")), "")]
        raise ValueError("comma and point")
    if _THOUSANDS_GROUPS.match(text):
        candidates.append((float(text.replace(",", "")), _("逗号为千分位")))
    if _DECIMAL_COMMA.match(text):
        candidates.append((float(text.replace(",", ".")), _("逗号为小数点")))
    if not candidates:
        raise ValueError("commas in the wrong places")
    return candidates


def _closest(candidates: list[tuple[float, str]], *, unit: str, reference: float | None) -> tuple[float, str]:
    """The reading the unit and the row's history make likely: a share in % stays ≤ 100; else the one
    nearest (in ratio) to the previous year's value; without history, commas as thousands separators."""
    if normalise_unit(unit) == "%":
        plausible = [candidate for candidate in candidates if abs(candidate[0]) <= 100]
        candidates = plausible or candidates
    if reference is not None and reference != 0 and len(candidates) > 1:
        return min(candidates, key=lambda candidate: abs(math.log(abs(candidate[0]) / abs(reference)))
                   if candidate[0] != 0 else math.inf)
    return candidates[0]


def number_read(raw: Any, *, unit: str = "", percent_format: bool = False,
                reference: float | None = None) -> NumberReading:
    """A cell as a number (None for blank); raises ValueError for anything that is not a number.

    Text with commas is read by the column's unit and the row's history (``reference``: the value of
    the year before): "14,1" is 14.1 (a decimal comma — a thousands separator groups three digits),
    "1,234,567" and "1,234.5" use thousands separators, "1.234,5" is European; "1,234" can be either,
    and the reading nearer the previous year's value wins (a share in % is never above 100). The note
    says how a comma was read whenever it mattered.
    """
    if raw is None:
        return NumberReading(None)
    if isinstance(raw, bool):
        raise ValueError("boolean")
    note = ""
    if isinstance(raw, int | float):
        value = float(raw)
        if percent_format and normalise_unit(unit) == "%":
            value *= 100.0
    else:
        text = str(raw).strip().replace("，", ",").replace(" ", "").replace("\u3000", "")
        if not text:
            return NumberReading(None)
        if text.endswith(("%", "％")) and normalise_unit(unit) == "%":
            text = text[:-1]
        if "," in text:
            candidates = _comma_candidates(text)
            value, how = _closest(candidates, unit=unit, reference=reference)
            if how and (len(candidates) > 1 or how != _("逗号为千分位")):
                note = _("“%(text)s”按%(how)s读作 %(value)s") % {"text": raw, "how": how, "value": f"{value:g}"}
        else:
            value = float(text)
    if not math.isfinite(value):
        raise ValueError("not finite")
    return NumberReading(value, note)


def parse_number(raw: Any, *, unit: str = "", percent_format: bool = False,
                 reference: float | None = None) -> float | None:
    """A cell as a number; None for blank. Raises ValueError for anything that is not a number."""
    return number_read(raw, unit=unit, percent_format=percent_format, reference=reference).value


def jump_from(previous: float | None, value: float) -> float | None:
    """The factor by which ``value`` differs from the previous year's when it is an order-of-magnitude jump, else None."""
    if previous is None or previous == 0 or value == 0 or (previous > 0) != (value > 0):
        return None
    factor = max(abs(value / previous), abs(previous / value))
    return factor if factor >= JUMP_FACTOR else None


def _workbook_of(content: bytes, file_name: str) -> Workbook:
    """The uploaded template as an openpyxl workbook; a legacy .xls (or an .xlsx openpyxl cannot open) is read
    by the shared workbook reader and its values copied into one (number formats are not carried over)."""
    if not file_name.lower().endswith(".xls") and not content.startswith(b"\xd0\xcf\x11\xe0"):
        workbook_document_type_refuse(content, file_name=file_name or "upload.xlsx")
        return load_workbook(io.BytesIO(content), data_only=True)
    workbook = Workbook()
    default = workbook.active
    for sheet in workbook_sheets_read(content, file_name=file_name or "upload.xls"):
        target = workbook.create_sheet(sheet.name[:31])
        for row in sheet.rows:
            target.append([None if value == "" else value for value in row])
    if default is not None:
        workbook.remove(default)
    return workbook


def parse_plan_workbook(plan: Plan, stream: IO[bytes], file_name: str = "") -> ParsedWorkbook:
    """Read a filled-in template (.xlsx, or a legacy .xls). Problems are collected cell by cell; nothing is written."""
    parsed = ParsedWorkbook()
    limit = upload_size_limit()
    content = stream.read(limit + 1)  # never more than the upload limit in memory
    if len(content) > limit:
        parsed.problems.append(CellProblem("-", "-", _("文件超过 %(limit)d MB 的上限") % {"limit": limit // 2**20},
                                           _("请只上传本规划的填报模板（通常不足 1 MB）")))
        return parsed
    try:
        workbook = _workbook_of(content, file_name)
    except ApplicationError as error:
        parsed.problems.append(CellProblem("-", "-", error.message, _("请下载本规划的模板，在 Excel/WPS 中填写后另存为 .xlsx 再上传")))
        return parsed
    except Exception:  # openpyxl raises many types for a file that is not an .xlsx
        parsed.problems.append(CellProblem("-", "-", _("文件无法作为 Excel（.xlsx）读取"),
                                           _("请下载本规划的模板，在 Excel/WPS 中填写后另存为 .xlsx 再上传")))
        return parsed
    indicators = {indicator.code: indicator for indicator in plan.indicators.all()}
    if OBSERVATION_SHEET not in workbook.sheetnames and INDICATOR_SHEET not in workbook.sheetnames:
        parsed.problems.append(CellProblem("-", "-", _("文件中没有“观测值”或“指标”工作表"),
                                           _("请使用从本页下载的模板，不要重命名工作表")))
        return parsed
    if INDICATOR_SHEET in workbook.sheetnames:
        _parse_indicator_sheet(workbook[INDICATOR_SHEET], indicators, parsed)
    if OBSERVATION_SHEET in workbook.sheetnames:
        _parse_observation_sheet(plan, workbook[OBSERVATION_SHEET], indicators, parsed)
    return parsed


def _header_columns(sheet: Worksheet) -> dict[str, int]:
    columns: dict[str, int] = {}
    for cell in sheet[HEADER_ROW]:
        if cell.value is not None:
            columns[str(cell.value).strip()] = int(cell.column or 0)
    return columns


def _row_indicator(parsed: ParsedWorkbook, sheet_name: str, coordinate: str, code: str,
                   indicators: dict[str, Indicator], seen: set[str], *, unknown_hint: str) -> Indicator | None:
    """The plan's indicator a template row names, once; a problem recorded for an unknown or repeated code."""
    indicator = indicators.get(code)
    if indicator is None:
        parsed.problems.append(CellProblem(sheet_name, coordinate, _("指标编号“%(code)s”不属于本规划") % {"code": code},
                                           unknown_hint))
        return None
    if code in seen:
        parsed.problems.append(CellProblem(sheet_name, coordinate, _("指标编号“%(code)s”重复出现") % {"code": code},
                                           _("请删除重复的行")))
        return None
    seen.add(code)
    return indicator


def _parse_indicator_sheet(sheet: Worksheet, indicators: dict[str, Indicator], parsed: ParsedWorkbook) -> None:
    columns = _header_columns(sheet)
    missing = [title for title in ("指标编号", "基期值", "数据来源部门") if title not in columns]
    if missing:
        parsed.problems.append(CellProblem(INDICATOR_SHEET, f"第{HEADER_ROW}行", _("缺少列：%(columns)s")
                                           % {"columns": "、".join(missing)}, _("请使用本规划的模板，不要删除或改名表头")))
        return
    seen: set[str] = set()
    for row in sheet.iter_rows(min_row=FIRST_DATA_ROW):
        code_cell = row[columns["指标编号"] - 1]
        code = str(code_cell.value).strip() if code_cell.value is not None else ""
        if not code:
            continue
        indicator = _row_indicator(parsed, INDICATOR_SHEET, code_cell.coordinate, code, indicators, seen,
                                   unknown_hint=_("不要修改指标编号；新增指标请使用“粘贴指标表”功能"))
        if indicator is None:
            continue
        baseline_cell = row[columns["基期值"] - 1]
        try:
            baseline = parse_number(baseline_cell.value, unit=indicator.unit)
        except ValueError:
            parsed.problems.append(CellProblem(INDICATOR_SHEET, baseline_cell.coordinate,
                                               _("基期值“%(value)s”不是数字") % {"value": baseline_cell.value},
                                               _("只填写数字，不带单位和文字，如 26.43")))
            continue
        department_cell = row[columns["数据来源部门"] - 1]
        department = str(department_cell.value or "").strip()[:80]
        if baseline != indicator.baseline_value or department != indicator.source_department:
            parsed.indicator_updates.append(IndicatorUpdate(indicator.pk, baseline, department))


def _parse_observation_sheet(plan: Plan, sheet: Worksheet, indicators: dict[str, Indicator],
                             parsed: ParsedWorkbook) -> None:
    columns = _header_columns(sheet)
    if "指标编号" not in columns:
        parsed.problems.append(CellProblem(OBSERVATION_SHEET, f"A{HEADER_ROW}", _("缺少“指标编号”列"),
                                           _("请使用本规划的模板，不要删除或改名表头")))
        return
    year_columns: dict[int, int] = {}
    for cell in sheet[HEADER_ROW]:
        match = _YEAR_HEADER.match(str(cell.value)) if cell.value is not None else None
        if match:
            year = int(match.group(1))
            if plan.base_year <= year <= plan.target_year:
                year_columns[int(cell.column or 0)] = year
            elif any(row[0].value not in (None, "") for row in sheet.iter_rows(
                    min_row=FIRST_DATA_ROW, min_col=int(cell.column or 0), max_col=int(cell.column or 0))):
                parsed.problems.append(CellProblem(
                    OBSERVATION_SHEET, cell.coordinate,
                    _("年份%(year)s不在规划期（%(base)s—%(target)s年）内") % {
                        "year": year, "base": plan.base_year, "target": plan.target_year},
                    _("删除该列的数值，或把数值填到规划期内的年份列"),
                ))
    stored = current_values(indicator.pk for indicator in indicators.values())
    unit_column = columns.get("填报单位")
    source_column = columns.get("数据来源")
    note_column = columns.get("说明")
    seen: set[str] = set()
    for row in sheet.iter_rows(min_row=FIRST_DATA_ROW):
        code_cell = row[columns["指标编号"] - 1]
        code = str(code_cell.value).strip() if code_cell.value is not None else ""
        year_cells = [(row[column - 1], year) for column, year in year_columns.items() if column - 1 < len(row)]
        if not code:
            if any(cell.value not in (None, "") for cell, _year in year_cells):
                parsed.problems.append(CellProblem(OBSERVATION_SHEET, code_cell.coordinate, _("该行有数值但没有指标编号"),
                                                   _("请填写指标编号，或删除该行数值")))
            continue
        indicator = _row_indicator(parsed, OBSERVATION_SHEET, code_cell.coordinate, code, indicators, seen,
                                   unknown_hint=_("不要修改指标编号；请重新下载模板"))
        if indicator is None:
            continue
        factor = 1.0
        entered_unit = indicator.value_unit
        if unit_column is not None:
            unit_cell = row[unit_column - 1]
            entered_unit = str(unit_cell.value or "").strip() or indicator.value_unit
            converted = conversion_factor(entered_unit, indicator.value_unit)
            if converted is None:
                parsed.problems.append(CellProblem(
                    OBSERVATION_SHEET, unit_cell.coordinate,
                    _("单位“%(entered)s”与指标单位“%(unit)s”不一致，且无法换算") % {
                        "entered": entered_unit, "unit": indicator.value_unit},
                    _("请改回“%(unit)s”并按该单位填写数值") % {"unit": indicator.value_unit},
                ))
                continue
            factor = converted
            if factor != 1.0:
                parsed.conversions.append(_("%(code)s：按%(entered)s填报，已换算为%(unit)s") % {
                    "code": code, "entered": entered_unit, "unit": indicator.value_unit})
        source = str(row[source_column - 1].value or "").strip()[:120] if source_column else ""
        note = str(row[note_column - 1].value or "").strip()[:200] if note_column else ""
        # the row's history, in the indicator's unit: stored values, then this file's earlier years
        history = dict(stored.values.get(indicator.pk, {}))
        checks_jumps = not (indicator.kind == IndicatorKind.GROWTH and indicator.growth_input == "rate")
        for cell, year in sorted(year_cells, key=lambda item: item[1]):
            if cell.value is None or (isinstance(cell.value, str) and not cell.value.strip()):
                continue
            if indicator.kind == IndicatorKind.QUALITATIVE:
                label = str(cell.value).strip()
                if label not in QUALITATIVE_LABELS:
                    parsed.problems.append(CellProblem(
                        OBSERVATION_SHEET, cell.coordinate, _("“%(value)s”不是可选的完成情况") % {"value": label},
                        _("请从下拉列表选择：%(choices)s") % {"choices": "、".join(QUALITATIVE_LABELS)},
                    ))
                    continue
                parsed.observations.append(ObservationInput(
                    indicator_id=indicator.pk, year=year, qualitative_status=QUALITATIVE_LABELS[label],
                    source=source or _("模板导入"), evidence=note, note=note,
                ))
                continue
            previous = history.get(year - 1)
            try:
                reading = number_read(cell.value, unit=entered_unit, percent_format="%" in (cell.number_format or ""),
                                      reference=previous / factor if previous is not None and factor else None)
            except ValueError:
                parsed.problems.append(CellProblem(
                    OBSERVATION_SHEET, cell.coordinate,
                    _("“%(value)s”不是数字") % {"value": cell.value},
                    _("只填写数字，不带单位和文字（如 17.5）；没有数据请留空"),
                ))
                continue
            if reading.value is None:
                continue
            value = round(reading.value * factor, 10)
            if reading.note:
                parsed.conversions.append(_("%(cell)s（%(code)s %(year)d年）：%(note)s") % {
                    "cell": cell.coordinate, "code": code, "year": year, "note": reading.note})
            jump = jump_from(previous, value) if checks_jumps else None
            if jump is not None:
                parsed.warnings.append(CellProblem(
                    OBSERVATION_SHEET, cell.coordinate,
                    _("%(code)s %(year)d年为 %(value)s，是上一年（%(previous)s）的 %(factor).1f 倍，数量级跳变")
                    % {"code": code, "year": year, "value": f"{value:g}", "previous": f"{previous:g}",
                       "factor": jump} if abs(value) > abs(previous or 0) else
                    _("%(code)s %(year)d年为 %(value)s，只有上一年（%(previous)s）的 1/%(factor).1f，数量级跳变")
                    % {"code": code, "year": year, "value": f"{value:g}", "previous": f"{previous:g}",
                       "factor": jump},
                    _("请核对小数点、千分位和单位；确认无误后勾选“确认数值跳变”重新上传"),
                ))
            history[year] = value
            parsed.observations.append(ObservationInput(
                indicator_id=indicator.pk, year=year, value=value,
                source=source or _("模板导入"), note=note,
            ))
