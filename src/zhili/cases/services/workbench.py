"""Writes behind the workbenches: bulk dispatch and the case-list Excel export with progress.

Bulk dispatch runs one :func:`case_transition` (one transaction, audited) per case — the same
dispatch handler as a single dispatch and intake's automatic one — so one refused case does not
undo the others; the caller gets every outcome.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.utils.translation import gettext as _
from openpyxl import Workbook

from zhili.accounts.models import User
from zhili.accounts.permissions import Action, require
from zhili.accounts.personal_data_policy import personal_text_shown_to
from zhili.cases.contracts import CaseFilter
from zhili.cases.selectors import case_list, case_reporter_for, cases_visible_to
from zhili.cases.services.lifecycle import TransitionDetails, case_transition
from zhili.cases.states import CaseAction
from zhili.core import clock
from zhili.core.errors import ApplicationError
from zhili.core.files import private_directory, private_file_write
from zhili.core.jobs import job_enqueue
from zhili.core.personal_data import personal_text_mask
from zhili.core.replica import replica_reads
from zhili.core.spreadsheets import xlsx_row

if TYPE_CHECKING:
    from zhili.accounts.models import User

BULK_DISPATCH_LIMIT = 200
logger = logging.getLogger(__name__)

CASE_LIST_EXPORT_JOB = "cases.case_list_export"


@dataclass(frozen=True)
class BulkDispatchResult:
    dispatched: list[str]  # case numbers
    refused: list[tuple[str, str]]  # (case number, reason)


def cases_dispatch_bulk(*, case_ids: list[int], department_id: int | None, actor: User) -> BulkDispatchResult:
    """Dispatch each case to ``department_id``, or to its matter's department when None.

    A case without a department to go to, or in a status that cannot be dispatched, is refused with
    its reason; the others are dispatched.
    """
    require(actor, Action.CASE_DISPATCH)
    if not case_ids:
        raise ApplicationError("nothing_selected", _("请先勾选要派单的工单。"))
    if len(case_ids) > BULK_DISPATCH_LIMIT:
        raise ApplicationError("too_many_selected", _("一次最多批量派单 %(limit)d 件，请分批操作。") % {
            "limit": BULK_DISPATCH_LIMIT})
    cases = list(cases_visible_to(actor).filter(pk__in=case_ids).select_related("matter").order_by("id"))
    dispatched: list[str] = []
    refused: list[tuple[str, str]] = []
    for case in cases:
        target = department_id or (case.matter.department_id if case.matter else None)
        if target is None:
            refused.append((case.number, _("没有建议的承办部门，请单独选择部门派单。")))
            continue
        try:
            case_transition(case_id=case.pk, action=CaseAction.DISPATCH, actor=actor,
                            details=TransitionDetails(department_id=target, note=_("批量派单")))
        except ApplicationError as error:
            refused.append((case.number, error.message))
        else:
            dispatched.append(case.number)
    return BulkDispatchResult(dispatched=dispatched, refused=refused)


# -- case list export ----------------------------------------------------------------------------

EXPORT_HEADERS = ("工单编号", "受理时间", "来源渠道", "状态", "标题", "地址", "网格", "分类", "事项", "承办部门",
                  "当前环节时限", "时限状态", "反映人", "联系电话", "诉求内容", "来源办理单位", "来源分类")
EXPORT_ROW_LIMIT = 100_000
PROGRESS_EVERY = 500


def exports_directory() -> Path:
    """Where export jobs keep their progress and files (private; emptied by the retention job)."""
    return private_directory(Path(settings.DATA_DIR) / "exports")


def export_job_paths(job_id: str) -> tuple[Path, Path]:
    """(progress JSON, xlsx file) of an export job; the id is checked to be one we issued."""
    if len(job_id) != 32 or not all(character in "0123456789abcdef" for character in job_id):
        raise ApplicationError("export_not_found", _("导出任务不存在或已过期，请重新导出。"), status_code=404)
    directory = exports_directory()
    return directory / f"{job_id}.json", directory / f"{job_id}.xlsx"


def export_progress(job_id: str) -> dict[str, Any]:
    progress_path, _file_path = export_job_paths(job_id)
    if not progress_path.exists():
        raise ApplicationError("export_not_found", _("导出任务不存在或已过期，请重新导出。"), status_code=404)
    data: dict[str, Any] = json.loads(progress_path.read_text("utf-8"))
    return data


def _progress_write(job_id: str, **values: Any) -> None:
    progress_path, _file_path = export_job_paths(job_id)
    private_file_write(progress_path, json.dumps(values, ensure_ascii=False).encode("utf-8"))


def case_list_export_start(*, user: User, filters: CaseFilter) -> str:
    """Record a new export job for ``user`` (owner and filters stored) and queue it; returns its id."""
    require(user, Action.CASE_EXPORT)
    job_id = secrets.token_hex(16)
    _progress_write(job_id, user_id=user.pk, state="queued", done=0, total=0, filters=filters.as_json(),
                    created_at=clock.now().isoformat())
    job_enqueue(CASE_LIST_EXPORT_JOB, job_id)
    return job_id


def case_list_export_run(*, job_id: str) -> None:
    """Write the job's .xlsx with the stored filters, as its owner sees them (PII masked without
    ``CASE_VIEW_PERSONAL``), updating the progress file every few hundred rows.

    A job that fails ends in the ``failed`` state with a message the page shows (the refusal's own
    message, or a generic one — the cause goes to the log), never stays queued or running: the page
    stops polling and offers a new export."""
    job = export_progress(job_id)
    try:
        with replica_reads():  # the rows may be seconds old; the job's own state is in its progress file
            _case_list_export_write(job_id=job_id, job=job)
    except Exception as error:
        if isinstance(error, ApplicationError):
            message = error.message
        else:
            logger.exception("case-list export %s failed", job_id)
            message = _("导出失败（系统错误，已记录）。请稍后重新导出；如仍失败，请联系管理员。")
        _progress_write(job_id, **{**job, "state": "failed", "error": message})


def _case_list_export_write(*, job_id: str, job: dict[str, Any]) -> None:

    def local(value: dt.datetime | None) -> str:
        return value.astimezone(clock.CHINA_TIME_ZONE).strftime("%Y-%m-%d %H:%M") if value else ""

    user = User.objects.get(pk=job["user_id"])
    cases = case_list(user=user, case_filter=CaseFilter.from_json(job["filters"]))
    total = min(cases.count(), EXPORT_ROW_LIMIT)
    _progress_write(job_id, **{**job, "state": "running", "total": total, "done": 0})
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("案件"))
    sheet.append(xlsx_row(sheet, EXPORT_HEADERS))
    done = 0
    for case in cases[:EXPORT_ROW_LIMIT].iterator(chunk_size=1000):
        reporter = case_reporter_for(case=case, user=user)
        shown = personal_text_shown_to(user, case)

        def text(value: str, shown: bool = shown) -> str:
            return value if shown else personal_text_mask(value)

        sheet.append(xlsx_row(sheet, [
            case.number, local(case.created_at), case.get_channel_display(),
            case.get_status_display(), text(case.title), text(case.address_text),
            case.grid.name if case.grid else "",
            case.category.name if case.category else "", case.matter.name if case.matter else "",
            case.department.name if case.department else "",
            local(case.stage_due_at),
            case.get_sla_state_display(), reporter.name, reporter.phone, text(case.description),
            case.source_handling_unit, case.source_classification,  # as an imported work order's source said
        ]))
        done += 1
        if done % PROGRESS_EVERY == 0:
            _progress_write(job_id, **{**job, "state": "running", "total": total, "done": done})
    buffer = io.BytesIO()
    workbook.save(buffer)
    _progress_path, file_path = export_job_paths(job_id)
    private_file_write(file_path, buffer.getvalue())
    _progress_write(job_id, **{**job, "state": "done", "total": total, "done": done})
