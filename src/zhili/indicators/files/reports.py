"""Download writers of the indicators app: the evaluation reports (.docx with the platform's charts,
and a PDF rendering of the same document by LibreOffice), and the Excel files of the list pages.

Every spreadsheet row goes through ``zhili.core.spreadsheets.sheet_append``, so that text a user typed
(an indicator name, a department, a decision reference) is written as data and never as a formula.
"""

from __future__ import annotations

import io
import math
import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _

from zhili.core.errors import ApplicationError
from zhili.core.spreadsheets import sheet_append, xlsx_bytes
from zhili.indicators.evaluation import Status
from zhili.indicators.models import EvaluationReport, ReportStage
from zhili.indicators.reports import indicator_chart_png, status_chart_png
from zhili.indicators.rules import FINAL_VERDICT_LABELS, final_verdict, number_text, percent_text
from zhili.indicators.selectors import ReportFigures, indicator_detail, plan_evaluation, report_figures

if TYPE_CHECKING:

    from zhili.indicators.models import Plan

# Text that a spreadsheet program would read as a formula (or a DDE command) when it starts so.
PDF_TIMEOUT_SECONDS = 180


# ---------------------------------------------------------------------------------------------
# The evaluation report (.docx)
# ---------------------------------------------------------------------------------------------

def report_title(report: EvaluationReport) -> str:
    if report.stage == ReportStage.FINAL:
        return f"{report.plan}末期评估（总结评估）报告"
    return f"{report.plan}中期评估报告（{report.year}年）"


def report_filename(report: EvaluationReport, extension: str) -> str:
    return f"{report.plan.code}-{report.stage}-{report.year}-v{report.version}.{extension}"


def _table(document: Any, headers: Sequence[str], rows: Iterable[Sequence[str]]) -> Any:
    table = document.add_table(rows=1, cols=len(headers))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, headers, strict=True):
        cell.text = text
    for row in rows:
        for cell, text in zip(table.add_row().cells, row, strict=True):
            cell.text = text
    return table


def _lagging_table(document: Any, figures: ReportFigures) -> None:
    rows = []
    for row in figures.evaluation.off_track:
        result = row.evaluation
        rows.append((row.indicator.name, row.indicator.get_attribute_display(), result.status.label,
                     number_text(result.realised_value), number_text(result.expected_value), percent_text(result.ratio)))
    if rows:
        _table(document, ("指标", "属性", "状态", "实际", "序时应达", "进度/序时"), rows)


def _revisions_table(document: Any, figures: ReportFigures) -> None:
    if not figures.revisions:
        return
    _table(document, ("指标", "原目标", "调整后目标", "起始适用年份", "决定文号"), [
        (revision.indicator.name, number_text(revision.previous_value),
         revision.target_text or number_text(revision.target_value), str(revision.effective_from_year),
         revision.decision_reference)
        for revision in figures.revisions
    ])


def _group_tables(document: Any, figures: ReportFigures, paragraphs: Sequence[str]) -> None:
    for position, group in enumerate(figures.evaluation.groups):
        document.add_heading(group.group.name, level=2)
        if position < len(paragraphs):
            document.add_paragraph(paragraphs[position])
        _table(document, ("序号", "指标", "单位", "属性", "适用目标", "实际/累计", "进度/序时", "状态"), [
            (str(row.indicator.number), row.indicator.name, row.indicator.unit,
             row.indicator.get_attribute_display(), row.target_display + ("（已调整）" if row.target_revised else ""),
             row.evaluation.status.label if row.qualitative else number_text(row.evaluation.realised_value),
             percent_text(row.evaluation.ratio),
             row.evaluation.status.label + (f"（{row.evaluation.reason_message}）"
                                            if row.evaluation.status == Status.NO_DATA else ""))
            for row in group.rows
        ])
    for paragraph in paragraphs[len(figures.evaluation.groups):]:
        document.add_paragraph(paragraph)


def _final_targets_table(document: Any, figures: ReportFigures, target_year: int) -> None:
    rows = []
    for item in sorted(figures.items, key=lambda item: item.number):
        verdict = final_verdict(item, target_year)
        rows.append((str(item.number), item.name, "约束性" if item.binding else "预期性",
                     number_text(item.start_value), item.value_text if item.evaluation.realised_value is not None
                     else item.evaluation.status.label, item.target_value_text, FINAL_VERDICT_LABELS[verdict]))
    _table(document, ("序号", "指标", "属性", "基期值", "期末值", "目标（适用）", "结论"), rows)


