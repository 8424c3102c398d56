"""Excel (.xlsx) files of the dashboards: the leader dashboard's current filter, the monthly report."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from zhili.cases.rules.kpis import KpiCounts
from zhili.core.spreadsheets import xlsx_bytes
from zhili.dashboard.leader import KpiComparison, LeaderOverview, MonthlyReport
from zhili.dashboard.selectors import RankingRow

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="DCE6F1")


def _ranking_headers(first: str) -> list[str]:
    return [_("代码"), first, _("受理量"), _("上期受理量"), _("环比(%)"), _("办结量"), _("按时签收率(%)"),
            _("按期办结率(%)"), _("满意率(%)"), _("解决率(%)"), _("重办率(%)"), _("重复诉求率(%)"),
            _("平均办理时长(小时)"), _("综合得分")]


def _ranking_cells(row: RankingRow) -> list[Any]:
    counts: KpiCounts = row.counts
    return [row.code, row.name, counts.created_count,
            row.previous.created_count if row.previous is not None else None, row.created_change,
            counts.finished_count, counts.accept_on_time_rate, counts.finish_on_time_rate, counts.satisfaction_rate,
            counts.resolution_rate, counts.reopen_rate, counts.duplicate_rate, counts.average_handling_hours,
            counts.score]


def _write_table(sheet: Worksheet, headers: list[str], rows: list[list[Any]], *, start_row: int = 1) -> int:
    for column, header in enumerate(headers, start=1):
        header_cell = sheet.cell(row=start_row, column=column, value=header)
        header_cell.font = _HEADER_FONT
        header_cell.fill = _HEADER_FILL
        header_cell.alignment = Alignment(horizontal="center")
    for row_index, values in enumerate(rows, start=start_row + 1):
        for column, value in enumerate(values, start=1):
            sheet.cell(row=row_index, column=column, value=value)
    for column, header in enumerate(headers, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = max(10, min(30, len(header) * 2 + 2))
    sheet.freeze_panes = f"A{start_row + 1}"
    return start_row + len(rows) + 1


def _comparison_rows(comparisons: list[KpiComparison]) -> list[list[Any]]:
    return [[item.label, item.current, item.previous, item.change] for item in comparisons]


def leader_overview_xlsx(overview: LeaderOverview) -> bytes:
    """The leader dashboard as shown: the filter, KPIs with month-on-month, and the three tables."""
    leader_filter = overview.leader_filter
    workbook = Workbook()
    summary = workbook.worksheets[0]
    summary.title = _("总览")
    summary.append([_("统计时段"), leader_filter.period.label])
    summary.append([_("对比时段"), leader_filter.period.previous().label])
    summary.append([_("区域"), leader_filter.scope.node.name if leader_filter.scope.node else _("全部")])
    summary.append([_("部门"), leader_filter.department.name if leader_filter.department else _("全部")])
    summary.append([_("分类"), leader_filter.category.name if leader_filter.category else _("全部")])
    summary.append([_("口径"), _("按受理日期统计；比率为百分数，环比为百分点(比率)或百分比(数量)")])
    _write_table(summary, [_("指标"), _("本期"), _("上期"), _("环比")], _comparison_rows(overview.comparisons),
                 start_row=8)
    for title, first, rows in (
        (_("按区域"), _("区域"), overview.by_area),
        (_("按部门"), _("部门"), overview.by_department),
        (_("按分类"), _("分类"), overview.by_category),
    ):
        sheet = workbook.create_sheet(title)
        _write_table(sheet, _ranking_headers(first), [_ranking_cells(row) for row in rows])
    ranking = workbook.create_sheet(_("红黑榜"))
    ranking_rows: list[list[Any]] = []
    for label, rows in ((_("部门红榜"), overview.red_departments), (_("部门黑榜"), overview.black_departments),
                        (_("区域红榜"), overview.red_areas), (_("区域黑榜"), overview.black_areas)):
        ranking_rows.extend([label, index, row.name, row.counts.score, row.counts.created_count]
                            for index, row in enumerate(rows, start=1))
    _write_table(ranking, [_("榜单"), _("名次"), _("名称"), _("综合得分"), _("受理量")], ranking_rows)
    return xlsx_bytes(workbook)


def monthly_report_xlsx(report: MonthlyReport) -> bytes:
    """The monthly KPI report: a summary sheet (one row per department) and one sheet per department."""
    workbook = Workbook()
    summary = workbook.worksheets[0]
    summary.title = _("部门汇总")
    summary.append([_("月度考核报表"), report.period.label])
    rows = []
    for section in report.departments:
        cells = _ranking_cells(RankingRow(code=section.department_code, name=section.department_name,
                                          counts=section.total, previous=section.previous_total))
        rows.append([*cells, section.rank])
    _write_table(summary, [*_ranking_headers(_("部门")), _("排名")], rows, start_row=3)
    for section in report.departments:
        sheet = workbook.create_sheet(f"{section.department_code}"[:31])
        sheet.append([section.department_name, report.period.label])
        next_row = _write_table(sheet, [_("指标"), _("本月"), _("上月"), _("环比")],
                                _comparison_rows(section.comparisons), start_row=3)
        _write_table(sheet, _ranking_headers(_("分类")), [_ranking_cells(row) for row in section.by_category],
                     start_row=next_row + 2)
    return xlsx_bytes(workbook)
