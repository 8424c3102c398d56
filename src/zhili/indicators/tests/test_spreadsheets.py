"""The .xlsx template: generation, per-cell validation messages, all-or-nothing import, revisions."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from zhili.core.errors import ApplicationError
from zhili.indicators import selectors, services
from zhili.indicators.evaluation import Status
from zhili.indicators.files.plan_workbook import parse_number, plan_template_workbook
from zhili.indicators.models import Observation
from zhili.indicators.tests.factories import (
    observation_row,
    small_plan_create,
    tianning_plan_create,
    user_create,
    workbook_bytes,
)

pytestmark = pytest.mark.django_db


def test_template_has_both_sheets_instructions_and_validation() -> None:
    plan = tianning_plan_create()
    workbook = load_workbook(io.BytesIO(plan_template_workbook(plan)))
    assert workbook.sheetnames == ["指标", "观测值"]
    indicators, observations = workbook["指标"], workbook["观测值"]
    assert str(indicators["A1"].value).startswith("填写说明")
    assert str(observations["A1"].value).startswith("填写说明")
    assert [cell.value for cell in observations[2]][:10] == [
        "指标编号", "指标名称", "类型", "填报单位", "2020（基期）", "2021", "2022", "2023", "2024", "2025"]
    assert observations.max_row == 2 + 41
    assert indicators["J18"].value == 26.43  # 每万人拥有发明专利数 baseline (row = number + 2)
    validations = observations.data_validations.dataValidation
    assert {validation.type for validation in validations} == {"list", "decimal"}
    qualitative = next(validation for validation in validations if validation.type == "list")
    assert "E28:J28" in str(qualitative.sqref)  # indicator 26 is qualitative


def test_import_creates_observations_and_statuses() -> None:
    planner = user_create()
    plan = tianning_plan_create()
    content = plan_template_workbook(plan)
    row = observation_row(content, "TN16")  # 每万人拥有发明专利数: baseline 26.43, target 31
    pm_row = observation_row(content, "TN28")
    stream = workbook_bytes(content, {
        ("观测值", f"F{row}"): 27.5, ("观测值", f"G{row}"): 28.3, ("观测值", f"H{row}"): 29.2,
        ("观测值", f"F{pm_row}"): 34.0, ("观测值", f"G{pm_row}"): "33.1", ("观测值", f"H{pm_row}"): 36.0,
        ("观测值", f"K{row}"): "区统计局",
        ("观测值", "F28"): "滞后",
    })
    result = services.plan_workbook_import(plan=plan, stream=stream, actor=planner, file_name="t.xlsx")
    assert (result.observations.created, result.observations.revised) == (7, 0)
    evaluation = {row.indicator.code: row.evaluation for row in selectors.plan_evaluation(plan, 2023).rows}
    # (29.2 − 26.43) / (31 − 26.43) = 0.6061; share 0.6 → ratio 1.0102 → 符合序时
    assert evaluation["TN16"].status == Status.ON_TRACK
    assert evaluation["TN16"].ratio == pytest.approx((29.2 - 26.43) / (31 - 26.43) / 0.6)
    assert evaluation["TN28"].status == Status.LAGGING  # 36 > 35: 1 − 1/35
    assert selectors.plan_evaluation(plan, 2021).rows[25].evaluation.status == Status.LAGGING  # qualitative 26
    observation = Observation.objects.get(indicator__code="TN16", year=2021)
    assert (observation.source, observation.entered_by, observation.revision) == ("区统计局", planner, 1)


def test_reimport_with_a_changed_value_keeps_the_revision() -> None:
    plan = tianning_plan_create()
    content = plan_template_workbook(plan)
    row = observation_row(content, "TN16")
    services.plan_workbook_import(plan=plan, stream=workbook_bytes(content, {("观测值", f"F{row}"): 27.5}), actor=None)
    content = plan_template_workbook(plan)
    assert load_workbook(io.BytesIO(content))["观测值"][f"F{row}"].value == 27.5  # current values prefilled
    result = services.plan_workbook_import(
        plan=plan, stream=workbook_bytes(content, {("观测值", f"F{row}"): 27.8}), actor=None)
    assert (result.observations.created, result.observations.revised) == (0, 1)
    assert result.observations.unchanged == 0
    assert list(Observation.objects.filter(indicator__code="TN16").order_by("revision").values_list(
        "revision", "value")) == [(1, 27.5), (2, 27.8)]


def test_bad_cells_are_reported_per_cell_and_nothing_is_imported() -> None:
    plan = tianning_plan_create()
    content = plan_template_workbook(plan)
    stream = workbook_bytes(content, {
        ("观测值", "F3"): 13.9,  # a good value: must not be imported either
        ("观测值", "G3"): "约14",  # non-numeric
        ("观测值", "D4"): "公里",  # unit that does not convert to 亿元
        ("观测值", "F28"): "差不多",  # not a qualitative choice
        ("观测值", "K2"): "2026",  # a year outside the plan …
        ("观测值", "K5"): 3.0,  # … with a value in it
        ("观测值", "A50"): "TN99",  # unknown code
        ("指标", "J3"): "十二",  # non-numeric baseline
    })
    with pytest.raises(ApplicationError) as caught:
        services.plan_workbook_import(plan=plan, stream=stream, actor=None)
    problems = {(problem["sheet"], problem["cell"]): problem for problem in caught.value.details["problems"]}
    assert set(problems) == {("指标", "J3"), ("观测值", "K2"), ("观测值", "G3"), ("观测值", "D4"),
                             ("观测值", "F28"), ("观测值", "A50")}
    assert problems[("观测值", "G3")]["problem"] == "“约14”不是数字"
    assert "不带单位和文字" in problems[("观测值", "G3")]["action"]
    assert "无法换算" in problems[("观测值", "D4")]["problem"]
    assert problems[("观测值", "K2")]["problem"] == "年份2026不在规划期（2020—2025年）内"
    assert caught.value.message.startswith("文件中有6处问题，未导入任何数据")
    assert Observation.objects.count() == 0


def test_convertible_unit_is_converted() -> None:
    plan, indicator = small_plan_create()  # unit 亿元
    content = plan_template_workbook(plan)
    stream = workbook_bytes(content, {("观测值", "D3"): "万元", ("观测值", "F3"): 1100000})
    result = services.plan_workbook_import(plan=plan, stream=stream, actor=None)
    assert Observation.objects.get(indicator=indicator).value == pytest.approx(110.0)
    assert result.conversions == ["A1：按万元填报，已换算为亿元"]


def test_not_an_xlsx_file_is_refused_clearly() -> None:
    plan, _indicator = small_plan_create()
    with pytest.raises(ApplicationError) as caught:
        services.plan_workbook_import(plan=plan, stream=io.BytesIO(b"name,value\n"), actor=None)
    assert caught.value.details["problems"][0]["problem"] == "文件无法作为 Excel（.xlsx）读取"


def test_baseline_entered_in_the_indicator_sheet_is_used() -> None:
    plan = tianning_plan_create()
    content = plan_template_workbook(plan)
    row = observation_row(content, "TN01")  # 人均地区生产总值, no baseline in the plan text
    stream = workbook_bytes(content, {("指标", "J3"): 13.0, ("观测值", f"F{row}"): 13.8})
    result = services.plan_workbook_import(plan=plan, stream=stream, actor=None)
    assert result.indicators_updated == 1
    evaluation = selectors.plan_evaluation(plan, 2021).rows[0].evaluation
    assert evaluation.status == Status.ON_TRACK  # (13.8 − 13) / (17 − 13) = 0.2 = share


@pytest.mark.parametrize(
    ("raw", "unit", "percent_format", "expected"),
    [(None, "", False, None), ("", "", False, None), (" 1,234.5 ", "亿元", False, 1234.5), ("76%", "%", False, 76.0),
     (0.76, "%", True, 76.0), (17, "万元/人", False, 17.0)],
)
def test_parse_number(raw: object, unit: str, percent_format: bool, expected: float | None) -> None:
    assert parse_number(raw, unit=unit, percent_format=percent_format) == expected


@pytest.mark.parametrize("raw", ["约5", "5万", "76%", True, "nan", "inf"])
def test_parse_number_refuses_text(raw: object) -> None:
    with pytest.raises(ValueError, match=r".*"):
        parse_number(raw, unit="亿元")