def _appendix(document: Any, figures: ReportFigures) -> None:
    document.add_heading(_("附录  三种进度测算方法对照"), level=1)
    document.add_paragraph(_(
        "CAGR比值=实际复合年均增速÷实现目标所需复合年均增速（Open SDG方法，≥0.95显著进展，≥0.6中等进展，≥0有限进展，"
        "<0退步）；进度/序时=实际完成进度÷时序进度（目标一致法）；目标年预测按现有趋势外推（联合国亚太经社会预期进展法），"
        "以完成所需变化的比例衡量。三种方法结论不一致时，说明原因。"))
    rows = []
    for item in sorted(figures.items, key=lambda item: item.number):
        measures = item.measures
        cagr = "—" if measures.cagr_ratio is None else f"{measures.cagr_ratio:.2f}"
        rows.append((
            str(item.number), item.name, f"{cagr}（{measures.cagr_label}）",
            f"{percent_text(measures.schedule_ratio)}（{measures.schedule_status.label}）",
            f"{number_text(measures.projected_value)}（{measures.projection_label}）",
            measures.reason if measures.disagree else ("一致" if item.evaluation.status != Status.NO_DATA
                                                       else item.evaluation.reason_message),
        ))
    _table(document, ("序号", "指标", "CAGR比值", "进度/序时", "目标年预测", "一致性/不一致的原因"), rows)


def _method_note(document: Any, report: EvaluationReport) -> None:
    plan = report.plan
    document.add_heading(_("评估方法说明"), level=1)
    document.add_paragraph(_(
        "时序进度=已过年数÷规划期年数。水平值和比重类指标按基期值到目标值的直线路径计算应达值；年均增速类指标比较基期以来的"
        "实际年均增速与目标增速；累计类指标比较累计完成量占目标总量的比例与时序进度；逐年约束类指标逐年判断是否达到约束值。"
        "进度比≥%(ahead).0f%%为超序时，≥100%%为符合序时，≥%(lag).0f%%为滞后，低于%(lag).0f%%为严重滞后。"
        "目标经决定调整的，自起始适用年份起按调整后的目标评估，此前年份仍按原目标。约束性指标无论趋势如何，未达要求即列为红色预警。"
    ) % {"ahead": plan.ahead_ratio * 100, "lag": plan.lag_ratio * 100})


