"""The case file (一案一档) as .docx and .xlsx; personal data only as the viewer may see it."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from docx import Document
from openpyxl import Workbook

from zhili.cases.selectors import CaseFile
from zhili.cases.states import CaseAction, CaseStatus
from zhili.core import clock
from zhili.core.spreadsheets import xlsx_bytes


def _local(value: dt.datetime | None) -> str:
    if value is None:
        return ""
    return value.astimezone(clock.CHINA_TIME_ZONE).strftime("%Y-%m-%d %H:%M")


def _label(action: str) -> str:
    return str(CaseAction(action).label) if action in CaseAction.values else action


def _status(status: str) -> str:
    return str(CaseStatus(status).label) if status in CaseStatus.values else status


def _summary_rows(case_file: CaseFile) -> list[tuple[str, str]]:
    case = case_file.case
    return [
        ("工单编号", case.number), ("状态", _status(case.status)), ("来源渠道", case.get_channel_display()),
        ("标题", case_file.text(case.title)), ("诉求内容", case_file.text(case.description)),
        ("地址", case_file.text(case.address_text)),
        ("网格", case.grid.name if case.grid else ""), ("事项", str(case.matter) if case.matter else ""),
        ("承办部门", case.department.name if case.department else ""),
        ("来源办理单位", case.source_handling_unit), ("来源分类", case.source_classification),
        ("反映人", case_file.reporter.name), ("联系电话", case_file.reporter.phone),
        ("受理时间", _local(case.created_at)), ("签收时限", _local(case.accept_due_at)),
        ("办理时限", _local(case.handle_due_at)), ("办结时间", _local(case.finished_at)),
        ("办理结果", case_file.text(case.reply_text)), ("满意度", case.get_rating_display() if case.rating else ""),
        ("评价意见", case_file.text(case.rating_comment)),
    ]


def _event_rows(case_file: CaseFile) -> list[tuple[str, str, str, str, str, str]]:
    return [(_local(event.occurred_at), _label(event.action), event.actor_label,
             event.department.name if event.department else "",
             f"{_status(event.from_status)}→{_status(event.to_status)}" if event.from_status else _status(
                 event.to_status), case_file.text(event.note)) for event in case_file.events]


def case_file_docx(case_file: CaseFile) -> bytes:
    document = Document()
    document.add_heading(f"一案一档 · 工单 {case_file.case.number}", level=1)
    summary = document.add_table(rows=0, cols=2)
    summary.style = "Table Grid"
    for key, value in _summary_rows(case_file):
        cells = summary.add_row().cells
        cells[0].text, cells[1].text = key, value
    document.add_heading("办理过程", level=2)
    timeline = document.add_table(rows=1, cols=6)
    timeline.style = "Table Grid"
    for cell, title in zip(timeline.rows[0].cells, ("时间", "环节", "操作人", "部门", "状态", "说明"), strict=True):
        cell.text = title
    for row in _event_rows(case_file):
        for cell, value in zip(timeline.add_row().cells, row, strict=True):
            cell.text = value
    if case_file.attachments:
        document.add_heading("附件", level=2)
        for attachment in case_file.attachments:
            document.add_paragraph(f"{attachment.get_kind_display()}：{attachment.original_name}（{attachment.sha256[:16]}）")
    output = io.BytesIO()
    document.save(output)
    return output.getvalue()


def case_file_xlsx(case_file: CaseFile) -> bytes:
    workbook = Workbook()
    summary: Any = workbook.active
    summary.title = "工单"
    for pair in _summary_rows(case_file):
        summary.append(pair)
    timeline = workbook.create_sheet("办理过程")
    timeline.append(("时间", "环节", "操作人", "部门", "状态", "说明"))
    for row in _event_rows(case_file):
        timeline.append(row)
    return xlsx_bytes(workbook)
