"""Boundary files as they come: DataV GeoJSON, projected Shapefiles, lookups at the finest level present.

The files are written here for the purpose (small squares near 120°E 31.8°N); no one's data is copied.
"""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

import pytest
import shapefile
from pyproj import CRS, Transformer
from pyproj.enums import WktVersion

from zhili.core.errors import ApplicationError
from zhili.geo.coordinates import gcj02_to_wgs84, wgs84_to_gcj02
from zhili.geo.geometry import geometry_from_wkb
from zhili.geo.models import Area
from zhili.geo.selectors import grid_for_point, grids_for_points
from zhili.geo.services import grid_import_geojson, grid_import_shapefile_zip
from zhili.geo.tests.factories import square

pytestmark = pytest.mark.django_db


def datav_feature(*, adcode: int, name: str, level: str, parent: int | None, polygons: list[Any]) -> dict[str, Any]:
    """A feature the way Amap DataV writes it (GCJ-02 coordinates)."""
    geometry = {"type": "MultiPolygon", "coordinates": [[[list(wgs84_to_gcj02(*point)) for point in ring]
                                                          for ring in polygon] for polygon in polygons]}
    properties: dict[str, Any] = {"adcode": adcode, "name": name, "level": level, "center": [120.0, 31.8],
                                  "centroid": [120.0, 31.8], "childrenNum": 2, "subFeatureIndex": 0,
                                  "acroutes": [100000, 320000]}
    if parent is not None:
        properties["parent"] = {"adcode": parent}
    return {"type": "Feature", "properties": properties, "geometry": geometry}


def datav_city() -> bytes:
    """A city file: the city itself, two districts (one split in two by a river), two streets of the first."""
    features = [
        datav_feature(adcode=320400, name="样例市", level="city", parent=320000, polygons=[square(119.9, 31.7, 0.3)]),
        datav_feature(adcode=320402, name="甲区", level="district", parent=320400,
                      polygons=[square(119.9, 31.7, 0.1)]),
        # 乙区 lies on both banks of a river: two parts with 0.01° of water between them
        datav_feature(adcode=320404, name="乙区", level="district", parent=320400,
                      polygons=[square(120.0, 31.7, 0.05), square(120.06, 31.7, 0.04)]),
        datav_feature(adcode=320402001, name="甲一街道", level="street", parent=320402,
                      polygons=[square(119.9, 31.7, 0.05)]),
        datav_feature(adcode=320402002, name="甲二街道", level="street", parent=320402,
                      polygons=[square(119.95, 31.7, 0.05)]),
    ]
    return json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False).encode()


def test_a_datav_file_imports_as_given() -> None:
    report = grid_import_geojson(data=datav_city())
    assert (report.source_format, report.coordinate_system, report.created) == ("datav", "gcj02", 4)
    assert [(item.feature, item.field) for item in report.skipped] == [("样例市(320400)", "level")]
    assert dict(Area.objects.values_list("code", "path")) == {
        "320402": "/320402/", "320404": "/320404/", "320402001": "/320402/320402001/",
        "320402002": "/320402/320402002/"}
    assert set(Area.objects.values_list("code", "level")) == {
        ("320402", "district"), ("320404", "district"), ("320402001", "street"), ("320402002", "street")}
    # stored in WGS-84: the south-west corner comes back where it was drawn, to 1e-6°
    west, south, _east, _north = geometry_from_wkb(Area.objects.get(code="320402001").geometry_wkb).bounds
    assert (round(west, 6), round(south, 6)) == (119.9, 31.7)


def test_lookup_answers_at_the_finest_level_present_and_says_which() -> None:
    grid_import_geojson(data=datav_city())
    street = grid_for_point(longitude=119.92, latitude=31.72)
    assert street is not None
    assert (street.grid_code, street.level, street.street_name) == ("320402001", "street", "甲一街道")
    # 乙区 has no streets: the district answers, on both banks of its river and not in the river
    for longitude in (120.02, 120.08):
        district = grid_for_point(longitude=longitude, latitude=31.72)
        assert district is not None
        assert (district.grid_code, district.level) == ("320404", "district")
    assert grid_for_point(longitude=120.055, latitude=31.72) is None
    # a GCJ-02 point (what a map app gives) is answered the same way
    gcj_longitude, gcj_latitude = wgs84_to_gcj02(119.97, 31.72)
    from_map = grid_for_point(longitude=gcj_longitude, latitude=gcj_latitude, coordinate_system="gcj02")
    assert from_map is not None
    assert (from_map.grid_code, from_map.level) == ("320402002", "street")
    batch = grids_for_points([119.92, 120.08, 121.5], [31.72, 31.72, 31.72])
    assert [(item.grid_code, item.level) if item else None for item in batch] == [
        ("320402001", "street"), ("320404", "district"), None]


