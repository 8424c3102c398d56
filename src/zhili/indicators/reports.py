"""Mid-term and final evaluation reports (.docx with charts, and .xlsx) of a plan.

Charts are drawn by matplotlib with a Chinese (CJK) font found on the system; without one the
report is still produced (Chinese labels may then show as boxes) and a warning is logged.
"""

from __future__ import annotations

import functools
import io
import logging
import math
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

from zhili.core import clock
from zhili.core.spreadsheets import xlsx_bytes
from zhili.indicators.evaluation import Status
from zhili.indicators.selectors import PlanEvaluation, indicator_detail, plan_evaluation

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from zhili.indicators.models import Plan

logger = logging.getLogger(__name__)

_CJK_FONT_NAMES = ("Noto Sans CJK SC", "Noto Sans CJK JP", "Noto Sans SC", "Source Han Sans SC", "WenQuanYi Zen Hei",
                   "WenQuanYi Micro Hei", "SimHei", "Microsoft YaHei", "PingFang SC", "AR PL UMing CN")
_STATUS_CHART_COLOURS = {
    Status.COMPLETED: "#15803d", Status.AHEAD: "#22c55e", Status.ON_TRACK: "#86efac", Status.LAGGING: "#f59e0b",
    Status.SEVERELY_LAGGING: "#dc2626", Status.NO_DATA: "#cbd5e1",
}
REPORT_STAGES = {"midterm": "中期评估", "final": "末期评估", "annual": "年度监测"}


@functools.cache
def chinese_font_name() -> str | None:
    """The family name of an installed CJK font for matplotlib, or None (with a logged warning)."""
    from matplotlib import font_manager

    installed = {font.name for font in font_manager.fontManager.ttflist}
    for name in _CJK_FONT_NAMES:
        if name in installed:
            return name
    for path in font_manager.findSystemFonts():
        lowered = path.lower()
        if any(part in lowered for part in ("notosanscjk", "wqy", "simhei", "msyh", "sourcehansans")):
            font_manager.fontManager.addfont(path)
            return font_manager.FontProperties(fname=path).get_name()
    logger.warning("No CJK font found for report charts; Chinese labels may not render. Install fonts-noto-cjk.")
    return None


def _figure(width: float, height: float) -> Figure:
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    font = chinese_font_name()
    figure = Figure(figsize=(width, height), dpi=120)
    if font:
        matplotlib.rcParams["font.family"] = [font, "sans-serif"]
    matplotlib.rcParams["axes.unicode_minus"] = False
    return figure


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", bbox_inches="tight")
    return buffer.getvalue()


def status_chart_png(evaluation: PlanEvaluation) -> bytes:
    """Stacked bars: indicators by status in each group."""
    figure = _figure(7.5, 3.2)
    axes = figure.add_subplot(1, 1, 1)
    names = [group.group.name for group in evaluation.groups]
    left = [0] * len(names)
    for status in Status:
        counts = [group.counts.get(status, 0) for group in evaluation.groups]
        axes.barh(names, counts, left=left, color=_STATUS_CHART_COLOURS[status], label=status.label)
        left = [a + b for a, b in zip(left, counts, strict=True)]
    axes.invert_yaxis()
    axes.set_xlabel(_("指标个数"))
    axes.set_title(_("%(year)s年各组指标进度状态") % {"year": evaluation.year})
    axes.legend(loc="lower right", fontsize=8, ncols=3)
    return _png(figure)


def indicator_chart_png(indicator_id: int, year: int) -> bytes:
    from zhili.indicators.selectors import indicator_get

    detail = indicator_detail(indicator_get(indicator_id=indicator_id), year)
    chart = detail.chart
    figure = _figure(6.0, 2.8)
    axes = figure.add_subplot(1, 1, 1)
    actual = [(y, v) for y, v in zip(chart.years, chart.actual, strict=True) if v is not None]
    expected = [(y, v) for y, v in zip(chart.years, chart.expected, strict=True) if v is not None]
    projection = [(y, v) for y, v in zip(chart.years, chart.projection, strict=True) if v is not None]
    if expected:
        axes.plot(*zip(*expected, strict=True), linestyle="--", color="#64748b", label=_("序时进度路径"))
    if projection:
        axes.plot(*zip(*projection, strict=True), linestyle=":", color="#f59e0b", label=_("趋势预测"))
    if actual:
        axes.plot(*zip(*actual, strict=True), marker="o", color="#1d4ed8", label=_("实际值"))
    if chart.target is not None:
        axes.axhline(chart.target, color="#16a34a", linewidth=0.8, label=_("目标值"))
    axes.set_title(f"{detail.indicator.name}（{chart.value_label}）", fontsize=10)
    axes.set_xticks(chart.years)
    axes.legend(fontsize=7)
    return _png(figure)


