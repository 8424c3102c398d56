"""The planner's story in a real browser: template → 2021–2023 actuals → statuses, chart → mid-term report."""

from __future__ import annotations

import io
import os
from pathlib import Path

import docx
import pytest
from openpyxl import load_workbook

from zhili.indicators.demo import load_demo
from zhili.indicators.models import Observation, Plan
from zhili.indicators.tests.factories import user_create

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # Playwright's sync API runs an event loop in this thread

ARTIFACTS = Path(__file__).resolve().parents[4] / "test-artifacts" / "indicators"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
# 2021–2023 actuals the planner types into the template (indicator code → values).
ACTUALS = {
    "TN04": (74.2, 74.6, 75.1),  # 服务业增加值占GDP比重, baseline 73.8 → 76
    "TN16": (27.4, 28.5, 29.6),  # 每万人拥有发明专利数, baseline 26.43 → 31
    "TN28": (34.8, 35.9, 37.2),  # PM2.5浓度 ≤ 35 (binding): 2023 violates
    "TN03": (6.5, 5.8, 4.1),  # 固定资产投资年均增速 (yearly rates) → 6
    "TN09": (38.0, 41.0, 36.0),  # 企业股权融资额（五年累计） → 200
}


class _Sink:
    def write(self, text: str) -> None:
        """Discard demo output."""


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_planner_enters_actuals_and_downloads_the_midterm_report(live_server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    user_create("planner")
    load_demo(seed=20260101, stdout=_Sink())  # type: ignore[arg-type]
    plan = Plan.objects.get(code="tianning-14th")

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        context = browser.new_context(accept_downloads=True, locale="zh-CN", viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("#id_username", "planner")
        page.fill("#id_password", "Zhili@2026demo")
        page.click("button[type=submit]")
        page.goto(f"{live_server.url}/indicators/")
        page.click(f"text={plan}")
        page.wait_for_selector("#overview")
        page.screenshot(path=str(ARTIFACTS / "01-overview-2021.png"), full_page=True)

        with page.expect_download() as download_info:
            page.click("#download-template")
        template_path = tmp_path / "template.xlsx"
        download_info.value.save_as(template_path)
        workbook = load_workbook(template_path)
        sheet = workbook["观测值"]
        rows = {row[0].value: row[0].row for row in sheet.iter_rows(min_row=3)}
        for code, values in ACTUALS.items():
            for column, value in zip("FGH", values, strict=True):
                sheet[f"{column}{rows[code]}"] = value
        sheet[f"K{rows['TN16']}"] = "区市场监管局"
        sheet[f"F{rows['TN26']}"] = "已完成"
        filled_path = tmp_path / "filled.xlsx"
        workbook.save(filled_path)

        page.click("#upload-link")
        page.set_input_files("#upload-file", str(filled_path))
        page.click("#upload-submit")
        page.wait_for_selector("text=导入完成")
        page.select_option("#year-select", "2023")
        page.wait_for_selector('tr[data-indicator="TN28"][data-status="lagging"]')
        page.screenshot(path=str(ARTIFACTS / "02-overview-2023.png"), full_page=True)
        overview = page.inner_text("#overview")
        assert "预警：未达序时进度的指标（约束性指标在前）" in overview
        warning_rows = page.locator("#off-track tbody tr").all_inner_texts()
        assert warning_rows[0].startswith("PM2.5浓度")  # binding first
        assert page.get_attribute('tr[data-indicator="TN16"]', "data-status") == "ahead"
        assert page.get_attribute('tr[data-indicator="TN03"]', "data-status") == "lagging"

        page.click('tr[data-indicator="TN16"] a')
        page.wait_for_selector('#indicator-chart[data-rendered="true"]')
        assert page.locator("#indicator-chart canvas").count() == 1
        assert page.inner_text("#indicator-status") == "超序时"
        page.screenshot(path=str(ARTIFACTS / "03-indicator-chart.png"), full_page=True)

        page.click("text=天宁区“十四五”规划")  # breadcrumb back to the overview (keeps ?year=2023)
        page.wait_for_selector("#report-midterm-docx")
        assert page.get_attribute("#year-select option[selected]", "value") == "2023"
        with page.expect_download() as report_info:
            page.click("#report-midterm-docx")
        report_path = tmp_path / "report.docx"
        report_info.value.save_as(report_path)
        context.close()
        browser.close()

    assert Observation.objects.filter(indicator__plan=plan, year__in=[2022, 2023]).count() == 10
    assert Observation.objects.get(indicator__code="TN16", year=2021, revision=2).entered_by.username == "planner"  # type: ignore[union-attr]
    document = docx.Document(io.BytesIO(report_path.read_bytes()))
    text = "\n".join(paragraph.text for paragraph in document.paragraphs)
    assert "中期评估报告（2023年）" in text
    assert document.tables[0].rows[1].cells[0].text == "PM2.5浓度"
    assert len(document.inline_shapes) >= 2
