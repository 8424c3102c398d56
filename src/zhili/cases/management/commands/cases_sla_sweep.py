"""``zhili cases_sla_sweep``: run the yellow/red light sweep once (the queue runs it every minute)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from zhili.cases.services.sla import case_sla_sweep


class Command(BaseCommand):
    help = "立即执行一次时限预警/超期扫描。"

    def handle(self, *args: Any, **options: Any) -> None:
        result = case_sla_sweep()
        self.stdout.write(f"黄灯 {result.warned} 件，红灯 {result.overdue} 件")
