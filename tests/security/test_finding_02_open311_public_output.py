"""Finding 2: anonymous Open311 GET published every case's text, exact position and address; masking
missed written forms of phones and names; 1,000 numbers in one request returned 1,000 cases of any
age; photo reports published the photo's own GPS position."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.test import Client
from PIL import Image

from tests.authorization.world import POINT_WEST, World
from zhili.cases.models import Case, CaseChannel
from zhili.cases.services.intake import IntakeRequest, case_intake
from zhili.core import clock

pytestmark = pytest.mark.django_db

FORMS = "电话138-1234-5678，另一个+8613912340000，座机0519-88886666，来电人张三反映"
RAW_VALUES = ("138-1234-5678", "13812345678", "13912340000", "88886666", "张三")


def _file(description: str, channel: str, *, address: str = "", confidential: bool = False,
          point: tuple[float, float] = (119.92345678, 31.72345678)) -> Case:
    return case_intake(request=IntakeRequest(
        channel=channel, description=description, address_text=address, longitude=point[0], latitude=point[1],
        reporter_name="王五", reporter_phone="13700001111", matter_code="M001", confidential=confidential,
    ), actor=None).case


def _published(number: str) -> dict[str, object]:
    response = Client().get(f"/open311/v2/requests/{number}.json")
    assert response.status_code == 200, response.content
    item: dict[str, object] = response.json()[0]
    return item


def test_a_hotline_case_publishes_category_and_a_masked_summary_only(world: World) -> None:
    case = _file(f"阳光花园3幢楼下垃圾堆放三天没人清运，{FORMS}", CaseChannel.HOTLINE,
                 address="青年路88号阳光花园3幢2单元")
    item = _published(case.number)
    raw = str(item)
    assert item["description"].startswith("城乡建设：")  # type: ignore[union-attr]
    assert len(str(item["description"])) <= len("城乡建设：") + 20
    assert "另一个" not in raw  # the full text is not published
    for value in RAW_VALUES:
        assert value not in raw
    assert item["address"] == "青年路阳光花园"
    assert (item["lat"], item["long"]) == (31.723, 119.923)
    assert item["address_id"] is None


def test_a_citizens_own_report_is_published_with_every_written_form_masked(world: World) -> None:
    case = _file(f"垃圾桶满了，{FORMS}", CaseChannel.CITIZEN_APP)
    item = _published(case.number)
    assert item["description"] == ("垃圾桶满了，电话138****5678，另一个139****0000，座机0519-******66，"
                                   "来电人张*反映")
    assert (item["lat"], item["long"]) == (31.72345678, 119.92345678)  # the point the citizen published


def test_a_confidential_case_publishes_its_category_alone(world: World) -> None:
    case = _file(f"举报：{FORMS}", CaseChannel.CITIZEN_APP, address="青年路88号", confidential=True)
    item = _published(case.number)
    assert item["description"] == "城乡建设"
    assert item["address"] is None
    assert item["status_notes"] is None
    assert (item["lat"], item["long"]) == (31.723, 119.923)


def test_a_long_list_of_request_numbers_is_refused(world: World) -> None:
    numbers = ",".join(f"{clock.now():%Y%m%d}{index:06d}" for index in range(1, 1001))
    response = Client().get(f"/open311/v2/requests.json?service_request_id={numbers}")
    assert response.status_code == 400
    assert "最多 50 个" in response.json()[0]["description"]
    fifty = ",".join([world.case_in.number, *(f"{clock.now():%Y%m%d}{index:06d}" for index in range(100, 149))])
    listed = Client().get(f"/open311/v2/requests.json?service_request_id={fifty}")
    assert [item["service_request_id"] for item in listed.json()] == [world.case_in.number]


def test_cases_older_than_the_public_window_are_not_published(world: World, settings: object) -> None:
    old = _file("路灯不亮", CaseChannel.CITIZEN_APP)
    Case.objects.filter(pk=old.pk).update(created_at=clock.now() - dt.timedelta(days=400))
    assert Client().get(f"/open311/v2/requests/{old.number}.json").status_code == 404
    listed = Client().get(f"/open311/v2/requests.json?service_request_id={old.number},{world.case_in.number}")
    assert [item["service_request_id"] for item in listed.json()] == [world.case_in.number]


def test_imported_history_is_never_published(world: World) -> None:
    imported = _file("历史工单：门口垃圾", CaseChannel.IMPORT)
    assert Client().get(f"/open311/v2/requests/{imported.number}.json").status_code == 404


def _photo_with_gps(latitude: float, longitude: float) -> io.BytesIO:
    def dms(value: float) -> tuple[float, float, float]:
        degrees = int(value)
        minutes = int((value - degrees) * 60)
        return (float(degrees), float(minutes), round(((value - degrees) * 60 - minutes) * 60, 4))

    image = Image.new("RGB", (40, 30), (180, 40, 40))
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: dms(latitude), 3: "E", 4: dms(longitude)}
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", exif=exif)
    buffer.seek(0)
    buffer.name = "gps.jpg"
    return buffer


def test_a_photos_own_gps_position_is_never_published(world: World) -> None:
    client = Client()
    form = client.get("/cases/report/")
    token = form.context["form_token"]
    latitude, longitude = POINT_WEST[1] + 0.00123, POINT_WEST[0] + 0.00456
    response = client.post("/cases/report/", {"description": "门口垃圾没人清运", "form_token": token,
                                              "photos": _photo_with_gps(latitude, longitude)})
    assert response.status_code == 200, response.content.decode()[:500]
    case = Case.objects.get(channel=CaseChannel.CITIZEN_APP, description="门口垃圾没人清运")
    assert case.location_source == "photo"
    assert abs(case.latitude - latitude) < 1e-4  # the platform places the case by the photo …
    item = _published(case.number)
    grid = world.grid_west
    # … but publishes the grid's centre, never the photo's own position
    assert (item["lat"], item["long"]) == (round(grid.centroid_latitude, 3), round(grid.centroid_longitude, 3))
