"""The KPIs of a set of cases: one set of counters, one set of formulas, one scale (percent, 0.1).

Every figure the platform shows or serves — the cases API (``/api/v1/cases/kpis``), the command
center, the leader pages and their monthly report and export, the rankings and the plan indicators fed
by the platform — is one of the properties below, computed from the same counters. The counters come
either from the case table (``zhili.cases.selectors.case_counter_aggregates``) or from the dashboard's
daily rollup, which stores exactly these counters; a test asserts both paths give the same figures.

Definitions (docs/cases.md, "KPIs"):

======================  ========================================================================
按时签收率 (响应率)       signed for within the limit / signed for and judged against a limit
按期办结率               finished within the limit / finished
满意率                   满意 + 基本满意 / rated
解决率                   the citizen said it was solved / those who answered
重办率                   reopened at least once / finished at least once (finished now, or reopened)
退回率                   returned at least once / dispatched
延期率                   extended at least once / dispatched
重复诉求率               merged into an earlier case / received
平均办理时长             handling time of the finished cases / finished (hours, 0.1)
综合得分                 mean of 按期办结率, 满意率 and 按时签收率 that are known
======================  ========================================================================

A rate whose denominator is zero is ``None`` (shown as "—"), never 0 or 100.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from django.utils.translation import gettext as _

KPI_COUNTERS: tuple[str, ...] = (
    "created_count",
    "dispatched_count",
    "accepted_count",
    "accept_judged_count",
    "accepted_on_time_count",
    "finished_count",
    "ever_finished_count",
    "finished_on_time_count",
    "self_handled_count",
    "reopened_count",
    "returned_count",
    "extended_count",
    "merged_count",
    "cancelled_count",
    "rated_count",
    "satisfied_count",
    "basically_satisfied_count",
    "unsatisfied_count",
    "resolved_known_count",
    "resolved_count",
    "handling_seconds_sum",
)
"""The counters of a set of cases, in the order pages and exports use them (also the rollup's columns)."""

KPI_NAMES: tuple[str, ...] = (
    "accept_on_time_rate", "finish_on_time_rate", "satisfaction_rate", "resolution_rate", "reopen_rate",
    "return_rate", "extension_rate", "duplicate_rate", "average_handling_hours", "score",
)
"""The KPIs derived from the counters (properties of :class:`KpiCounts`)."""


def kpi_percent(part: int, whole: int) -> float | None:
    """``part`` of ``whole`` in percent, one decimal; ``None`` when nothing was there to count."""
    if whole <= 0:
        return None
    return round(100.0 * part / whole, 1)


@dataclass
class KpiCounts:
    """The counters of a set of cases (received in some period) and the KPIs derived from them."""

    created_count: int = 0
    dispatched_count: int = 0
    accepted_count: int = 0
    accept_judged_count: int = 0
    accepted_on_time_count: int = 0
    finished_count: int = 0
    ever_finished_count: int = 0
    finished_on_time_count: int = 0
    self_handled_count: int = 0
    reopened_count: int = 0
    returned_count: int = 0
    extended_count: int = 0
    merged_count: int = 0
    cancelled_count: int = 0
    rated_count: int = 0
    satisfied_count: int = 0
    basically_satisfied_count: int = 0
    unsatisfied_count: int = 0
    resolved_known_count: int = 0
    resolved_count: int = 0
    handling_seconds_sum: int = 0

    def add(self, other: KpiCounts) -> None:
        for counter in KPI_COUNTERS:
            setattr(self, counter, getattr(self, counter) + getattr(other, counter))

    def add_row(self, row: dict[str, Any]) -> None:
        for counter in KPI_COUNTERS:
            setattr(self, counter, getattr(self, counter) + int(row.get(counter) or 0))

    @property
    def accept_on_time_rate(self) -> float | None:
        """按时签收率 (响应率): signed for within the limit, of those signed for and judged."""
        return kpi_percent(self.accepted_on_time_count, self.accept_judged_count)

    @property
    def finish_on_time_rate(self) -> float | None:
        """按期办结率: finished within the limit, of those finished."""
        return kpi_percent(self.finished_on_time_count, self.finished_count)

    @property
    def satisfaction_rate(self) -> float | None:
        """满意率: 满意 + 基本满意, of those rated."""
        return kpi_percent(self.satisfied_count + self.basically_satisfied_count, self.rated_count)

    @property
    def resolution_rate(self) -> float | None:
        """解决率: the citizen said it was solved, of those who answered."""
        return kpi_percent(self.resolved_count, self.resolved_known_count)

    @property
    def reopen_rate(self) -> float | None:
        """重办率: reopened at least once, of those finished at least once (finished now, or reopened)."""
        return kpi_percent(self.reopened_count, self.ever_finished_count)

    @property
    def return_rate(self) -> float | None:
        """退回率: returned by the department at least once, of those dispatched."""
        return kpi_percent(self.returned_count, self.dispatched_count)

    @property
    def extension_rate(self) -> float | None:
        """延期率: given more time at least once, of those dispatched."""
        return kpi_percent(self.extended_count, self.dispatched_count)

    @property
    def duplicate_rate(self) -> float | None:
        """重复诉求率: merged into an earlier case, of those received."""
        return kpi_percent(self.merged_count, self.created_count)

    @property
    def average_handling_hours(self) -> float | None:
        """平均办理时长: handling time of the finished cases over their number, in hours (0.1)."""
        if self.finished_count <= 0:
            return None
        return round(self.handling_seconds_sum / self.finished_count / 3600.0, 1)

    @property
    def score(self) -> float | None:
        """The ranking score (红黑榜): the mean of 按期办结率, 满意率 and 按时签收率 that are known."""
        rates = [rate for rate in (self.finish_on_time_rate, self.satisfaction_rate, self.accept_on_time_rate)
                 if rate is not None]
        if not rates:
            return None
        return round(sum(rates) / len(rates), 1)

    def as_dict(self) -> dict[str, Any]:
        values: dict[str, Any] = {item.name: getattr(self, item.name) for item in fields(self)}
        for name in KPI_NAMES:
            values[name] = getattr(self, name)
        return values


def kpi_labels() -> dict[str, str]:
    """Display names of the counters and KPIs (in the active language)."""
    return {
        "created_count": _("受理量"),
        "finished_count": _("办结量"),
        "accept_on_time_rate": _("按时签收率"),
        "finish_on_time_rate": _("按期办结率"),
        "satisfaction_rate": _("满意率"),
        "resolution_rate": _("解决率"),
        "reopen_rate": _("重办率"),
        "return_rate": _("退回率"),
        "extension_rate": _("延期率"),
        "duplicate_rate": _("重复诉求率"),
        "average_handling_hours": _("平均办理时长(小时)"),
        "score": _("综合得分"),
    }
