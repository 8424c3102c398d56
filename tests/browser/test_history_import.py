"""A district brings in its hotline history in Chromium: a five-sheet export with bad rows, two source
departments and three categories mapped, the bad rows set aside, the rest committed as history; then a
department model trained on it, compared with the one in use and a same-run baseline, and activated."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import LAPTOP, screenshot, sign_in
from zhili.accounts.roles import Role
from zhili.cases.models import Case, CaseChannel, ImportValueMapping, Notification
from zhili.cases.states import CaseStatus
from zhili.cases.tests.factories import world_create
from zhili.cases.tests.history_files import EXPORT_HEADERS, export_row, history_rows, history_workbook
from zhili.dashboard.tests.factories import PASSWORD, user_create
from zhili.geo.data_version import geo_caches_clear
from zhili.textintel.classifier import ClassifierSettings
from zhili.textintel.models import ClassifierModel, ClassifierTarget
from zhili.textintel.services import classifier_model_activate, classifier_model_train

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _export_with_bad_rows(tmp_path: Path) -> Path:
    sheets = []
    for year in range(2016, 2021):
        rows = [export_row(row) for row in history_rows(6, year=year, seed=3)]
        if year == 2018:
            rows[2][EXPORT_HEADERS.index("主要内容")] = ""  # no text
            rows[4][EXPORT_HEADERS.index("受理时间")] = ""  # no time
        sheets.append((f"{year}年", rows))
    path = tmp_path / "12345工单历史.xlsx"
    path.write_bytes(history_workbook(sheets, blank_every=3))
    return path


def _current_department_model() -> ClassifierModel:
    """The department model in use before the import (trained on a handful of earlier cases)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["text", "label"])
    for index in range(8):
        writer.writerow([f"路灯不亮了第{index}盏", "城管局"])
        writer.writerow([f"工地夜间施工噪音第{index}次", "生态环境局"])
    model = classifier_model_train(name="department-before", data=buffer.getvalue().encode(), file_name="before.csv",
                                   text_columns=["text"], label_column="label", target=ClassifierTarget.DEPARTMENT,
                                   settings_override=ClassifierSettings(max_character_features=2_000,
                                                                        max_word_features=2_000))
    return classifier_model_activate(model_id=model.pk, actor_id=None, compared_with=None)


def test_history_import_map_set_aside_commit_train_compare_activate(new_page: Callable[..., Page],
                                                                     tmp_path: Path) -> None:
    geo_caches_clear()
    world = world_create()
    user_create(username="admin", role=Role.ADMIN)
    before = _current_department_model()
    path = _export_with_bad_rows(tmp_path)
    page = new_page(viewport=LAPTOP)
    sign_in(page, "admin", PASSWORD)

    page.goto("/cases/import/")
    page.set_input_files("#upload-form input[name=file]", str(path))
    page.click("#upload-form button[type=submit]")
    expect(page.locator("#sheets")).to_contain_text("2020年")
    assert page.locator("#sheets tr").count() == 6  # header + five sheets
    expect(page.locator("select[name=map_description]")).to_have_value("主要内容")
    expect(page.locator("select[name=map_handling_unit]")).to_have_value("办理单位")
    page.check("#set-aside-check")
    page.click("button[value=check]")
    expect(page.locator("#import-errors")).to_contain_text("诉求内容为空")
    expect(page.locator("#import-errors")).to_contain_text("2018年")
    screenshot(page, "60-history-import-checked")

    departments = page.locator("#values-department")
    departments.locator("tr", has_text="区城管局").locator("select").select_option("CG")
    departments.locator("tr", has_text="区生态环境局").locator("select").select_option("HB")
    categories = page.locator("#values-category")
    categories.locator("tr", has_text="城乡建设/环境卫生/垃圾清运").locator("select").select_option("matter:M001")
    categories.locator("tr", has_text="城乡建设/道路交通/道路破损").locator("select").select_option("matter:M002")
    categories.locator("tr", has_text="环境保护/噪声污染/施工噪音").locator("select").select_option("matter:M003")
    page.click("#values button[value=values]")
    expect(page.locator("body")).to_contain_text("已保存 5 条值对应")
    screenshot(page, "61-history-import-values-mapped")
    assert ImportValueMapping.objects.count() == 5

    page.click("#commit")
    expect(page.locator("#committed")).to_contain_text("已导入 28 条工单")
    expect(page.locator("#set-aside-download")).to_be_visible()
    with page.expect_download() as download_info:
        page.click("#set-aside-download")
    assert download_info.value.suggested_filename.endswith(".xlsx")
    screenshot(page, "62-history-import-committed")
    imported = Case.objects.filter(channel=CaseChannel.IMPORT)
    assert imported.count() == 28
    assert imported.filter(status=CaseStatus.ARCHIVED).count() == 28
    assert imported.filter(department=world.department_cg).count() == 10
    assert imported.filter(matter=world.matter_noise).count() == 4  # 2018 lost its one to a missing text
    assert imported.exclude(stage_due_at=None).count() == 0
    assert Notification.objects.count() == 0

    page.select_option("select[name=target]", "department")
    page.click("#train")
    link = page.locator("#training-jobs a", has_text="比较并决定是否启用")
    expect(link).to_be_visible(timeout=120_000)
    trained = ClassifierModel.objects.exclude(pk=before.pk).get()
    assert (trained.target, trained.is_active) == (ClassifierTarget.DEPARTMENT, False)
    link.click()
    expect(page.locator("#row-new")).to_contain_text(str(trained.metrics["macro_f1"]))
    expect(page.locator("#row-current")).to_contain_text("department-before v1")
    expect(page.locator("#row-baseline")).to_contain_text(str(trained.metrics["baseline"]["macro_f1"]))
    screenshot(page, "63-history-model-compared")
    page.click("#activate")
    expect(page.locator("body")).to_contain_text("已启用")
    screenshot(page, "64-history-model-activated")
    trained.refresh_from_db()
    before.refresh_from_db()
    assert (trained.is_active, before.is_active) == (True, False)
    assert page.js_errors == []  # type: ignore[attr-defined]
