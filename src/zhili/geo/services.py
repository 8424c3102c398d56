"""Writes of the geo app: importing areas/grids from GeoJSON or a zipped Shapefile, exporting them.

An import is all-or-nothing: every feature is checked first (structure, numbers, China bounds,
level and parent), geometry is converted to WGS-84 and repaired when that is safe; if anything is
wrong nothing is written and one :class:`ApplicationError` lists every problem with the feature's
name, the field and the reason. Otherwise all features are written in one transaction, the geo
data version moves (spatial index and address matcher rebuild) and one audit record is appended.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import shapely
from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Concat, Substr
from django.utils.translation import gettext as _
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from zhili.audit.services import audit_record_append
from zhili.core.errors import ApplicationError
from zhili.geo.coordinates import coordinate_system_checked, out_of_china, to_wgs84_arrays
from zhili.geo.data_version import geo_data_version_bump
from zhili.geo.files import GeoFile, ImportProblem, geo_file_read, import_rejection
from zhili.geo.geometry import area_geometry_fields, geometry_from_wkb, polygonal_part
from zhili.geo.models import (
    ADMINISTRATIVE_LEVELS,
    PARENT_LEVEL,
    Area,
    AreaLevel,
    Department,
    Matter,
    MatterCategory,
)

ImportProgress = Callable[[str, int, int], None]

_CODE_PATTERN = re.compile(r"^[0-9A-Za-z_\-]{1,32}$")
_NAME_KEYS = ("name", "名称", "NAME", "Name", "mc", "MC")
_CODE_KEYS = ("code", "代码", "编码", "CODE", "Code", "dm", "DM")
_LEVEL_KEYS = ("level", "层级", "级别", "LEVEL", "Level")
_PARENT_KEYS = ("parent_code", "parent", "上级代码", "PARENT_COD", "parent_cod", "PARENT", "PARENT_CODE")
_LEVEL_ALIASES: dict[str, str] = {
    **{level.value: level.value for level in AreaLevel},
    **{str(level.label): level.value for level in AreaLevel},
    "区": AreaLevel.DISTRICT, "区县": AreaLevel.DISTRICT, "街道": AreaLevel.STREET, "镇": AreaLevel.STREET,
    "社区": AreaLevel.COMMUNITY, "村": AreaLevel.COMMUNITY, "网格": AreaLevel.GRID, "开发区": AreaLevel.ZONE,
    "园区": AreaLevel.PARK, "town": AreaLevel.STREET, "village": AreaLevel.COMMUNITY,
}
_LEVEL_ORDER: dict[str, int] = {AreaLevel.DISTRICT: 0, AreaLevel.STREET: 1, AreaLevel.COMMUNITY: 2, AreaLevel.GRID: 3,
                AreaLevel.ZONE: 1, AreaLevel.PARK: 2}
# A repair is "safe" when the repaired area stays within this share of the drawn area.
_SAFE_REPAIR_AREA_CHANGE = 0.01
# Gaps/overlaps smaller than this are floating-point noise of shared borders, not real problems.
_REPORTED_MINIMUM_SQUARE_METERS = 1.0
AUTO_COORDINATE_SYSTEM = "auto"


@dataclass
class GridImportReport:
    """What an import did. Areas are in square metres (local equirectangular projection)."""

    feature_count: int = 0
    created: int = 0
    updated: int = 0
    coordinate_system: str = "wgs84"
    source_format: str = "geojson"  # "geojson", "datav" or "shapefile"
    source_crs: dict[str, Any] | None = None  # a .prj's coordinate system and how it was brought to WGS-84
    repaired: list[ImportProblem] = field(default_factory=list)
    skipped: list[ImportProblem] = field(default_factory=list)  # features left out on purpose (DataV provinces)
    gaps: list[dict[str, Any]] = field(default_factory=list)  # {"parent_code", "area_square_meters", "pieces"}
    overlaps: list[dict[str, Any]] = field(default_factory=list)  # {"codes": [a, b], "area_square_meters"}

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class _CheckedFeature:
    label: str
    code: str
    name: str
    level: str
    parent_code: str | None
    geometry: BaseGeometry
    population: int | None = None
    households: int | None = None


class _ImportRejectedError(Exception):
    def __init__(self, problems: list[ImportProblem]) -> None:
        super().__init__(problems)
        self.problems = problems


# ---------------------------------------------------------------------------------------------
# Checking features


def _first_property(properties: dict[str, Any], keys: Iterable[str]) -> Any:
    for key in keys:
        value = properties.get(key)
        if value is not None and str(value).strip() != "":
            return value
    return None


def _clean_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _optional_count(value: Any) -> int | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return int(number) if math.isfinite(number) and number >= 0 else None


def _positions_problem(coordinates: Any, geometry_type: str) -> str | None:
    """Why the nested coordinate arrays are not a valid (Multi)Polygon; None when they are."""
    polygons = coordinates if geometry_type == "MultiPolygon" else [coordinates]
    if not isinstance(polygons, list) or not polygons:
        return _("coordinates 为空或不是数组")
    for polygon in polygons:
        if not isinstance(polygon, list) or not polygon:
            return _("多边形没有环（coordinates 结构不对）")
        for ring in polygon:
            if not isinstance(ring, list) or len(ring) < 4:
                return _("多边形的环至少要有 4 个坐标点（首尾相同）")
            for position in ring:
                if (not isinstance(position, list | tuple) or len(position) < 2
                        or not all(isinstance(value, int | float) and not isinstance(value, bool)
                                   for value in position[:2])):
                    return _("坐标点必须是 [经度, 纬度] 数字对（发现 %(position)s）") % {"position": str(position)[:40]}
                longitude, latitude = float(position[0]), float(position[1])
                if not (math.isfinite(longitude) and math.isfinite(latitude)):
                    return _("坐标含 NaN 或无穷大（%(position)s）") % {"position": str(position)[:40]}
                if out_of_china(longitude, latitude):
                    return _("坐标 [%(longitude)s, %(latitude)s] 不在中国境内，请检查经纬度是否写反或坐标系是否为经纬度") % {
                        "longitude": longitude, "latitude": latitude}
    return None


def _converted(geometry: BaseGeometry, coordinate_system: str) -> BaseGeometry:
    def convert(coordinates: Any) -> Any:
        longitudes, latitudes = to_wgs84_arrays(coordinates[:, 0], coordinates[:, 1], coordinate_system)
        return np.column_stack([longitudes, latitudes])

    return shapely.transform(geometry, convert)


def _repaired_or_problem(geometry: BaseGeometry) -> tuple[BaseGeometry | None, str | None, str | None]:
    """(geometry to store, repair note, rejection reason)."""
    if geometry.is_valid:
        if geometry.area <= 0:
            return None, None, _("多边形面积为零")
        return geometry, None, None
    explanation = shapely.is_valid_reason(geometry)
    repaired = polygonal_part(shapely.make_valid(geometry))
    drawn_area = abs(geometry.area)
    if repaired is None or repaired.area <= 0 or drawn_area <= 0:
        return None, None, _("多边形自相交（%(explanation)s），修复后不剩任何面，无法安全自动修复；请在 GIS 软件中修正边界。") % {
            "explanation": explanation}
    change = abs(repaired.area - drawn_area) / max(drawn_area, repaired.area)
    if change > _SAFE_REPAIR_AREA_CHANGE:
        return None, None, _("多边形自相交（%(explanation)s），自动修复会使面积改变 %(change).0f%%，不安全；请在 GIS 软件中修正边界。") % {
            "explanation": explanation, "change": change * 100}
    return repaired, _("几何无效（%(explanation)s），已自动修复，面积变化 %(change).3f%%") % {
        "explanation": explanation, "change": change * 100}, None


def _checked_features(raw_features: Sequence[tuple[dict[str, Any], Any]], coordinate_system: str,
                      report: GridImportReport, progress: ImportProgress | None) -> list[_CheckedFeature]:
    problems: list[ImportProblem] = []
    checked: list[_CheckedFeature] = []
    codes_seen: dict[str, str] = {}
    total = len(raw_features)
    for number, (properties, geometry_json) in enumerate(raw_features, start=1):
        name = _clean_text(_first_property(properties, _NAME_KEYS))
        code = _clean_text(_first_property(properties, _CODE_KEYS))
        label = _("第%(number)d个要素“%(name)s”") % {"number": number, "name": name or code or "?"}
        if code:
            label = f"{label}({code})"
        feature_problems: list[ImportProblem] = []
        if not name:
            feature_problems.append(ImportProblem(label, "name", _("缺少名称")))
        if not code:
            feature_problems.append(ImportProblem(label, "code", _("缺少代码")))
        elif not _CODE_PATTERN.match(code):
            feature_problems.append(ImportProblem(label, "code", _("代码只能由字母、数字、-、_ 组成，最长 32 位")))
        elif code in codes_seen:
            feature_problems.append(ImportProblem(label, "code", _("代码与 %(other)s 重复") % {"other": codes_seen[code]}))
        else:
            codes_seen[code] = label
        raw_level = _clean_text(_first_property(properties, _LEVEL_KEYS))
        level = _LEVEL_ALIASES.get(raw_level, _LEVEL_ALIASES.get(raw_level.lower(), ""))
        if not level:
            feature_problems.append(ImportProblem(label, "level", _("层级“%(level)s”无效，应为 district/street/community/grid/zone/park（或 区/街道/社区/网格/开发区/园区）")
                                                  % {"level": raw_level}))
        parent_code = _clean_text(_first_property(properties, _PARENT_KEYS)) or None
        geometry: BaseGeometry | None = None
        if not isinstance(geometry_json, dict):
            feature_problems.append(ImportProblem(label, "geometry", _("缺少几何（geometry 为空）")))
        elif geometry_json.get("type") not in ("Polygon", "MultiPolygon"):
            feature_problems.append(ImportProblem(label, "geometry", _("几何类型必须是 Polygon 或 MultiPolygon（收到 %(type)s）")
                                                  % {"type": str(geometry_json.get("type"))[:30]}))
        else:
            reason = _positions_problem(geometry_json.get("coordinates"), str(geometry_json["type"]))
            if reason is not None:
                feature_problems.append(ImportProblem(label, "geometry", reason))
            else:
                try:
                    drawn = _converted(shape(geometry_json), coordinate_system)
                except (ValueError, TypeError, shapely.errors.ShapelyError) as error:
                    feature_problems.append(ImportProblem(label, "geometry", _("几何无法解析：%(reason)s") % {"reason": error}))
                else:
                    geometry, repair_note, rejection = _repaired_or_problem(drawn)
                    if rejection is not None:
                        feature_problems.append(ImportProblem(label, "geometry", rejection))
                    elif repair_note is not None:
                        report.repaired.append(ImportProblem(label, "geometry", repair_note))
        problems.extend(feature_problems)
        if not feature_problems and geometry is not None:
            checked.append(_CheckedFeature(
                label, code, name, level, parent_code, geometry,
                population=_optional_count(properties.get("population", properties.get("人口"))),
                households=_optional_count(properties.get("households", properties.get("户数"))),
            ))
        if progress is not None:
            progress("check", number, total)
    problems.extend(_hierarchy_problems(checked))
    if problems:
        raise _ImportRejectedError(problems)
    return checked


def _hierarchy_problems(features: Sequence[_CheckedFeature]) -> list[ImportProblem]:
    levels_in_file = {feature.code: feature.level for feature in features}
    parent_codes = {feature.parent_code for feature in features if feature.parent_code}
    levels_in_database = dict(Area.objects.filter(code__in=parent_codes).values_list("code", "level"))
    problems = []
    for feature in features:
        expected_parent_level = PARENT_LEVEL[feature.level]
        if expected_parent_level is None:
            if feature.parent_code:
                problems.append(ImportProblem(feature.label, "parent_code", _("区县是最高层级，不应有上级代码")))
            continue
        if not feature.parent_code:
            problems.append(ImportProblem(feature.label, "parent_code", _("缺少上级代码")))
            continue
        parent_level = levels_in_file.get(feature.parent_code) or levels_in_database.get(feature.parent_code)
        if parent_level is None:
            problems.append(ImportProblem(feature.label, "parent_code", _("上级代码“%(code)s”既不在文件中也不在系统中（未知上级）")
                                          % {"code": feature.parent_code}))
        elif parent_level != expected_parent_level:
            problems.append(ImportProblem(feature.label, "parent_code", _("上级“%(code)s”的层级是 %(parent)s，%(level)s 的上级应为 %(expected)s")
                                          % {"code": feature.parent_code, "parent": parent_level, "level": feature.level,
                                             "expected": expected_parent_level}))
    return problems


# ---------------------------------------------------------------------------------------------
# Gaps and overlaps between siblings


def _sibling_coverage(features: Sequence[_CheckedFeature], report: GridImportReport) -> None:
    """Report overlaps between siblings and gaps inside their parent (areas in m²)."""
    children_by_parent: dict[str, dict[str, BaseGeometry]] = defaultdict(dict)
    for feature in features:
        if feature.parent_code and feature.level in ADMINISTRATIVE_LEVELS:
            children_by_parent[feature.parent_code][feature.code] = feature.geometry
    if not children_by_parent:
        return
    geometry_in_file = {feature.code: feature.geometry for feature in features}
    imported_codes = set(geometry_in_file)
    stored = Area.objects.filter(parent__code__in=list(children_by_parent), geometry_wkb__isnull=False).exclude(
        code__in=imported_codes).values_list("parent__code", "code", "geometry_wkb")
    for parent_code, code, geometry_wkb in stored:
        children_by_parent[parent_code][code] = geometry_from_wkb(geometry_wkb)
    parent_geometries = dict(geometry_in_file)
    for code, geometry_wkb in Area.objects.filter(code__in=list(children_by_parent)).exclude(
            code__in=imported_codes).exclude(geometry_wkb__isnull=True).values_list("code", "geometry_wkb"):
        parent_geometries[code] = geometry_from_wkb(geometry_wkb)
    for parent_code in sorted(children_by_parent):
        children = children_by_parent[parent_code]
        codes = sorted(children)
        geometries = [children[code] for code in codes]
        reference_latitude = float(np.mean([geometry.centroid.y for geometry in geometries]))
        scale = 111_320.0 * math.cos(math.radians(reference_latitude)) * 110_574.0  # m² per square degree
        tree = shapely.STRtree(geometries)
        left_indices, right_indices = tree.query(geometries, predicate="intersects")
        for left, right in zip(left_indices, right_indices, strict=True):
            if left >= right:
                continue
            overlap = float(shapely.intersection(geometries[left], geometries[right]).area) * scale
            if overlap >= _REPORTED_MINIMUM_SQUARE_METERS:
                report.overlaps.append({"parent_code": parent_code, "codes": [codes[left], codes[right]],
                                        "area_square_meters": round(overlap, 1)})
        union = shapely.union_all(geometries)
        parent_geometry = parent_geometries.get(parent_code)
        if parent_geometry is not None:
            uncovered = shapely.difference(parent_geometry, union)
        else:
            holes = [shapely.Polygon(ring) for polygon in shapely.get_parts(union)
                     for ring in getattr(polygon, "interiors", [])]
            uncovered = shapely.union_all(holes) if holes else shapely.Polygon()
        pieces = [piece for piece in shapely.get_parts(uncovered)
                  if piece.area * scale >= _REPORTED_MINIMUM_SQUARE_METERS]
        if pieces:
            report.gaps.append({"parent_code": parent_code, "pieces": len(pieces),
                                "area_square_meters": round(sum(piece.area for piece in pieces) * scale, 1)})


# ---------------------------------------------------------------------------------------------
# Writing


def _write_features(features: Sequence[_CheckedFeature], report: GridImportReport,
                    progress: ImportProgress | None) -> None:
    ordered = sorted(features, key=lambda feature: (_LEVEL_ORDER[feature.level], feature.code))
    existing = {area.code: area for area in Area.objects.filter(code__in=[feature.code for feature in ordered])}
    parents = {area.code: area for area in Area.objects.filter(
        code__in=[feature.parent_code for feature in ordered if feature.parent_code])}
    total = len(ordered)
    for number, feature in enumerate(ordered, start=1):
        parent = parents.get(feature.parent_code) if feature.parent_code else None
        path = f"{parent.path if parent else '/'}{feature.code}/"
        values: dict[str, Any] = {"name": feature.name, "level": feature.level, "parent": parent, "path": path,
                                  **area_geometry_fields(feature.geometry)}
        if feature.population is not None:
            values["population"] = feature.population
        if feature.households is not None:
            values["households"] = feature.households
        area = existing.get(feature.code)
        if area is None:
            area = Area.objects.create(code=feature.code, **values)
            report.created += 1
        else:
            old_path = area.path
            for attribute, value in values.items():
                setattr(area, attribute, value)
            area.save()
            if old_path != path:
                # Move the whole subtree: every descendant path starts with the new prefix.
                Area.objects.filter(path__startswith=old_path).exclude(pk=area.pk).update(
                    path=Concat(Value(path), Substr(F("path"), len(old_path) + 1)))
            report.updated += 1
        parents[area.code] = area
        if progress is not None:
            progress("write", number, total)


def _grid_import_features(geo_file: GeoFile, *, data: bytes, coordinate_system: str, actor_id: int | None,
                          progress: ImportProgress | None) -> GridImportReport:
    report = GridImportReport(feature_count=len(geo_file.features), coordinate_system=coordinate_system,
                              source_format="datav" if geo_file.is_datav else geo_file.source,
                              source_crs=geo_file.crs.as_dict() if geo_file.crs else None,
                              skipped=list(geo_file.skipped))
    try:
        features = _checked_features(geo_file.features, coordinate_system, report, progress)
    except _ImportRejectedError as rejected:
        raise import_rejection(rejected.problems) from None
    _sibling_coverage(features, report)
    with transaction.atomic():
        _write_features(features, report, progress)
        geo_data_version_bump()
        audit_record_append(
            actor_id=actor_id, action="geo.areas_import", object_type="geo.Area",
            object_id=hashlib.sha256(data).hexdigest()[:16],
            data={"source": report.source_format, "coordinate_system": coordinate_system,
                  "source_crs": report.source_crs, "features": report.feature_count,
                  "created": report.created, "updated": report.updated, "repaired": len(report.repaired),
                  "skipped": len(report.skipped), "gaps": len(report.gaps), "overlaps": len(report.overlaps),
                  "codes": sorted(feature.code for feature in features)[:200]},
        )
    return report


def _system_for(geo_file: GeoFile, coordinate_system: str) -> str:
    """The coordinate system of the file's longitudes/latitudes: what a .prj declared (already WGS-84 now),
    else the caller's choice, else ("auto") GCJ-02 for a DataV file and WGS-84 otherwise."""
    if geo_file.crs is not None:
        return "wgs84"
    if coordinate_system in ("", AUTO_COORDINATE_SYSTEM):
        return "gcj02" if geo_file.is_datav else "wgs84"
    return coordinate_system_checked(coordinate_system)


