import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from zhili.accounts.models import GridAssignment, User
from zhili.accounts.roles import Role
from zhili.audit.models import AuditRecord
from zhili.geo.models import Area
from zhili.geo.tests.factories import (
    collection,
    small_addresses_create,
    small_district_create,
    valid_hierarchy_features,
)

pytestmark = pytest.mark.django_db


def client_for(role: str, username: str = "") -> tuple[Client, User]:
    user = User.objects.create_user(username=username or role, password=None, role=role, display_name=f"{role}用户")
    client = Client()
    client.force_login(user)
    return client, user


def test_the_map_needs_a_login_and_the_geo_view_right() -> None:
    small_district_create()
    assert Client().get("/geo/map/").status_code == 302
    citizen, _user = client_for(Role.CITIZEN)
    denied = citizen.get("/geo/map/")
    assert denied.status_code == 403
    assert "您没有权限" in denied.content.decode()


def test_the_map_page_draws_from_our_geojson_endpoint_with_echarts() -> None:
    small_district_create()
    operator, _user = client_for(Role.OPERATOR)
    page = operator.get("/geo/map/?level=grid")
    html = page.content.decode()
    assert page.status_code == 200
    assert 'data-geojson-url="/api/v1/geo/areas.geojson?level=grid"' in html
    assert "vendor/echarts/echarts.min.js" in html
    assert "geo/map.js" in html
    assert 'href="/geo/grids/G11/"' in html  # the no-JavaScript list links every grid
    geojson = operator.get("/api/v1/geo/areas.geojson?level=grid").json()
    assert [item["properties"]["code"] for item in geojson["features"]] == ["G11", "G21", "G12", "G13", "G22", "G23"]
    streets = operator.get("/geo/map/?level=community&root=T1S").content.decode()
    assert 'href="?level=grid&amp;root=T1SA"' in streets


def test_a_grid_card_shows_workers_and_element_counts_as_an_htmx_fragment() -> None:
    areas = small_district_create()
    small_addresses_create(areas)
    worker = User.objects.create_user(username="worker", password=None, role=Role.GRID_WORKER, display_name="王网格")
    GridAssignment.objects.create(user=worker, grid=areas["G21"])
    dispatcher, _user = client_for(Role.DISPATCHER)
    fragment = dispatcher.get("/geo/grids/G21/", headers={"HX-Request": "true"})
    html = fragment.content.decode()
    assert fragment.status_code == 200
    assert "<html" not in html
    assert "王网格" in html
    assert "<tr><th>标准地址</th><td>2</td></tr>" in html
    assert "<tr><th>人口</th><td>2001</td></tr>" in html
    full_page = dispatcher.get("/geo/grids/G21/").content.decode()
    assert "<html" in full_page
    assert "第21网格" in full_page


def test_a_grid_worker_sees_only_the_cards_of_their_own_grids() -> None:
    areas = small_district_create()
    worker_client, worker = client_for(Role.GRID_WORKER)
    GridAssignment.objects.create(user=worker, grid=areas["G11"])
    assert worker_client.get("/geo/grids/G11/").status_code == 200
    assert worker_client.get("/geo/grids/G12/").status_code == 403
    assert worker_client.get(f"/api/v1/geo/grids/{areas['G12'].pk}/card").status_code == 403
    card = worker_client.get(f"/api/v1/geo/grids/{areas['G11'].pk}/card").json()
    assert (card["grid_code"], card["population"], card["component_total"]) == ("G11", 1001, 0)


def test_the_api_locates_points_and_says_when_they_are_outside() -> None:
    small_district_create()
    leader, _user = client_for(Role.LEADER)
    inside = leader.get("/api/v1/geo/locate", {"longitude": "119.95", "latitude": "31.73"}).json()
    assert (inside["inside_district"], inside["grid_code"], inside["zone_codes"]) == (True, "G23", ["T1Z"])
    outside = leader.get("/api/v1/geo/locate", {"longitude": "121.0", "latitude": "31.0"}).json()
    assert outside["inside_district"] is False
    assert outside["grid_code"] is None
    assert "区外" in outside["message"]
    bad = leader.get("/api/v1/geo/locate", {"longitude": "nan", "latitude": "31.0"})
    assert bad.status_code == 400
    assert bad.json()["error"]["code"] == "invalid_parameter"  # the schema refuses it (core.parameters)
    assert "longitude" in bad.json()["error"]["message"]
    assert Client().get("/api/v1/geo/locate", {"longitude": "119.95", "latitude": "31.73"}).status_code == 401


def test_the_api_and_the_page_return_address_candidates() -> None:
    areas = small_district_create()
    small_addresses_create(areas)
    operator, _user = client_for(Role.OPERATOR)
    candidates = operator.get("/api/v1/geo/addresses/candidates", {"text": "竹林路１２号", "limit": "2"}).json()
    best = candidates[0]
    assert (best["full_text"], best["grid_code"], best["score"]) == ("测试区测试街道竹林路12号", "G11", 1.0)
    assert len(candidates) == 2
    fragment = operator.get("/geo/addresses/", {"q": "北环新村十二栋"}, headers={"HX-Request": "true"})
    assert "测试区测试街道北环新村12幢" in fragment.content.decode()


def test_the_import_page_needs_the_manage_right_and_reports_problems() -> None:
    operator, _user = client_for(Role.OPERATOR)
    assert operator.get("/geo/import/").status_code == 403
    admin, _admin_user = client_for(Role.ADMIN)
    broken = json.loads(collection(*valid_hierarchy_features()))
    broken["features"][4]["properties"]["parent_code"] = "NOPE"
    response = admin.post("/geo/import/", {
        "file": SimpleUploadedFile("grids.geojson", json.dumps(broken).encode()), "coordinate_system": "wgs84"})
    html = response.content.decode()
    assert response.status_code == 400
    assert "第5个要素“东网格”(D9G2)" in html
    assert "parent_code" in html
    assert Area.objects.count() == 0
    response = admin.post("/geo/import/", {
        "file": SimpleUploadedFile("grids.geojson", collection(*valid_hierarchy_features())),
        "coordinate_system": "wgs84"})
    assert response.status_code == 200
    assert "新建 5 个" in response.content.decode()
    assert AuditRecord.objects.get().actor_id == _admin_user.pk


def test_the_export_downloads_geojson() -> None:
    small_district_create()
    planner, _user = client_for(Role.PLANNER)
    response = planner.get("/geo/export.geojson?level=community")
    assert response["Content-Disposition"] == 'attachment; filename="areas.geojson"'
    assert [item["properties"]["name"] for item in response.json()["features"]] == ["西苑社区", "东苑社区"]
