"""zhili classifier_train --data FILE --text-columns COLS --label-column COL [--name NAME] [--target department]"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from zhili.core.errors import ApplicationError
from zhili.textintel.services import classifier_model_train


class Command(BaseCommand):
    help = "从带标签的历史数据(.csv/.xlsx)训练分类模型：留出 20% 评估，再用全部数据训练并登记为新版本。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--data", required=True, help="训练数据文件 (.csv 或 .xlsx)")
        parser.add_argument("--text-columns", required=True, help="文本列，逗号分隔，如 title,content")
        parser.add_argument("--label-column", required=True, help="标签列，如 label")
        parser.add_argument("--name", default="category", help="模型名称（默认 category）")
        parser.add_argument("--target", default="category", choices=["category", "department"],
                            help="标签是诉求分类（category，默认）还是承办部门（department）")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["data"])
        if not path.exists():
            raise CommandError(f"数据文件 {path} 不存在。")
        started = time.perf_counter()

        def progress(message: str) -> None:
            self.stderr.write(f"[{time.perf_counter() - started:6.1f}s] {message}")

        try:
            model = classifier_model_train(
                name=options["name"], data=path.read_bytes(), file_name=path.name,
                text_columns=[column for column in options["text_columns"].split(",") if column.strip()],
                label_column=options["label_column"], progress=progress, target=options["target"],
            )
        except ApplicationError as error:
            raise CommandError(error.message) from error
        metrics = model.metrics
        self.stdout.write(f"模型 {model.name} v{model.version} 已登记（未启用：请在“分类模型”页比较后启用）：{model.artifact_path}")
        summary = {key: metrics.get(key) for key in ("macro_f1", "accuracy", "ms_per_message", "train_seconds",
                                                     "held_out_count", "evaluation_training_count")}
        summary["baseline_macro_f1"] = (metrics.get("baseline") or {}).get("macro_f1")
        summary["current_model_macro_f1"] = (metrics.get("current_model") or {}).get("macro_f1")
        self.stdout.write(json.dumps(summary, ensure_ascii=False))
        for label, figures in sorted(metrics.get("per_class", {}).items()):
            self.stdout.write(f"  {label}: P={figures['precision']:.3f} R={figures['recall']:.3f} "
                              f"F1={figures['f1']:.3f} n={figures['support']}")
