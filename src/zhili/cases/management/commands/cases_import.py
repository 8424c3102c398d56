"""``zhili cases_import FILE --user USERNAME [--map field=列名 …] [--commit]``: dry run, then commit."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from zhili.accounts.models import User
from zhili.cases.services.importing import import_batch_check, import_batch_commit, import_batch_upload
from zhili.core.errors import ApplicationError


class Command(BaseCommand):
    help = "导入历史工单（.xlsx / .csv，UTF-8 或 GBK）：默认只试导入并报告错误，加 --commit 才真正导入。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path")
        parser.add_argument("--user", required=True, help="以该用户身份导入（需要导入权限）")
        parser.add_argument("--map", action="append", default=[], help="字段=列名，例如 description=来电内容")
        parser.add_argument("--commit", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["user"]).first()
        if user is None:
            raise CommandError(f"用户 {options['user']} 不存在")
        path = Path(options["path"])
        try:
            with path.open("rb") as handle:
                batch = import_batch_upload(name=path.name, stream=handle, size=path.stat().st_size, actor=user)
            mapping = dict(batch.mapping)
            for item in options["map"]:
                field, _sep, column = item.partition("=")
                mapping[field.strip()] = column.strip()
            batch = import_batch_check(batch_id=batch.pk, mapping=mapping, actor=user)
            self.stdout.write(f"{batch.row_count} 行，编码 {batch.encoding}，错误 {batch.error_count} 处")
            for error in batch.errors[:100]:
                self.stdout.write(f"  第 {error['row']} 行 [{error['column']}]：{error['message']}")
            if options["commit"]:
                batch = import_batch_commit(batch_id=batch.pk, actor=user)
                self.stdout.write(f"已导入 {batch.imported_count} 条工单")
        except (ApplicationError, OSError) as error:
            raise CommandError(str(error)) from error
