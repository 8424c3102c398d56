"""Write the demo's three 2025 source files (tax .xlsx, energy .csv in GBK, environment .csv)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from zhili.enterprises.demo import CURRENT_YEAR, demo_source_files


class Command(BaseCommand):
    help = "生成演示用的企业年度来源文件（税务、能耗用电、生态环境），用于导入演示。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("output_dir", type=Path)
        parser.add_argument("--year", type=int, default=CURRENT_YEAR)
        parser.add_argument("--seed", type=int, default=20260101)

    def handle(self, *args: Any, **options: Any) -> None:
        output_dir: Path = options["output_dir"]
        output_dir.mkdir(parents=True, exist_ok=True)
        for file_name, content, source_kind in demo_source_files(year=options["year"], seed=options["seed"]):
            (output_dir / file_name).write_bytes(content)
            self.stdout.write(f"{output_dir / file_name}  ({source_kind}, {len(content)} bytes)")
