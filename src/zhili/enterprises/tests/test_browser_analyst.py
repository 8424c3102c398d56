"""The analyst's 2025 story in a real browser: three source files → linkage report → accept → run →
publish → map → D-class list → exports."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from openpyxl import load_workbook

from zhili.enterprises import services
from zhili.enterprises.demo import demo_source_files
from zhili.enterprises.models import EnterpriseScale, EnterpriseYearValue, EvaluationRun, RunStatus
from zhili.enterprises.presets import RANK_SHARE_THREE_INDICATORS
from zhili.enterprises.tests.factories import SOUTH, WEST, district_create, enterprise_create, user_create

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # Playwright's sync API runs an event loop in this thread

ARTIFACTS = Path(__file__).resolve().parents[4] / "test-artifacts" / "enterprises"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
ENTERPRISE_COUNT = 30


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_analyst_imports_runs_publishes_and_sees_map_and_d_list(live_server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect, sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    district_create()
    analyst = user_create(username="analyst")
    reviewer = user_create(username="reviewer")
    enterprises = [
        enterprise_create(number, longitude=WEST + 0.004 + (number % 10) * 0.019, latitude=SOUTH + 0.01 + (number // 10) * 0.03,
                          scale=EnterpriseScale.ABOVE if number % 4 else EnterpriseScale.BELOW,
                          land=5.0 + number * 3.5)
        for number in range(ENTERPRISE_COUNT)
    ]
    services.scheme_save(actor=analyst, code="rank-share", name="", year=2025, config=RANK_SHARE_THREE_INDICATORS)
    paths = []
    for file_name, content, _kind in demo_source_files(year=2025, seed=7, enterprises=enterprises):
        path = tmp_path / file_name
        path.write_bytes(content)
        paths.append(path)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        context = browser.new_context(accept_downloads=True, locale="zh-CN", viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("#id_username", "analyst")
        page.fill("#id_password", "Zhili@2026test")
        page.click("button[type=submit]")

        page.goto(f"{live_server.url}/enterprises/")
        expect(page.locator("h1")).to_contain_text("亩均效益综合评价")
        page.click("text=数据导入")
        page.fill("#year", "2025")
        for slot, path in enumerate(paths):
            page.set_input_files(f"#file_{slot}", str(path))
        page.screenshot(path=str(ARTIFACTS / "01-import.png"), full_page=True)
        page.click("#import-form button[type=submit]")

        summary = page.locator("#linkage-summary")
        expect(summary).to_contain_text("不入库行 4")  # invalid code, unknown enterprise, a duplicated pair
        expect(page.locator("#findings")).to_contain_text("名录中没有该信用代码")
        expect(page.locator("#findings")).to_contain_text("同一文件中该信用代码出现2次")
        expect(page.locator("#conflicts")).to_contain_text("营业收入")
        assert EnterpriseYearValue.objects.count() == 0
        page.screenshot(path=str(ARTIFACTS / "02-linkage-report.png"), full_page=True)
        page.click("button[value=accept]")
        expect(page.locator("#batch-status")).to_have_text("已入库")
        assert EnterpriseYearValue.objects.filter(year=2025).exists()

        page.click("text=去评价")
        page.fill("#run-year", "2025")
        page.click("#run-form button[type=submit]")
        expect(page.locator("#run-status")).to_have_text("草稿（可重评）")
        page.screenshot(path=str(ARTIFACTS / "03-run-draft.png"), full_page=True)
        expect(page.locator("#four-eyes-note")).to_contain_text("须由另一位有签发权限的人员签发")
        page.click("#publish-form button[type=submit]")  # the evaluator cannot sign off
        expect(page.locator(".messages")).to_contain_text("不能由您本人签发")
        expect(page.locator("#run-status")).to_have_text("草稿（可重评）")
        run_url = page.url
        second = browser.new_context(locale="zh-CN", viewport={"width": 1400, "height": 1000})
        review = second.new_page()
        review.goto(f"{live_server.url}/accounts/login/")
        review.fill("#id_username", "reviewer")
        review.fill("#id_password", "Zhili@2026test")
        review.click("button[type=submit]")
        review.goto(run_url)
        review.fill("#sign_off_note", "经局务会审定，同意发布")
        review.click("#publish-form button[type=submit]")
        expect(review.locator("#run-status")).to_have_text("已发布")
        second.close()
        page.reload()
        expect(page.locator("#run-status")).to_have_text("已发布")
        run = EvaluationRun.objects.get(year=2025)
        assert run.status == RunStatus.PUBLISHED
        assert run.published_by == reviewer
        d_count = run.results.filter(class_code="D").count()
        assert d_count >= 1
        expect(page.locator("#class-counts .ent-class-D strong")).to_have_text(str(d_count))

        with page.expect_download() as download_info:
            page.click("text=导出结果表(.xlsx)")
        workbook = load_workbook(io.BytesIO(Path(download_info.value.path()).read_bytes()))
        assert workbook.active is not None
        assert workbook.active.max_row >= 3 + ENTERPRISE_COUNT

        page.click("text=分布地图")
        page.wait_for_selector("#enterprise-map[data-ready=true]")
        page.wait_for_timeout(500)
        page.screenshot(path=str(ARTIFACTS / "04-map.png"), full_page=True)

        page.goto(f"{live_server.url}/enterprises/runs/{run.pk}/d-list/")
        rows = page.locator("#d-list tbody tr")
        expect(rows).to_have_count(d_count)
        first_d = run.results.filter(class_code="D").order_by("rank").first()
        assert first_d is not None
        rows.first.locator("select[name=kind]").select_option("electricity_price")
        rows.first.locator("input[name=responsible_department]").fill("供电公司")
        rows.first.locator("button", has_text="部署措施").click()
        expect(page.locator("#d-list")).to_contain_text("差别化电价")
        page.screenshot(path=str(ARTIFACTS / "05-d-list.png"), full_page=True)

        page.goto(f"{live_server.url}/enterprises/registry/{first_d.enterprise.credit_code}/")
        expect(page.locator("#explanation")).to_contain_text("亩均税收")
        with page.expect_download() as sheet_info:
            page.locator("#history a", has_text="docx").first.click()
        assert Path(sheet_info.value.path()).read_bytes()[:2] == b"PK"
        page.screenshot(path=str(ARTIFACTS / "06-profile.png"), full_page=True)
        browser.close()
