"""Load the synthetic demo district and every app's demo data (deterministic from a seed)."""

from __future__ import annotations

import importlib
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

# Order matters: later apps build on the areas, departments and users of earlier ones.
DEMO_APPS = ("geo", "accounts", "cases", "textintel", "indicators", "enterprises", "projects", "dashboard")


class Command(BaseCommand):
    help = "载入合成演示数据（演示区、网格、地址、用户、案件、指标、企业）。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--seed", type=int, default=20260101)
        parser.add_argument("--only", nargs="*", choices=DEMO_APPS, help="load only these apps' demo data")

    def handle(self, *args: Any, **options: Any) -> None:
        chosen = options["only"] or DEMO_APPS
        for app in DEMO_APPS:
            if app not in chosen:
                continue
            # by name: core imports no domain app (pyproject's import contracts); every app listed has one
            module = importlib.import_module(f"zhili.{app}.demo")
            started = time.perf_counter()
            self.stdout.write(f"[demo] {app} …")
            module.load_demo(seed=options["seed"], stdout=self.stdout)
            self.stdout.write(f"[demo] {app} done in {time.perf_counter() - started:.1f}s")
