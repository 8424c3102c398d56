import io
import json
import zipfile
from pathlib import Path

import pytest
import shapefile
import shapely
from django.core.management import call_command
from django.core.management.base import CommandError

from zhili.audit.models import AuditRecord
from zhili.core.errors import ApplicationError
from zhili.geo.coordinates import wgs84_to_gcj02
from zhili.geo.geometry import geometry_from_wkb
from zhili.geo.models import Area, GeoDataVersion
from zhili.geo.services import areas_export_geojson, grid_import_geojson, grid_import_shapefile_zip
from zhili.geo.tests.factories import collection, feature, square, valid_hierarchy_features

pytestmark = pytest.mark.django_db


def assert_nothing_written() -> None:
    assert Area.objects.count() == 0
    assert AuditRecord.objects.count() == 0
    assert GeoDataVersion.objects.count() == 0


def rejection(data: bytes) -> ApplicationError:
    with pytest.raises(ApplicationError) as error:
        grid_import_geojson(data=data)
    assert error.value.code == "geo_import_rejected"
    assert_nothing_written()
    return error.value


def test_a_valid_hierarchy_is_imported_with_paths_and_an_audit_record() -> None:
    report = grid_import_geojson(data=collection(*valid_hierarchy_features()), actor_id=None)
    assert (report.feature_count, report.created, report.updated) == (5, 5, 0)
    assert report.repaired == []
    assert report.overlaps == []
    # The community covers only the southern half of the street: one gap of 0.02° × 0.01°.
    assert len(report.gaps) == 1
    assert report.gaps[0]["parent_code"] == "D9S"
    assert report.gaps[0]["pieces"] == 1
    assert report.gaps[0]["area_square_meters"] == pytest.approx(0.02 * 0.01 * 111_320 * 0.8500 * 110_574, rel=2e-3)
    grid = Area.objects.get(code="D9G2")
    assert grid.path == "/D9/D9S/D9SC/D9G2/"
    assert grid.parent is not None
    assert grid.parent.code == "D9SC"
    assert (grid.min_longitude, grid.max_latitude) == (120.01, 31.81)
    record = AuditRecord.objects.get()
    assert record.action == "geo.areas_import"
    assert record.data["created"] == 5
    assert GeoDataVersion.objects.get().counter == 1


def test_overlapping_siblings_are_reported_with_their_area() -> None:
    features = valid_hierarchy_features()
    # Widen the west grid 0.001° into the east grid.
    features[3]["geometry"]["coordinates"] = square(120.0, 31.8, 0.01)
    features[3]["geometry"]["coordinates"][0][1][0] = 120.011
    features[3]["geometry"]["coordinates"][0][2][0] = 120.011
    report = grid_import_geojson(data=collection(*features))
    assert [overlap["codes"] for overlap in report.overlaps] == [["D9G1", "D9G2"]]
    assert report.overlaps[0]["area_square_meters"] == pytest.approx(0.001 * 0.01 * 111_320 * 0.85 * 110_574, rel=5e-3)


def test_gcj02_coordinates_are_stored_as_wgs84() -> None:
    features = valid_hierarchy_features()
    for item in features:
        item["geometry"]["coordinates"] = [[list(wgs84_to_gcj02(*position)) for position in ring]
                                           for ring in item["geometry"]["coordinates"]]
    grid_import_geojson(data=collection(*features), coordinate_system="gcj02")
    grid = Area.objects.get(code="D9G1")
    assert grid.min_longitude == pytest.approx(120.0, abs=1e-8)
    assert grid.max_latitude == pytest.approx(31.81, abs=1e-8)


def test_reimporting_updates_existing_areas_and_moves_subtrees() -> None:
    grid_import_geojson(data=collection(*valid_hierarchy_features()))
    second_street = feature(name="另一街道", code="D9T", level="street", parent_code="D9",
                            coordinates=square(120.0, 31.8, 0.02))
    moved_community = feature(name="导入社区", code="D9SC", level="community", parent_code="D9T",
                              coordinates=square(120.0, 31.8, 0.01))
    report = grid_import_geojson(data=collection(second_street, moved_community))
    assert (report.created, report.updated) == (1, 1)
    assert Area.objects.get(code="D9G1").path == "/D9/D9T/D9SC/D9G1/"


