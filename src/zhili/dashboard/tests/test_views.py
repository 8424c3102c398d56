from __future__ import annotations

import datetime as dt
import json
from io import BytesIO

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from zhili.accounts.roles import Role
from zhili.dashboard.services import case_rollup_rebuild
from zhili.dashboard.tests.factories import World, leader_create, user_create

pytestmark = pytest.mark.django_db


def _client_for(username: str, role: str, **kwargs: object) -> Client:
    user = user_create(username=username, role=role, **kwargs)  # type: ignore[arg-type]
    client = Client()
    client.force_login(user)  # signing in itself: accounts/tests/test_login.py
    return client


def test_command_center_page_shows_kpis_map_data_and_feed(world_with_cases: World) -> None:
    case_rollup_rebuild()
    client = _client_for("dispatch", Role.DISPATCHER)
    response = client.get(reverse("dashboard:command_center"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "联动指挥中心 · 天宁区" in html
    assert '<span class="kpi-value" data-kpi="new_today">2</span>' in html
    assert '<span class="kpi-value" data-kpi="open">3</span>' in html
    assert '<span class="kpi-value" data-kpi="overdue">1</span>' in html
    assert 'data-kpi="finish_on_time_rate">66.7%</span>' in html
    assert 'hx-trigger="every 15s"' in html
    assert "<script>" not in html  # CSP: no inline scripts
    map_data = json.loads(html.split('<script id="cc-map-data" type="application/json">')[1].split("</script>")[0])
    assert [(row["name"], row["value"]) for row in map_data["values"]] == [("东街道", 1.0), ("西街道", 2.0)]
    assert map_data["values"][0]["href"] == "/dashboard/?area=320402001&metric=open&days=7"


def test_live_fragment_is_only_the_polled_part(world_with_cases: World) -> None:
    client = _client_for("dispatch", Role.DISPATCHER)
    response = client.get(reverse("dashboard:command_center"), {"metric": "overdue", "fragment": "live"},
                          headers={"HX-Request": "true"})
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="cc-live"')
    assert "<html" not in html
    assert "metric=overdue" in html


def test_drill_down_to_a_street_and_its_geojson(world_with_cases: World) -> None:
    client = _client_for("dispatch", Role.DISPATCHER)
    response = client.get(reverse("dashboard:command_center"), {"area": "320402001", "metric": "new_today"})
    html = response.content.decode()
    assert "联动指挥中心 · 东街道" in html
    assert '<a href="/dashboard/?area=320402&amp;metric=new_today&amp;days=7">天宁区</a>' in html
    geojson = client.get(reverse("dashboard:geojson"), {"area": "320402001", "granularity": "grid"}).json()
    assert [feature["properties"]["label"] for feature in geojson["features"]] == ["东一网格", "东二网格"]
    assert geojson["features"][0]["geometry"]["type"] == "Polygon"


def test_roles_without_the_right_are_refused(world_with_cases: World) -> None:
    handler = _client_for("handler", Role.HANDLER, department=world_with_cases.city_management)
    assert handler.get(reverse("dashboard:command_center")).status_code == 403
    assert handler.get(reverse("dashboard:leader")).status_code == 403
    dispatcher = Client()
    dispatcher.force_login(user_create(username="dispatch", role=Role.DISPATCHER))
    assert dispatcher.get(reverse("dashboard:leader")).status_code == 403
    assert Client().get(reverse("dashboard:command_center")).status_code == 302


def test_scoped_leader_sees_only_their_street(world_with_cases: World) -> None:
    client = Client()
    client.force_login(leader_create(username="west", scope_area=world_with_cases.street_west))
    html = client.get(reverse("dashboard:command_center")).content.decode()
    assert '<span class="kpi-value" data-kpi="open">2</span>' in html
    assert "东街道" not in html
    refused = client.get(reverse("dashboard:command_center"), {"area": "320402001"})
    assert refused.status_code == 403
    assert "不在您的管辖范围内" in refused.content.decode()
    assert client.get(reverse("dashboard:geojson"), {"area": "320402"}).status_code == 403


def test_leader_dashboard_kpis_month_on_month_and_tables(world_with_cases: World) -> None:
    case_rollup_rebuild()
    client = _client_for("boss", Role.LEADER)
    response = client.get(reverse("dashboard:leader"), {"month": "2026-03"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "统计时段 2026-03，环比对比 2026-02" in html
    assert '<div class="kpi-card" data-kpi="created_count">' in html
    assert "城管局" in html
    assert "水务局" in html
    assert "东街道" in html
    fragment = client.get(reverse("dashboard:leader"), {"month": "2026-03", "department": "SW"},
                          headers={"HX-Request": "true", "HX-Target": "leader-body"}).content.decode()
    assert fragment.lstrip().startswith('<div id="leader-body">')
    bad = client.get(reverse("dashboard:leader"), {"month": "2026-13"})
    assert bad.status_code == 400
    assert "应为 YYYY-MM 格式的月份" in bad.content.decode()


def test_leader_export_has_the_filtered_numbers(world_with_cases: World) -> None:
    case_rollup_rebuild()
    client = _client_for("boss", Role.LEADER)
    response = client.get(reverse("dashboard:leader_export"), {"start": "2026-02-01", "end": "2026-03-10"})
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="zhili-kpi-20260201-20260310.xlsx"'
    workbook = load_workbook(BytesIO(response.content))
    assert workbook.sheetnames == ["总览", "按区域", "按部门", "按分类", "红黑榜"]
    departments = workbook["按部门"]
    rows = [[cell.value for cell in row] for row in departments.iter_rows(min_row=2)]
    assert [(row[0], row[1], row[2], row[5]) for row in rows] == [("CG", "城管局", 5, 3), ("SW", "水务局", 2, 0)]
    summary = workbook["总览"]
    assert summary["B1"].value == "2026-02-01 ~ 2026-03-10"


def test_monthly_report_page_and_xlsx(world_with_cases: World) -> None:
    case_rollup_rebuild()
    client = _client_for("boss", Role.LEADER)
    page = client.get(reverse("dashboard:leader_report"), {"month": "2026-03"})
    html = page.content.decode()
    assert page.status_code == 200
    assert "部门月度考核报表（2026-03）" in html
    assert html.count('class="report-section"') == 2
    xlsx = client.get(reverse("dashboard:leader_report_export"), {"month": "2026-03", "department": "CG"})
    workbook = load_workbook(BytesIO(xlsx.content))
    assert workbook.sheetnames == ["部门汇总", "CG"]
    summary_rows = [[cell.value for cell in row] for row in workbook["部门汇总"].iter_rows(min_row=4)]
    assert [(row[1], row[2], row[-1]) for row in summary_rows] == [("城管局", 4, 1)]


def test_command_center_queries_do_not_grow_with_cases(world_with_cases: World,
                                                       django_assert_max_num_queries: object) -> None:
    case_rollup_rebuild()
    client = _client_for("dispatch", Role.DISPATCHER)
    client.get(reverse("dashboard:command_center"))  # warm the area cache
    with django_assert_max_num_queries(40):  # type: ignore[operator]
        assert client.get(reverse("dashboard:command_center")).status_code == 200


def test_english_interface_translates_the_page(world_with_cases: World) -> None:
    client = _client_for("dispatch", Role.DISPATCHER)
    client.cookies["django_language"] = "en"
    html = client.get(reverse("dashboard:command_center")).content.decode()
    assert "Command center" in html
    assert dt.date(2026, 3, 10).isoformat()  # the page renders with the frozen day