def grid_import_geojson(*, data: bytes, coordinate_system: str = AUTO_COORDINATE_SYSTEM, actor_id: int | None = None,
                        progress: ImportProgress | None = None) -> GridImportReport:
    """Import areas/grids from a GeoJSON FeatureCollection (properties name, code, level, parent_code),
    or an Amap DataV file as given (adcode, level, parent object; GCJ-02 unless told otherwise).

    All or nothing: raises :class:`ApplicationError` (``geo_import_rejected``, details["errors"] =
    [{feature, field, reason}]) and writes nothing when any feature is wrong. Existing codes are
    updated in place. Geometry in GCJ-02/BD-09 is converted to WGS-84 before storing.
    """
    if coordinate_system not in ("", AUTO_COORDINATE_SYSTEM):
        coordinate_system_checked(coordinate_system)
    geo_file = geo_file_read(filename="upload.geojson", data=data)
    return _grid_import_features(geo_file, data=data, coordinate_system=_system_for(geo_file, coordinate_system),
                                 actor_id=actor_id, progress=progress)


def grid_import_shapefile_zip(*, data: bytes, coordinate_system: str = AUTO_COORDINATE_SYSTEM,
                              actor_id: int | None = None, progress: ImportProgress | None = None) -> GridImportReport:
    """Import areas/grids from a zipped Shapefile (.shp + .shx + .dbf, optional .prj/.cpg).

    Same rules as :func:`grid_import_geojson`. A .prj in any coordinate system pyproj reads
    (CGCS2000 Gauss-Krüger zones, Xi'an 80, Beijing 54 …) is reprojected to WGS-84, and the report
    says how and how accurately (``report.source_crs``). The attribute table's encoding comes from
    the .cpg file when present, otherwise UTF-8 is tried and GBK (GB18030) used when that fails.
    """
    if coordinate_system not in ("", AUTO_COORDINATE_SYSTEM):
        coordinate_system_checked(coordinate_system)
    geo_file = geo_file_read(filename="upload.zip", data=data)
    return _grid_import_features(geo_file, data=data, coordinate_system=_system_for(geo_file, coordinate_system),
                                 actor_id=actor_id, progress=progress)


