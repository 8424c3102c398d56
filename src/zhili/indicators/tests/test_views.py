"""Pages, downloads, permissions and the JSON API."""

from __future__ import annotations

import io

import docx
import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from zhili.indicators import services
from zhili.indicators.models import Observation
from zhili.indicators.tests.factories import (
    observation_row,
    tianning_plan_create,
    user_create,
    workbook_bytes,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def planner_client() -> Client:
    client = Client()
    client.force_login(user_create("planner"))
    return client


def test_plan_list_and_overview(planner_client: Client) -> None:
    plan = tianning_plan_create()
    response = planner_client.get(reverse("indicators:plan_list"))
    assert response.status_code == 200
    assert "天宁区“十四五”规划" in response.content.decode()
    services.observation_record(indicator=plan.indicators.get(code="TN28"), year=2022, value=40.0, actor=None)
    services.observation_record(indicator=plan.indicators.get(code="TN04"), year=2022, value=73.9, actor=None)
    page = planner_client.get(reverse("indicators:plan_detail", args=[plan.pk]), {"year": 2022}).content.decode()
    assert "2022年评估结果" in page
    warning = page.split('id="off-track"')[1].split("</table>")[0]
    # binding PM2.5 (严重滞后? 1 − 5/35 = 0.857 → 滞后) listed before the anticipatory services share
    assert warning.index("PM2.5浓度") < warning.index("服务业增加值占GDP比重")
    assert 'data-status="lagging"' in page


def test_overview_htmx_returns_the_fragment(planner_client: Client) -> None:
    plan = tianning_plan_create()
    response = planner_client.get(reverse("indicators:plan_detail", args=[plan.pk]), {"year": 2023},
                                  headers={"HX-Request": "true"})
    content = response.content.decode()
    assert content.lstrip().startswith('<div id="overview">')
    assert "<html" not in content


def test_indicator_page_has_chart_data_and_history(planner_client: Client) -> None:
    plan = tianning_plan_create()
    indicator = plan.indicators.get(code="TN16")
    services.observation_record(indicator=indicator, year=2021, value=27.0, actor=None)
    services.observation_record(indicator=indicator, year=2021, value=27.4, note="修订", actor=None)
    page = planner_client.get(reverse("indicators:indicator_detail", args=[indicator.pk]), {"year": 2021}).content.decode()
    assert 'id="indicator-chart-data"' in page
    assert "indicators/indicator_chart.js" in page
    assert "<script>" not in page  # CSP: no inline scripts
    history = page.split('id="observation-history"')[1]
    assert history.count("<tr>") == 3  # header + two revisions


def test_observation_form_reports_non_numeric_value(planner_client: Client) -> None:
    plan = tianning_plan_create()
    indicator = plan.indicators.get(code="TN16")
    url = reverse("indicators:observation_add", args=[indicator.pk])
    response = planner_client.post(url, {"year": "2021", "value": "二十七"}, follow=True)
    assert "“二十七”不是数字" in response.content.decode()
    response = planner_client.post(url, {"year": "2031", "value": "27"}, follow=True)
    assert "年份2031不在规划期" in response.content.decode()
    planner_client.post(url, {"year": "2021", "value": "27.1", "source": "统计公报"})
    assert Observation.objects.get(indicator=indicator).value == 27.1


def test_upload_shows_cell_problems(planner_client: Client) -> None:
    plan = tianning_plan_create()
    content = planner_client.get(reverse("indicators:plan_template", args=[plan.pk])).content
    bad = workbook_bytes(content, {("观测值", "G3"): "约14"})
    bad.name = "bad.xlsx"
    response = planner_client.post(reverse("indicators:plan_upload", args=[plan.pk]), {"file": bad})
    page = response.content.decode()
    assert response.status_code == 200
    assert "<td>观测值</td><td>G3</td><td>“约14”不是数字</td>" in page
    row = observation_row(content, "TN16")
    good = workbook_bytes(content, {("观测值", f"F{row}"): 27.2})
    good.name = "good.xlsx"
    response = planner_client.post(reverse("indicators:plan_upload", args=[plan.pk]), {"file": good}, follow=True)
    assert "导入完成：新增1个数值" in response.content.decode()


def test_reports_download(planner_client: Client) -> None:
    plan = tianning_plan_create()
    services.observation_record(indicator=plan.indicators.get(code="TN28"), year=2023, value=40.0, actor=None)
    url = reverse("indicators:plan_report", args=[plan.pk])
    response = planner_client.get(url, {"stage": "midterm", "year": "2023"})
    assert response["Content-Disposition"] == 'attachment; filename="tianning-14th-midterm-2023.docx"'
    document = docx.Document(io.BytesIO(response.content))
    text = "\n".join(paragraph.text for paragraph in document.paragraphs)
    assert "中期评估报告（2023年）" in text
    assert "纳入评估的41项指标中" in text
    assert "即时生成的预览" in text
    assert len(document.inline_shapes) >= 2  # status chart + PM2.5 chart
    assert document.tables[0].rows[1].cells[0].text == "PM2.5浓度"
    workbook = load_workbook(io.BytesIO(planner_client.get(url, {"year": "2023", "format": "xlsx"}).content))
    assert workbook.sheetnames == ["汇总", "指标评估"]
    assert workbook["汇总"]["A7"].value == "合计"


@pytest.mark.parametrize(("role", "status"), [("leader", 403), ("handler", 403), ("analyst", 403)])
def test_edit_pages_need_indicator_edit(role: str, status: int) -> None:
    plan = tianning_plan_create()
    client = Client()
    client.force_login(user_create(role))
    assert client.get(reverse("indicators:plan_template", args=[plan.pk])).status_code == status
    assert client.post(reverse("indicators:observation_add", args=[plan.indicators.first().pk]),  # type: ignore[union-attr]
                       {"year": "2021", "value": "1"}).status_code == status
    assert Observation.objects.count() == 0


def test_leader_can_view_but_not_report() -> None:
    plan = tianning_plan_create()
    client = Client()
    client.force_login(user_create("leader"))
    assert client.get(reverse("indicators:plan_detail", args=[plan.pk])).status_code == 200
    assert client.get(reverse("indicators:plan_report", args=[plan.pk])).status_code == 403
    anonymous = Client().get(reverse("indicators:plan_list"))
    assert anonymous.status_code == 302


def test_api_evaluation(planner_client: Client) -> None:
    plan = tianning_plan_create()
    services.observation_record(indicator=plan.indicators.get(code="TN28"), year=2021, value=34.0, actor=None)
    data = planner_client.get(f"/api/v1/indicators/plans/{plan.pk}/evaluation", {"year": 2021}).json()
    assert data["year"] == 2021
    assert data["counts"]["on_track"] == 1
    assert data["counts"]["no_data"] == 40
    pm25 = next(row for row in data["indicators"] if row["code"] == "TN28")
    assert (pm25["status"], pm25["status_label"], pm25["ratio"]) == ("on_track", "符合序时", 1.0)
    citizen = Client()
    citizen.force_login(user_create("citizen"))
    denied = citizen.get(f"/api/v1/indicators/plans/{plan.pk}/evaluation")
    assert denied.status_code == 403
    assert denied.json()["error"]["code"] == "permission_denied"


def test_indicator_with_values_but_no_baseline_shows_the_reason(planner_client: Client) -> None:
    plan = tianning_plan_create()
    services.observation_record(indicator=plan.indicators.get(code="TN19"), year=2021, value=6.3, actor=None)
    page = planner_client.get(reverse("indicators:plan_detail", args=[plan.pk]), {"year": 2021}).content.decode()
    row = page[page.index('data-indicator="TN19"'):]
    row = row[:row.index("</tr>")]
    assert "无数据" in row
    assert '<div class="muted reason" data-reason="no_baseline">缺少基期值，且无更早年份的观测值' in row


def test_numbers_are_in_plan_order_within_each_group(planner_client: Client) -> None:
    plan = tianning_plan_create()
    page = planner_client.get(reverse("indicators:plan_detail", args=[plan.pk]), {"year": 2023}).content.decode()
    import re

    codes = re.findall(r'data-indicator="TN(\d\d)"', page)
    assert [int(code) for code in codes] == list(range(1, 42))  # 20 (binding) no longer before 19


def test_target_revision_and_report_pages(planner_client: Client) -> None:
    plan = tianning_plan_create()
    indicator = plan.indicators.get(code="TN36")
    url = reverse("indicators:target_revise", args=[indicator.pk])
    refused = planner_client.post(url, {"target_value": "13", "effective_from_year": "2024",
                                        "decision_reference": ""}, follow=True).content.decode()
    assert "调整目标须填写决定文号" in refused
    accepted = planner_client.post(url, {"target_value": "13", "effective_from_year": "2024",
                                         "decision_reference": "天人常〔2023〕8号"}, follow=True).content.decode()
    assert "已登记目标调整，自2024年起按新目标评估" in accepted
    assert '<td data-target="13.0">13 <span class="muted">（天人常〔2023〕8号）</span></td>' in accepted
    workspace = reverse("indicators:report_workspace", args=[plan.pk])
    page = planner_client.post(workspace, {"stage": "midterm", "year": "2023", "action": "generate"},
                               follow=True).content.decode()
    assert "已根据最新数据生成第1版（草稿）" in page
    report = plan.reports.get()
    planner_client.post(workspace, {"stage": "midterm", "year": "2023", "action": "issue", "report": report.pk})
    edited = planner_client.post(workspace, {"stage": "midterm", "year": "2023", "action": "save",
                                             "report": report.pk, "section-advice": "新的建议"},
                                 follow=True).content.decode()
    assert "第1版已印发，不能修改；您的修改已另存为第2版（草稿），第1版保持不变。" in edited
    assert plan.reports.count() == 2
    download = planner_client.get(reverse("indicators:report_download", args=[report.pk, "docx"]))
    assert download["Content-Disposition"] == 'attachment; filename="tianning-14th-midterm-2023-v1.docx"'
    departments = planner_client.get(reverse("indicators:plan_departments", args=[plan.pk]), {"year": 2023})
    assert "区文体旅局" in departments.content.decode()
    workbook = load_workbook(io.BytesIO(planner_client.get(reverse("indicators:plan_departments", args=[plan.pk]),
                                                           {"year": "2023", "format": "xlsx"}).content))
    assert workbook.active is not None
    assert workbook.active.max_row == 2 + 41
    plans = load_workbook(io.BytesIO(planner_client.get(reverse("indicators:plan_list"), {"format": "xlsx"}).content))
    assert plans.active is not None
    assert plans.active["A3"].value == "tianning-14th"