def evaluation_report_docx(report: EvaluationReport) -> bytes:
    """The report version as .docx: its (edited) narrative, the platform's charts, the tables the
    stage calls for, and the appendix with the three progress measures side by side."""
    # deferred: python-docx is imported only when a Word file is read or written
    import docx
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt

    plan = report.plan
    figures = report_figures(plan, report.year)
    document = docx.Document()
    normal = document.styles["Normal"]
    normal.font.name = "Noto Sans CJK SC"
    normal.font.size = Pt(10.5)
    normal.element.rPr.rFonts.set(qn("w:eastAsia"), "宋体")
    title = document.add_heading(report_title(report), level=0)
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    if report.version:
        document.add_paragraph(_("第%(version)s版（%(status)s）。数据截至%(year)s年；评估方法见文末说明。") % {
            "version": report.version, "status": report.get_status_display(), "year": report.year})
    else:
        document.add_paragraph(_("即时生成的预览（未保存，文字未经编辑）。数据截至%(year)s年；评估方法见文末说明。")
                               % {"year": report.year})
    is_final = report.stage == ReportStage.FINAL
    for section in report.sections:
        key = str(section["key"])
        paragraphs = [str(text) for text in section.get("paragraphs", [])]
        document.add_heading(str(section["title"]), level=1)
        if key == "groups" and not is_final:
            _group_tables(document, figures, paragraphs)
            continue
        for text in paragraphs:
            document.add_paragraph(text)
        if key in ("overall", "conclusion"):
            document.add_picture(io.BytesIO(status_chart_png(figures.evaluation)), width=Cm(16))
        elif key == "problems":
            _lagging_table(document, figures)
            for row in figures.evaluation.off_track[:6]:
                document.add_picture(io.BytesIO(indicator_chart_png(row.indicator.pk, report.year)), width=Cm(13))
        elif key == "revisions":
            _revisions_table(document, figures)
        elif key == "targets":
            _final_targets_table(document, figures, plan.target_year)
            _revisions_table(document, figures)
        elif key == "causes":
            missed = [row for row in figures.evaluation.rows if row.indicator.is_binding
                      and row.evaluation.status.off_track]
            for row in missed[:6]:
                document.add_picture(io.BytesIO(indicator_chart_png(row.indicator.pk, report.year)), width=Cm(13))
    _appendix(document, figures)
    _method_note(document, report)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def docx_to_pdf(content: bytes, stem: str = "report") -> bytes:
    """Render a .docx as PDF with LibreOffice (``soffice --headless``), in a private profile so
    parallel conversions do not share a lock. Raises ``pdf_unavailable`` when LibreOffice is missing."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        raise ApplicationError(
            "pdf_unavailable",
            _("服务器未安装LibreOffice，暂时不能生成PDF。请下载Word版本，或请运维人员运行 scripts/setup-system。"),
            status_code=503,
        )
    with tempfile.TemporaryDirectory(prefix="zhili-pdf-") as directory:
        folder = Path(directory)
        source = folder / f"{stem}.docx"
        source.write_bytes(content)
        profile = (folder / "profile").as_uri()
        try:
            subprocess.run(  # noqa: S603 - fixed arguments, our own temporary files
                [soffice, f"-env:UserInstallation={profile}", "--headless", "--norestore", "--convert-to", "pdf",
                 "--outdir", str(folder), str(source)],
                check=True, capture_output=True, timeout=PDF_TIMEOUT_SECONDS,
            )
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as error:
            raise ApplicationError("pdf_failed", _("PDF生成失败，请稍后重试或下载Word版本。"), status_code=503) from error
        target = folder / f"{stem}.pdf"
        if not target.exists():
            raise ApplicationError("pdf_failed", _("PDF生成失败，请稍后重试或下载Word版本。"), status_code=503)
        return target.read_bytes()


REPORT_STAGES = {"midterm": "中期评估", "final": "末期评估", "annual": "年度监测"}


def _finite(value: float | None) -> float | None:
    """Spreadsheets cannot hold ±inf/NaN (a zero bound violated gives −inf): leave the cell blank."""
    return value if value is not None and math.isfinite(value) else None


def evaluation_report_xlsx(plan: Plan, year: int, stage: str = "midterm") -> bytes:
    """The evaluation as a workbook: a summary sheet and one row per indicator and year."""
    # deferred: openpyxl is imported only when a workbook is written
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None  # noqa: S101 - a new workbook always has one sheet
    sheet.title = "汇总"
    evaluation = plan_evaluation(plan, year)
    sheet_append(sheet, [f"{plan}{REPORT_STAGES.get(stage, stage)}（{year}年）"])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet_append(sheet, ["分组", *[status.label for status in Status], "合计"])
    for group in evaluation.groups:
        counts = [group.counts.get(status, 0) for status in Status]
        sheet_append(sheet, [group.group.name, *counts, sum(counts)])
    totals = [evaluation.counts.get(status, 0) for status in Status]
    sheet_append(sheet, ["合计", *totals, sum(totals)])
    sheet_append(sheet, [])
    sheet_append(sheet, ["滞后指标（约束性在前）"])
    for row in evaluation.off_track:
        sheet_append(sheet, [row.indicator.name, row.indicator.get_attribute_display(), row.evaluation.status.label])

    detail_sheet = workbook.create_sheet("指标评估")
    sheet_append(detail_sheet, [
        "指标编号", "分组", "指标名称", "单位", "属性", "类型", "适用目标", "目标依据", "年份", "实际/累计", "序时应达",
        "时序进度", "进度/序时", "状态", "说明", "目标年预测", "Open SDG 进度分", "CAGR比值", "CAGR结论",
        "趋势外推结论", "三法不一致的原因", "责任部门"])
    for group in evaluation.groups:
        for row in group.rows:
            detail = indicator_detail(row.indicator, year)
            for item in detail.years:
                result = item.evaluation
                if result.year > year:
                    continue
                target = item.target
                measures = item.measures
                sheet_append(detail_sheet, [
                    row.indicator.code, group.group.name, row.indicator.name, row.indicator.unit,
                    row.indicator.get_attribute_display(), row.indicator.get_kind_display(),
                    target.value if target.value is not None else (target.text or row.indicator.target_text),
                    target.decision_reference or "规划原定目标",
                    result.year, _finite(result.realised_value), _finite(result.expected_value),
                    _finite(result.expected_share), _finite(result.ratio), result.status.label, result.reason_message,
                    _finite(result.projected_value), _finite(result.sdg_score), _finite(measures.cagr_ratio),
                    measures.cagr_label, measures.projection_label, measures.reason,
                    row.indicator.source_department,
                ])
    return xlsx_bytes(workbook)
