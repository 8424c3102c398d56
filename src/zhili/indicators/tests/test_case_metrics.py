"""Platform-fed indicators from real cases: 满意率 and 按期办结率 via the cases app's KPI selector."""

from __future__ import annotations

import datetime as dt

import pytest

from zhili.cases.models import Case
from zhili.cases.tests.factories import case_create, world_create
from zhili.core import clock
from zhili.core.clock import CHINA_TIME_ZONE
from zhili.indicators import services
from zhili.indicators.models import Observation
from zhili.indicators.platform_metrics import platform_metric_get
from zhili.indicators.tests.factories import small_plan_create

pytestmark = pytest.mark.django_db


def test_case_metrics_are_registered() -> None:
    satisfaction = platform_metric_get("cases.satisfaction_rate")
    assert satisfaction is not None
    assert satisfaction.label == "满意率（12345诉求，%）"
    assert platform_metric_get("cases.on_time_finish_rate") is not None
    assert satisfaction.compute(2021) is None  # no cases: no figure, nothing is written


def test_satisfaction_and_on_time_rates_feed_indicators() -> None:
    world_create()
    with clock.frozen(dt.datetime(2022, 5, 10, 9, 0, tzinfo=CHINA_TIME_ZONE)):
        cases = [case_create(phone=f"1381234{index:04d}") for index in range(4)]
    finished_at = dt.datetime(2022, 5, 12, 9, 0, tzinfo=CHINA_TIME_ZONE)
    ratings = ["satisfied", "basically_satisfied", "unsatisfied", "satisfied"]
    on_time = [True, True, True, False]
    for case, rating, punctual in zip(cases, ratings, on_time, strict=True):
        Case.objects.filter(pk=case.pk).update(rating=rating, finished_at=finished_at, finished_on_time=punctual)
    plan, satisfaction = small_plan_create(code="S1", name="12345满意率", unit="%", observation_unit="%",
                                           kind="share", baseline_value=90.0, target_value=95.0)
    punctuality = plan.indicators.create(group=satisfaction.group, code="S2", number=2, name="按期办结率", unit="%",
                                         observation_unit="%", kind="share", baseline_value=90.0, target_value=98.0)
    services.indicator_bind_platform_metric(indicator=satisfaction, metric_name="cases.satisfaction_rate", actor=None)
    services.indicator_bind_platform_metric(indicator=punctuality, metric_name="cases.on_time_finish_rate", actor=None)
    result = services.observations_fill_from_platform(year=2022)
    assert result.created == 2
    values = dict(Observation.objects.filter(year=2022).values_list("indicator__code", "value"))
    assert values == {"S1": 75.0, "S2": 75.0}  # 3 of 4 satisfied or basically satisfied; 3 of 4 on time
    assert services.observations_fill_from_platform(year=2021).created == 0  # no cases received in 2021
