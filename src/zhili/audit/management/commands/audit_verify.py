"""Verify the audit hash chain: exit status 0 when intact, 1 with the first broken record."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from zhili.audit.services import audit_chain_verify, audit_records_seal_all


class Command(BaseCommand):
    help = "校验审计记录哈希链是否完整（检测篡改）。"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--seal", action="store_true",
                            help="先把尚未封链的记录封入哈希链（通常由每分钟的任务完成），再校验全部记录。")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["seal"]:
            audit_records_seal_all()
        result = audit_chain_verify()
        self.stdout.write(json.dumps(
            {"checked": result.checked, "intact": result.intact, "first_broken_id": result.first_broken_id,
             "reason": result.reason, "pending": result.pending}, ensure_ascii=False))
        if not result.intact:
            raise CommandError(f"审计链在记录 #{result.first_broken_id} 处断裂：{result.reason}")
