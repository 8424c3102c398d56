"""zhili classifier_evaluate --model NAME --data FILE --text-columns COLS --label-column COL"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from zhili.core.errors import ApplicationError
from zhili.textintel.selectors import classifier_model_for_name
from zhili.textintel.services import classifier_model_evaluate


class Command(BaseCommand):
    help = "在带标签的数据上评估已登记的模型，输出一个 JSON 对象 (macro_f1, accuracy, per_class, ms_per_message)。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--model", required=True, help="模型名称；NAME 或 NAME:版本号（默认在用版本，否则最新版本）")
        parser.add_argument("--data", required=True)
        parser.add_argument("--text-columns", required=True)
        parser.add_argument("--label-column", required=True)

    def handle(self, *args: Any, **options: Any) -> None:
        name, _separator, version_text = options["model"].partition(":")
        version = int(version_text) if version_text.isdigit() else None
        model = classifier_model_for_name(name, version=version)
        if model is None:
            raise CommandError(f"没有名为 {options['model']} 的模型：请先用 classifier_train 训练。")
        path = Path(options["data"])
        if not path.exists():
            raise CommandError(f"数据文件 {path} 不存在。")
        try:
            metrics = classifier_model_evaluate(
                model=model, data=path.read_bytes(), file_name=path.name,
                text_columns=[column for column in options["text_columns"].split(",") if column.strip()],
                label_column=options["label_column"],
            )
        except ApplicationError as error:
            raise CommandError(error.message) from error
        result = {"model": f"{model.name}:{model.version}", **metrics}
        self.stdout.write(json.dumps(result, ensure_ascii=False))
