"""Conformance with GeoReport v2 (/work/shared/data/open311/georeport-v2.md): every endpoint, both formats, errors."""

from __future__ import annotations

import datetime as dt
import io
import json
import xml.etree.ElementTree as ElementTree

import pytest
from django.test import Client
from PIL import Image

from zhili.cases.models import Case, CaseAttachment, CaseChannel
from zhili.cases.services.api_keys import api_key_issue
from zhili.cases.tests.factories import World, case_create
from zhili.core import clock

SERVICE_FIELDS = {"service_code", "service_name", "description", "metadata", "type", "keywords", "group"}
REQUEST_FIELDS = {"service_request_id", "status", "status_notes", "service_name", "service_code", "description",
                  "agency_responsible", "service_notice", "requested_datetime", "updated_datetime",
                  "expected_datetime", "address", "address_id", "zipcode", "lat", "long", "media_url"}


@pytest.fixture
def api_key(world: World) -> str:
    return api_key_issue(name="测试客户端").raw_key


def xml_of(response: object) -> ElementTree.Element:
    content = response.content  # type: ignore[attr-defined]
    assert content.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    return ElementTree.fromstring(content)  # noqa: S314 - our own server's output


def test_service_list_json_and_xml(client: Client, world: World) -> None:
    response = client.get("/open311/v2/services.json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    services = response.json()
    assert [service["service_code"] for service in services] == ["M001", "M002", "M003", "M004"]
    assert set(services[0]) == SERVICE_FIELDS
    assert services[0] == {"service_code": "M001", "service_name": "垃圾清运",
                           "description": "城乡建设：垃圾清运（责任部门：城管局）", "metadata": True, "type": "realtime",
                           "keywords": "垃圾, 清运, 垃圾桶, 堆放", "group": "城乡建设"}
    xml_response = client.get("/open311/v2/services.xml")
    assert xml_response["Content-Type"] == "text/xml; charset=utf-8"
    root = xml_of(xml_response)
    assert root.tag == "services"
    assert [element.findtext("service_code") for element in root.findall("service")] == ["M001", "M002", "M003", "M004"]
    assert root.findtext("service/metadata") == "true"


def test_service_definition_with_attributes(client: Client, world: World) -> None:
    data = client.get("/open311/v2/services/M004.json").json()
    assert data["service_code"] == "M004"
    hazard = data["attributes"][0]
    assert (hazard["code"], hazard["datatype"], hazard["required"], hazard["order"]) == (
        "hazard", "singlevaluelist", True, 1)
    assert hazard["values"] == [{"key": "yes", "name": "是"}, {"key": "no", "name": "否"}]
    assert client.get("/open311/v2/services/M001.json").json()["attributes"][0]["required"] is False
    root = xml_of(client.get("/open311/v2/services/M004.xml"))
    assert root.tag == "service_definition"
    assert root.findtext("attributes/attribute/code") == "hazard"
    assert [value.findtext("key") for value in root.findall("attributes/attribute/values/value")] == [
        "yes", "no", "consultation", "help", "complaint", "report", "suggestion", "praise"]


def test_unknown_service_code_is_404_in_the_error_format(client: Client, world: World) -> None:
    response = client.get("/open311/v2/services/NOPE.json")
    assert response.status_code == 404
    assert response.json() == [{"code": 404, "description": "service_code NOPE 不存在"}]
    xml_response = client.get("/open311/v2/services/NOPE.xml")
    assert xml_response.status_code == 404
    root = xml_of(xml_response)
    assert (root.tag, root.findtext("error/code")) == ("errors", "404")


def test_unsupported_format_is_400(client: Client, world: World) -> None:
    response = client.get("/open311/v2/services.csv")
    assert response.status_code == 400
    assert response.json()[0]["code"] == 400


def test_post_request_creates_a_case_and_returns_its_id(client: Client, world: World, api_key: str) -> None:
    response = client.post("/open311/v2/requests.json", {
        "api_key": api_key, "service_code": "M001", "lat": "31.725", "long": "119.925",
        "address_string": "青年路88号", "description": "垃圾桶满了", "first_name": "三", "last_name": "张",
        "phone": "13812345678", "media_url": "https://example.org/a.jpg", "attribute[hazard]": "no",
    })
    assert response.status_code == 201
    body = response.json()
    assert set(body[0]) == {"service_request_id", "service_notice", "account_id"}
    case = Case.objects.select_related("matter").get(number=body[0]["service_request_id"])
    assert case.matter is not None
    assert (case.channel, case.matter.code, case.status, case.grid_id) == ("open311", "M001", "dispatched",
                                                                           world.grid_a.pk)
    assert case.attributes == {"hazard": "no"}
    assert case.reporter_name_masked == "张*"
    assert case.media_url == "https://example.org/a.jpg"


def test_post_request_xml_response(client: Client, world: World, api_key: str) -> None:
    response = client.post("/open311/v2/requests.xml", {"api_key": api_key, "service_code": "M002",
                                                         "address_string": "青年路88号阳光花园3幢", "description": "路面破损"})
    assert response.status_code == 201
    root = xml_of(response)
    assert root.tag == "service_requests"
    assert Case.objects.filter(number=root.findtext("request/service_request_id")).exists()


@pytest.mark.parametrize(("fields", "status", "fragment"), [
    ({"service_code": "M001", "lat": "31.725", "long": "119.925"}, 403, "api_key"),
    ({"api_key": "wrong", "service_code": "M001", "lat": "31.725", "long": "119.925"}, 403, "api_key"),
    ({"service_code": "", "lat": "31.725", "long": "119.925"}, 400, "service_code"),
    ({"service_code": "NOPE", "lat": "31.725", "long": "119.925"}, 404, "service_code NOPE"),
    ({"service_code": "M001"}, 400, "缺少位置"),
    ({"service_code": "M001", "lat": "31.725"}, 400, "lat 与 long"),
    ({"service_code": "M001", "lat": "abc", "long": "119.9"}, 400, "数字"),
    ({"service_code": "M001", "lat": "39.9", "long": "116.4"}, 400, "不在本区"),
    ({"service_code": "M004", "lat": "31.725", "long": "119.925"}, 400, "attribute[hazard]"),
    ({"service_code": "M001", "lat": "31.725", "long": "119.925", "attribute[hazard]": "maybe"}, 400, "取值无效"),
    ({"service_code": "M001", "lat": "31.725", "long": "119.925", "attribute[other]": "x"}, 400, "attribute[other]"),
    ({"service_code": "M001", "lat": "31.725", "long": "119.925", "description": "长" * 5000}, 400, "超过"),
])
def test_post_errors_use_spec_status_codes(fields: dict[str, str], status: int, fragment: str, client: Client,
                                           world: World, api_key: str) -> None:
    if "api_key" not in fields:
        fields = {**fields, "api_key": api_key} if status != 403 else fields
    response = client.post("/open311/v2/requests.json", fields)
    assert response.status_code == status
    body = response.json()
    assert body[0]["code"] == status
    assert fragment in body[0]["description"]
    assert Case.objects.count() == 0


def _requests(world: World) -> tuple[Case, Case]:
    # a report the citizen published themselves (随手拍): Open311 shows its text, masked
    first = case_create(description="垃圾桶满了，垃圾堆放没人清运，电话13812345678", phone="13912345678", name="李四",
                        channel=CaseChannel.CITIZEN_APP)
    second = case_create(description="路面坑洼破损", point=(119.975, 31.725))
    return first, second


def test_get_requests_filters_and_hides_personal_data(client: Client, world: World) -> None:
    first, second = _requests(world)
    response = client.get("/open311/v2/requests.json")
    assert response.status_code == 200
    data = response.json()
    assert [item["service_request_id"] for item in data] == [second.number, first.number]
    assert set(data[0]) == REQUEST_FIELDS
    assert data[1]["status"] == "open"
    assert data[1]["description"] == "垃圾桶满了，垃圾堆放没人清运，电话138****5678"
    raw = response.content.decode()
    assert "13912345678" not in raw
    assert "李四" not in raw
    assert "139****5678" not in raw
    assert [item["service_request_id"] for item in client.get(
        f"/open311/v2/requests.json?service_request_id={first.number}").json()] == [first.number]
    assert [item["service_code"] for item in client.get("/open311/v2/requests.json?service_code=M002").json()] == [
        "M002"]
    assert client.get("/open311/v2/requests.json?status=closed").json() == []
    assert len(client.get("/open311/v2/requests.json?status=open").json()) == 2


def test_get_requests_date_window_and_paging(client: Client, world: World) -> None:
    first, second = _requests(world)
    now = clock.now()
    start = (now - dt.timedelta(hours=1)).astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    end = (now + dt.timedelta(hours=1)).astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert len(client.get(f"/open311/v2/requests.json?start_date={start}&end_date={end}").json()) == 2
    old = (now - dt.timedelta(days=30)).astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert client.get(f"/open311/v2/requests.json?end_date={old}").json() == []
    page_one = client.get("/open311/v2/requests.json?page=1&page_size=1").json()
    page_two = client.get("/open311/v2/requests.json?page=2&page_size=1").json()
    assert [page_one[0]["service_request_id"], page_two[0]["service_request_id"]] == [second.number, first.number]
    assert client.get("/open311/v2/requests.json?page=3&page_size=1").json() == []


@pytest.mark.parametrize("query", ["start_date=yesterday", "end_date=2026-01-01", "status=pending",
                                   "start_date=2026-01-01T00:00:00Z&end_date=2026-06-01T00:00:00Z",
                                   "page=0", "page_size=abc"])
def test_get_requests_bad_parameters_are_400(query: str, client: Client, world: World) -> None:
    response = client.get(f"/open311/v2/requests.json?{query}")
    assert response.status_code == 400
    assert response.json()[0]["code"] == 400


def test_get_single_request_xml_and_json_and_404(client: Client, world: World) -> None:
    first, _second = _requests(world)
    data = client.get(f"/open311/v2/requests/{first.number}.json").json()
    assert (len(data), data[0]["service_request_id"], data[0]["lat"], data[0]["long"]) == (
        1, first.number, 31.725, 119.925)
    root = xml_of(client.get(f"/open311/v2/requests/{first.number}.xml"))
    assert (root.tag, root.findtext("request/service_request_id"), root.findtext("request/status")) == (
        "service_requests", first.number, "open")
    missing = client.get("/open311/v2/requests/19990101000001.json")
    assert missing.status_code == 404
    assert missing.json()[0]["code"] == 404


def test_extensions_add_notes_and_extended_attributes(client: Client, world: World) -> None:
    first, _second = _requests(world)
    data = client.get(f"/open311/v2/requests/{first.number}.json?extensions=true").json()[0]
    assert data["extended_attributes"]["channel"] == "citizen_app"
    assert [note["type"] for note in data["notes"]] == ["create", "dispatch"]
    assert "notes" not in client.get(f"/open311/v2/requests/{first.number}.json").json()[0]


def test_token_lookup(client: Client, world: World) -> None:
    first, _second = _requests(world)
    data = client.get(f"/open311/v2/tokens/{first.tracking_code}.json").json()
    assert data == [{"service_request_id": first.number, "token": first.tracking_code}]
    root = xml_of(client.get(f"/open311/v2/tokens/{first.tracking_code}.xml"))
    assert root.findtext("request/service_request_id") == first.number
    assert client.get("/open311/v2/tokens/NOPE.json").status_code == 404


def test_post_with_media_photo_publishes_an_exif_free_copy(client: Client, world: World, api_key: str) -> None:
    image = Image.new("RGB", (32, 24), (200, 10, 10))
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", exif=exif)
    buffer.seek(0)
    buffer.name = "photo.jpg"
    response = client.post("/open311/v2/requests.json", {"api_key": api_key, "service_code": "M001",
                                                         "lat": "31.725", "long": "119.925", "media": buffer})
    assert response.status_code == 201
    number = response.json()[0]["service_request_id"]
    media_url = client.get(f"/open311/v2/requests/{number}.json").json()[0]["media_url"]
    assert media_url.startswith("http://testserver/cases/media/")
    public = client.get(media_url.replace("http://testserver", "")).getvalue()
    assert b"SecretCam" not in public
    assert Image.open(io.BytesIO(public)).size == (32, 24)
    attachment = CaseAttachment.objects.get(case__number=number)
    assert b"SecretCam" in attachment.private_file.read()


def test_idempotent_open311_post(client: Client, world: World, api_key: str) -> None:
    fields = {"api_key": api_key, "service_code": "M001", "lat": "31.725", "long": "119.925", "description": "垃圾"}
    first = client.post("/open311/v2/requests.json", fields, headers={"Idempotency-Key": "abc"})
    second = client.post("/open311/v2/requests.json", fields, headers={"Idempotency-Key": "abc"})
    assert (first.status_code, second.status_code) == (201, 201)
    assert json.loads(first.content) == json.loads(second.content)
    assert Case.objects.count() == 1
