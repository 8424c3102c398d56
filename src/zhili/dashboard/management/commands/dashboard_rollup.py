"""Rebuild (or refresh the recent days of) the daily case rollup the dashboards read."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from zhili.dashboard.services import case_rollup_rebuild, case_rollup_refresh_recent


class Command(BaseCommand):
    help = "重建指挥中心/领导驾驶舱使用的案件日汇总 (rebuild the daily case rollup)"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--recent", type=int, default=0,
                            help="只重算最近 N 天 (only the last N days); 默认全部重建")

    def handle(self, *args: Any, **options: Any) -> None:
        result = (case_rollup_refresh_recent(days=options["recent"]) if options["recent"]
                  else case_rollup_rebuild())
        self.stdout.write(f"rollup {result.first_day} .. {result.last_day}: {result.rows_written} rows")
