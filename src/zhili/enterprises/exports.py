"""Exports: the run's result table (.xlsx) and one enterprise's evaluation sheet (.xlsx / .docx)."""

from __future__ import annotations

import io

from django.db.models import QuerySet
from openpyxl import Workbook
from openpyxl.styles import Font

from zhili.core.spreadsheets import sheet_append, xlsx_bytes
from zhili.enterprises.engine import NOT_RATED_REASON_LABELS
from zhili.enterprises.industry import industry_label
from zhili.enterprises.models import EvaluationResult, EvaluationRun

_EFFECT_LABELS = {"lifted": "拉升", "dragged": "拖累", "even": "持平", "not_rated": "不参评，不计分"}


def _score_text(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"


def run_results_xlsx(run: EvaluationRun, results: QuerySet[EvaluationResult]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None  # noqa: S101 - a new workbook has one sheet
    sheet.title = f"{run.year}年度评价结果"
    indicator_names = [item["name"] for item in run.benchmarks]
    headers = ["排名", "统一社会信用代码", "企业名称", "行业", "规模", "综合得分", "类别", "上年类别", "一票否决",
               "不参评原因", *[f"{name}得分" for name in indicator_names], "加减分"]
    sheet_append(sheet, [f"{run.year}年度工业企业资源集约利用综合评价结果（第{run.version}版，{run.get_status_display()}）"])
    sheet_append(sheet, [f"评价方案：{run.scheme.name} v{run.scheme.version}"])
    sheet_append(sheet, headers)
    for cell in sheet[3]:
        cell.font = Font(bold=True)
    for result in results.select_related("enterprise").order_by("class_code", "rank", "enterprise__credit_code"):
        detail = result.detail
        scores = {item["key"]: item["score"] for item in detail.get("indicators", [])}
        sheet_append(sheet, [
            result.rank or None, result.enterprise.credit_code, result.enterprise.name,
            industry_label(result.enterprise.industry_code[:3]), result.enterprise.get_scale_display(),
            None if result.total is None else round(result.total, 2), result.class_code, result.previous_class,
            "；".join(detail.get("vetoes", [])), NOT_RATED_REASON_LABELS.get(result.not_rated_reason, ""),
            *[None if result.total is None else scores.get(item["key"]) for item in run.benchmarks],
            sum(item["points"] for item in detail.get("bonus", [])),
        ])
    sheet_append(sheet, [])
    sheet_append(sheet, ["基准值", *[f"{item['name']}={item['value']:.4f}（{item['source']}）" for item in run.benchmarks]])
    return xlsx_bytes(workbook)


def _sheet_lines(result: EvaluationResult) -> list[tuple[str, str]]:
    enterprise = result.enterprise
    run = result.run
    lines = [
        ("企业名称", enterprise.name), ("统一社会信用代码", enterprise.credit_code),
        ("行业", industry_label(enterprise.industry_code)), ("规模", enterprise.get_scale_display()),
        ("用地面积（亩）", "" if enterprise.land_area_mu is None else f"{enterprise.land_area_mu:.2f}"),
        ("评价年度", f"{run.year}（第{run.version}版，{run.get_status_display()}）"),
        ("评价方案", f"{run.scheme.name} v{run.scheme.version}"),
        ("综合得分", _score_text(result.total)), ("排名", str(result.rank or "")), ("类别", result.class_code),
        ("上年类别", result.previous_class or "—"),
    ]
    if result.not_rated_reason:
        lines.append(("不参评原因", NOT_RATED_REASON_LABELS.get(result.not_rated_reason, result.not_rated_reason)))
    if result.detail.get("vetoes"):
        lines.append(("一票否决", "；".join(result.detail["vetoes"])))
    return lines


def _indicator_rows(result: EvaluationResult) -> list[list[str]]:
    rows = []
    for item in result.detail.get("indicators", []):
        value = "缺数" if item["value"] is None else f"{item['value']:.4f}"
        score = "—" if item["score"] is None else f"{item['score']:.2f}"
        rows.append([item["name"], item["unit"], value, f"{item['benchmark']:.4f}", f"{item['weight']:g}",
                     score, _EFFECT_LABELS[item["effect"]]])
    return rows


_INDICATOR_HEADERS = ["指标", "单位", "企业值", "基准值", "权重", "得分", "影响"]


def enterprise_sheet_xlsx(result: EvaluationResult) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None  # noqa: S101 - a new workbook has one sheet
    sheet.title = "企业评价表"
    sheet_append(sheet, ["工业企业资源集约利用综合评价表"])
    for label, value in _sheet_lines(result):
        sheet_append(sheet, [label, value])
    sheet_append(sheet, [])
    sheet_append(sheet, _INDICATOR_HEADERS)
    for row in _indicator_rows(result):
        sheet_append(sheet, row)
    for item in result.detail.get("bonus", []):
        sheet_append(sheet, [item["name"], "加减分", "", "", "", f"{item['points']:.2f}", ""])
    return xlsx_bytes(workbook)


def enterprise_sheet_docx(result: EvaluationResult) -> bytes:
    # deferred: python-docx is imported only when a Word file is read or written
    from docx import Document

    document = Document()
    document.add_heading("工业企业资源集约利用综合评价表", level=1)
    table = document.add_table(rows=0, cols=2)
    table.style = "Table Grid"
    for label, value in _sheet_lines(result):
        cells = table.add_row().cells
        cells[0].text = label
        cells[1].text = value
    document.add_heading("指标得分与基准值对比", level=2)
    indicators = document.add_table(rows=1, cols=len(_INDICATOR_HEADERS))
    indicators.style = "Table Grid"
    for cell, header in zip(indicators.rows[0].cells, _INDICATOR_HEADERS, strict=True):
        cell.text = header
    for row in _indicator_rows(result):
        for cell, text in zip(indicators.add_row().cells, row, strict=True):
            cell.text = text
    for item in result.detail.get("bonus", []):
        document.add_paragraph(f"{item['name']}：{item['points']:+.2f} 分")
    document.add_paragraph("说明：指标得分 = 权重 × 企业值 ÷ 基准值（不低于0，不超过封顶倍数）；"
                           "“拉升”表示高于基准值，“拖累”表示低于基准值。")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
