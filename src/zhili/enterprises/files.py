"""Upload readers of the enterprises app: departmental source files (.xlsx / .csv in UTF-8 or GBK)
read into canonical fields. (Its list downloads are written by ``core.spreadsheets.table_xlsx``.)

Pure functions: no database. :func:`source_table_read` finds the header row, maps Chinese column
names (with their units) to :data:`~zhili.enterprises.scheme.DATA_FIELDS`, converts units,
reports per row what is wrong, and finds the data year the file names (a year column, a title row
such as "2025年度…", or the file name) so a batch of another year is not filled by mistake.
Workbooks (.xlsx and legacy .xls) are read by ``core.workbooks``. The services turn this into a staged batch and a linkage report.
"""

from __future__ import annotations

import csv
import io
import math
import re
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from zhili.core.errors import ApplicationError
from zhili.core.text_files import text_bytes_decode
from zhili.core.workbooks import workbook_file_name_accepted, workbook_sheets_read
from zhili.enterprises.scheme import DATA_FIELDS

# Normalised header text → field. Headers are normalised by dropping spaces, a trailing unit in
# brackets and case; see _header_key.
HEADER_ALIASES: dict[str, str] = {}
for _field, _aliases in {
    "credit_code": ("统一社会信用代码", "社会信用代码", "信用代码", "credit_code", "uscc"),
    "name": ("企业名称", "单位名称", "纳税人名称", "企业", "name"),
    "tax": ("税收实际贡献", "税收", "实缴税金", "实际入库税收", "评价税收", "税收合计", "tax"),
    "sales": ("营业收入", "销售收入", "主营业务收入", "应税销售收入", "sales"),
    "added_value": ("工业增加值", "增加值", "added_value"),
    "energy_tce": ("综合能耗", "综合能源消费量", "能耗", "energy_tce"),
    "electricity": ("用电量", "工业用电量", "年用电量", "electricity"),
    "cod": ("化学需氧量", "化学需氧量排放", "化学需氧量排放量", "cod"),
    "ammonia": ("氨氮", "氨氮排放", "氨氮排放量", "ammonia"),
    "so2": ("二氧化硫", "二氧化硫排放", "二氧化硫排放量", "so2", "so₂"),
    "nox": ("氮氧化物", "氮氧化物排放", "氮氧化物排放量", "nox", "noₓ"),
    "rd": ("研发经费支出", "研发经费", "r&d经费支出", "r&d", "rd"),
    "employees": ("年平均职工人数", "从业人员平均人数", "从业人员", "职工人数", "employees"),
    "land_mu": ("用地面积", "占地面积", "土地面积", "land_mu"),
    "high_tech": ("高新技术企业", "是否高新技术企业", "high_tech"),
    "environmental_penalties": ("环保行政处罚次数", "环保处罚次数", "environmental_penalties"),
    "major_safety_incident": ("重大安全生产事故", "重大安全事故", "major_safety_incident"),
    "major_environment_incident": ("重大环境污染事件", "重大环境事件", "major_environment_incident"),
}.items():
    for _alias in _aliases:
        HEADER_ALIASES[_alias.lower()] = _field

# (field group, unit text) → multiplier into the canonical unit of DATA_FIELDS.
_MONEY_FIELDS = frozenset({"tax", "sales", "added_value", "rd"})
_EMISSION_FIELDS = frozenset({"cod", "ammonia", "so2", "nox"})
UNIT_FACTORS: dict[tuple[str, str], float] = {
    **{(name, "万元"): 1.0 for name in _MONEY_FIELDS},
    **{(name, "元"): 1e-4 for name in _MONEY_FIELDS},
    **{(name, "千元"): 0.1 for name in _MONEY_FIELDS},
    ("electricity", "万千瓦时"): 1.0, ("electricity", "万kwh"): 1.0,
    ("electricity", "千瓦时"): 1e-4, ("electricity", "kwh"): 1e-4, ("electricity", "度"): 1e-4,
    ("energy_tce", "吨标准煤"): 1.0, ("energy_tce", "吨标煤"): 1.0, ("energy_tce", "tce"): 1.0,
    ("energy_tce", "万吨标准煤"): 1e4,
    **{(name, "吨"): 1.0 for name in _EMISSION_FIELDS},
    **{(name, "t"): 1.0 for name in _EMISSION_FIELDS},
    **{(name, "千克"): 1e-3 for name in _EMISSION_FIELDS},
    **{(name, "kg"): 1e-3 for name in _EMISSION_FIELDS},
    ("land_mu", "亩"): 1.0, ("land_mu", "公顷"): 15.0, ("land_mu", "平方米"): 0.0015, ("land_mu", "m2"): 0.0015,
    ("land_mu", "㎡"): 0.0015,
    ("employees", "人"): 1.0,
}
FLAG_FIELDS = frozenset({"high_tech", "major_safety_incident", "major_environment_incident"})
# Fields that may be negative: net tax after refunds (留抵退税) can be below zero.
NEGATIVE_ALLOWED = frozenset({"tax"})
_TRUE_WORDS = frozenset({"是", "有", "1", "y", "yes", "true", "√"})
_FALSE_WORDS = frozenset({"否", "无", "0", "n", "no", "false", ""})
_MISSING_WORDS = frozenset({"", "-", "—", "--", "/", "无数据", "n/a", "na", "null"})
_BRACKETS = re.compile(r"[（(\[【](.*?)[)）\]】]")

