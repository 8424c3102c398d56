"""The platform-metric hook of the indicators app; the registry itself is :mod:`zhili.core.platform_metrics`
(below every domain app, so sibling apps such as projects register into it without importing indicators)."""

from zhili.core.platform_metrics import (
    MetricFunction,
    PlatformMetric,
    platform_metric_choices,
    platform_metric_get,
    register_platform_metric,
    unregister_platform_metric,
)

__all__ = ["MetricFunction", "PlatformMetric", "platform_metric_choices", "platform_metric_get",
           "register_platform_metric", "unregister_platform_metric"]
