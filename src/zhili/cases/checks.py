"""System check: the working calendar covers the next 60 days (runs with the database: migrate, check --database)."""

from __future__ import annotations

from typing import Any

from django.core.checks import CheckMessage, Tags, Warning, register
from django.db import DatabaseError

from zhili.cases.selectors_operations import calendar_coverage


@register(Tags.database)
def working_calendar_coverage_check(app_configs: Any = None, databases: Any = None, **kwargs: Any) -> list[CheckMessage]:
    if not databases or "default" not in databases:
        return []

    try:
        coverage = calendar_coverage()
    except DatabaseError:
        return []  # not migrated yet: migrate itself runs the check again on its next run
    if not coverage.warning:
        return []
    return [Warning(coverage.warning, hint="docs/operations.md “工作日历” / Working calendar", id="zhili.W010")]
