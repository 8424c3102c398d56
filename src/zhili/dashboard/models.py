"""Read models of the dashboards: a daily rollup of cases, so KPI pages never scan the case table.

One row per (day the case was received, street, department, category) with counts of what has
happened to those cases so far. Streets, not grids: a district receives fewer cases a day than it has
grids × categories, so a grid-level rollup would be as large as the case table; figures per community
or grid (short windows on the command center) are aggregated from the case table instead. The rows of a day are recomputed from the case table by
:func:`zhili.dashboard.services.case_rollup_refresh` (a periodic job); days after the last
refreshed day are aggregated live from the case table (normally only today).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from zhili.cases.rules.kpis import KPI_COUNTERS

ROLLUP_COUNTERS: tuple[str, ...] = KPI_COUNTERS
"""The counters of a rollup row: exactly the KPI counters (:mod:`zhili.cases.rules.kpis`)."""


class DailyCaseRollup(models.Model):
    """Counts of the cases received on ``day`` in one street, for one department and category."""

    day = models.DateField(_("受理日期"))
    street = models.ForeignKey("geo.Area", null=True, blank=True, on_delete=models.DO_NOTHING, db_constraint=False,
                               related_name="+")
    department = models.ForeignKey("geo.Department", null=True, blank=True, on_delete=models.DO_NOTHING,
                                   db_constraint=False, related_name="+")
    category = models.ForeignKey("geo.MatterCategory", null=True, blank=True, on_delete=models.DO_NOTHING,
                                 db_constraint=False, related_name="+")
    # the street's materialised path, so a district or street subtree is one prefix filter
    area_path = models.CharField(max_length=400, blank=True)
    created_count = models.PositiveIntegerField(default=0)
    dispatched_count = models.PositiveIntegerField(default=0)
    accepted_count = models.PositiveIntegerField(default=0)
    accept_judged_count = models.PositiveIntegerField(default=0)
    accepted_on_time_count = models.PositiveIntegerField(default=0)
    finished_count = models.PositiveIntegerField(default=0)
    ever_finished_count = models.PositiveIntegerField(default=0)
    finished_on_time_count = models.PositiveIntegerField(default=0)
    self_handled_count = models.PositiveIntegerField(default=0)
    reopened_count = models.PositiveIntegerField(default=0)
    returned_count = models.PositiveIntegerField(default=0)
    extended_count = models.PositiveIntegerField(default=0)
    merged_count = models.PositiveIntegerField(default=0)
    cancelled_count = models.PositiveIntegerField(default=0)
    rated_count = models.PositiveIntegerField(default=0)
    satisfied_count = models.PositiveIntegerField(default=0)
    basically_satisfied_count = models.PositiveIntegerField(default=0)
    unsatisfied_count = models.PositiveIntegerField(default=0)
    resolved_known_count = models.PositiveIntegerField(default=0)
    resolved_count = models.PositiveIntegerField(default=0)
    handling_seconds_sum = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("案件日汇总")
        verbose_name_plural = _("案件日汇总")
        indexes = [
            models.Index(fields=["day"], name="dashboard_rollup_day"),
            models.Index(fields=["area_path", "day"], name="dashboard_rollup_path_day"),
            models.Index(fields=["department", "day"], name="dashboard_rollup_dept_day"),
        ]

    def __str__(self) -> str:
        return f"{self.day} street={self.street_id} department={self.department_id} category={self.category_id}"


class RollupState(models.Model):
    """One row: through which day the rollup is complete, and when it was last refreshed."""

    refreshed_through = models.DateField(_("已汇总至"), null=True, blank=True)
    refreshed_at = models.DateTimeField(_("汇总时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("汇总状态")
        verbose_name_plural = _("汇总状态")

    def __str__(self) -> str:
        return f"rollup through {self.refreshed_through}"
