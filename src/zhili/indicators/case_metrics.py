"""Platform metrics computed from the cases app (满意率, 按期办结率) for platform-fed indicators.

The cases app's public selectors are used when they offer yearly KPIs; until then these metrics
are registered only if ``zhili.cases.selectors`` provides the functions named below, so an absent
or changed cases API never breaks the indicators app.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from typing import Any

from zhili.indicators.platform_metrics import register_platform_metric

logger = logging.getLogger(__name__)

# metric name → (label, candidate selector function names in zhili.cases.selectors)
CASE_METRICS: dict[str, tuple[str, tuple[str, ...]]] = {
    "cases.satisfaction_rate": ("满意率（12345案件）", ("satisfaction_rate_for_year", "kpi_satisfaction_rate")),
    "cases.on_time_rate": ("按期办结率（12345案件）", ("on_time_rate_for_year", "kpi_on_time_rate")),
}


def _metric_from(function: Callable[..., Any]) -> Callable[[int], float | None]:
    def compute(year: int) -> float | None:
        value = function(year=year)
        return None if value is None else float(value)

    return compute


def register_case_metrics() -> list[str]:
    try:
        selectors = importlib.import_module("zhili.cases.selectors")
    except ImportError:
        return []
    registered: list[str] = []
    for name, (label, candidates) in CASE_METRICS.items():
        for candidate in candidates:
            function = getattr(selectors, candidate, None)
            if callable(function):
                register_platform_metric(name, label, _metric_from(function))
                registered.append(name)
                break
    return registered
