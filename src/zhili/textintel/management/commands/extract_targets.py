"""zhili extract_targets FILE — quantified targets and achievements as JSON lines."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from zhili.core.errors import ApplicationError
from zhili.textintel.targets import extract_targets_from_file


class Command(BaseCommand):
    help = "从规划/工作报告(.txt/.docx)中提取量化目标与完成情况，每行一个 JSON。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            targets = extract_targets_from_file(options["file"])
        except ApplicationError as error:
            raise CommandError(error.message) from error
        for target in targets:
            self.stdout.write(json.dumps(target.as_dict(), ensure_ascii=False))