def test_export_gives_back_what_was_imported() -> None:
    grid_import_geojson(data=collection(*valid_hierarchy_features()))
    exported = areas_export_geojson(levels=["grid"])
    assert [item["properties"]["code"] for item in exported["features"]] == ["D9G1", "D9G2"]
    assert exported["features"][0]["properties"]["parent_code"] == "D9SC"
    assert exported["features"][0]["geometry"]["type"] == "Polygon"
    again = grid_import_geojson(data=json.dumps(exported).encode())
    assert (again.created, again.updated) == (0, 2)


def test_malformed_json_is_rejected_with_its_position() -> None:
    error = rejection(b'{"type": "FeatureCollection", "features": [')
    assert error.details["errors"][0]["field"] == "json"
    assert "第 1 行" in error.message


def test_a_document_that_is_not_a_feature_collection_is_rejected() -> None:
    error = rejection(b'{"type": "Polygon", "coordinates": []}')
    assert error.details["errors"][0]["field"] == "type"


def test_a_self_intersecting_polygon_is_rejected_naming_the_feature() -> None:
    features = valid_hierarchy_features()
    features[4]["geometry"]["coordinates"] = [[[120.01, 31.8], [120.02, 31.81], [120.02, 31.8], [120.01, 31.81],
                                               [120.01, 31.8]]]
    error = rejection(collection(*features))
    assert len(error.details["errors"]) == 1
    problem = error.details["errors"][0]
    assert problem["feature"] == "第5个要素“东网格”(D9G2)"
    assert problem["field"] == "geometry"
    assert "自相交" in problem["reason"]
    assert "东网格" in error.message


def test_a_zero_width_spike_is_repaired_and_reported() -> None:
    features = valid_hierarchy_features()
    features[3]["geometry"]["coordinates"] = [[[120.0, 31.8], [120.01, 31.8], [120.01, 31.805], [120.012, 31.805],
                                               [120.01, 31.805], [120.01, 31.81], [120.0, 31.81], [120.0, 31.8]]]
    report = grid_import_geojson(data=collection(*features))
    assert [(item.feature, item.field) for item in report.repaired] == [("第4个要素“西网格”(D9G1)", "geometry")]
    stored = geometry_from_wkb(Area.objects.get(code="D9G1").geometry_wkb)
    assert stored.is_valid
    assert stored.equals(shapely.box(120.0, 31.8, 120.01, 31.81))


def test_an_unknown_parent_code_is_rejected() -> None:
    orphan = feature(name="孤儿网格", code="X1", level="grid", parent_code="NOPE", coordinates=square(120.0, 31.8, 0.01))
    error = rejection(collection(orphan))
    assert error.details["errors"] == [{"feature": "第1个要素“孤儿网格”(X1)", "field": "parent_code",
                                        "reason": "上级代码“NOPE”既不在文件中也不在系统中（未知上级）"}]


def test_nan_coordinates_are_rejected() -> None:
    features = valid_hierarchy_features()
    text = collection(*features).decode().replace("31.81]", "NaN]", 1)
    error = rejection(text.encode())
    assert error.details["errors"][0]["field"] == "geometry"
    assert "NaN" in error.details["errors"][0]["reason"]


def test_coordinates_outside_china_are_rejected() -> None:
    features = valid_hierarchy_features()
    # Latitude and longitude swapped: a classic mistake.
    features[4]["geometry"]["coordinates"] = [[[31.8, 120.01], [31.8, 120.02], [31.81, 120.02], [31.8, 120.01]]]
    error = rejection(collection(*features))
    assert error.details["errors"][0]["feature"] == "第5个要素“东网格”(D9G2)"
    assert "不在中国境内" in error.details["errors"][0]["reason"]


