"""Platform metrics: named yearly figures computed from zhili's own data (e.g. 按期办结率 from cases).

An indicator bound to a metric (``Indicator.platform_metric``) gets its yearly observation filled
automatically by the periodic task :func:`zhili.indicators.tasks.fill_platform_indicators`.
Apps register metrics in their ``AppConfig.ready()``. The registry lives in core so that an app on
the indicators' own layer (projects: 固定资产投资, 工业投资 from its monthly reports) registers its
metrics without importing the indicators app; ``zhili.indicators.platform_metrics`` is the same
registry under the indicators' name.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

logger = logging.getLogger(__name__)

MetricFunction = Callable[[int], float | None]


@dataclass(frozen=True)
class PlatformMetric:
    name: str
    label: str
    compute: MetricFunction


_REGISTRY: dict[str, PlatformMetric] = {}


def register_platform_metric(name: str, label: str, compute: MetricFunction) -> None:
    """Register (or replace) the metric ``name``; ``compute(year)`` returns the figure or None."""
    _REGISTRY[name] = PlatformMetric(name=name, label=label, compute=compute)


def unregister_platform_metric(name: str) -> None:
    _REGISTRY.pop(name, None)


def platform_metric_get(name: str) -> PlatformMetric | None:
    return _REGISTRY.get(name)


def platform_metric_choices() -> list[tuple[str, str]]:
    return sorted(((metric.name, metric.label) for metric in _REGISTRY.values()), key=lambda item: item[0])
