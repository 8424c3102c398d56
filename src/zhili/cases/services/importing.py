"""Work-order history import: upload → columns → values → dry run → commit (a batch path).

Takes real hotline exports as they come (``cases/files.py`` reads them): every sheet of a workbook
(or one chosen), the common 12345 headers and their synonyms, timestamps with or without seconds
and milliseconds, ``T``, slashes, Chinese dates or Excel serial numbers, and closing times rounded
to the minute (a closing up to ``close_tolerance_seconds`` before intake counts as at intake).

Besides columns, *values* are mapped (:class:`~zhili.cases.models.ImportValueMapping`, district-wide):
source classifications → matters/categories, source handling units (办理单位) → departments (or
"external"), source statuses → archived / cancelled / received. A value without a mapping is never
lost: it stays on the case as its source handling unit / source classification, and a mapping
saved later is applied to the cases already imported.

History lands as history: a finished work order is written archived with its own times, department
and result, with no running deadline (the SLA sweep never sees it) and no notification; its case
file says it was imported (batch, sheet, row). A work order already in the platform (same 工单编号)
is skipped, never updated, and the report says so. By default the import is all or nothing; with
``set_aside`` the valid rows are imported and the others written to an .xlsx with their reasons.
Rows are checked in one pass and written with bulk inserts (no intake per row).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import IO, TYPE_CHECKING, Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext as _

from zhili.accounts.permissions import Action, require, user_can
from zhili.audit.services import audit_record_append
from zhili.cases import policy
from zhili.cases.files import HistoryFile, SheetTable, history_file_read, set_aside_workbook
from zhili.cases.models import (
    Case,
    CaseChannel,
    CaseEvent,
    CaseImportBatch,
    ImportStatus,
    ImportValueKind,
    ImportValueMapping,
    Priority,
    Rating,
)
from zhili.cases.personal_data import personal_encrypt, phone_lookup_hash
from zhili.cases.services import sla
from zhili.cases.services.events import case_event_for_creation, case_event_new
from zhili.cases.services.intake import case_numbers_allocate, tracking_code_new
from zhili.cases.states import CaseAction, CaseStatus
from zhili.cases.working_time import working_calendar_current
from zhili.core import clock
from zhili.core.errors import ApplicationError, NotFoundError
from zhili.core.personal_data import name_mask, phone_digits, phone_mask
from zhili.core.uploads import upload_size_limit
from zhili.geo.models import Department, Matter, MatterCategory
from zhili.geo.selectors import grids_for_points
from zhili.textintel.selectors import active_category_classifier
from zhili.textintel.services import classifier_training_job_create

if TYPE_CHECKING:
    from zhili.accounts.models import User


@dataclass(frozen=True)
class ImportField:
    key: str
    label: str
    required: bool
    synonyms: tuple[str, ...]


# Every field a history file can fill, with the header names 12345 systems export for it. The key is
# what ``--map key=列名`` takes; the first synonym is the usual header.
IMPORT_FIELD_LIST: tuple[ImportField, ...] = (
    ImportField("external_id", "工单编号", False, ("工单编号", "工单号", "原工单号", "编号", "留言编号", "案件编号",
                                                 "受理编号", "工单流水号", "流水号")),
    ImportField("created_at", "受理时间", True, ("受理时间", "来电时间", "登记时间", "创建时间", "留言时间",
                                               "诉求时间", "反映时间", "时间")),
    ImportField("description", "诉求内容", True, ("诉求内容", "主要内容", "来电内容", "内容", "问题描述", "留言详情",
                                                "留言内容", "反映内容", "诉求描述", "工单内容", "描述")),
    ImportField("title", "标题", False, ("标题", "主题", "留言主题", "诉求标题", "工单标题")),
    ImportField("category_level1", "一级分类", False, ("一级分类", "一级类别", "一级诉求分类", "问题分类", "诉求分类",
                                                     "分类")),
    ImportField("category_level2", "二级分类", False, ("二级分类", "二级类别", "二级诉求分类")),
    ImportField("category_level3", "三级分类", False, ("三级分类", "三级类别", "三级诉求分类")),
    ImportField("category_level4", "四级分类", False, ("四级分类", "四级类别")),
    ImportField("category_level5", "五级分类", False, ("五级分类", "五级类别")),
    ImportField("appeal_type", "诉求类型", False, ("诉求类型", "来电类别", "来电类型", "诉求性质", "工单类型")),
    ImportField("urgency", "紧急程度", False, ("紧急程度", "缓急程度", "紧急度", "是否紧急")),
    ImportField("intake_channel", "受理渠道", False, ("受理渠道", "来源", "来源渠道", "诉求渠道", "渠道")),
    ImportField("intake_type", "受理类型", False, ("受理类型", "受理方式", "办理方式")),
    ImportField("source_status", "工单状态", False, ("工单状态", "办理状态", "状态", "处理状态")),
    ImportField("handling_unit", "办理单位", False, ("办理单位", "承办单位", "处置单位", "责任单位", "主办单位",
                                                  "承办部门", "办理部门", "处理单位")),
    ImportField("dispatched_at", "转办时间", False, ("转办时间", "派单时间", "交办时间", "派发时间", "分派时间")),
    ImportField("finished_at", "办结时间", False, ("办结时间", "完成时间", "答复时间", "结案时间", "处理完成时间")),
    ImportField("reply_text", "办理情况", False, ("办理情况", "办理结果", "答复意见", "处理结果", "处理情况",
                                               "答复内容", "办理意见")),
    ImportField("rating", "回访结果", False, ("回访结果", "满意度", "评价", "回访满意度", "满意度评价")),
    ImportField("address_text", "地址", False, ("地址", "事发地址", "发生地址", "地点", "事发地点", "问题地址")),
    ImportField("longitude", "经度", False, ("经度", "lng", "lon", "longitude")),
    ImportField("latitude", "纬度", False, ("纬度", "lat", "latitude")),
    ImportField("reporter_name", "来电人", False, ("来电人", "反映人", "姓名", "联系人", "来电人姓名", "市民姓名",
                                                 "诉求人")),
    ImportField("reporter_phone", "联系电话", False, ("联系电话", "电话", "手机", "来电号码", "联系方式", "手机号码")),
    ImportField("matter", "事项（编码或名称）", False, ("事项", "事项编码", "事项名称")),
)
IMPORT_FIELDS_BY_KEY = {item.key: item for item in IMPORT_FIELD_LIST}
# (field, label, required): the shape the pages and older callers read
IMPORT_FIELDS: tuple[tuple[str, str, bool], ...] = tuple((item.key, item.label, item.required)
                                                         for item in IMPORT_FIELD_LIST)
KNOWN_HEADERS = frozenset(synonym.lower() for item in IMPORT_FIELD_LIST for synonym in item.synonyms)
CATEGORY_FIELDS = ("category_level1", "category_level2", "category_level3", "category_level4", "category_level5")
# columns holding personal data: masked in the set-aside file for a downloader without case.view_personal
PERSONAL_FIELDS = ("reporter_name", "reporter_phone")

_RATINGS = {"满意": Rating.SATISFIED, "非常满意": Rating.SATISFIED, "很满意": Rating.SATISFIED,
            "基本满意": Rating.BASICALLY_SATISFIED, "比较满意": Rating.BASICALLY_SATISFIED,
            "一般": Rating.BASICALLY_SATISFIED,
            "不满意": Rating.UNSATISFIED, "很不满意": Rating.UNSATISFIED, "非常不满意": Rating.UNSATISFIED}
_URGENCY = {"紧急": Priority.HIGH, "加急": Priority.HIGH, "是": Priority.HIGH, "特急": Priority.CRITICAL,
            "特别紧急": Priority.CRITICAL}
# what a source status may become; an open status sends the work order to the triage queue as live work
STATUS_TARGETS: dict[str, str] = {
    CaseStatus.ARCHIVED: _("已办结（归档为历史）"),
    CaseStatus.CANCELLED: _("已撤销/作废"),
    CaseStatus.RECEIVED: _("未办结（进入待派单，按新工单处理）"),
}
_FINISHED_WORDS = ("办结", "完成", "归档", "回访", "已处理", "结案", "已答复", "已反馈", "已评价", "关闭", "已办")
_CANCELLED_WORDS = ("作废", "撤销", "撤回", "无效", "删除", "重复件")
EXTERNAL = "external"
NEW_DEPARTMENT = "new"
_TIME_PATTERN = re.compile(
    r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
    r"(?:(?:\s+|T|\s*日\s*)(\d{1,2})\s*[:时点]\s*(\d{1,2})(?:\s*[:分]\s*(\d{1,2})(?:[.,](\d+))?\s*秒?)?\s*分?)?"
    r"\s*(?:Z|[+-]\d{2}:?\d{2})?$")
_EXCEL_EPOCH = dt.datetime(1899, 12, 30)
_SERIAL_RANGE = (20_000.0, 80_000.0)  # 1954 … 2119: a number in a time column in this range is an Excel date
_ERRORS_STORED = 2_000
_SAMPLES_PER_VALUE = 5
_SUGGESTED_VALUES = 300
_NAME_SIMILARITY = 85.0


def default_close_tolerance_seconds() -> int:
    return int(getattr(settings, "ZHILI_IMPORT_CLOSE_TOLERANCE_SECONDS", 60))


def import_fields_help() -> str:
    """Every field key with its label and the headers recognised for it (for ``--help`` and the page)."""
    lines = []
    for item in IMPORT_FIELD_LIST:
        required = _("（必填）") if item.required else ""
        lines.append(f"  {item.key:<16} {item.label}{required}：{'、'.join(item.synonyms)}")
    return "\n".join(lines)


def import_mapping_guess(headers: Sequence[str]) -> dict[str, str]:
    """Field → header by the synonyms (the first synonym that names a header wins)."""
    by_lower = {header.strip().lower(): header for header in headers}
    mapping: dict[str, str] = {}
    taken: set[str] = set()
    for item in IMPORT_FIELD_LIST:
        for synonym in item.synonyms:
            header = by_lower.get(synonym.lower())
            if header is not None and header not in taken:
                mapping[item.key] = header
                taken.add(header)
                break
    return mapping


def history_time(value: object) -> dt.datetime | None:
    """A timestamp cell in China time; None when it is not one.

    Takes ``datetime``/``date`` cells, Excel serial numbers (also written as text), and text in the
    usual shapes: ``2016-03-01 09:30:05.000``, ``2016/3/1 9:30``, ``2016-03-01T09:30:05``, ``2016.03.01``,
    ``2016年3月1日 9时30分``. Milliseconds are dropped (rounded down to the second).
    """
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, dt.date):
        moment = dt.datetime(value.year, value.month, value.day)
    elif isinstance(value, int | float) and not isinstance(value, bool):
        moment_or_none = _serial_time(float(value))
        if moment_or_none is None:
            return None
        moment = moment_or_none
    else:
        text = str(value).strip()
        if not text:
            return None
        match = _TIME_PATTERN.match(text)
        if match is None:
            try:
                number = float(text)
            except ValueError:
                return None
            serial = _serial_time(number)
            if serial is None:
                return None
            moment = serial
        else:
            year, month, day, hour, minute, second, _fraction = match.groups()
            try:
                moment = dt.datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0),
                                     int(second or 0))
            except ValueError:
                return None
    if moment.tzinfo is not None:
        return moment.astimezone(clock.CHINA_TIME_ZONE).replace(microsecond=0)
    return moment.replace(microsecond=0, tzinfo=clock.CHINA_TIME_ZONE)


def _serial_time(number: float) -> dt.datetime | None:
    if not math.isfinite(number) or not _SERIAL_RANGE[0] <= number <= _SERIAL_RANGE[1]:
        return None
    return _EXCEL_EPOCH + dt.timedelta(seconds=round(number * 86_400))


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else str(value)
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return str(value).strip()


# -- upload ----------------------------------------------------------------------------------------

def _batch_file(batch: CaseImportBatch) -> HistoryFile:
    with batch.file.open("rb") as handle:
        return history_file_read(handle.read(), file_name=batch.original_name, known_headers=KNOWN_HEADERS)


def _headers_union(history: HistoryFile) -> list[str]:
    seen: dict[str, None] = {}
    for sheet in history.sheets:
        for header in sheet.headers:
            seen.setdefault(header, None)
    return list(seen)


def import_batch_upload(*, name: str, stream: IO[bytes], size: int | None, actor: User) -> CaseImportBatch:
    """Store the file, read every sheet's header row, guess the column mapping (no case is created)."""
    require(actor, Action.CASE_IMPORT)
    limit = upload_size_limit()
    content = stream.read(limit + 1)
    if (size or len(content)) > limit or len(content) > limit:
        raise ApplicationError("file_too_large", _("文件超过 %(limit)d MB，请拆分后导入。") % {"limit": limit // 2**20},
                               status_code=413)
    history = history_file_read(content, file_name=name, known_headers=KNOWN_HEADERS)
    headers = _headers_union(history)
    batch = CaseImportBatch(
        original_name=PurePath(name).name[:200], file_format=history.file_format, encoding=history.encoding,
        headers=headers, row_count=history.row_count, mapping=import_mapping_guess(headers),
        sheets=[{"name": sheet.name, "headers": sheet.headers, "row_count": len(sheet.rows)}
                for sheet in history.sheets],
        close_tolerance_seconds=default_close_tolerance_seconds(), created_by=actor, created_at=clock.now())
    batch.file.save(f"import-{clock.now():%Y%m%d%H%M%S}.{history.file_format}", ContentFile(content), save=False)
    batch.save()
    return batch


# -- value mappings --------------------------------------------------------------------------------

@dataclass(frozen=True)
class ValueTargets:
    """The district's objects a mapping may name, loaded once per check."""

    matters_by_key: dict[str, Matter]
    categories_by_key: dict[str, MatterCategory]
    departments_by_key: dict[str, Department]

    @classmethod
    def load(cls) -> ValueTargets:
        matters = list(Matter.objects.filter(is_active=True).select_related("category", "department"))
        categories = list(MatterCategory.objects.all())
        departments = list(Department.objects.all())
        return cls(
            matters_by_key={**{matter.name: matter for matter in matters}, **{matter.code: matter for matter in matters}},
            categories_by_key={**{item.name: item for item in categories}, **{item.code: item for item in categories}},
            departments_by_key={**{item.name: item for item in departments},
                                **{item.code: item for item in departments}},
        )


@dataclass
class ValueMappings:
    """Every stored mapping by kind: source value → mapping row."""

    rows: dict[str, dict[str, ImportValueMapping]] = field(default_factory=lambda: defaultdict(dict))

    @classmethod
    def load(cls) -> ValueMappings:
        mappings = cls()
        for row in ImportValueMapping.objects.select_related("matter__category", "category", "department"):
            mappings.rows[row.kind][row.source_value] = row
        return mappings

    def classification(self, path: str) -> ImportValueMapping | None:
        """The mapping of the longest mapped prefix of a classification path ("城乡建设/市政设施/路灯")."""
        rows = self.rows.get(ImportValueKind.CATEGORY, {})
        if not rows or not path:
            return None
        parts = path.split("/")
        for end in range(len(parts), 0, -1):
            row = rows.get("/".join(parts[:end]))
            if row is not None:
                return row
        return None

    def status(self, value: str) -> str:
        row = self.rows.get(ImportValueKind.STATUS, {}).get(value)
        return row.status if row is not None else ""

    def department(self, value: str) -> ImportValueMapping | None:
        return self.rows.get(ImportValueKind.DEPARTMENT, {}).get(value)


def status_suggestion(source_status: str, *, has_finish_time: bool) -> str:
    """What a source status most likely means (the default until someone maps it)."""
    if any(word in source_status for word in _CANCELLED_WORDS):
        return CaseStatus.CANCELLED
    if any(word in source_status for word in _FINISHED_WORDS) or (has_finish_time and "未" not in source_status):
        return CaseStatus.ARCHIVED
    return CaseStatus.RECEIVED


def _mapping_target_describe(row: ImportValueMapping) -> str:
    if row.kind == ImportValueKind.STATUS:
        return row.status
    if row.kind == ImportValueKind.DEPARTMENT:
        return EXTERNAL if row.is_external else (row.department.code if row.department else "")
    if row.matter is not None:
        return f"matter:{row.matter.code}"
    return f"category:{row.category.code}" if row.category else ""


def import_value_mappings_current(kind: str) -> dict[str, str]:
    """Source value → target as the page and the command write it (``D01``, ``external``, ``matter:M003`` …)."""
    return {row.source_value: _mapping_target_describe(row)
            for row in ImportValueMapping.objects.filter(kind=kind).select_related("matter", "category", "department")}


def _department_code_new(name: str) -> str:
    existing = set(Department.objects.filter(code__startswith="IMP-").values_list("code", flat=True))
    number = len(existing) + 1
    while f"IMP-{number:04d}" in existing:
        number += 1
    return f"IMP-{number:04d}"


def import_value_mappings_save(*, kind: str, entries: Sequence[tuple[str, str]], actor: User) -> dict[str, int]:
    """Save value mappings and apply them to the cases already imported; returns {"saved", "cases_updated"}.

    ``entries`` are (source value, target): for a department a department's code or name, ``new``
    (create a department of that name) or ``external`` (a unit outside the district: the case keeps
    only its source handling unit); for a classification ``matter:<code or name>`` or
    ``category:<code or name>`` (a bare name is tried as a matter, then a category); for a status
    ``archived``, ``cancelled`` or ``received``. An empty target removes the mapping. A source value
    given two different targets is refused (nothing saved), so is an unknown target.
    """
    require(actor, Action.CASE_IMPORT)
    if kind not in ImportValueKind.values:
        raise ApplicationError("import_value_kind_invalid", _("未知的对应类型「%(kind)s」。") % {"kind": kind})
    targets_by_value: dict[str, str] = {}
    problems: list[str] = []
    for source, target in entries:
        source, target = source.strip()[:300], target.strip()
        if not source:
            continue
        previous = targets_by_value.get(source)
        if previous is not None and previous != target:
            problems.append(_("「%(source)s」同时对应了「%(first)s」和「%(second)s」，一个来源值只能对应一个目标，请只保留一个。")
                            % {"source": source, "first": previous, "second": target})
            continue
        targets_by_value[source] = target
    targets = ValueTargets.load()
    resolved: dict[str, dict[str, Any] | None] = {}
    for source, target in targets_by_value.items():
        if not target:
            resolved[source] = None
            continue
        values, problem = _mapping_values(kind, source, target, targets)
        if problem:
            problems.append(problem)
        else:
            resolved[source] = values
    if problems:
        raise ApplicationError("import_value_mapping_invalid", "；".join(problems[:5]) + (
            _("（共 %(count)d 处）") % {"count": len(problems)} if len(problems) > 5 else ""),
            details={"problems": problems})
    saved = 0
    updated = 0
    with transaction.atomic():
        for source, resolved_values in resolved.items():
            if resolved_values is None:
                ImportValueMapping.objects.filter(kind=kind, source_value=source).delete()
                continue
            values = resolved_values
            if values.pop("create_department", False):
                department = Department.objects.filter(name=source[:100]).first() or Department.objects.create(
                    code=_department_code_new(source), name=source[:100])
                values["department"] = department
            ImportValueMapping.objects.update_or_create(
                kind=kind, source_value=source,
                defaults={**values, "updated_by": actor, "updated_at": clock.now()})
            saved += 1
            updated += _mapping_apply_to_imported(kind, source, values)
        audit_record_append(actor_id=actor.pk, action="case.import_value_mapping", object_type="case_import_value",
                            object_id=kind, data={"saved": saved, "cases_updated": updated,
                                                  "values": sorted(resolved)[:100]})
    return {"saved": saved, "cases_updated": updated}


def _mapping_values(kind: str, source: str, target: str,
                    targets: ValueTargets) -> tuple[dict[str, Any], str]:
    if kind == ImportValueKind.STATUS:
        if target not in STATUS_TARGETS:
            return {}, _("「%(source)s」的目标状态「%(target)s」无效，应为 archived（已办结）、cancelled（已撤销）或 received（未办结）。") % {
                "source": source, "target": target}
        return {"status": target, "matter": None, "category": None, "department": None, "is_external": False}, ""
    if kind == ImportValueKind.DEPARTMENT:
        if target == EXTERNAL:
            return {"is_external": True, "department": None, "matter": None, "category": None, "status": ""}, ""
        if target == NEW_DEPARTMENT:
            return {"create_department": True, "is_external": False, "matter": None, "category": None, "status": ""}, ""
        department = targets.departments_by_key.get(target)
        if department is None:
            return {}, _("「%(source)s」对应的部门「%(target)s」不存在（可填部门代码或名称、new 新建、external 区外单位）。") % {
                "source": source, "target": target}
        return {"department": department, "is_external": False, "matter": None, "category": None, "status": ""}, ""
    prefix, _separator, key = target.partition(":")
    if not _separator:
        prefix, key = "", target
    matter = targets.matters_by_key.get(key) if prefix in ("", "matter") else None
    if matter is not None:
        return {"matter": matter, "category": matter.category, "department": None, "is_external": False,
                "status": ""}, ""
    category = targets.categories_by_key.get(key) if prefix in ("", "category") else None
    if category is not None:
        return {"category": category, "matter": None, "department": None, "is_external": False, "status": ""}, ""
    return {}, _("「%(source)s」对应的「%(target)s」既不是权责清单中的事项，也不是分类（可写 matter:事项编码 或 category:分类编码）。") % {
        "source": source, "target": target}


def _mapping_apply_to_imported(kind: str, source: str, values: dict[str, Any]) -> int:
    """Apply a (new or changed) mapping to the imported cases carrying that source value."""
    imported = Case.objects.filter(channel=CaseChannel.IMPORT)
    if kind == ImportValueKind.DEPARTMENT:
        department = values.get("department")
        return imported.filter(source_handling_unit=source).update(
            department=department if not values.get("is_external") else None, updated_at=clock.now())
    if kind == ImportValueKind.CATEGORY:
        matter, category = values.get("matter"), values.get("category")
        # the value and every deeper path under it that has no mapping of its own is covered
        deeper = set(ImportValueMapping.objects.filter(kind=kind, source_value__startswith=f"{source}/")
                     .values_list("source_value", flat=True))
        cases = imported.filter(source_classification=source) | imported.filter(
            source_classification__startswith=f"{source}/")
        if deeper:
            cases = cases.exclude(source_classification__in=deeper)
        return cases.update(matter=matter, category=category, updated_at=clock.now())
    return 0  # statuses change through transitions, never by a mapping after the fact


# -- checking rows ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class CheckedRow:
    sheet: str
    row_number: int
    external_id: str
    values: dict[str, Any]


@dataclass
class CheckResult:
    rows: list[CheckedRow] = field(default_factory=list)
    # {"sheet", "row", "column", "field", "message"}
    errors: list[dict[str, Any]] = field(default_factory=list)
    error_rows: dict[tuple[str, int], str] = field(default_factory=dict)
    skipped: list[dict[str, Any]] = field(default_factory=list)
    per_sheet: dict[str, dict[str, int]] = field(default_factory=dict)
    value_counts: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    # a few texts of each source classification: the classifier's suggestion is made from them
    samples: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    closings_adjusted: int = 0


def _sheet_positions(sheet: SheetTable, mapping: dict[str, str]) -> tuple[dict[str, int], list[dict[str, Any]],
                                                                           dict[str, str]]:
    """Column positions of the mapped fields in one sheet, problems naming the sheet, and the header used.

    A sheet whose headers differ from the others is read by the same synonyms: a mapped header it
    lacks is looked for among the field's synonyms before the sheet is refused (required fields) or
    the field is left empty for it (optional fields, reported once).
    """
    positions: dict[str, int] = {}
    used: dict[str, str] = {}
    problems: list[dict[str, Any]] = []
    by_lower = {header.lower(): index for index, header in enumerate(sheet.headers)}
    for item in IMPORT_FIELD_LIST:
        header = mapping.get(item.key, "")
        index = sheet.headers.index(header) if header and header in sheet.headers else None
        if index is None and header:
            for synonym in item.synonyms:
                if synonym.lower() in by_lower:
                    index = by_lower[synonym.lower()]
                    break
        if index is None:
            if item.required:
                problems.append({
                    "sheet": sheet.name, "row": 1, "column": header or item.label, "field": item.key,
                    "message": _("工作表「%(sheet)s」没有「%(column)s」列（%(field)s 必填）；它的表头是：%(headers)s。"
                                 "请把该列改名为「%(column)s」或用 --map %(key)s=列名 指定。") % {
                        "sheet": sheet.name, "column": header or item.label, "field": item.label,
                        "headers": "、".join(sheet.headers[:20]), "key": item.key}})
            elif header:
                problems.append({
                    "sheet": sheet.name, "row": 1, "column": header, "field": item.key, "warning": True,
                    "message": _("工作表「%(sheet)s」没有「%(column)s」列，该表的「%(field)s」留空。") % {
                        "sheet": sheet.name, "column": header, "field": item.label}})
            continue
        positions[item.key] = index
        used[item.key] = sheet.headers[index]
    return positions, problems, used


def _classification_path(values: Sequence[str]) -> str:
    return "/".join(value.replace("/", "／") for value in values if value)


def _rows_checked(history: HistoryFile, mapping: dict[str, str], *, sheet_name: str,
                  tolerance_seconds: int) -> CheckResult:
    missing = [item.label for item in IMPORT_FIELD_LIST if item.required and not mapping.get(item.key)]
    if missing:
        raise ApplicationError("mapping_incomplete", _("请为必填字段选择对应的列：%(fields)s。") % {
            "fields": "、".join(missing)})
    unknown_keys = sorted(set(mapping) - set(IMPORT_FIELDS_BY_KEY))
    if unknown_keys:
        raise ApplicationError("mapping_unknown_field", _("没有字段「%(keys)s」。可用的字段：%(fields)s。") % {
            "keys": "、".join(unknown_keys), "fields": "、".join(IMPORT_FIELDS_BY_KEY)})
    all_headers = set(_headers_union(history))
    unknown = [header for header in mapping.values() if header and header not in all_headers]
    if unknown:
        raise ApplicationError("mapping_unknown_column", _("文件中没有列：%(columns)s。文件中的列为：%(present)s。") % {
            "columns": "、".join(unknown), "present": "、".join(sorted(all_headers))})
    sheets = [sheet for sheet in history.sheets if not sheet_name or sheet.name == sheet_name]
    if sheet_name and not sheets:
        raise ApplicationError("import_sheet_unknown", _("文件中没有工作表「%(sheet)s」，工作表有：%(sheets)s。") % {
            "sheet": sheet_name, "sheets": "、".join(sheet.name for sheet in history.sheets)})
    targets = ValueTargets.load()
    mappings = ValueMappings.load()
    result = CheckResult()
    now = clock.now()
    tolerance = dt.timedelta(seconds=max(0, tolerance_seconds))
    seen_ids: dict[str, tuple[str, int]] = {}
    for sheet in sheets:
        positions, problems, used = _sheet_positions(sheet, mapping)
        counts = {"rows": len(sheet.rows), "valid": 0, "errors": 0, "skipped": 0}
        result.per_sheet[sheet.name] = counts
        for problem in problems:
            if problem.get("warning"):
                result.errors.append(problem)
        blocking = [problem for problem in problems if not problem.get("warning")]
        if blocking:
            result.errors.extend(blocking)
            for row_number in sheet.row_numbers:
                result.error_rows[(sheet.name, row_number)] = blocking[0]["message"]
            counts["errors"] = len(sheet.rows)
            continue
        _sheet_rows_checked(sheet, positions, used, result=result, counts=counts, targets=targets,
                            mappings=mappings, now=now, tolerance=tolerance, seen_ids=seen_ids)
    _skip_already_imported(result)
    return result


def _sheet_rows_checked(sheet: SheetTable, positions: dict[str, int], used: dict[str, str], *, result: CheckResult,
                        counts: dict[str, int], targets: ValueTargets, mappings: ValueMappings, now: dt.datetime,
                        tolerance: dt.timedelta, seen_ids: dict[str, tuple[str, int]]) -> None:
    text_fields = [key for key in positions if key not in ("created_at", "dispatched_at", "finished_at")]
    category_positions = [positions[key] for key in CATEGORY_FIELDS if key in positions]
    max_description = policy.DESCRIPTION_MAX_CHARACTERS
    for raw, row_number in zip(sheet.rows, sheet.row_numbers, strict=True):
        text = {key: _cell_text(raw[positions[key]]) for key in text_fields}
        row_errors: list[tuple[str, str]] = []

        def fail(key: str, message: str, row_errors: list[tuple[str, str]] = row_errors) -> None:
            row_errors.append((key, message))

        description = text.get("description", "")
        if not description:
            fail("description", _("诉求内容为空"))
        elif len(description) > max_description:
            fail("description", _("诉求内容超过 %(max)d 字") % {"max": max_description})
        created_raw = raw[positions["created_at"]]
        created_at = history_time(created_raw)
        if created_at is None:
            fail("created_at", _("受理时间为空") if not _cell_text(created_raw) else _(
                "受理时间「%(value)s」无法识别（示例：2025-03-01 09:30:00）") % {"value": _cell_text(created_raw)[:30]})
        elif created_at > now:
            fail("created_at", _("受理时间晚于当前时间"))
        finished_at = dispatched_at = None
        for key in ("finished_at", "dispatched_at"):
            if key not in positions:
                continue
            cell = raw[positions[key]]
            moment = history_time(cell)
            if moment is None and _cell_text(cell):
                fail(key, _("%(field)s「%(value)s」无法识别") % {"field": IMPORT_FIELDS_BY_KEY[key].label,
                                                            "value": _cell_text(cell)[:30]})
            if key == "finished_at":
                finished_at = moment
            else:
                dispatched_at = moment
        if finished_at is not None and created_at is not None and finished_at < created_at:
            if created_at - finished_at <= tolerance:
                finished_at = created_at  # closing time rounded to the minute
                result.closings_adjusted += 1
            else:
                early = int((created_at - finished_at).total_seconds())
                fail("finished_at", _("办结时间比受理时间早 %(minutes)d 分钟") % {"minutes": early // 60} if early >= 120
                     else _("办结时间比受理时间早 %(seconds)d 秒（容差 %(tolerance)d 秒）") % {
                         "seconds": early, "tolerance": int(tolerance.total_seconds())})
        if dispatched_at is not None and created_at is not None and dispatched_at < created_at - tolerance:
            dispatched_at = None  # a transfer time before intake is noise in the export, not a reason to refuse
        coordinates: list[float | None] = []
        for key in ("longitude", "latitude"):
            value = text.get(key, "")
            try:
                number = float(value) if value else None
            except ValueError:
                fail(key, _("不是数字"))
                number = None
            if number is not None and not math.isfinite(number):
                fail(key, _("不是有限的数字"))
                number = None
            coordinates.append(number)
        if (coordinates[0] is None) != (coordinates[1] is None):
            fail("longitude", _("经度和纬度需要同时填写"))
        phone = text.get("reporter_phone", "")
        if phone and not phone_digits(phone):
            phone = ""  # "匿名", "无": no number given
        elif phone and not 7 <= len(phone_digits(phone)) <= 15:
            fail("reporter_phone", _("电话号码格式不正确（应为 7–15 位数字）"))
        matter_text = text.get("matter", "")
        matter = targets.matters_by_key.get(matter_text) if matter_text else None
        if matter_text and matter is None:
            fail("matter", _("事项「%(matter)s」不在权责清单中") % {"matter": matter_text[:40]})
        external_id = text.get("external_id", "")[:64]
        if external_id:
            first = seen_ids.get(external_id)
            if first is not None:
                fail("external_id", _("工单编号「%(number)s」与工作表「%(sheet)s」第 %(row)d 行重复") % {
                    "number": external_id, "sheet": first[0], "row": first[1]})
            else:
                seen_ids[external_id] = (sheet.name, row_number)
        classification = _classification_path([_cell_text(raw[position]) for position in category_positions])
        handling_unit = text.get("handling_unit", "")[:200]
        source_status = text.get("source_status", "")[:60]
        status = mappings.status(source_status) if source_status else ""
        if not status:
            status = status_suggestion(source_status, has_finish_time=finished_at is not None)
        if status == CaseStatus.ARCHIVED and finished_at is None:
            fail("finished_at", _("工单状态「%(status)s」表示已办结，但办结时间为空") % {"status": source_status}
                 if source_status else _("办结时间为空"))
        if row_errors:
            counts["errors"] += 1
            messages = []
            for key, message in row_errors:
                column = used.get(key, IMPORT_FIELDS_BY_KEY[key].label)
                result.errors.append({"sheet": sheet.name, "row": row_number, "column": column, "field": key,
                                      "message": message})
                messages.append(f"{column}：{message}")
            result.error_rows[(sheet.name, row_number)] = "；".join(messages)
            continue
        assert created_at is not None  # noqa: S101 - a row without a time has an error above
        if classification:
            result.value_counts[ImportValueKind.CATEGORY][classification] += 1
            if len(result.samples[classification]) < _SAMPLES_PER_VALUE:
                result.samples[classification].append(description)
        if handling_unit:
            result.value_counts[ImportValueKind.DEPARTMENT][handling_unit] += 1
        if source_status:
            result.value_counts[ImportValueKind.STATUS][source_status] += 1
        counts["valid"] += 1
        result.rows.append(CheckedRow(sheet=sheet.name, row_number=row_number, external_id=external_id, values={
            "description": description, "title": text.get("title", ""), "created_at": created_at,
            "dispatched_at": dispatched_at, "finished_at": finished_at, "status": status,
            "source_status": source_status, "classification": classification, "handling_unit": handling_unit,
            "reply_text": text.get("reply_text", ""), "rating_text": text.get("rating", ""),
            "appeal_type": text.get("appeal_type", ""), "urgency": text.get("urgency", ""),
            "intake_channel": text.get("intake_channel", ""), "intake_type": text.get("intake_type", ""),
            "address_text": text.get("address_text", ""), "longitude": coordinates[0], "latitude": coordinates[1],
            "reporter_name": text.get("reporter_name", ""), "reporter_phone": phone, "matter": matter,
        }))


def _skip_already_imported(result: CheckResult) -> None:
    """Rows whose 工单编号 an earlier import brought in: skipped (never updated), listed in the report."""
    numbers = [row.external_id for row in result.rows if row.external_id]
    existing: dict[str, str] = {}
    for start in range(0, len(numbers), 900):
        chunk = numbers[start:start + 900]
        existing.update(Case.objects.filter(channel=CaseChannel.IMPORT, external_id__in=chunk)
                        .values_list("external_id", "number"))
    if not existing:
        return
    kept: list[CheckedRow] = []
    for row in result.rows:
        number = existing.get(row.external_id) if row.external_id else None
        if number is None:
            kept.append(row)
            continue
        result.skipped.append({"sheet": row.sheet, "row": row.row_number, "external_id": row.external_id,
                               "case_number": number})
        counts = result.per_sheet[row.sheet]
        counts["valid"] -= 1
        counts["skipped"] += 1
    result.rows = kept


def _suggestion(kind: str, value: str, targets: ValueTargets, result: CheckResult,
                classifier: Any) -> tuple[str, str]:
    """(target, why) proposed for a source value: by name similarity, else by the active classifier."""
    # deferred: fuzzy matching is imported only when values are mapped
    from rapidfuzz import fuzz, process

    if kind == ImportValueKind.STATUS:
        return status_suggestion(value, has_finish_time=True), _("按状态名称")
    if kind == ImportValueKind.DEPARTMENT:
        names = {department.name: department.code for department in targets.departments_by_key.values()}
        best = process.extractOne(value, list(names), scorer=fuzz.WRatio) if names else None
        if best is not None and best[1] >= _NAME_SIMILARITY:
            return names[best[0]], _("名称相近（%(score).0f）") % {"score": best[1]}
        return NEW_DEPARTMENT, _("无相近部门：新建")
    parts = value.split("/")
    matters = {matter.name: matter.code for matter in targets.matters_by_key.values()}
    for part in reversed(parts[1:] or parts):
        best = process.extractOne(part, list(matters), scorer=fuzz.WRatio) if matters else None
        if best is not None and best[1] >= _NAME_SIMILARITY:
            return f"matter:{matters[best[0]]}", _("名称相近（%(score).0f）") % {"score": best[1]}
    categories = {category.name: category.code for category in targets.categories_by_key.values()}
    best = process.extractOne(parts[0], list(categories), scorer=fuzz.WRatio) if categories else None
    if best is not None and best[1] >= _NAME_SIMILARITY:
        return f"category:{categories[best[0]]}", _("名称相近（%(score).0f）") % {"score": best[1]}
    texts = result.samples.get(value, [])
    if classifier is not None and texts:
        votes = Counter(ranked[0][0] for ranked in classifier.predict(texts) if ranked)
        label, count = votes.most_common(1)[0]
        category = targets.categories_by_key.get(label)
        if category is not None:
            return f"category:{category.code}", _("分类模型（%(count)d/%(total)d 条样本）") % {
                "count": count, "total": len(texts)}
    return "", ""


def _report(result: CheckResult, mappings: ValueMappings) -> dict[str, Any]:

    targets = ValueTargets.load()
    classifier = active_category_classifier() if result.value_counts[ImportValueKind.CATEGORY] else None

    def values(kind: str) -> list[dict[str, Any]]:
        items = []
        for position, (value, count) in enumerate(result.value_counts[kind].most_common()):
            if kind == ImportValueKind.CATEGORY:
                row = mappings.classification(value)
            else:
                row = mappings.rows.get(kind, {}).get(value)
            mapped = _mapping_target_describe(row) if row is not None else ""
            suggested, why = ("", "") if mapped or position >= _SUGGESTED_VALUES else _suggestion(
                kind, value, targets, result, classifier)
            items.append({"value": value, "count": count, "mapped": mapped, "suggested": suggested, "why": why})
        return items

    return {
        "per_sheet": result.per_sheet, "closings_adjusted": result.closings_adjusted,
        "skipped": result.skipped[:200], "skipped_count": len(result.skipped),
        "values": {kind: values(kind) for kind in ImportValueKind.values},
        "error_rows": len(result.error_rows),
    }


def import_batch_check(*, batch_id: int, mapping: dict[str, str], actor: User, sheet: str | None = None,
                       set_aside: bool | None = None, close_tolerance_seconds: int | None = None) -> CaseImportBatch:
    """Dry run: validate every row with the mapping and store the report; nothing is imported.

    ``sheet`` picks one sheet ("" = every sheet), ``set_aside`` chooses "import the valid rows and
    set the others aside", ``close_tolerance_seconds`` how much earlier than intake a closing time
    may be and still count (rounded to the minute by the source system).
    """
    require(actor, Action.CASE_IMPORT)
    batch = CaseImportBatch.objects.filter(pk=batch_id).first()
    if batch is None:
        raise NotFoundError("import_batch_not_found", _("导入批次不存在。"))
    if batch.status == ImportStatus.COMMITTED:
        raise ApplicationError("import_committed", _("该批次已经导入，不能重复导入。"), status_code=409)
    batch.mapping = {key: header for key, header in mapping.items() if header}
    if sheet is not None:
        batch.sheet = sheet
    if set_aside is not None:
        batch.set_aside = set_aside
    if close_tolerance_seconds is not None:
        if not 0 <= close_tolerance_seconds <= 3600:
            raise ApplicationError("import_tolerance_invalid", _("办结时间容差应在 0–3600 秒之间。"))
        batch.close_tolerance_seconds = close_tolerance_seconds
    result = _rows_checked(_batch_file(batch), batch.mapping, sheet_name=batch.sheet,
                           tolerance_seconds=batch.close_tolerance_seconds)
    batch.errors = result.errors[:_ERRORS_STORED]
    batch.error_count = len([error for error in result.errors if not error.get("warning")])
    batch.set_aside_count = len(result.error_rows)
    batch.skipped_count = len(result.skipped)
    batch.report = _report(result, ValueMappings.load())
    batch.status = ImportStatus.CHECKED
    batch.save(update_fields=["mapping", "sheet", "set_aside", "close_tolerance_seconds", "errors", "error_count",
                              "set_aside_count", "skipped_count", "report", "status"])
    return batch


# -- commit: the batch path ------------------------------------------------------------------------

def _rating(text: str) -> str:
    return _RATINGS.get(text.strip(), "") if text else ""


def _location_of(rows: Sequence[CheckedRow]) -> dict[int, tuple[int, str]]:
    """Row index → (area id, path) for rows with coordinates inside the district (one vectorised lookup)."""

    indexed = [(index, row.values["longitude"], row.values["latitude"]) for index, row in enumerate(rows)
               if row.values["longitude"] is not None]
    if not indexed:
        return {}
    locations = grids_for_points([item[1] for item in indexed], [item[2] for item in indexed])
    return {index: (location.grid_id, location.path) for (index, _lon, _lat), location in zip(indexed, locations,
                                                                                            strict=True)
            if location is not None}


def _case_for(row: CheckedRow, *, number: str, batch: CaseImportBatch, mappings: ValueMappings,
              location: tuple[int, str] | None, now: dt.datetime, actor_id: int) -> tuple[Case, list[CaseEvent]]:
    values = row.values
    created_at: dt.datetime = values["created_at"]
    finished_at: dt.datetime | None = values["finished_at"]
    status = values["status"]
    matter: Matter | None = values["matter"]
    category_id = matter.category_id if matter else None
    department_id = matter.department_id if matter else None
    classification_row = mappings.classification(values["classification"])
    if classification_row is not None:
        if classification_row.matter is not None:
            matter = matter or classification_row.matter
            category_id = classification_row.matter.category_id
            department_id = department_id or classification_row.matter.department_id
        elif classification_row.category_id is not None:
            category_id = classification_row.category_id
    if values["handling_unit"]:
        # the unit that really handled it, never the catalogue's department for the matter
        unit_row = mappings.department(values["handling_unit"])
        department_id = unit_row.department_id if unit_row is not None and not unit_row.is_external else None
    priority = _URGENCY.get(values["urgency"], Priority.NORMAL)
    attributes = {label: values[key] for key, label in (
        ("appeal_type", "诉求类型"), ("intake_channel", "受理渠道"), ("intake_type", "受理类型"),
        ("source_status", "工单状态"), ("rating_text", "回访结果")) if values[key]}
    rating = _rating(values["rating_text"]) if status == CaseStatus.ARCHIVED else ""
    phone = values["reporter_phone"]
    name = values["reporter_name"][:60]
    title = (values["title"] or values["description"]).replace("\n", " ")[:120]
    closed_at = finished_at if status == CaseStatus.ARCHIVED else (
        finished_at or created_at if status == CaseStatus.CANCELLED else None)
    case = Case(
        number=number, tracking_code=tracking_code_new(), channel=CaseChannel.IMPORT, status=status,
        title=title if values["title"] else title[:30], description=values["description"],
        address_text=values["address_text"][:300], longitude=values["longitude"], latitude=values["latitude"],
        grid_id=location[0] if location else None, area_path=location[1] if location else "",
        matter=matter, category_id=category_id, department_id=department_id,
        classification_confidence=1.0 if category_id else 0.0, priority=int(priority),
        is_urgent=priority >= Priority.CRITICAL,
        reporter_name_encrypted=personal_encrypt(name), reporter_phone_encrypted=personal_encrypt(phone),
        reporter_name_masked=name_mask(name)[:40], reporter_phone_masked=phone_mask(phone),
        reporter_phone_hash=phone_lookup_hash(phone), created_by_id=actor_id,
        external_id=row.external_id, attributes=attributes, created_at=created_at, updated_at=now,
        dispatched_at=values["dispatched_at"] if department_id or values["handling_unit"] else None,
        finished_at=finished_at if status == CaseStatus.ARCHIVED else None,
        followed_up_at=finished_at if rating else None, closed_at=closed_at,
        handling_seconds=int((finished_at - created_at).total_seconds()) if finished_at and status ==
        CaseStatus.ARCHIVED else None,
        reply_text=values["reply_text"] if status == CaseStatus.ARCHIVED else "", rating=rating,
        source_handling_unit=values["handling_unit"], source_classification=values["classification"][:300],
        location_note="" if location else (_("历史工单：未定位") if not values["address_text"] else ""),
    )
    label = _("历史导入")
    origin = {"imported": True, "batch": batch.pk, "sheet": row.sheet, "row": row.row_number,
              "external_id": row.external_id, "source_status": values["source_status"],
              "source_handling_unit": values["handling_unit"], "source_classification": values["classification"]}
    note = _("历史工单导入：批次 #%(batch)d「%(file)s」工作表「%(sheet)s」第 %(row)d 行") % {
        "batch": batch.pk, "file": batch.original_name, "sheet": row.sheet, "row": row.row_number}
    events = [case_event_for_creation(case=case, actor_id=actor_id, actor_label=label, at=created_at, note=note,
                                      data=origin)]
    # the source system's steps, as it reports them (the case is built in its final status)
    if status == CaseStatus.ARCHIVED and finished_at is not None:
        events.append(case_event_new(case=case, action=CaseAction.REPLY, from_status=CaseStatus.RECEIVED,
                                     to_status=CaseStatus.FINISHED, department_id=department_id, actor_id=actor_id,
                                     actor_label=label, at=finished_at,
                                     note=(values["reply_text"] or _("历史工单，已办结"))[:2000], data={"imported": True}))
        events.append(case_event_new(case=case, action=CaseAction.ARCHIVE, from_status=CaseStatus.FINISHED,
                                     to_status=CaseStatus.ARCHIVED, department_id=department_id, actor_id=actor_id,
                                     actor_label=label, at=finished_at, note=_("历史工单归档"),
                                     data={"imported": True}))
    elif status == CaseStatus.CANCELLED:
        events.append(case_event_new(case=case, action=CaseAction.CANCEL, from_status=CaseStatus.RECEIVED,
                                     to_status=CaseStatus.CANCELLED, department_id=None, actor_id=actor_id,
                                     actor_label=label, at=closed_at or created_at,
                                     note=_("来源系统中为「%(status)s」") % {"status": values["source_status"]},
                                     data={"imported": True}))
    return case, events


def _open_case_deadlines(cases: Iterable[Case], now: dt.datetime) -> None:
    """Unfinished imported work orders wait for a dispatcher like a new case: the clock starts at the import."""

    calendar = working_calendar_current()
    for case in cases:
        if case.status == CaseStatus.RECEIVED:
            deadline = sla.stage_deadline(now, sla.dispatch_limit(matter=case.matter, priority=case.priority),
                                          calendar)
            case.stage_due_at, case.stage_warn_at = deadline.due_at, deadline.warn_at


def _set_aside_rows(history: HistoryFile, result: CheckResult, sheet_name: str) -> list[tuple[str, int, list[object],
                                                                                             str]]:
    rows = []
    for sheet in history.sheets:
        if sheet_name and sheet.name != sheet_name:
            continue
        for raw, row_number in zip(sheet.rows, sheet.row_numbers, strict=True):
            reason = result.error_rows.get((sheet.name, row_number))
            if reason is not None:
                rows.append((sheet.name, row_number, raw, reason))
    return rows


def _personal_columns(history: HistoryFile, mapping: dict[str, str]) -> dict[str, set[int]]:
    headers = {mapping[key] for key in PERSONAL_FIELDS if mapping.get(key)}
    synonyms = {synonym.lower() for key in PERSONAL_FIELDS for synonym in IMPORT_FIELDS_BY_KEY[key].synonyms}
    return {sheet.name: {index for index, header in enumerate(sheet.headers)
                         if header in headers or header.lower() in synonyms} for sheet in history.sheets}


def import_batch_commit(*, batch_id: int, actor: User, set_aside: bool | None = None) -> CaseImportBatch:
    """Import the checked batch in one transaction (bulk inserts); returns it committed.

    All or nothing unless the batch (or ``set_aside``) says "import the valid rows and set the
    others aside": then the rows with errors go to an .xlsx (``batch.set_aside_file``) with their
    reasons. Rows already imported earlier (same 工单编号) are skipped and counted.
    """
    require(actor, Action.CASE_IMPORT)
    batch = CaseImportBatch.objects.filter(pk=batch_id).first()
    if batch is None:
        raise NotFoundError("import_batch_not_found", _("导入批次不存在。"))
    if batch.status == ImportStatus.COMMITTED:
        raise ApplicationError("import_committed", _("该批次已经导入，不能重复导入。"), status_code=409)
    if set_aside is not None:
        batch.set_aside = set_aside
    history = _batch_file(batch)
    result = _rows_checked(history, batch.mapping, sheet_name=batch.sheet,
                           tolerance_seconds=batch.close_tolerance_seconds)
    if result.error_rows and not batch.set_aside:
        batch.errors = result.errors[:_ERRORS_STORED]
        batch.error_count = len([error for error in result.errors if not error.get("warning")])
        batch.set_aside_count = len(result.error_rows)
        batch.save(update_fields=["errors", "error_count", "set_aside_count", "set_aside"])
        raise ApplicationError("import_has_errors", _(
            "有 %(count)d 行有错误，本次未导入任何工单。请修正文件后重新上传，或选择“导入有效行、搁置有误行”。") % {
            "count": len(result.error_rows)})
    mappings = ValueMappings.load()
    now = clock.now()
    with transaction.atomic():
        locked = CaseImportBatch.objects.select_for_update().get(pk=batch_id)
        if locked.status == ImportStatus.COMMITTED:
            raise ApplicationError("import_committed", _("该批次已经导入，不能重复导入。"), status_code=409)
        days = Counter(row.values["created_at"].date() for row in result.rows)
        first_numbers = case_numbers_allocate(days)
        next_number = dict(first_numbers)
        locations = _location_of(result.rows)
        cases: list[Case] = []
        events: list[CaseEvent] = []
        for index, row in enumerate(result.rows):
            day = row.values["created_at"].date()
            sequence = next_number[day]
            next_number[day] = sequence + 1
            case, case_events = _case_for(row, number=f"{day:%Y%m%d}{sequence:06d}", batch=locked,
                                          mappings=mappings, location=locations.get(index), now=now,
                                          actor_id=actor.pk)
            cases.append(case)
            events.extend(case_events)
        _open_case_deadlines(cases, now)
        Case.objects.bulk_create(cases, batch_size=1000)
        for event in events:
            event.case_id = event.case.pk
        CaseEvent.objects.bulk_create(events, batch_size=2000)
        locked.set_aside = batch.set_aside
        if result.error_rows:
            content = set_aside_workbook(
                headers_by_sheet={sheet.name: sheet.headers for sheet in history.sheets},
                rows=_set_aside_rows(history, result, locked.sheet),
                masked_columns=_personal_columns(history, locked.mapping),
                mask=not user_can(actor, Action.CASE_VIEW_PERSONAL))
            locked.set_aside_file.save(f"set-aside-{locked.pk}-{now:%Y%m%d%H%M%S}.xlsx", ContentFile(content),
                                       save=False)
        locked.status = ImportStatus.COMMITTED
        locked.imported_count = len(cases)
        locked.set_aside_count = len(result.error_rows)
        locked.skipped_count = len(result.skipped)
        locked.committed_at = now
        locked.errors = result.errors[:_ERRORS_STORED]
        locked.error_count = len([error for error in result.errors if not error.get("warning")])
        locked.report = _report(result, mappings)
        locked.save()
        audit_record_append(actor_id=actor.pk, action="case.import", object_type="case_import", object_id=locked.pk,
                            data={"rows": len(cases), "set_aside": len(result.error_rows),
                                  "skipped": len(result.skipped), "file": locked.original_name,
                                  "sheets": {name: counts["valid"] for name, counts in result.per_sheet.items()},
                                  "numbers": [cases[0].number, cases[-1].number] if cases else []})
    return locked


# -- learning from the imported history ------------------------------------------------------------

TRAINING_TARGETS = ("category", "department")


def import_training_examples(*, target: str) -> list[tuple[str, str]]:
    """(text, label) pairs for a model of ``target``: the imported history and the dispatchers' corrections.

    History gives every imported case with a department (or source handling unit) / category (or
    source classification's first level). A dispatcher who changed the proposed matter or
    department at dispatch made a labelled example: the case's final category / department.
    """
    if target not in TRAINING_TARGETS:
        raise ApplicationError("classifier_target_invalid", _("预测对象「%(target)s」无效。") % {"target": target})
    examples: list[tuple[str, str]] = []
    imported = (Case.objects.filter(channel=CaseChannel.IMPORT)
                .values_list("title", "description", "department__name", "source_handling_unit", "category__name",
                             "source_classification").order_by("id"))
    for title, description, department, unit, category, classification in imported.iterator(chunk_size=2000):
        label = (department or unit) if target == "department" else (category or classification.split("/")[0])
        if label:
            examples.append((_example_text(title, description), label))
    corrected_ids = set(CaseEvent.objects.filter(action=CaseAction.DISPATCH, data__corrected=True)
                        .values_list("case_id", flat=True))
    corrected = (Case.objects.filter(pk__in=corrected_ids).exclude(channel=CaseChannel.IMPORT)
                 .values_list("title", "description", "department__name", "category__name"))
    for title, description, department, category in corrected:
        label = department if target == "department" else category
        if label:
            examples.append((_example_text(title, description), label))
    return examples


def _example_text(title: str, description: str) -> str:
    if title and not description.startswith(title[:20]):
        return f"{title} {description}"
    return description


def import_training_queue(*, target: str, actor: User, name: str = "") -> Any:
    """Queue a training job on the imported history (and dispatcher corrections); returns the job.

    The model it produces is not activated: a person compares it with the current model and a plain
    baseline trained in the same run, then activates it on the models page.
    """
    require(actor, Action.CLASSIFIER_MANAGE)

    examples = import_training_examples(target=target)
    if len(examples) < 10:
        raise ApplicationError("training_too_few_examples", _(
            "可用于训练的已标注工单只有 %(count)d 条（至少需要 10 条）：请先导入带%(what)s的历史工单。") % {
            "count": len(examples), "what": _("办理单位") if target == "department" else _("分类")})
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["text", "label"])
    writer.writerows(examples)
    return classifier_training_job_create(
        name=name or f"history-{target}", data=buffer.getvalue().encode("utf-8"),
        file_name=f"history-{target}-{clock.now():%Y%m%d%H%M%S}.csv", text_columns=["text"], label_column="label",
        actor_id=actor.pk, target=target)

