"""Platform metrics computed from the cases app (满意率, 按期办结率, 解决率) for platform-fed indicators.

They use the cases app's KPI selector (:func:`zhili.cases.selectors.case_kpis`, the one set of KPI
formulas in :mod:`zhili.cases.rules.kpis`) over the cases received in a calendar year (China time),
in percent — the same figures the leader pages show for that year.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from zhili.cases.contracts import CaseFilter
from zhili.cases.selectors import case_kpis
from zhili.core.clock import CHINA_TIME_ZONE
from zhili.indicators.platform_metrics import register_platform_metric

# metric name (stored on bound indicators, so kept stable) → (label, KPI of zhili.cases.rules.kpis)
CASE_METRICS: dict[str, tuple[str, str]] = {
    "cases.satisfaction_rate": ("满意率（12345诉求，%）", "satisfaction_rate"),
    "cases.on_time_finish_rate": ("按期办结率（12345诉求，%）", "finish_on_time_rate"),
    "cases.resolution_rate": ("解决率（12345诉求，%）", "resolution_rate"),
}


def year_window(year: int) -> tuple[dt.datetime, dt.datetime]:
    """[1 January, next 1 January) of ``year`` in China time."""
    return (dt.datetime(year, 1, 1, tzinfo=CHINA_TIME_ZONE), dt.datetime(year + 1, 1, 1, tzinfo=CHINA_TIME_ZONE))


def _metric(kpi_name: str) -> Callable[[int], float | None]:
    def compute(year: int) -> float | None:
        start, end = year_window(year)
        value: float | None = getattr(case_kpis(case_filter=CaseFilter(), start=start, end=end), kpi_name)
        return value

    return compute


def register_case_metrics() -> list[str]:
    for name, (label, kpi_name) in CASE_METRICS.items():
        register_platform_metric(name, label, _metric(kpi_name))
    return list(CASE_METRICS)
