"""Demo data of the textintel app: a trained, active category classifier (and a hot-issue run).

Trained from the demo cases' texts and categories (the cases demo runs first); when there are
none, from a small synthetic labelled set built from the matters catalog's keywords. Never uses
files outside the product. Deterministic from the seed and idempotent.
"""

from __future__ import annotations

import csv
import io
import random
from typing import Any

from zhili.cases.models import Case
from zhili.geo.models import Matter
from zhili.textintel.classifier import ClassifierSettings
from zhili.textintel.models import ClassifierModel, HotIssueRun
from zhili.textintel.services import (
    classifier_model_activate,
    classifier_model_train,
    hot_issue_run_create_from_cases,
)

DEMO_MODEL_NAME = "demo-category"
_TEMPLATES = (
    "{place}{keyword}问题严重，请尽快处理",
    "反映{place}附近{keyword}，影响居民生活",
    "{place}的{keyword}已经很久了，希望有关部门管一管",
    "投诉：{place}{keyword}，多次反映未解决",
    "{place}出现{keyword}情况，请派人查看",
)
_PLACES = ("青龙街道", "红梅新村", "茶山街道", "天宁寺附近", "兰陵路", "雕庄街道", "郑陆镇", "北环路", "丽华三村")


def _labelled_rows_from_cases() -> list[tuple[str, str]]:

    rows = Case.objects.filter(category__isnull=False).values_list("title", "description", "category__name")
    return [(f"{title} {description}".strip(), category) for title, description, category in rows]


def _synthetic_rows(seed: int) -> list[tuple[str, str]]:

    generator = random.Random(seed)  # noqa: S311 - demo text, not security
    rows: list[tuple[str, str]] = []
    for matter in Matter.objects.select_related("category").order_by("code"):
        for keyword in matter.keyword_list[:6]:
            for _repeat in range(3):
                text = generator.choice(_TEMPLATES).format(place=generator.choice(_PLACES), keyword=keyword)
                rows.append((text, matter.category.name))
    return rows


def load_demo(*, seed: int, stdout: Any) -> None:
    if not ClassifierModel.objects.filter(name=DEMO_MODEL_NAME).exists():
        rows = _labelled_rows_from_cases()
        source = "cases"
        if len({label for _text, label in rows}) < 2:
            rows, source = _synthetic_rows(seed), "matters"
        if len({label for _text, label in rows}) < 2:
            stdout.write("[demo] textintel: 没有可用于训练的分类数据，跳过演示模型。")
        else:
            buffer = io.StringIO()
            writer = csv.writer(buffer)
            writer.writerow(["text", "label"])
            writer.writerows(rows)
            model = classifier_model_train(
                name=DEMO_MODEL_NAME, data=buffer.getvalue().encode("utf-8"), file_name=f"demo-{source}.csv",
                text_columns=["text"], label_column="label",
                settings_override=ClassifierSettings(max_character_features=50_000, max_word_features=50_000,
                                                     max_lead_features=20_000),
            )
            classifier_model_activate(model_id=model.pk, actor_id=None, compared_with=None)
            stdout.write(f"[demo] textintel: 演示分类模型 {model} 已启用（{len(rows)} 条，来源 {source}，"
                         f"留出集宏平均 F1 {model.metrics.get('macro_f1')}）")
    if not HotIssueRun.objects.exists():
        run = hot_issue_run_create_from_cases(actor_id=None, days=3650)
        stdout.write(f"[demo] textintel: 案件热点 {run.issue_count} 个")
