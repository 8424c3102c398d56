"""zhili restore FILE: replace the database contents with a backup."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from zhili.core.backup import database_restore


class Command(BaseCommand):
    help = "从备份文件恢复数据库（会覆盖当前数据）。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("source")
        parser.add_argument("--yes", action="store_true", help="不再询问，直接覆盖当前数据")

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["yes"]:
            raise CommandError("恢复会覆盖当前数据库。确认无误后加 --yes 重新执行。")
        database_restore(source=Path(options["source"]))
        self.stdout.write(f"恢复完成 / restored from {options['source']}")
