"""Upload readers of the geo app: boundary files as they come, read into plain (properties, geometry) features.

* GeoJSON, including Amap **DataV** files as given (``adcode``, ``name``, ``level`` = province / city /
  district / street, ``parent`` = ``{"adcode": …}``, ``center``, ``centroid``, ``childrenNum``): codes and
  parents are read from them, province and city features are left out (zhili's hierarchy starts at
  the district) and a district's parent city is dropped; DataV is GCJ-02, which the importer
  assumes unless told otherwise.
* Zipped Shapefiles with any ``.prj`` pyproj understands — CGCS2000 and its Gauss-Krüger zones
  (EPSG:4513–4554), Xi'an 80, Beijing 54 … — reprojected to WGS-84 here, with the transformation
  used and its stated accuracy in :class:`SourceCrs` (CGCS2000 and WGS-84 differ by centimetres and
  are taken as equal; a datum with no published parameters is reported as a ballpark shift).

Nothing here writes: a file that cannot be read raises the importer's one rejection error.
"""

from __future__ import annotations

import io
import json
import struct
import zipfile
import zlib
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import shapefile
import shapely
from django.conf import settings
from django.utils.translation import gettext as _
from shapely.geometry import mapping, shape

from zhili.core.errors import ApplicationError
from zhili.core.text_files import text_bytes_decode

_ERRORS_IN_MESSAGE = 3
# datums the platform stores as they are: WGS-84 itself, and CGCS2000 (its realisation differs by centimetres)
_WGS84_EQUIVALENT_DATUMS = ("WGS 84", "World Geodetic System 1984", "China 2000", "China Geodetic Coordinate System 2000",
                            "China_2000", "CGCS2000", "D_China_2000", "D_WGS_1984")
DATAV_LEVELS_ABOVE_DISTRICT = ("country", "province", "city")


@dataclass(frozen=True)
class ImportProblem:
    """One thing wrong (or repaired, or left out) in one feature: which feature, which field, why."""

    feature: str
    field: str
    reason: str


def import_rejection(problems: Sequence[ImportProblem]) -> ApplicationError:
    """The importer's one error: nothing written, the first problems in the message, all in details["errors"]."""
    shown = "；".join(
        _("%(feature)s 字段 %(field)s：%(reason)s") % {"feature": problem.feature, "field": problem.field,
                                                       "reason": problem.reason}
        for problem in problems[:_ERRORS_IN_MESSAGE]
    )
    more = _("（共 %(count)d 处问题）") % {"count": len(problems)} if len(problems) > _ERRORS_IN_MESSAGE else ""
    return ApplicationError(
        "geo_import_rejected",
        _("导入未执行，没有写入任何数据。%(problems)s%(more)s。请修正文件后重新导入。") % {"problems": shown, "more": more},
        details={"errors": [asdict(problem) for problem in problems]},
    )


def file_problem(field_name: str, reason: str) -> ApplicationError:
    return import_rejection([ImportProblem(_("文件"), field_name, reason)])


@dataclass(frozen=True)
class SourceCrs:
    """The coordinate system a file declared and how it was brought to WGS-84."""

    name: str
    epsg: int | None
    transformation: str
    accuracy_meters: float | None  # None: no stated accuracy (a ballpark datum shift)
    note: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class GeoFile:
    """The features of a boundary file, what it is, and what was left out on reading."""

    features: list[tuple[dict[str, Any], Any]]
    source: str  # "geojson" | "shapefile"
    is_datav: bool = False
    crs: SourceCrs | None = None  # set when a .prj declared one (its coordinates are WGS-84 now)
    skipped: list[ImportProblem] = field(default_factory=list)




def _decode_text(data: bytes) -> str:
    decoded = text_bytes_decode(data)
    if decoded is None:
        raise file_problem("encoding", _("文件既不是 UTF-8 也不是 GBK 编码的文本。"))
    return decoded[0]