MAX_ROWS = 200_000


@dataclass(frozen=True)
class SourceRow:
    row_number: int
    credit_code: str
    name: str
    values: dict[str, float | None]
    problems: list[dict[str, str]] = field(default_factory=list)
    warnings: list[dict[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class SourceTable:
    encoding: str
    fields: list[str]  # data fields found, in column order
    rows: list[SourceRow]
    year: DetectedYear | None = None  # the data year the file names (column, title row or file name)


def _header_key(text: object) -> tuple[str, str]:
    """("税收", "万元") for "税收（万元）"; the key is lower-case without spaces."""
    raw = "".join(str(text or "").split())
    unit_match = _BRACKETS.search(raw)
    unit = unit_match.group(1).lower() if unit_match else ""
    key = _BRACKETS.sub("", raw).lower()
    return key, unit


def decode_text(content: bytes) -> tuple[str, str]:
    """Decode CSV bytes: UTF-8 (with or without BOM), else GB18030 (a superset of GBK), else a guess."""
    decoded = text_bytes_decode(content)
    if decoded is not None:
        return decoded[0], {"utf-8": "UTF-8", "gb18030": "GBK/GB18030", "utf-16": "UTF-16"}[decoded[1]]
    # deferred: encoding detection is imported only for CSV files of unknown encoding
    from charset_normalizer import from_bytes

    best = from_bytes(content).best()
    if best is None:
        raise ApplicationError("file_encoding_unknown",
                               _("无法识别文件编码。请另存为UTF-8或GBK编码的CSV，或.xlsx文件后重新上传。"))
    return str(best), best.encoding


def _cells_from_file(file_name: str, content: bytes) -> tuple[list[list[object]], str]:
    lower_name = file_name.lower()
    if workbook_file_name_accepted(lower_name):
        # .xlsx and legacy .xls (tax and electricity systems still write it): the first sheet
        sheets = workbook_sheets_read(content, file_name=file_name, max_rows=MAX_ROWS + 20)
        return sheets[0].rows, lower_name.rsplit(".", 1)[-1]
    if lower_name.endswith((".csv", ".txt")):
        text, encoding = decode_text(content)
        try:
            # newline="" lets the csv module handle bare carriage returns inside cells itself
            return [list(row) for row in csv.reader(io.StringIO(text, newline=""))], encoding
        except csv.Error as error:
            raise ApplicationError("file_unreadable", _("无法读取CSV文件“%(name)s”：%(reason)s。请用Excel另存为.xlsx或标准CSV后重新上传。")
                                   % {"name": file_name, "reason": error}) from error
    raise ApplicationError("file_type_unsupported",
                           _("不支持文件“%(name)s”的格式。请上传.xlsx、.xls或.csv文件。") % {"name": file_name})


_YEAR_IN_TEXT = re.compile(r"(?<!\d)(20\d{2})\s*(?:年度|年)")
_YEAR_ALONE = re.compile(r"(?<!\d)(20\d{2})(?!\d)")
_YEAR_HEADERS = frozenset({"年度", "年份", "所属年度", "数据年度", "统计年度", "year"})


@dataclass(frozen=True)
class DetectedYear:
    """The data year a source file names, and where it says so (for the message)."""

    year: int
    evidence: str


def source_year_detect(file_name: str, cells: list[list[object]], header_index: int) -> DetectedYear | None:
    """The year a file is about: a year column's values, a title row above the header ("2025年度…"),
    else the file name ("2025年度税收.xlsx", "tax_2025.csv"). None when it names none (or several)."""
    header = [_header_key(cell)[0] for cell in cells[header_index]] if header_index < len(cells) else []
    for position, key in enumerate(header):
        if key in _YEAR_HEADERS:
            years = {int(float(str(row[position]))) for row in cells[header_index + 1:header_index + 2001]
                     if position < len(row) and re.fullmatch(r"\s*20\d{2}(\.0)?\s*", str(row[position] or ""))}
            if len(years) == 1:
                year = years.pop()
                return DetectedYear(year, _("“%(column)s”列为 %(year)d") % {"column": cells[header_index][position],
                                                                          "year": year})
    for row in cells[:header_index]:
        text = " ".join(str(cell) for cell in row if cell not in (None, ""))
        found = set(_YEAR_IN_TEXT.findall(text))
        if len(found) == 1:
            return DetectedYear(int(found.pop()), _("表头上方写着“%(text)s”") % {"text": text[:40]})
    stem = file_name.rsplit("/", 1)[-1]
    found = set(_YEAR_IN_TEXT.findall(stem)) or set(_YEAR_ALONE.findall(stem))
    if len(found) == 1:
        return DetectedYear(int(found.pop()), _("文件名“%(name)s”") % {"name": stem})
    return None


def _number(text: object, field_name: str, factor: float) -> tuple[float | None, str]:
    """(value, problem code) of one cell; problem is "" when fine. ``1e309``, ``inf`` and ``nan`` — or a
    value the unit makes overflow — are not numbers (a JSON column cannot hold them)."""
    value, problem = _number_unchecked(text, field_name, factor)
    if value is not None and not math.isfinite(value):
        return None, "invalid_number"
    return value, problem


def _number_unchecked(text: object, field_name: str, factor: float) -> tuple[float | None, str]:
    if text is None:
        return None, ""
    if isinstance(text, bool):
        return float(text), ""
    if isinstance(text, int | float):
        return float(text) * factor, ""
    cleaned = str(text).strip().replace(",", "").replace("，", "").replace("\u3000", "")
    if field_name in FLAG_FIELDS:
        word = cleaned.lower()
        if word in _TRUE_WORDS:
            return 1.0, ""
        if word in _FALSE_WORDS:
            return 0.0, ""
        return None, "invalid_number"
    if cleaned.lower() in _MISSING_WORDS:
        return None, ""
    cleaned = cleaned.translate(str.maketrans("０１２３４５６７８９．－", "0123456789.-"))
    try:
        return float(cleaned) * factor, ""
    except ValueError:
        return None, "invalid_number"


def source_table_read(file_name: str, content: bytes) -> SourceTable:
    """Parse one source file; raise only when the file as a whole cannot be used."""
    cells, encoding = _cells_from_file(file_name, content)
    header_index = None
    for index, row in enumerate(cells[:20]):
        if any(HEADER_ALIASES.get(_header_key(cell)[0]) == "credit_code" for cell in row):
            header_index = index
            break
    if header_index is None:
        raise ApplicationError(
            "file_no_credit_code_column",
            _("文件“%(name)s”前20行中找不到“统一社会信用代码”列。请确认表头包含该列。") % {"name": file_name},
        )
    columns: list[tuple[int, str, float]] = []
    unknown_units: list[str] = []
    for position, cell in enumerate(cells[header_index]):
        key, unit = _header_key(cell)
        field_name = HEADER_ALIASES.get(key)
        if field_name is None:
            continue
        factor = 1.0
        if field_name in DATA_FIELDS and unit:
            if (field_name, unit) not in UNIT_FACTORS:
                unknown_units.append(f"{cell}")
                continue
            factor = UNIT_FACTORS[(field_name, unit)]
        columns.append((position, field_name, factor))
    if unknown_units:
        raise ApplicationError(
            "file_unit_unknown",
            _("文件“%(name)s”中以下列的单位无法识别：%(columns)s。请改用模板中的单位（如万元、吨标准煤、万千瓦时、吨、亩）。")
            % {"name": file_name, "columns": "、".join(unknown_units)},
        )
    data_fields = [name for _position, name, _factor in columns if name in DATA_FIELDS]
    if not data_fields:
        raise ApplicationError("file_no_data_columns",
                               _("文件“%(name)s”中没有可识别的数据列（如税收、营业收入、综合能耗、用电量、排放量）。")
                               % {"name": file_name})
    body = cells[header_index + 1:]
    if len(body) > MAX_ROWS:
        raise ApplicationError("file_too_many_rows", _("文件行数超过%(limit)d行，请拆分后上传。") % {"limit": MAX_ROWS})
    rows: list[SourceRow] = []
    for offset, row in enumerate(body):
        if all(cell is None or str(cell).strip() == "" for cell in row):
            continue
        row_number = header_index + offset + 2  # 1-based, as the spreadsheet shows it
        credit_code = ""
        name = ""
        values: dict[str, float | None] = {}
        problems: list[dict[str, str]] = []
        warnings: list[dict[str, str]] = []
        for position, field_name, factor in columns:
            cell = row[position] if position < len(row) else None
            if field_name == "credit_code":
                credit_code = "" if cell is None else str(cell)
            elif field_name == "name":
                name = "" if cell is None else str(cell).strip()
            else:
                value, problem = _number(cell, field_name, factor)
                label = DATA_FIELDS[field_name][0]
                if problem:
                    problems.append({"code": "invalid_number",
                                     "message": _("“%(label)s”不是数字：%(text)s") % {"label": label, "text": cell}})
                elif value is not None and value < 0 and field_name not in NEGATIVE_ALLOWED:
                    problems.append({"code": "negative_value",
                                     "message": _("“%(label)s”不能为负数：%(value)s") % {"label": label, "value": value}})
                elif value is not None and value < 0:
                    warnings.append({"code": "tax_negative",
                                     "message": _("税收为负（退税大于缴税），该企业税收类指标得0分。")})
                if field_name == "land_mu" and value == 0:
                    warnings.append({"code": "land_zero", "message": _("用地面积为0，该企业将列为T类（需核实用地）。")})
                values[field_name] = value
        rows.append(SourceRow(row_number=row_number, credit_code=credit_code.strip(), name=name, values=values,
                              problems=problems, warnings=warnings))
    return SourceTable(encoding=encoding, fields=data_fields, rows=rows,
                       year=source_year_detect(file_name, cells, header_index))
