"""Numbers as people type them: decimal commas, thousands separators, order-of-magnitude jumps; legacy .xls."""

from __future__ import annotations

import io

import pytest
import xlwt

from zhili.core.errors import ApplicationError
from zhili.core.workbooks import workbook_sheets_read
from zhili.indicators import selectors, services
from zhili.indicators.files.plan_workbook import jump_from, number_read, plan_template_workbook
from zhili.indicators.models import Observation
from zhili.indicators.tests.factories import observation_row, tianning_plan_create, workbook_bytes

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("raw", "unit", "reference", "value", "note"), [
    ("14,1", "万元/人", None, 14.1, "“14,1”按逗号为小数点读作 14.1"),
    ("14，1", "万元/人", 13.4, 14.1, "“14，1”按逗号为小数点读作 14.1"),
    ("1,234,567", "万元", None, 1234567.0, ""),
    ("1,234.5", "亿元", None, 1234.5, ""),
    ("1.234,5", "亿元", None, 1234.5, "“1.234,5”按千分位为点、小数点为逗号读作 1234.5"),
    ("1,234", "万元", 1180.0, 1234.0, "“1,234”按逗号为千分位读作 1234"),
    ("1,234", "万元", 1.3, 1.234, "“1,234”按逗号为小数点读作 1.234"),
    ("1,234", "万元", None, 1234.0, "“1,234”按逗号为千分位读作 1234"),
    ("65,300", "%", None, 65.3, "“65,300”按逗号为小数点读作 65.3"),
    (14.1, "万元/人", 13.4, 14.1, ""),
])
def test_commas_are_read_by_the_unit_and_the_row_history(raw: object, unit: str, reference: float | None,
                                                         value: float, note: str) -> None:
    reading = number_read(raw, unit=unit, reference=reference)
    assert reading.value == pytest.approx(value)
    assert reading.note == note


@pytest.mark.parametrize("raw", ["1,2,3", "12,34.5", "1,23"])
def test_commas_in_impossible_places_are_not_numbers(raw: str) -> None:
    if raw == "1,23":
        assert number_read(raw).value == pytest.approx(1.23)  # only a decimal comma fits
        return
    with pytest.raises(ValueError, match=r".*"):
        number_read(raw)


def test_jumps() -> None:
    assert jump_from(13.4, 141.0) == pytest.approx(141 / 13.4)
    assert jump_from(141.0, 13.4) == pytest.approx(141 / 13.4)
    assert jump_from(13.4, 14.1) is None
    assert (jump_from(None, 5.0), jump_from(0.0, 5.0), jump_from(-2.0, 5.0)) == (None, None, None)


def test_a_decimal_comma_is_read_as_such_and_a_jump_needs_confirmation() -> None:
    plan = tianning_plan_create()
    content = plan_template_workbook(plan)
    row = observation_row(content, "TN01")  # 人均地区生产总值 (万元/人)
    edits = {("观测值", f"F{row}"): 13.4, ("观测值", f"G{row}"): "14,1", ("观测值", f"H{row}"): 141}
    with pytest.raises(ApplicationError) as refused:
        services.plan_workbook_import(plan=plan, stream=workbook_bytes(content, edits), actor=None, file_name="a.xlsx")
    assert refused.value.code == "workbook_needs_confirmation"
    assert refused.value.details["warnings"] == [{
        "sheet": "观测值", "cell": f"H{row}", "problem": "TN01 2023年为 141，是上一年（14.1）的 10.0 倍，数量级跳变",
        "action": "请核对小数点、千分位和单位；确认无误后勾选“确认数值跳变”重新上传"}]
    assert refused.value.details["conversions"] == [f"G{row}（TN01 2022年）：“14,1”按逗号为小数点读作 14.1"]
    assert Observation.objects.count() == 0
    result = services.plan_workbook_import(plan=plan, stream=workbook_bytes(content, edits), actor=None,
                                           file_name="a.xlsx", confirm_warnings=True)
    assert result.observations.created == 3
    values = dict(Observation.objects.filter(indicator__code="TN01").values_list("year", "value"))
    assert values == {2021: 13.4, 2022: 14.1, 2023: 141.0}


def test_the_history_already_stored_decides_too() -> None:
    plan = tianning_plan_create()
    content = plan_template_workbook(plan)
    row = observation_row(content, "TN01")
    services.plan_workbook_import(plan=plan, stream=workbook_bytes(content, {("观测值", f"F{row}"): 13.4}),
                                  actor=None, file_name="a.xlsx")
    # next year's upload: "14,1" and 2022 alone; 2021 comes from the database
    services.plan_workbook_import(plan=plan, stream=workbook_bytes(content, {("观测值", f"G{row}"): "14,1"}),
                                  actor=None, file_name="b.xlsx")
    evaluation = {item.indicator.code: item for item in selectors.plan_evaluation(plan, 2022).rows}
    assert evaluation["TN01"].value == pytest.approx(14.1)


def test_a_legacy_xls_template_imports() -> None:
    plan = tianning_plan_create()
    content = plan_template_workbook(plan)
    row = observation_row(content, "TN16")
    filled = workbook_bytes(content, {("观测值", f"F{row}"): 27.5}).getvalue()
    workbook = xlwt.Workbook(encoding="utf-8")
    for sheet in workbook_sheets_read(filled, file_name="t.xlsx"):
        target = workbook.add_sheet(sheet.name)
        for row_index, cells in enumerate(sheet.rows):
            for column, value in enumerate(cells):
                if value != "":
                    target.write(row_index, column, value)
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    result = services.plan_workbook_import(plan=plan, stream=buffer, actor=None, file_name="旧版填报.xls")
    assert result.observations.created == 1
    assert Observation.objects.get(indicator__code="TN16").value == 27.5
