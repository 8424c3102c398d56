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
