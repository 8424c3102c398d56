"""Platform metrics computed from the cases app (满意率, 按期办结率, 解决率) for platform-fed indicators.

They use the cases app's public KPI selector (``zhili.cases.selectors.case_kpis``) over the cases
received in a calendar year (China time), as percentages. If that selector is absent or changes
shape, the metrics are simply not registered: the indicators app never breaks because of it.
"""

from __future__ import annotations

import datetime as dt
import importlib
import logging
from collections.abc import Callable
from typing import Any

from zhili.core.clock import CHINA_TIME_ZONE
from zhili.indicators.platform_metrics import register_platform_metric

logger = logging.getLogger(__name__)

# metric name → (label, attribute of the CaseKpis result, a rate 0…1)
CASE_METRICS: dict[str, tuple[str, str]] = {
    "cases.satisfaction_rate": ("满意率（12345诉求，%）", "satisfaction_rate"),
    "cases.on_time_finish_rate": ("按期办结率（12345诉求，%）", "on_time_finish_rate"),
    "cases.resolution_rate": ("解决率（12345诉求，%）", "resolution_rate"),
}


def year_window(year: int) -> tuple[dt.datetime, dt.datetime]:
    """[1 January, next 1 January) of ``year`` in China time."""
    return (dt.datetime(year, 1, 1, tzinfo=CHINA_TIME_ZONE), dt.datetime(year + 1, 1, 1, tzinfo=CHINA_TIME_ZONE))


def _metric(selectors: Any, attribute: str) -> Callable[[int], float | None]:
    def compute(year: int) -> float | None:
        start, end = year_window(year)
        kpis = selectors.case_kpis(scope=selectors.KpiScope(), start=start, end=end)
        rate = getattr(kpis, attribute, None)
        return None if rate is None else round(float(rate) * 100.0, 2)

    return compute


def register_case_metrics() -> list[str]:
    try:
        selectors = importlib.import_module("zhili.cases.selectors")
    except ImportError:
        logger.warning("zhili.cases.selectors not importable; case-fed indicator metrics are not registered")
        return []
    if not callable(getattr(selectors, "case_kpis", None)) or not hasattr(selectors, "KpiScope"):
        return []
    for name, (label, attribute) in CASE_METRICS.items():
        register_platform_metric(name, label, _metric(selectors, attribute))
    return list(CASE_METRICS)