def _finite(value: float | None) -> float | None:
    """Spreadsheets cannot hold ±inf/NaN (a zero bound violated gives −inf): leave the cell blank."""
    return value if value is not None and math.isfinite(value) else None


def _format(value: float | None, digits: int = 2) -> str:
    if value is None or not math.isfinite(value):
        return "—"
    return f"{value:,.{digits}f}".rstrip("0").rstrip(".") if abs(value) < 1e12 else f"{value:.3g}"


def report_filename(plan: Plan, stage: str, year: int, extension: str) -> str:
    return f"{plan.code}-{stage}-{year}.{extension}"


def evaluation_report_docx(plan: Plan, year: int, stage: str = "midterm") -> bytes:
    """The evaluation report as .docx: summary, status chart, tables by group, lagging indicators."""
    import docx
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt

    evaluation = plan_evaluation(plan, year)
    document = docx.Document()
    normal = document.styles["Normal"]
    normal.font.name = "Noto Sans CJK SC"
    normal.font.size = Pt(10.5)
    normal.element.rPr.rFonts.set(qn("w:eastAsia"), "宋体")
    stage_label = REPORT_STAGES.get(stage, stage)
    title = document.add_heading(f"{plan}{stage_label}报告（{year}年）", level=0)
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    document.add_paragraph(_("生成时间：%(time)s。数据截至%(year)s年；评估方法见文末说明。") % {
        "time": clock.local_now().strftime("%Y-%m-%d %H:%M"), "year": year})

    document.add_heading(_("一、总体情况"), level=1)
    total = len(evaluation.rows)
    counts = evaluation.counts
    green = sum(counts.get(status, 0) for status in (Status.COMPLETED, Status.AHEAD, Status.ON_TRACK))
    binding = [row for row in evaluation.rows if row.indicator.is_binding]
    binding_off = [row for row in binding if row.evaluation.status.off_track]
    share = (year - plan.base_year) / (plan.target_year - plan.base_year)
    document.add_paragraph(_(
        "规划期%(base)s—%(target)s年，%(year)s年时序进度为%(share).0f%%。纳入评估的指标共%(total)s项，其中"
        "已完成%(completed)s项、超序时%(ahead)s项、符合序时%(on)s项、滞后%(lagging)s项、严重滞后%(severe)s项、"
        "无数据%(none)s项；达到或超过序时进度的共%(green)s项。约束性指标%(binding)s项，其中%(binding_off)s项未达序时进度。"
    ) % {
        "base": plan.base_year, "target": plan.target_year, "year": year, "share": share * 100, "total": total,
        "completed": counts.get(Status.COMPLETED, 0), "ahead": counts.get(Status.AHEAD, 0),
        "on": counts.get(Status.ON_TRACK, 0), "lagging": counts.get(Status.LAGGING, 0),
        "severe": counts.get(Status.SEVERELY_LAGGING, 0), "none": counts.get(Status.NO_DATA, 0), "green": green,
        "binding": len(binding), "binding_off": len(binding_off),
    })
    document.add_picture(io.BytesIO(status_chart_png(evaluation)), width=Cm(16))

    document.add_heading(_("二、滞后指标（约束性指标在前）"), level=1)
    if not evaluation.off_track:
        document.add_paragraph(_("本年度没有滞后指标。"))
    else:
        table = document.add_table(rows=1, cols=6)
        table.style = "Table Grid"
        for cell, text in zip(table.rows[0].cells, ("指标", "属性", "状态", "实际", "序时应达", "进度/序时"),
                              strict=True):
            cell.text = text
        for row in evaluation.off_track:
            result = row.evaluation
            cells = table.add_row().cells
            cells[0].text = row.indicator.name
            cells[1].text = row.indicator.get_attribute_display()
            cells[2].text = result.status.label
            cells[3].text = _format(result.realised_value)
            cells[4].text = _format(result.expected_value)
            cells[5].text = _format(result.ratio * 100 if result.ratio is not None else None, 0) + "%"
        for row in evaluation.off_track[:8]:
            document.add_picture(io.BytesIO(indicator_chart_png(row.indicator.pk, year)), width=Cm(13))

    document.add_heading(_("三、分组指标情况"), level=1)
    for group in evaluation.groups:
        document.add_heading(group.group.name, level=2)
        table = document.add_table(rows=1, cols=8)
        table.style = "Table Grid"
        headers = ("序号", "指标", "单位", "属性", "目标", "实际/累计", "预测（目标年）", "状态")
        for cell, text in zip(table.rows[0].cells, headers, strict=True):
            cell.text = text
        for row in group.rows:
            result = row.evaluation
            cells = table.add_row().cells
            cells[0].text = str(row.indicator.number)
            cells[1].text = row.indicator.name
            cells[2].text = row.indicator.unit
            cells[3].text = row.indicator.get_attribute_display()
            cells[4].text = row.indicator.target_text or _format(row.indicator.target_value)
            cells[5].text = result.status.label if row.qualitative else _format(result.realised_value)
            cells[6].text = _format(result.projected_value)
            cells[7].text = result.status.label + (f"（{result.reason_message}）" if result.status == Status.NO_DATA
                                                   else "")

    document.add_heading(_("四、评估方法说明"), level=1)
    document.add_paragraph(_(
        "时序进度=已过年数÷规划期年数。水平值和比重类指标按基期值到目标值的直线路径计算应达值，进度比=实际完成进度÷时序进度；"
        "年均增速类指标比较基期以来的实际年均增速与目标增速；累计类指标比较累计完成量占目标总量的比例与时序进度；"
        "逐年约束类指标逐年判断是否达到约束值。进度比≥%(ahead).0f%%为超序时，≥100%%为符合序时，≥%(lag).0f%%为滞后，"
        "低于%(lag).0f%%为严重滞后。趋势预测按复合年均增长率外推至目标年。"
    ) % {"ahead": plan.ahead_ratio * 100, "lag": plan.lag_ratio * 100})
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def evaluation_report_xlsx(plan: Plan, year: int, stage: str = "midterm") -> bytes:
    """The evaluation as a workbook: a summary sheet and one row per indicator and year."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None  # noqa: S101 - a new workbook always has one sheet
    sheet.title = "汇总"
    evaluation = plan_evaluation(plan, year)
    sheet.append([f"{plan}{REPORT_STAGES.get(stage, stage)}（{year}年）"])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append(["分组", *[status.label for status in Status], "合计"])
    for group in evaluation.groups:
        counts = [group.counts.get(status, 0) for status in Status]
        sheet.append([group.group.name, *counts, sum(counts)])
    totals = [evaluation.counts.get(status, 0) for status in Status]
    sheet.append(["合计", *totals, sum(totals)])
    sheet.append([])
    sheet.append(["滞后指标（约束性在前）"])
    for row in evaluation.off_track:
        sheet.append([row.indicator.name, row.indicator.get_attribute_display(), row.evaluation.status.label])

    detail_sheet = workbook.create_sheet("指标评估")
    detail_sheet.append(["指标编号", "分组", "指标名称", "单位", "属性", "类型", "目标", "年份", "实际/累计",
                         "序时应达", "时序进度", "进度/序时", "状态", "说明", "目标年预测", "Open SDG 进度分"])
    for group in evaluation.groups:
        for row in group.rows:
            detail = indicator_detail(row.indicator, year)
            for result in detail.evaluations:
                if result.year > year:
                    continue
                detail_sheet.append([
                    row.indicator.code, group.group.name, row.indicator.name, row.indicator.unit,
                    row.indicator.get_attribute_display(), row.indicator.get_kind_display(),
                    row.indicator.target_value if row.indicator.target_value is not None else row.indicator.target_text,
                    result.year, _finite(result.realised_value), _finite(result.expected_value),
                    _finite(result.expected_share), _finite(result.ratio), result.status.label, result.reason_message,
                    _finite(result.projected_value), _finite(result.sdg_score),
                ])
    return xlsx_bytes(workbook)
