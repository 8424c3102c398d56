"""Demo data: the Tianning 14th five-year plan indicator system, plus synthetic 2021 values.

The indicator table is a transcription of the plan (facts); the 2021 values are synthetic and
labelled with the source "演示数据" so they are never mistaken for statistics.
"""

from __future__ import annotations

import json
import random
from functools import cache
from pathlib import Path
from typing import Any, TextIO

from django.contrib.auth import get_user_model

from zhili.indicators.contracts import ObservationInput
from zhili.indicators.models import IndicatorKind, Observation, Plan, QualitativeStatus
from zhili.indicators.services import observations_record_many, plan_create_from_definition

DATA_FILE = Path(__file__).resolve().parent / "data" / "tianning_14th.json"
DEMO_SOURCE = "演示数据"
DEMO_YEAR = 2021


@cache
def tianning_definition() -> dict[str, Any]:
    definition: dict[str, Any] = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    return definition


def _synthetic_value(item: dict[str, Any], generator: random.Random) -> float | None:
    target: float | None = item["target_value"]
    baseline: float | None = item["baseline_value"]
    kind: str = item["kind"]
    if target is None:
        return None
    if kind == IndicatorKind.GROWTH:
        return round(float(target) * generator.uniform(0.7, 1.4), 1)
    if kind == IndicatorKind.CUMULATIVE:
        return round(target / 5 * generator.uniform(0.75, 1.25), 1 if target < 100 else 0)
    if kind == IndicatorKind.BOUND:
        start = baseline if baseline is not None else target
        return round(start * generator.uniform(0.93, 1.05), 3 if target < 1 else 1)
    if baseline is not None:
        return round(baseline + (target - baseline) * generator.uniform(0.05, 0.35), 2)
    return round(target * generator.uniform(0.78, 0.92), 3 if target < 5 else 1)


def load_demo(*, seed: int, stdout: TextIO) -> None:
    definition = tianning_definition()
    planner = get_user_model().objects.filter(username="planner").first()
    plan = plan_create_from_definition(definition=definition, actor=planner)
    generator = random.Random(seed)  # noqa: S311 - synthetic demo values, not security
    indicators = {indicator.code: indicator for indicator in plan.indicators.all()}
    existing = set(Observation.objects.filter(indicator__plan=plan, year=DEMO_YEAR).values_list("indicator_id", flat=True))
    items: list[ObservationInput] = []
    for item in definition["indicators"]:
        indicator = indicators[item["code"]]
        value = _synthetic_value(item, generator)
        if indicator.pk in existing:
            continue
        if item["kind"] == IndicatorKind.QUALITATIVE:
            items.append(ObservationInput(indicator_id=indicator.pk, year=DEMO_YEAR,
                                          qualitative_status=QualitativeStatus.ON_TRACK, source=DEMO_SOURCE,
                                          evidence="演示数据：假定完成市下达年度任务", note="合成演示数据，非统计数据"))
        elif value is not None:
            items.append(ObservationInput(indicator_id=indicator.pk, year=DEMO_YEAR, value=value, source=DEMO_SOURCE,
                                          note="合成演示数据，非统计数据"))
    result = observations_record_many(plan=plan, items=items, actor=planner, action="indicator.demo_load")
    stdout.write(f"  plan {plan.code}: {plan.indicators.count()} indicators, {result.created} synthetic {DEMO_YEAR} values\n")


def demo_plan() -> Plan | None:
    return Plan.objects.filter(code=tianning_definition()["plan"]["code"]).first()
