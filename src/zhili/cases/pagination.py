"""A paginator for case lists that never counts millions of rows.

Django's ``Paginator`` runs ``COUNT(*)`` over the whole filtered list on every page, so a
department's list in a city with ten million cases counted a million rows before showing its
first 50. :class:`CaseListPaginator` asks PostgreSQL's planner first (``EXPLAIN``, no rows read):
above ``EXACT_COUNT_LIMIT`` rows it shows that estimate and says the count is approximate; below it
counts exactly, at most ``EXACT_COUNT_LIMIT + 1`` rows (one ``COUNT(*)`` over a ``LIMIT``ed subquery),
and if that finds more than the planner thought, it keeps the estimate (or the bounded count, the
larger). SQLite installations are district-sized and keep Django's exact count.

With an estimated count a page past the real end is simply empty, and "next" is decided by
fetching one row more than the page holds, so the pager never offers a page that does not exist
after the one shown.
"""

from __future__ import annotations

import json
from functools import cached_property
from typing import Any

from django.core.paginator import Page, Paginator
from django.db import connections
from django.db.models import QuerySet

EXACT_COUNT_LIMIT = 10_000


def queryset_row_estimate(queryset: QuerySet[Any]) -> int | None:
    """PostgreSQL's estimate of how many rows ``queryset`` returns (None on other databases)."""
    connection = connections[queryset.db]
    if connection.vendor != "postgresql":
        return None
    sql, parameters = queryset.order_by().values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", parameters)
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    return int(plan[0]["Plan"]["Plan Rows"])


class CaseListPage(Page):  # type: ignore[type-arg]
    """A page that knows from its own rows whether another one follows (the count may be an estimate)."""

    def __init__(self, object_list: Any, number: int, paginator: CaseListPaginator, *, more: bool) -> None:
        super().__init__(object_list, number, paginator)
        self.more = more

    def has_next(self) -> bool:
        return self.more


class CaseListPaginator(Paginator):  # type: ignore[type-arg]
    """Pages of a case queryset: exact count up to ``exact_limit`` rows, the planner's estimate above."""

    def __init__(self, object_list: QuerySet[Any], per_page: int, *, exact_limit: int = EXACT_COUNT_LIMIT) -> None:
        super().__init__(object_list, per_page, allow_empty_first_page=True)
        self.queryset = object_list
        self.exact_limit = exact_limit

    @cached_property
    def count_is_estimate(self) -> bool:
        return self._counted[1]

    @cached_property
    def count(self) -> int:
        return self._counted[0]

    @cached_property
    def _counted(self) -> tuple[int, bool]:
        queryset = self.queryset
        estimate = queryset_row_estimate(queryset)
        if estimate is None:
            return queryset.count(), False
        # Estimated first: a filter no index answers (a two-character text) would otherwise read
        # the table until it had counted exact_limit matches.
        if estimate > self.exact_limit:
            return estimate, True
        bounded = queryset.order_by()[: self.exact_limit + 1].count()
        if bounded <= self.exact_limit:
            return bounded, False
        return max(estimate, bounded), True

    def validate_number(self, number: Any) -> int:
        """Any whole page number ≥ 1; with an exact count also at most ``num_pages`` (Django's rule)."""
        if self.count_is_estimate:
            try:
                value = int(number)
            except (TypeError, ValueError):
                return super().validate_number(number)  # raises PageNotAnInteger
            if value >= 1:
                return value
        return super().validate_number(number)

    def page(self, number: Any) -> CaseListPage:
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        rows = list(self.queryset[bottom:bottom + self.per_page + 1])
        more = len(rows) > self.per_page
        return CaseListPage(rows[: self.per_page], number, self, more=more)
