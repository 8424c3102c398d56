"""The charts of the evaluation reports (the writers are in :mod:`zhili.indicators.files`).

Charts are drawn by matplotlib with a Chinese (CJK) font found on the system; without one the
report is still produced (Chinese labels may then show as boxes) and a warning is logged.
"""

from __future__ import annotations

import functools
import io
import logging
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

from zhili.indicators.evaluation import Status
from zhili.indicators.selectors import PlanEvaluation, indicator_detail, indicator_get

if TYPE_CHECKING:
    from matplotlib.figure import Figure


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
    # deferred: matplotlib is slow to import; only chart rendering needs it
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
    # deferred: matplotlib is slow to import; only chart rendering needs it
    import matplotlib

    matplotlib.use("Agg", force=False)
    # deferred: matplotlib is slow to import; only chart rendering needs it
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
