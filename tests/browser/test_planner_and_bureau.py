"""The planner and the economic bureau in Chromium.

* The planner revises a target (refused without a decision reference, then recorded), generates the
  mid-term report, edits its advice, issues it, and downloads the .docx with the edit in it.
* The analyst evaluates a year, simulates a weight change and sees the firm that would move class with
  its money; the evaluator's own 签发 is refused, a second person signs off; the firm's objection (with
  its tax certificate) is upheld with the corrected tax, the re-evaluation is signed off by the other
  person, and the firm's class and electricity price change on its profile.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import docx
import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import LAPTOP, screenshot, sign_in
from zhili.enterprises import services as enterprise_services
from zhili.enterprises.models import EvaluationRun, Objection, ObjectionStatus, RunStatus, SourceKind
from zhili.enterprises.presets import DEFAULT_POLICY_TABLE
from zhili.enterprises.tests.factories import district_create, enterprise_create
from zhili.enterprises.tests.factories import user_create as enterprise_user_create
from zhili.indicators import services as indicator_services
from zhili.indicators.contracts import ObservationInput
from zhili.indicators.models import EvaluationReport, Indicator, ReportStatus, TargetRevision
from zhili.indicators.tests.factories import tianning_plan_create
from zhili.indicators.tests.factories import user_create as indicator_user_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FIGURES = {
    "TN16": {2021: 27.4, 2022: 28.5, 2023: 29.6},
    "TN20": {2021: 2.1, 2022: 2.4, 2023: 2.8},
    "TN28": {2021: 34.8, 2022: 35.9, 2023: 37.2},
    "TN36": {2021: 10.0, 2022: 10.5, 2023: 11.0},
}
TWO_INDICATORS = {
    "name": "亩均税收与亩均销售（测试）",
    "indicators": [
        {"key": "tax_per_mu", "weight": 50, "cap_multiple": 2, "benchmark": {"mode": "fixed", "value": 10.0}},
        {"key": "sales_per_mu", "weight": 50, "cap_multiple": 2, "benchmark": {"mode": "fixed", "value": 100.0}},
    ],
    "classes": {"method": "thresholds", "thresholds": {"A": 120, "B": 80, "C": 50}},
}


def test_planner_revises_a_target_and_issues_the_midterm_report(new_page: Callable[..., Page],
                                                                 tmp_path: Path) -> None:
    planner = indicator_user_create("planner")
    plan = tianning_plan_create()
    indicator_services.observations_record_many(plan=plan, actor=planner, items=[
        ObservationInput(indicator_id=Indicator.objects.get(plan=plan, code=code).pk, year=year,
                                            value=value, source="统计年鉴")
        for code, series in FIGURES.items() for year, value in series.items()])
    indicator = Indicator.objects.get(plan=plan, code="TN36")
    page = new_page(viewport=LAPTOP)
    sign_in(page, "planner", "Zhili@2026demo")

    page.goto(f"/indicators/indicators/{indicator.pk}/?year=2023")
    page.fill("#revision-value", "13")
    page.select_option("#revision-year", "2024")
    page.click("#revision-submit")
    expect(page.locator(".messages")).to_contain_text("调整目标须填写决定文号")
    assert TargetRevision.objects.count() == 0
    page.fill("#revision-value", "13")
    page.select_option("#revision-year", "2024")
    page.fill("#revision-reference", "天人常〔2023〕8号")
    page.fill("#revision-reason", "中期评估后，按实际增速调整")
    page.click("#revision-submit")
    expect(page.locator(".messages")).to_contain_text("已登记目标调整，自2024年起按新目标评估")
    expect(page.locator('#yearly-evaluations tr[data-year="2023"] td').nth(1)).to_have_text("15")
    expect(page.locator('#yearly-evaluations tr[data-year="2024"] td').nth(1)).to_contain_text("13")
    expect(page.locator("#target-revisions")).to_contain_text("天人常〔2023〕8号")
    screenshot(page, "30-planner-target-revision")

    page.goto(f"/indicators/plans/{plan.pk}/?year=2023")
    page.click("#report-midterm")
    page.click("#report-generate")
    expect(page.locator(".messages")).to_contain_text("已根据最新数据生成第1版（草稿）")
    expect(page.locator("#section-problems")).to_contain_text("约束性指标PM2.5浓度2023年为37.2微克/立方米")
    expect(page.locator("#section-revisions")).to_contain_text("人均接受文化场馆服务次数目标已经天人常〔2023〕8号调整")
    page.fill("#section-advice", "区文体旅局：加快新建文化场馆开放，2024年底前完成三处社区文化中心改造。")
    page.click("#report-save")
    expect(page.locator(".messages")).to_contain_text("已保存第1版的修改")
    page.click("#report-issue")
    expect(page.locator(".messages")).to_contain_text("第1版已印发")
    expect(page.locator('#report-versions tr[data-version="1"]')).to_have_attribute("data-status", "issued")
    screenshot(page, "31-planner-midterm-issued")
    with page.expect_download(timeout=180_000) as download_info:  # charts are drawn on request
        page.click("#report-docx", timeout=180_000)
    path = tmp_path / "midterm.docx"
    download_info.value.save_as(path)
    report = EvaluationReport.objects.get()
    assert (report.version, report.status) == (1, ReportStatus.ISSUED)
    document = docx.Document(io.BytesIO(path.read_bytes()))
    texts = [paragraph.text for paragraph in document.paragraphs]
    assert texts[0] == "天宁区“十四五”规划中期评估报告（2023年）"
    assert "第1版（已印发）。数据截至2023年；评估方法见文末说明。" in texts
    advice = texts.index("五、下一步工作建议")
    assert texts[advice + 1] == "区文体旅局：加快新建文化场馆开放，2024年底前完成三处社区文化中心改造。"
    assert len(document.inline_shapes) >= 3  # status chart and the lagging indicators' charts


def test_analyst_simulates_publishes_with_a_second_person_and_an_objection_changes_class_and_price(
        new_page: Callable[..., Page]) -> None:
    district_create()
    analyst = enterprise_user_create(username="analyst")
    enterprise_user_create(username="reviewer")
    firms = [enterprise_create(number) for number in (1, 2, 3)]
    # 10 亩 each. Firm 1: tax 15/亩 (75) + sales 50/亩 (25) = 100 → B; firm 2: 5/亩 (25) + 150/亩 (75) = 100 → B;
    # firm 3: 2/亩 (10) + 60/亩 (30) = 40 → D.
    enterprise_services.year_values_record(
        actor=None, year=2025, source_kind=SourceKind.OTHER, source_label="各部门汇总", values={
            firms[0].pk: {"tax": 150.0, "sales": 500.0, "electricity": 100.0},
            firms[1].pk: {"tax": 50.0, "sales": 1500.0, "electricity": 100.0},
            firms[2].pk: {"tax": 20.0, "sales": 600.0, "electricity": 100.0}})
    enterprise_services.scheme_save(actor=analyst, code="two", name="", year=2025, config=TWO_INDICATORS)
    enterprise_services.policy_table_save(actor=analyst, year=2025, config=DEFAULT_POLICY_TABLE)

    page = new_page(viewport=LAPTOP)
    sign_in(page, "analyst", "Zhili@2026test")
    page.goto("/enterprises/runs/")
    page.fill("#run-year", "2025")
    page.click("#run-form button[type=submit]")
    expect(page.locator("#run-status")).to_have_text("草稿（可重评）")
    run = EvaluationRun.objects.get(year=2025)
    assert dict(run.results.values_list("enterprise_id", "class_code")) == {
        firms[0].pk: "B", firms[1].pk: "B", firms[2].pk: "D"}

    page.click("#simulate-link")
    page.fill("#weight-tax_per_mu", "70")
    page.fill("#weight-sales_per_mu", "40")
    page.click("#simulate-submit")
    expect(page.locator(".messages")).to_contain_text("各指标权重之和应为100%，现在是110%")
    page.fill("#weight-tax_per_mu", "70")
    page.fill("#weight-sales_per_mu", "30")
    page.click("#simulate-submit")
    moves = page.locator("#moves tbody tr")
    expect(moves).to_have_count(1)  # firm 1: 105 + 15 = 120 → A; firm 2: 35 + 45 = 80 stays B; firm 3: 14 + 18 = 32 D
    expect(moves.first).to_have_attribute("data-credit-code", firms[0].credit_code)
    expect(moves.first).to_have_attribute("data-after", "A")
    expect(moves.first.locator("td").nth(5)).to_have_text("-30000.00")  # B −10,000 → A −40,000 元/年
    screenshot(page, "32-analyst-simulation")

    page.goto(f"/enterprises/runs/{run.pk}/")
    expect(page.locator("#four-eyes-note")).to_be_visible()
    page.click("#publish-submit")
    expect(page.locator(".messages")).to_contain_text("不能由您本人签发")
    review = new_page(viewport=LAPTOP)
    sign_in(review, "reviewer", "Zhili@2026test")
    review.goto(f"/enterprises/runs/{run.pk}/")
    review.fill("#sign_off_note", "经局务会审定，同意公示")
    review.click("#publish-submit")
    expect(review.locator("#run-status")).to_have_text("已发布")
    expect(review.locator("#run-state")).to_have_attribute("data-state", "objection_window")
    screenshot(review, "33-reviewer-signed-off")

    page.goto(f"/enterprises/registry/{firms[2].credit_code}/")
    expect(page.locator('#policy-effect tr[data-resource="electricity"] .price')).to_have_text("0.75")
    expect(page.locator("#policy-total")).to_have_text("100000.00")  # D: +0.1 元 × 1,000,000 kWh
    page.fill("#objection-credit-code", firms[2].credit_code)
    page.fill("#submitted_by_name", "企业财务 周敏")
    page.fill("#objection-content", "2025年税收漏计：实际入库税收70万元")
    page.fill("#objection-evidence", "国家税务总局完税证明（编号2025-0088）")
    page.click("#objection-content >> xpath=ancestor::form//button[@type='submit']")
    expect(page.locator(".messages")).to_contain_text("已登记异议")
    objection = Objection.objects.get()
    assert (objection.claimed_credit_code, objection.evidence) == (firms[2].credit_code, "国家税务总局完税证明（编号2025-0088）")

    review.goto(f"/enterprises/registry/{firms[2].credit_code}/")
    form = review.locator("#objections li form")
    form.locator("input[name=resolution_note]").fill("核实完税证明，税收应为70万元")
    form.locator("select[name=correction_field]").select_option("tax")
    form.locator("input[name=correction_value]").fill("70")
    form.locator("button[value=upheld]").click()
    expect(review.locator(".messages")).to_contain_text("异议成立，已生成复评草稿")
    rerun = EvaluationRun.objects.get(year=2025, version=2)
    assert rerun.supersedes_id == run.pk
    review.click("#publish-submit")  # the reviewer made the re-evaluation: refused
    expect(review.locator(".messages")).to_contain_text("不能由您本人签发")

    page.goto(f"/enterprises/runs/{rerun.pk}/")
    page.click("#publish-submit")
    expect(page.locator("#run-status")).to_have_text("已发布")
    expect(page.locator("#run-state")).to_have_attribute("data-state", "effective")
    page.goto(f"/enterprises/registry/{firms[2].credit_code}/")
    # 7/亩 (35) + 60/亩 (30) = 65 → C: electricity 0.65 + 0.05 = 0.70; C total 0.05 × 1,000,000 = 50,000 元.
    expect(page.locator("h1 .ent-class")).to_have_text("C")
    expect(page.locator('#policy-effect tr[data-resource="electricity"] .price')).to_have_text("0.7")
    expect(page.locator("#policy-total")).to_have_text("50000.00")
    expect(page.locator('#objections li[data-status="upheld"]')).to_have_count(1)
    screenshot(page, "34-firm-after-objection")
    rerun.refresh_from_db()
    assert rerun.status == RunStatus.PUBLISHED
    assert rerun.results.get(enterprise=firms[2]).class_code == "C"
    assert run.results.get(enterprise=firms[2]).class_code == "D"
    assert Objection.objects.get().status == ObjectionStatus.UPHELD
    assert not page.js_errors  # type: ignore[attr-defined]
    assert not review.js_errors  # type: ignore[attr-defined]