def grid_import_file(*, filename: str, data: bytes, coordinate_system: str = AUTO_COORDINATE_SYSTEM,
                     actor_id: int | None = None, progress: ImportProgress | None = None) -> GridImportReport:
    """Import by file name: ``.zip`` is a zipped Shapefile, anything else GeoJSON."""
    importer = grid_import_shapefile_zip if filename.lower().endswith(".zip") else grid_import_geojson
    return importer(data=data, coordinate_system=coordinate_system, actor_id=actor_id, progress=progress)


# ---------------------------------------------------------------------------------------------
# Export


def _rounded_geometry(geometry: BaseGeometry, digits: int) -> BaseGeometry:
    return shapely.transform(geometry, lambda coordinates: np.round(coordinates, digits))


def areas_export_geojson(*, levels: Sequence[str] | None = None, root: Area | None = None,
                         digits: int = 6) -> dict[str, Any]:
    """A GeoJSON FeatureCollection (WGS-84) of the areas, in the same shape the importer reads.

    ``levels`` limits the levels (default: all), ``root`` limits to a subtree, ``digits`` rounds
    coordinates (6 digits ≈ 0.1 m).
    """
    areas = Area.objects.filter(geometry_wkb__isnull=False).select_related("parent").order_by("path")
    if levels:
        areas = areas.filter(level__in=list(levels))
    if root is not None:
        areas = areas.filter(path__startswith=root.path)
    features = []
    for area in areas:
        geometry = _rounded_geometry(geometry_from_wkb(area.geometry_wkb), digits)
        features.append({
            "type": "Feature",
            "id": area.code,
            "properties": {
                "name": area.name, "code": area.code, "level": area.level,
                "parent_code": area.parent.code if area.parent else None,
                "population": area.population, "households": area.households, "is_synthetic": area.is_synthetic,
            },
            "geometry": json.loads(shapely.to_geojson(geometry)),
        })
    return {"type": "FeatureCollection", "features": features}


