"""``zhili calendar_status``: which source each year's working days come from, and how far coverage reaches."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from zhili.cases.selectors_operations import calendar_coverage


class Command(BaseCommand):
    help = "显示工作日历覆盖到哪一天、各年的来源；覆盖不足 60 天时给出提示（退出码 1）。"

    def handle(self, *args: Any, **options: Any) -> None:
        coverage = calendar_coverage()
        for year in coverage.years:
            self.stdout.write(year.label)
        until = coverage.covered_until.isoformat() if coverage.covered_until else "—"
        self.stdout.write(f"覆盖到 {until}（还剩 {coverage.days_left} 天）")
        if coverage.warning:
            self.stderr.write(coverage.warning)
            raise SystemExit(1)