def _geojson_features(data: bytes) -> list[tuple[dict[str, Any], Any]]:
    text = _decode_text(data)
    try:
        document = json.loads(text)
    except RecursionError as error:
        raise file_problem("json", _("JSON 嵌套层数过深，不是有效的 GeoJSON 文件。")) from error
    except json.JSONDecodeError as error:
        raise file_problem(
            "json", _("不是有效的 JSON（第 %(line)d 行第 %(column)d 列：%(reason)s）。")
            % {"line": error.lineno, "column": error.colno, "reason": error.msg}) from error
    if isinstance(document, dict) and document.get("type") == "Feature":
        document = {"type": "FeatureCollection", "features": [document]}
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection":
        raise file_problem("type", _("GeoJSON 顶层必须是 FeatureCollection（要素集合）。"))
    features = document.get("features")
    if not isinstance(features, list) or not features:
        raise file_problem("features", _("FeatureCollection 中没有要素（features 为空或不是数组）。"))
    result: list[tuple[dict[str, Any], Any]] = []
    for feature in features:
        if not isinstance(feature, dict):
            result.append(({}, None))
            continue
        properties = feature.get("properties")
        result.append((properties if isinstance(properties, dict) else {}, feature.get("geometry")))
    return result


def _zip_member(archive: zipfile.ZipFile, names: Sequence[str], extension: str) -> bytes | None:
    # refuse a member that inflates far beyond any grid file (a zip bomb) before inflating it
    limit = 4 * int(getattr(settings, "ZHILI_UPLOAD_MAX_BYTES", 20 * 1024 * 1024))
    for name in names:
        if name.lower().endswith(extension):
            if archive.getinfo(name).file_size > limit:
                raise file_problem(extension, _("压缩包中的 %(name)s 解压后超过 %(limit)d MB，不是正常的网格文件，请检查后重新压缩上传。")
                                    % {"name": name, "limit": limit // (1024 * 1024)})
            try:
                return archive.read(name)
            except (zipfile.BadZipFile, zlib.error, EOFError) as error:
                raise file_problem("zip", _("压缩包已损坏，%(name)s 无法解压。请重新压缩后上传。") % {"name": name}) from error
    return None


def _shapefile_encodings(cpg_bytes: bytes | None) -> tuple[str, ...]:
    """Encodings to try for the attribute table: the .cpg's when declared, else UTF-8 then GBK."""
    if cpg_bytes:
        declared = cpg_bytes.decode("ascii", errors="ignore").strip().lower()
        aliases = {"936": "gb18030", "gbk": "gb18030", "gb2312": "gb18030", "gb18030": "gb18030",
                   "utf-8": "utf-8", "utf8": "utf-8", "65001": "utf-8", "cp936": "gb18030"}
        if declared in aliases:
            return (aliases[declared],)
    return ("utf-8", "gb18030")


class _EncodingMismatchError(Exception):
    pass


def _shapefile_records(parts: dict[str, bytes | None], encoding: str) -> list[tuple[dict[str, Any], Any]]:
    reader = shapefile.Reader(shp=io.BytesIO(parts[".shp"] or b""), shx=io.BytesIO(parts[".shx"] or b""),
                              dbf=io.BytesIO(parts[".dbf"] or b""), encoding=encoding, encodingErrors="strict")
    result: list[tuple[dict[str, Any], Any]] = []
    try:
        with reader:
            field_names = [field_definition[0] for field_definition in reader.fields[1:]]
            for shape_record in reader.iterShapeRecords():
                properties = dict(zip(field_names, list(shape_record.record), strict=False))
                geometry = None if shape_record.shape.shapeType == shapefile.NULL else (
                    shape_record.shape.__geo_interface__)
                result.append((properties, geometry))
    except UnicodeDecodeError as error:
        raise _EncodingMismatchError(encoding) from error
    except shapefile.ShapefileException as error:
        if "decode" in str(error).lower():
            raise _EncodingMismatchError(encoding) from error
        raise
    return result


def _shapefile_parts(data: bytes) -> tuple[dict[str, bytes | None], str]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as error:
        raise file_problem("zip", _("不是有效的 ZIP 压缩包。请把 .shp、.shx、.dbf（以及 .prj、.cpg）一起压缩后上传。")) from error
    with archive:
        names = [name for name in archive.namelist() if not name.startswith("__MACOSX") and not name.endswith("/")]
        shp_names = [name for name in names if name.lower().endswith(".shp")]
        if len(shp_names) != 1:
            raise file_problem(".shp", _("压缩包中应恰好有一个 .shp 文件（找到 %(count)d 个）。") % {"count": len(shp_names)})
        stem = shp_names[0][:-4]
        siblings = [name for name in names if name[:-4] == stem]
        parts = {extension: _zip_member(archive, siblings, extension) for extension in (".shp", ".shx", ".dbf", ".prj",
                                                                                       ".cpg")}
    for extension, description in ((".shx", _("索引文件")), (".dbf", _("属性表"))):
        if parts[extension] is None:
            raise file_problem(extension, _("压缩包缺少 %(extension)s %(description)s（与 %(shp)s 同名）。没有它无法读取要素的名称和代码，请补上后重新压缩上传。")
                                % {"extension": extension, "description": description, "shp": shp_names[0]})
    return parts, shp_names[0]


def _shapefile_features(parts: dict[str, bytes | None]) -> list[tuple[dict[str, Any], Any]]:
    encodings = _shapefile_encodings(parts[".cpg"])
    result: list[tuple[dict[str, Any], Any]] | None = None
    try:
        for encoding in encodings:
            try:
                result = _shapefile_records(parts, encoding)
                break
            except _EncodingMismatchError:
                continue
    except (shapefile.ShapefileException, ValueError, IndexError, OSError, EOFError, struct.error) as error:
        raise file_problem(".shp", _("Shapefile 文件损坏或不完整：%(reason)s") % {"reason": error}) from error
    if result is None:
        raise file_problem(".dbf", _("属性表的文字编码无法识别（尝试了 %(encodings)s）。请附上 .cpg 文件注明编码（如 GBK 或 UTF-8）。")
                            % {"encodings": "、".join(encodings)})
    if not result:
        raise file_problem(".shp", _("Shapefile 中没有要素。"))
    return result


# ---------------------------------------------------------------------------------------------
# Declared coordinate systems (.prj)


def _is_wgs84_equivalent(crs: Any) -> bool:
    datum = crs.datum.name if crs.datum is not None else ""
    return crs.is_geographic and any(name.lower() in datum.lower() for name in _WGS84_EQUIVALENT_DATUMS)


def _crs_note(crs: Any, accuracy: float | None) -> str:
    datum = crs.datum.name if crs.datum is not None else ""
    if any(name.lower() in datum.lower() for name in _WGS84_EQUIVALENT_DATUMS):
        return _("CGCS2000/WGS-84 基准：两者相差厘米级，按相同处理，误差 < 0.1 米。")
    if accuracy is not None and accuracy >= 0:
        return _("按 EPSG 公布的基准转换参数转换到 WGS-84，标称精度约 %(accuracy)s 米。") % {"accuracy": accuracy}
    return _("%(datum)s 到 WGS-84 没有可用的公开转换参数：只做了投影反算，基准差未改正，位置可能偏差数十米到一百多米。"
             "需要更高精度时，请用当地的七参数在 GIS 软件中转换后再导入。") % {"datum": datum or crs.name}


def _reprojected(features: list[tuple[dict[str, Any], Any]], prj: bytes) -> tuple[list[tuple[dict[str, Any], Any]],
                                                                                 SourceCrs | None]:
    """Features in WGS-84 longitude/latitude from the coordinate system a .prj declares."""
    # deferred: pyproj loads its projection database; only projected boundary files need it
    from pyproj import CRS, Transformer
    from pyproj.exceptions import CRSError, ProjError
    from pyproj.transformer import AreaOfInterest

    text = prj.decode("utf-8", errors="replace").strip().lstrip("\ufeff")
    try:
        crs = CRS.from_user_input(text)
    except CRSError as error:
        upper = text.upper()
        if "PROJCS" not in upper and upper.startswith("GEOGCS") and any(
                name.upper() in upper for name in ("WGS_1984", "WGS 84", "WGS84", "CHINA_2000", "CGCS2000")):
            # an abbreviated longitude/latitude .prj some tools write (no spheroid): WGS-84 or CGCS2000 all the same
            return features, SourceCrs(name=text[:80], epsg=None, transformation=_("无需转换"), accuracy_meters=0.0,
                                       note=_("CGCS2000/WGS-84 基准：两者相差厘米级，按相同处理，误差 < 0.1 米。"))
        raise file_problem(".prj", _("无法识别 .prj 中的坐标系（%(reason)s）。请在 GIS 软件中为图层设置标准坐标系"
                                     "（如 CGCS2000 / 3-degree Gauss-Kruger CM 120E，EPSG:4549）后重新导出，"
                                     "或先转换为 WGS-84 经纬度。") % {"reason": str(error)[:120]}) from error
    epsg = crs.to_epsg(min_confidence=70)
    if _is_wgs84_equivalent(crs):
        return features, SourceCrs(name=crs.name, epsg=epsg, transformation=_("无需转换"), accuracy_meters=0.0,
                                   note=_crs_note(crs, 0.0))
    try:
        # the area the data covers picks the transformation valid there (Beijing 54 has several)
        geographic = Transformer.from_crs(crs, crs.geodetic_crs, always_xy=True) if crs.is_projected else None
        bounds = _bounds(features)
        if bounds is None:
            return features, None
        if geographic is not None:
            xs, ys = geographic.transform([bounds[0], bounds[2], bounds[0], bounds[2]],
                                          [bounds[1], bounds[1], bounds[3], bounds[3]])
            bounds = (min(xs), min(ys), max(xs), max(ys))
        if not all(np.isfinite(bounds)):
            raise file_problem(".prj", _("坐标与 .prj 声明的坐标系（%(name)s）不符：换算后不是有效的经纬度。请核对 .prj 是否属于这份数据。")
                               % {"name": crs.name})
        area = AreaOfInterest(west_lon_degree=max(-180, bounds[0]), south_lat_degree=max(-90, bounds[1]),
                              east_lon_degree=min(180, bounds[2]), north_lat_degree=min(90, bounds[3]))
        transformer = Transformer.from_crs(crs, "EPSG:4326", always_xy=True, area_of_interest=area)
    except ProjError as error:
        raise file_problem(".prj", _("无法把 .prj 中的坐标系（%(name)s）转换为 WGS-84：%(reason)s") % {
            "name": crs.name, "reason": str(error)[:120]}) from error
    accuracy = float(transformer.accuracy) if transformer.accuracy is not None and transformer.accuracy >= 0 else None

    def convert(coordinates: Any) -> Any:
        longitudes, latitudes = transformer.transform(coordinates[:, 0], coordinates[:, 1])
        return np.column_stack([longitudes, latitudes])

    converted: list[tuple[dict[str, Any], Any]] = []
    for properties, geometry in features:
        if not isinstance(geometry, dict) or geometry.get("type") not in ("Polygon", "MultiPolygon"):
            converted.append((properties, geometry))
            continue
        try:
            moved = shapely.transform(shape(geometry), convert)
        except (ValueError, TypeError, shapely.errors.ShapelyError):
            converted.append((properties, geometry))  # the checker words what is wrong with it
            continue
        converted.append((properties, json.loads(json.dumps(mapping(moved)))))
    return converted, SourceCrs(name=crs.name, epsg=epsg, transformation=transformer.description or "",
                                accuracy_meters=accuracy, note=_crs_note(crs, accuracy))


def _bounds(features: Sequence[tuple[dict[str, Any], Any]]) -> tuple[float, float, float, float] | None:
    boxes = []
    for _properties, geometry in features:
        if isinstance(geometry, dict) and geometry.get("type") in ("Polygon", "MultiPolygon"):
            try:
                boxes.append(shape(geometry).bounds)
            except (ValueError, TypeError, shapely.errors.ShapelyError, IndexError):
                continue
    if not boxes:
        return None
    array = np.array(boxes, dtype=np.float64)
    return (float(array[:, 0].min()), float(array[:, 1].min()), float(array[:, 2].max()), float(array[:, 3].max()))


# ---------------------------------------------------------------------------------------------
# DataV (Amap) GeoJSON


def _looks_like_datav(features: Sequence[tuple[dict[str, Any], Any]]) -> bool:
    for properties, _geometry in features[:50]:
        if "adcode" in properties and (isinstance(properties.get("parent"), dict) or "childrenNum" in properties
                                       or "centroid" in properties or "center" in properties):
            return True
    return False


def _datav_normalized(features: list[tuple[dict[str, Any], Any]]) -> tuple[list[tuple[dict[str, Any], Any]],
                                                                           list[ImportProblem]]:
    """DataV properties as the importer reads them: ``code`` from adcode, ``parent_code`` from the parent object."""
    kept: list[tuple[dict[str, Any], Any]] = []
    skipped: list[ImportProblem] = []
    above = {str(properties.get("adcode")) for properties, _geometry in features
             if str(properties.get("level", "")).lower() in DATAV_LEVELS_ABOVE_DISTRICT}
    for properties, geometry in features:
        level = str(properties.get("level", "")).strip().lower()
        name = str(properties.get("name", "") or "").strip()
        adcode = properties.get("adcode")
        label = f"{name or '?'}({adcode})"
        if level in DATAV_LEVELS_ABOVE_DISTRICT:
            skipped.append(ImportProblem(label, "level", _("%(level)s 级要素未导入：平台的区域层级从区县开始。") % {
                "level": level}))
            continue
        if not name and (not isinstance(geometry, dict) or geometry.get("type") not in ("Polygon", "MultiPolygon")):
            # e.g. the boundary line of a country file, which is no area
            skipped.append(ImportProblem(label, "geometry", _("不是面要素（无名称的线要素），未导入。")))
            continue
        parent = properties.get("parent")
        parent_code = str(parent.get("adcode")) if isinstance(parent, dict) and parent.get("adcode") is not None \
            else None
        normalized = {key: value for key, value in properties.items() if key not in ("parent", "adcode")}
        normalized["code"] = str(adcode) if adcode is not None else ""
        normalized["level"] = level
        if level == "district" and (parent_code in above or parent_code is None or parent_code[-2:] == "00"):
            # the district's parent is a city or province: outside zhili's hierarchy, so the district is a root
            parent_code = None
        normalized["parent_code"] = parent_code
        kept.append((normalized, geometry))
    return kept, skipped


# ---------------------------------------------------------------------------------------------
# Entry point


def geo_file_read(*, filename: str, data: bytes) -> GeoFile:
    """The features of a boundary file: a ``.zip`` is a zipped Shapefile, anything else GeoJSON."""
    if filename.lower().endswith(".zip"):
        parts, _shp_name = _shapefile_parts(data)
        features = _shapefile_features(parts)
        crs = None
        if parts[".prj"] is not None and parts[".prj"].strip():
            features, crs = _reprojected(features, parts[".prj"])
        return GeoFile(features=features, source="shapefile", crs=crs)
    features = _geojson_features(data)
    if _looks_like_datav(features):
        kept, skipped = _datav_normalized(features)
        if not kept:
            raise file_problem("level", _("DataV 文件中没有区县或街道级要素（只有省、市级），平台的区域层级从区县开始。"))
        return GeoFile(features=kept, source="geojson", is_datav=True, skipped=skipped)
    return GeoFile(features=features, source="geojson")
