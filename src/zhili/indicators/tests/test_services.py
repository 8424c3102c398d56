"""Services: plan loading, observations with revisions, platform metrics, pasted tables, drafts."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from zhili.audit.models import AuditRecord
from zhili.core.errors import ApplicationError
from zhili.indicators import selectors, services
from zhili.indicators.demo import DEMO_SOURCE, load_demo
from zhili.indicators.evaluation import Status
from zhili.indicators.models import DraftStatus, Indicator, IndicatorKind, Observation, Plan
from zhili.indicators.platform_metrics import (
    platform_metric_choices,
    register_platform_metric,
    unregister_platform_metric,
)
from zhili.indicators.tests.factories import small_plan_create, tianning_plan_create, user_create

pytestmark = pytest.mark.django_db


def test_tianning_plan_has_41_indicators_in_4_groups_with_stated_baselines() -> None:
    plan = tianning_plan_create()
    assert plan.indicators.count() == 41
    assert list(plan.groups.values_list("name", flat=True)) == ["经济强", "百姓富", "环境美", "社会文明程度高"]
    assert [group.indicators.count() for group in plan.groups.all()] == [18, 6, 9, 8]
    assert plan.indicators.filter(attribute="binding").count() == 8  # 20, 25–30, 39
    baselines = dict(plan.indicators.exclude(baseline_value=None).values_list("name", "baseline_value"))
    assert baselines == {
        "服务业增加值占GDP比重": 73.8, "高新技术产业产值占工业总产值比重": 39.5, "每万人拥有发明专利数": 26.43,
        "PM2.5浓度": 36.5, "城市空气质量优良天数比率": 82.0,
    }
    pm25 = plan.indicators.get(name="PM2.5浓度")
    assert (pm25.kind, pm25.direction, pm25.target_value, pm25.attribute) == ("bound", "lower", 35.0, "binding")
    qualitative = plan.indicators.filter(kind=IndicatorKind.QUALITATIVE)
    assert sorted(qualitative.values_list("number", flat=True)) == [26, 27]
    assert set(qualitative.values_list("target_text", flat=True)) == {"完成市下达任务"}


def test_demo_load_is_idempotent_and_labels_synthetic_values() -> None:
    user_create("planner")
    output: list[str] = []

    class Sink:
        def write(self, text: str) -> None:
            output.append(text)

    load_demo(seed=7, stdout=Sink())  # type: ignore[arg-type]
    load_demo(seed=7, stdout=Sink())  # type: ignore[arg-type]
    plan = Plan.objects.get(code="tianning-14th")
    observations = Observation.objects.filter(indicator__plan=plan)
    assert observations.count() == 41
    assert set(observations.values_list("year", flat=True)) == {2021}
    assert set(observations.values_list("source", flat=True)) == {DEMO_SOURCE}
    assert "41 synthetic 2021 values" in output[0]
    assert "0 synthetic 2021 values" in output[1]


def test_observation_revision_keeps_history_and_changes_status() -> None:
    planner = user_create()
    plan, indicator = small_plan_create()
    first = services.observation_record(indicator=indicator, year=2022, value=110.0, source="统计公报", actor=planner)
    assert (first.created, first.revised) == (1, 0)
    assert selectors.plan_evaluation(plan, 2022).rows[0].evaluation.status == Status.SEVERELY_LAGGING
    revised = services.observation_record(indicator=indicator, year=2022, value=120.0, note="统计局核定", actor=planner)
    assert (revised.created, revised.revised) == (0, 1)
    same = services.observation_record(indicator=indicator, year=2022, value=120.0, actor=planner)
    assert same.unchanged == 1
    history = list(Observation.objects.filter(indicator=indicator).order_by("revision").values_list(
        "revision", "value", "entered_by__username"))
    assert history == [(1, 110.0, "planner"), (2, 120.0, "planner")]
    assert selectors.plan_evaluation(plan, 2022).rows[0].evaluation.status == Status.ON_TRACK
    assert AuditRecord.objects.filter(action="indicator.observation_record").count() == 3


@pytest.mark.parametrize(
    ("year", "value", "code"),
    [(2019, 1.0, "observation_year_outside_plan"), (2026, 1.0, "observation_year_outside_plan"),
     (2021, None, "observation_value_required")],
)
def test_observation_bad_input_is_refused(year: int, value: float | None, code: str) -> None:
    _plan, indicator = small_plan_create()
    with pytest.raises(ApplicationError) as caught:
        services.observation_record(indicator=indicator, year=year, value=value, actor=None)
    assert caught.value.code == code
    assert Observation.objects.count() == 0


def test_qualitative_observation_needs_a_status() -> None:
    _plan, indicator = small_plan_create(kind="qualitative", target_value=None, target_text="完成市下达任务")
    with pytest.raises(ApplicationError) as caught:
        services.observation_record(indicator=indicator, year=2021, value=1.0, actor=None)
    assert caught.value.code == "observation_qualitative_required"
    services.observation_record(indicator=indicator, year=2021, qualitative_status="on_track",
                                evidence="市生态环境局考核通报", actor=None)
    assert Observation.objects.get().qualitative_status == "on_track"


def test_platform_metric_fills_observations() -> None:
    plan, indicator = small_plan_create(kind="share", unit="%", observation_unit="%", baseline_value=90.0,
                                        target_value=98.0)
    register_platform_metric("test.grid_rate", "网格化达标率（测试）", lambda year: {2021: 91.6, 2022: None}.get(year))
    try:
        assert ("test.grid_rate", "网格化达标率（测试）") in platform_metric_choices()
        services.indicator_bind_platform_metric(indicator=indicator, metric_name="test.grid_rate", actor=None)
        from zhili.indicators.tasks import fill_platform_indicators_for_year

        assert fill_platform_indicators_for_year(2021).get() == 1  # immediate mode in tests
        assert fill_platform_indicators_for_year(2021).get() == 0  # same value: no new revision
        assert fill_platform_indicators_for_year(2022).get() == 0  # metric has no data yet
        observation = Observation.objects.get(indicator=indicator)
        assert (observation.year, observation.value, observation.source) == (2021, 91.6, "平台数据：网格化达标率（测试）")
        assert selectors.plan_evaluation(plan, 2021).rows[0].evaluation.status == Status.ON_TRACK  # 1.6/8 = 0.2
    finally:
        unregister_platform_metric("test.grid_rate")


def test_binding_unknown_platform_metric_is_refused() -> None:
    _plan, indicator = small_plan_create()
    with pytest.raises(ApplicationError) as caught:
        services.indicator_bind_platform_metric(indicator=indicator, metric_name="nope", actor=None)
    assert caught.value.code == "platform_metric_unknown"


PASTED = """序号\t指标名称\t单位\t属性\t2025年目标
经济强
1\t人均地区生产总值\t万元/人\t预期性\t17
3   固定资产投资年均增速   %   预期性   6
9\t企业股权融资额（五年累计）\t亿元\t预期性\t200
环境美\t28\tPM2.5浓度\t微克/立方米\t约束性\t35
26\t单位生产总值固定污染源主要大气污染物排放量\t千克/万元\t约束性\t完成市下达任务
"""


def test_pasted_table_creates_indicators_with_guessed_kinds() -> None:
    plan, _indicator = small_plan_create()
    created = services.indicators_import_pasted(plan=plan, text=PASTED, actor=None)
    assert [(i.number, i.name, i.kind, i.direction, i.target_value, i.group.name) for i in created] == [
        (1, "人均地区生产总值", "level", "higher", 17.0, "经济强"),
        (3, "固定资产投资年均增速", "growth", "higher", 6.0, "经济强"),
        (9, "企业股权融资额（五年累计）", "cumulative", "higher", 200.0, "经济强"),
        (28, "PM2.5浓度", "bound", "lower", 35.0, "环境美"),
        (26, "单位生产总值固定污染源主要大气污染物排放量", "qualitative", "higher", None, "环境美"),
    ]
    assert created[3].attribute == "binding"


def test_pasted_table_with_a_bad_row_imports_nothing() -> None:
    plan, _indicator = small_plan_create()
    text = PASTED + "7 新增规上企业单位数 家 预期性 2500\n" + "8\t三新经济\t亿元\t必须\t1000\n"
    with pytest.raises(ApplicationError) as caught:
        services.indicators_import_pasted(plan=plan, text=text, actor=None)
    problems = caught.value.details["problems"]
    assert [problem["line_number"] for problem in problems] == [8, 9]
    assert "属性“必须”无效" in problems[1]["problem"]
    assert plan.indicators.count() == 1


@dataclass(frozen=True)
class FakeTarget:
    quote: str
    subject: str
    value: float | list[float]
    unit: str
    period: str | None
    kind: str
    op: str


def fake_extractor(text: str) -> list[FakeTarget]:
    return [
        FakeTarget("研发经费支出占地区生产总值比重达到3%", "研发经费支出占地区生产总值比重", 3.0, "%", "2025", "target", "="),
        FakeTarget("PM2.5浓度低于35微克/立方米", "PM2.5浓度", 35.0, "微克/立方米", "2025", "target", "<"),
        FakeTarget("每万人发明专利拥有量26.43件", "每万人发明专利拥有量", 26.43, "件", "2020", "actual", "="),
    ]


def test_drafts_from_document_then_accept_and_reject() -> None:
    plan, _indicator = small_plan_create()
    drafts = services.indicator_drafts_create_from_document(plan=plan, text="……", actor=None, extractor=fake_extractor)
    assert [(d.name, d.kind, d.direction, d.target_value) for d in drafts] == [
        ("研发经费支出占地区生产总值比重", "share", "higher", 3.0),
        ("PM2.5浓度", "bound", "lower", 35.0),
    ]
    indicator = services.indicator_draft_accept(draft=drafts[0], actor=None, group_name="经济")
    assert (indicator.name, indicator.kind, indicator.target_value, indicator.group.name) == (
        "研发经费支出占地区生产总值比重", "share", 3.0, "经济")
    services.indicator_draft_reject(draft=drafts[1], actor=None)
    drafts[1].refresh_from_db()
    assert drafts[1].status == DraftStatus.REJECTED
    with pytest.raises(ApplicationError):
        services.indicator_draft_accept(draft=drafts[1], actor=None)
    assert Indicator.objects.filter(plan=plan).count() == 2


def test_drafts_with_the_real_target_extractor() -> None:
    plan, _indicator = small_plan_create()
    text = "到2025年，研发经费支出占地区生产总值比重达到3%，高新技术企业突破400家。"
    drafts = services.indicator_drafts_create_from_document(plan=plan, text=text, actor=None)
    assert {(draft.target_value, draft.unit) for draft in drafts} >= {(3.0, "%"), (400.0, "家")}


def test_cumulative_lower_is_refused() -> None:
    plan, _indicator = small_plan_create()
    drafts = services.indicator_drafts_create_from_document(plan=plan, text="x", actor=None, extractor=fake_extractor)
    with pytest.raises(ApplicationError) as caught:
        services.indicator_draft_accept(draft=drafts[0], actor=None, kind="cumulative", direction="lower")
    assert caught.value.code == "indicator_cumulative_lower"
