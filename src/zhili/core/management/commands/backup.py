"""zhili backup [FILE]: an online backup of the database."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from zhili.core import clock
from zhili.core.backup import database_backup


class Command(BaseCommand):
    help = "在线备份数据库（SQLite 在线备份；PostgreSQL 使用 pg_dump）。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("destination", nargs="?", help="备份文件路径（默认 var/backups/zhili-时间.backup）")

    def handle(self, *args: Any, **options: Any) -> None:
        destination = Path(options["destination"] or settings.DATA_DIR / "backups" /
                           f"zhili-{clock.local_now():%Y%m%d-%H%M%S}.backup")
        written = database_backup(destination=destination)
        self.stdout.write(f"备份完成 / backup written: {written} ({written.stat().st_size} bytes)")