def test_a_datav_point_lookup_matches_the_source_within_a_metre_near_a_boundary() -> None:
    grid_import_geojson(data=datav_city())
    # 2 m inside either side of the border between the two streets (0.00002° ≈ 2 m at this latitude)
    west_side = grid_for_point(longitude=119.95 - 0.00002, latitude=31.72)
    east_side = grid_for_point(longitude=119.95 + 0.00002, latitude=31.72)
    assert (west_side.grid_code if west_side else None, east_side.grid_code if east_side else None) == (
        "320402001", "320402002")
    assert gcj02_to_wgs84(*wgs84_to_gcj02(119.95, 31.72)) == pytest.approx((119.95, 31.72), abs=1e-9)


def projected_shapefile(epsg: int, *, prj_text: str | None = None) -> tuple[bytes, Transformer]:
    """A district, a street and a community as a Shapefile in a projected CRS (coordinates in metres)."""
    crs = CRS.from_epsg(epsg)
    to_projected = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    shp, shx, dbf = io.BytesIO(), io.BytesIO(), io.BytesIO()
    writer = shapefile.Writer(shp=shp, shx=shx, dbf=dbf, shapeType=shapefile.POLYGON, encoding="utf-8")
    for name, size in (("name", 40), ("code", 20), ("level", 12), ("parent_cod", 20)):
        writer.field(name, "C", size=size)
    for name, code, level, parent, ring in (
            ("投影区", "P1", "district", "", square(119.96, 31.78, 0.04)[0]),
            ("投影街道", "P1S1", "street", "P1", square(119.96, 31.78, 0.02)[0]),
            ("投影社区", "P1S1C1", "community", "P1S1", square(119.96, 31.78, 0.01)[0])):
        # a Shapefile's outer ring runs clockwise
        writer.poly([[list(to_projected.transform(longitude, latitude)) for longitude, latitude in reversed(ring)]])
        writer.record(name, code, level, parent)
    writer.close()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("land/parcels.shp", shp.getvalue())
        archive.writestr("land/parcels.shx", shx.getvalue())
        archive.writestr("land/parcels.dbf", dbf.getvalue())
        archive.writestr("land/parcels.prj", prj_text if prj_text is not None else crs.to_wkt(WktVersion.WKT1_ESRI))
    return buffer.getvalue(), to_projected


@pytest.mark.parametrize("epsg", [4549, 4528])  # CGCS2000 3° Gauss-Krüger CM 120E, and zone 40 (false easting 40 500 km)
def test_a_cgcs2000_gauss_kruger_shapefile_is_reprojected_to_wgs84(epsg: int) -> None:
    data, _to_projected = projected_shapefile(epsg)
    report = grid_import_shapefile_zip(data=data)
    assert report.created == 3
    assert report.source_crs is not None
    assert report.source_crs["epsg"] == epsg
    assert report.source_crs["note"] == "CGCS2000/WGS-84 基准：两者相差厘米级，按相同处理，误差 < 0.1 米。"
    west, south, east, north = geometry_from_wkb(Area.objects.get(code="P1").geometry_wkb).bounds
    assert (west, south, east, north) == pytest.approx((119.96, 31.78, 120.0, 31.82), abs=1e-7)  # ≈ 1 cm
    community = grid_for_point(longitude=119.965, latitude=31.785)
    assert community is not None
    assert (community.grid_code, community.level, community.street_name) == ("P1S1C1", "community", "投影街道")


def test_beijing_54_and_xian_80_are_reprojected_with_their_stated_accuracy() -> None:
    data, _transformer = projected_shapefile(2437)  # Beijing 1954 / 3-degree Gauss-Kruger CM 120E
    report = grid_import_shapefile_zip(data=data)
    assert report.source_crs is not None
    accuracy = report.source_crs["accuracy_meters"]
    assert accuracy is not None
    assert 0 < accuracy <= 20
    assert report.source_crs["note"] == f"按 EPSG 公布的基准转换参数转换到 WGS-84，标称精度约 {accuracy} 米。"
    for area in Area.objects.order_by("-path"):
        area.delete()
    data, _transformer = projected_shapefile(2385)  # Xian 1980 / 3-degree Gauss-Kruger CM 120E
    report = grid_import_shapefile_zip(data=data)
    assert report.source_crs is not None
    assert report.source_crs["accuracy_meters"] is None
    assert "没有可用的公开转换参数" in report.source_crs["note"]
    assert Area.objects.count() == 3


def test_a_prj_pyproj_cannot_read_is_refused_and_nothing_is_written() -> None:
    data, _transformer = projected_shapefile(4549, prj_text='PROJCS["某地方坐标系",GEOGCS["未知"],PROJECTION["?"]]')
    with pytest.raises(ApplicationError) as refused:
        grid_import_shapefile_zip(data=data)
    assert refused.value.code == "geo_import_rejected"
    assert refused.value.details["errors"][0]["field"] == ".prj"
    assert "无法识别 .prj 中的坐标系" in refused.value.message
    assert Area.objects.count() == 0