def test_missing_fields_and_bad_levels_are_all_listed_at_once() -> None:
    nameless = feature(name="", code="Y1", level="grid", parent_code="D9SC", coordinates=square(120.0, 31.8, 0.01))
    bad_level = feature(name="怪层级", code="Y2", level="planet", parent_code=None, coordinates=square(120.0, 31.8, 0.01))
    no_geometry = {"type": "Feature", "properties": {"name": "无边界", "code": "Y3", "level": "district"},
                   "geometry": None}
    error = rejection(collection(nameless, bad_level, no_geometry))
    fields = [(problem["feature"], problem["field"]) for problem in error.details["errors"]]
    assert fields == [("第1个要素“Y1”(Y1)", "name"), ("第2个要素“怪层级”(Y2)", "level"),
                      ("第3个要素“无边界”(Y3)", "geometry")]
    assert "共 3 处问题" not in error.message


def shapefile_zip(*, encoding: str = "utf-8", with_dbf: bool = True, cpg: str | None = None) -> bytes:
    shp, shx, dbf = io.BytesIO(), io.BytesIO(), io.BytesIO()
    writer = shapefile.Writer(shp=shp, shx=shx, dbf=dbf, shapeType=shapefile.POLYGON, encoding=encoding)
    for name, size in (("name", 40), ("code", 20), ("level", 12), ("parent_cod", 20)):
        writer.field(name, "C", size=size)
    for item in valid_hierarchy_features():
        properties = item["properties"]
        writer.poly(item["geometry"]["coordinates"])
        writer.record(properties["name"], properties["code"], properties["level"], properties["parent_code"] or "")
    writer.close()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("grids/grids.shp", shp.getvalue())
        archive.writestr("grids/grids.shx", shx.getvalue())
        if with_dbf:
            archive.writestr("grids/grids.dbf", dbf.getvalue())
        archive.writestr("grids/grids.prj", 'GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984"]]')
        if cpg is not None:
            archive.writestr("grids/grids.cpg", cpg)
    return buffer.getvalue()


@pytest.mark.parametrize("cpg", [None, "UTF-8"])
def test_a_zipped_utf8_shapefile_is_imported(cpg: str | None) -> None:
    report = grid_import_shapefile_zip(data=shapefile_zip(cpg=cpg))
    assert report.created == 5
    assert Area.objects.get(code="D9G1").name == "西网格"


@pytest.mark.parametrize("cpg", [None, "GBK", "936"])
def test_a_gbk_attribute_table_is_decoded(cpg: str | None) -> None:
    grid_import_shapefile_zip(data=shapefile_zip(encoding="gbk", cpg=cpg))
    assert sorted(Area.objects.values_list("name", flat=True)) == sorted(
        ["导入区", "导入街道", "导入社区", "西网格", "东网格"])


def test_a_shapefile_zip_without_dbf_is_rejected() -> None:
    with pytest.raises(ApplicationError) as error:
        grid_import_shapefile_zip(data=shapefile_zip(with_dbf=False))
    assert error.value.details["errors"][0]["field"] == ".dbf"
    assert ".dbf" in error.value.message
    assert_nothing_written()


def test_a_file_that_is_not_a_zip_is_rejected() -> None:
    with pytest.raises(ApplicationError) as error:
        grid_import_shapefile_zip(data=b"not a zip")
    assert error.value.details["errors"][0]["field"] == "zip"
    assert_nothing_written()


def test_the_management_command_imports_and_reports(tmp_path: Path) -> None:
    source = tmp_path / "grids.geojson"
    source.write_bytes(collection(*valid_hierarchy_features()))
    output = io.StringIO()
    call_command("geo_import", str(source), "--crs", "wgs84", stdout=output)
    assert "导入完成：5 个要素，新建 5，更新 0。" in output.getvalue()
    assert "写入 5/5 (100%)" in output.getvalue()
    assert Area.objects.count() == 5


def test_the_management_command_fails_cleanly_on_bad_input(tmp_path: Path) -> None:
    source = tmp_path / "broken.geojson"
    source.write_bytes(b"{")
    with pytest.raises(CommandError, match="没有写入任何数据"):
        call_command("geo_import", str(source), stdout=io.StringIO(), stderr=io.StringIO())
    assert_nothing_written()