@dataclass(frozen=True)
class MatterInput:
    """A line of the responsibility list (权责清单) another app needs to route its cases."""

    code: str
    name: str
    category_code: str
    category_name: str
    department_code: str
    department_name: str
    handle_limit_days: int
    keywords: str = ""


@transaction.atomic
def matters_register(*, matters: Sequence[MatterInput], actor_id: int | None = None) -> int:
    """Add (or refresh, by code) matters with their category and department; returns how many.

    Existing departments and categories are reused by code and left as they are."""

    for item in matters:
        if item.handle_limit_days < 1:
            raise ApplicationError("matter_limit_invalid", _("办理时限应至少为1个工作日。"))
        category, _created = MatterCategory.objects.get_or_create(code=item.category_code,
                                                                  defaults={"name": item.category_name})
        department, _created = Department.objects.get_or_create(code=item.department_code,
                                                                defaults={"name": item.department_name})
        Matter.objects.update_or_create(code=item.code, defaults={
            "name": item.name, "category": category, "department": department, "keywords": item.keywords,
            "handle_limit_days": item.handle_limit_days, "is_active": True,
        })
    audit_record_append(actor_id=actor_id, actor_label="系统" if actor_id is None else "", action="geo.matters_register",
                        object_type="geo.Matter", object_id="*", data={"codes": [item.code for item in matters]})
    return len(matters)
