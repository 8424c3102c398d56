"""Bulk import of historical work orders: upload → column mapping → dry run → commit (all or nothing).

Files: .xlsx (merged cells are filled with their top-left value), .csv in UTF-8 (with or without
BOM), GBK or GB18030 (detected). Every row error names its row number and column.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePath
from typing import IO, TYPE_CHECKING, Any

import charset_normalizer
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext as _
from openpyxl import load_workbook

from zhili.accounts.permissions import Action, require
from zhili.audit.services import audit_record_append
from zhili.cases import policy
from zhili.cases.models import CaseChannel, CaseEvent, CaseImportBatch, ImportStatus, Rating
from zhili.cases.services.intake import IntakeRequest, case_intake
from zhili.cases.services.lifecycle import TransitionDetails, transition_apply
from zhili.cases.states import CaseAction
from zhili.cases.working_time import working_calendar_current
from zhili.core import clock
from zhili.core.errors import ApplicationError
from zhili.core.personal_data import phone_digits
from zhili.core.text_files import text_bytes_decode
from zhili.geo.models import Matter

if TYPE_CHECKING:
    from zhili.accounts.models import User

# (field, label, required)
IMPORT_FIELDS: tuple[tuple[str, str, bool], ...] = (
    ("description", "诉求内容", True),
    ("created_at", "受理时间", True),
    ("title", "标题", False),
    ("address_text", "地址", False),
    ("longitude", "经度", False),
    ("latitude", "纬度", False),
    ("reporter_name", "反映人", False),
    ("reporter_phone", "联系电话", False),
    ("matter", "事项（编码或名称）", False),
    ("external_id", "原工单号", False),
    ("finished_at", "办结时间", False),
    ("reply_text", "办理结果", False),
    ("rating", "满意度", False),
)
_SYNONYMS = {
    "description": ("诉求内容", "内容", "问题描述", "来电内容", "留言详情", "描述"),
    "created_at": ("受理时间", "来电时间", "登记时间", "创建时间", "留言时间", "时间"),
    "title": ("标题", "主题", "留言主题"),
    "address_text": ("地址", "事发地址", "发生地址", "地点"),
    "longitude": ("经度", "lng", "lon", "longitude"),
    "latitude": ("纬度", "lat", "latitude"),
    "reporter_name": ("反映人", "来电人", "姓名", "联系人"),
    "reporter_phone": ("联系电话", "电话", "手机", "来电号码"),
    "matter": ("事项", "事项编码", "事项名称", "诉求类型"),
    "external_id": ("原工单号", "工单号", "编号", "留言编号"),
    "finished_at": ("办结时间", "完成时间", "答复时间"),
    "reply_text": ("办理结果", "答复意见", "处理结果"),
    "rating": ("满意度", "评价"),
}
_RATINGS = {"满意": Rating.SATISFIED, "基本满意": Rating.BASICALLY_SATISFIED, "不满意": Rating.UNSATISFIED}
MAX_ROWS = 50_000


@dataclass(frozen=True)
class Table:
    headers: list[str]
    rows: list[list[str]]
    encoding: str


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _read_xlsx(content: bytes) -> Table:
    try:
        workbook = load_workbook(io.BytesIO(content), data_only=True)
    except Exception as error:  # openpyxl raises many types for broken files
        raise ApplicationError("file_unreadable", _("无法读取该 Excel 文件，请确认是 .xlsx 格式且未加密。")) from error
    sheet = workbook.worksheets[0]
    for merged in list(sheet.merged_cells.ranges):
        value = sheet.cell(merged.min_row, merged.min_col).value
        sheet.unmerge_cells(str(merged))
        for row in range(merged.min_row, merged.max_row + 1):
            for column in range(merged.min_col, merged.max_col + 1):
                sheet.cell(row, column).value = value
    rows = [[_cell_text(value) for value in row] for row in sheet.iter_rows(values_only=True)]
    return _table(rows, "xlsx")


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


def _read_csv(content: bytes) -> Table:
    text, encoding = _decode(content)
    try:
        # newline="" lets the csv module handle carriage returns inside cells itself
        rows = [[cell.strip() for cell in row] for row in csv.reader(io.StringIO(text, newline=""))]
    except csv.Error as error:
        raise ApplicationError("file_unreadable", _("无法读取 CSV 文件（%(reason)s），请用 Excel 另存为 .xlsx 后重试。") % {
            "reason": error}) from error
    return _table(rows, encoding)


def _table(rows: list[list[str]], encoding: str) -> Table:
    rows = [row for row in rows if any(cell for cell in row)]
    if not rows:
        raise ApplicationError("file_empty", _("文件中没有数据。"))
    if len(rows) - 1 > MAX_ROWS:
        raise ApplicationError("file_too_many_rows", _("一次最多导入 %(max)d 行，请拆分文件。") % {"max": MAX_ROWS})
    headers = [cell or f"第{index + 1}列" for index, cell in enumerate(rows[0])]
    return Table(headers=headers, rows=rows[1:], encoding=encoding)


def table_read(content: bytes, file_format: str) -> Table:
    return _read_xlsx(content) if file_format == "xlsx" else _read_csv(content)


def import_mapping_guess(headers: Sequence[str]) -> dict[str, str]:
    mapping: dict[str, str] = {}
    for field, synonyms in _SYNONYMS.items():
        for header in headers:
            if header.strip().lower() in {synonym.lower() for synonym in synonyms}:
                mapping[field] = header
                break
    return mapping


def import_batch_upload(*, name: str, stream: IO[bytes], size: int | None, actor: User) -> CaseImportBatch:
    """Store the file and read its header row (no case is created)."""
    require(actor, Action.CASE_IMPORT)
    limit = int(getattr(settings, "ZHILI_UPLOAD_MAX_BYTES", 20 * 1024 * 1024))
    content = stream.read(limit + 1)
    if (size or len(content)) > limit or len(content) > limit:
        raise ApplicationError("file_too_large", _("文件超过 %(limit)d MB，请拆分后导入。") % {"limit": limit // 2**20},
                               status_code=413)
    suffix = PurePath(name).suffix.lower()
    if suffix not in (".xlsx", ".csv"):
        raise ApplicationError("file_format", _("只支持 .xlsx 和 .csv 文件（旧版 .xls 请另存为 .xlsx）。"))
    file_format = suffix[1:]
    table = table_read(content, file_format)
    batch = CaseImportBatch(original_name=PurePath(name).name[:200], file_format=file_format,
                            encoding=table.encoding, headers=table.headers, row_count=len(table.rows),
                            mapping=import_mapping_guess(table.headers), created_by=actor, created_at=clock.now())
    batch.file.save(f"import-{clock.now():%Y%m%d%H%M%S}.{file_format}", ContentFile(content), save=False)
    batch.save()
    return batch


def _parse_time(text: str) -> dt.datetime | None:
    text = text.strip().replace("/", "-").replace("T", " ")
    for pattern in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d", "%Y年%m月%d日 %H:%M", "%Y年%m月%d日"):
        try:
            return dt.datetime.strptime(text, pattern).replace(tzinfo=clock.CHINA_TIME_ZONE)
        except ValueError:
            continue
    return None


@dataclass(frozen=True)
class ImportRow:
    row_number: int
    request: IntakeRequest
    finished_at: dt.datetime | None
    reply_text: str
    rating: str


def _rows_checked(table: Table, mapping: dict[str, str]) -> tuple[list[ImportRow], list[dict[str, Any]]]:
    missing = [label for field, label, required in IMPORT_FIELDS if required and not mapping.get(field)]
    if missing:
        raise ApplicationError("mapping_incomplete", _("请为必填字段选择对应的列：%(fields)s。") % {
            "fields": "、".join(missing)})
    unknown = [header for header in mapping.values() if header and header not in table.headers]
    if unknown:
        raise ApplicationError("mapping_unknown_column", _("文件中没有列：%(columns)s。") % {
            "columns": "、".join(unknown)})
    positions = {field: table.headers.index(header) for field, header in mapping.items() if header}
    matters = {matter.code: matter.code for matter in Matter.objects.filter(is_active=True)}
    matters.update({matter.name: matter.code for matter in Matter.objects.filter(is_active=True)})
    rows: list[ImportRow] = []
    errors: list[dict[str, Any]] = []
    for index, raw in enumerate(table.rows):
        row_number = index + 2  # the header is row 1

        def value(field: str, raw: list[str] = raw) -> str:
            position = positions.get(field)
            return raw[position].strip() if position is not None and position < len(raw) else ""

        def fail(field: str, message: str, row_number: int = row_number) -> None:
            errors.append({"row": row_number, "column": mapping.get(field, field), "message": message})

        before = len(errors)
        description = value("description")
        if not description:
            fail("description", _("诉求内容为空"))
        elif len(description) > policy.DESCRIPTION_MAX_CHARACTERS:
            fail("description", _("诉求内容超过 %(max)d 字") % {"max": policy.DESCRIPTION_MAX_CHARACTERS})
        created_at = _parse_time(value("created_at"))
        if created_at is None:
            fail("created_at", _("受理时间无法识别（示例：2025-03-01 09:30）"))
        elif created_at > clock.now():
            fail("created_at", _("受理时间晚于当前时间"))
        coordinates: list[float | None] = []
        for field in ("longitude", "latitude"):
            text = value(field)
            try:
                coordinates.append(float(text) if text else None)
            except ValueError:
                fail(field, _("不是数字"))
                coordinates.append(None)
        phone = value("reporter_phone")
        if phone and not 7 <= len(phone_digits(phone)) <= 15:
            fail("reporter_phone", _("电话号码格式不正确"))
        matter_text = value("matter")
        matter_code = matters.get(matter_text, "") if matter_text else ""
        if matter_text and not matter_code:
            fail("matter", _("事项「%(matter)s」不在权责清单中") % {"matter": matter_text})
        finished_at = _parse_time(value("finished_at")) if value("finished_at") else None
        if value("finished_at") and finished_at is None:
            fail("finished_at", _("办结时间无法识别"))
        if finished_at and created_at and finished_at < created_at:
            fail("finished_at", _("办结时间早于受理时间"))
        rating_text = value("rating")
        rating = _RATINGS.get(rating_text, "") if rating_text else ""
        if rating_text and not rating:
            fail("rating", _("满意度只能是 满意、基本满意 或 不满意"))
        if rating and not finished_at:
            fail("rating", _("有满意度的工单必须填写办结时间"))
        if finished_at and not matter_code:
            fail("matter", _("已办结的历史工单需要填写事项，以确定承办部门"))
        if len(errors) == before and created_at is not None:
            rows.append(ImportRow(
                row_number=row_number,
                request=IntakeRequest(
                    channel=CaseChannel.IMPORT, description=description, title=value("title"),
                    address_text=value("address_text"), longitude=coordinates[0], latitude=coordinates[1],
                    reporter_name=value("reporter_name"), reporter_phone=phone, matter_code=matter_code,
                    external_id=value("external_id"), created_at=created_at,
                ),
                finished_at=finished_at, reply_text=value("reply_text"), rating=rating,
            ))
    return rows, errors


def _batch_table(batch: CaseImportBatch) -> Table:
    with batch.file.open("rb") as handle:
        return table_read(handle.read(), batch.file_format)


def import_batch_check(*, batch_id: int, mapping: dict[str, str], actor: User) -> CaseImportBatch:
    """Dry run: validate every row with the mapping and store the report; nothing is imported."""
    require(actor, Action.CASE_IMPORT)
    batch = CaseImportBatch.objects.get(pk=batch_id)
    if batch.status == ImportStatus.COMMITTED:
        raise ApplicationError("import_committed", _("该批次已经导入，不能重复导入。"), status_code=409)
    mapping = {field: header for field, header in mapping.items() if header}
    batch.mapping = mapping
    _rows, errors = _rows_checked(_batch_table(batch), mapping)
    batch.errors = errors
    batch.error_count = len(errors)
    batch.status = ImportStatus.CHECKED
    batch.save(update_fields=["mapping", "errors", "error_count", "status"])
    return batch


def _close_historical(row: ImportRow, case_id: int, actor: User) -> None:
    from zhili.cases.models import Case

    case = Case.objects.select_related("matter", "department").get(pk=case_id)
    calendar = working_calendar_current()
    assert row.finished_at is not None  # noqa: S101 - only called for finished rows
    steps: list[tuple[str, TransitionDetails, dt.datetime]] = [
        (CaseAction.DISPATCH, TransitionDetails(note=_("历史工单导入")), case.created_at),
        (CaseAction.ACCEPT, TransitionDetails(), case.created_at),
        (CaseAction.REPLY, TransitionDetails(note=row.reply_text or _("历史工单，已办结")), row.finished_at),
    ]
    if row.rating:
        steps.append((CaseAction.FOLLOW_UP, TransitionDetails(rating=row.rating), row.finished_at))
    steps.append((CaseAction.ARCHIVE, TransitionDetails(), row.finished_at))
    events: list[CaseEvent] = []
    for action, details, at in steps:
        events += transition_apply(case, action=action, details=details, actor_id=actor.pk,
                                   actor_label=_("历史导入"), at=at, calendar=calendar).events
    case.save()
    CaseEvent.objects.bulk_create(events)


def import_batch_commit(*, batch_id: int, actor: User) -> CaseImportBatch:
    """Import every row in one transaction; any row error imports nothing."""
    require(actor, Action.CASE_IMPORT)
    batch = CaseImportBatch.objects.get(pk=batch_id)
    if batch.status == ImportStatus.COMMITTED:
        raise ApplicationError("import_committed", _("该批次已经导入，不能重复导入。"), status_code=409)
    rows, errors = _rows_checked(_batch_table(batch), batch.mapping)
    if errors:
        batch.errors, batch.error_count = errors, len(errors)
        batch.save(update_fields=["errors", "error_count"])
        raise ApplicationError("import_has_errors", _("有 %(count)d 处错误，请修正文件后重新上传；本次未导入任何工单。") % {
            "count": len(errors)})
    with transaction.atomic():
        locked = CaseImportBatch.objects.select_for_update().get(pk=batch_id)
        if locked.status == ImportStatus.COMMITTED:
            raise ApplicationError("import_committed", _("该批次已经导入，不能重复导入。"), status_code=409)
        for row in rows:
            result = case_intake(request=row.request, actor=actor, client_key=f"import:{batch.pk}",
                                 idempotency_key=f"row-{row.row_number}", actor_label=_("历史导入"))
            if row.finished_at is not None:
                _close_historical(row, result.case.pk, actor)
        locked.status = ImportStatus.COMMITTED
        locked.imported_count = len(rows)
        locked.committed_at = clock.now()
        locked.errors, locked.error_count = [], 0
        locked.save()
        audit_record_append(actor_id=actor.pk, action="case.import", object_type="case_import", object_id=batch.pk,
                            data={"rows": len(rows), "file": batch.original_name})
    return locked
