"""Small, exact test districts: a 3 × 2 block of square grids, and GeoJSON builders."""

from __future__ import annotations

import json
from typing import Any

import shapely
from shapely.geometry import box

from zhili.geo.data_version import geo_data_version_bump
from zhili.geo.geometry import area_geometry_fields
from zhili.geo.models import Address, Area, AreaLevel

# The test district: 119.90–119.96 E, 31.70–31.74 N, split into two communities of three grids.
DISTRICT_BOUNDS = (119.90, 31.70, 119.96, 31.74)
GRID_SIZE = 0.02


def area_create(*, code: str, name: str, level: str, parent: Area | None, geometry: Any = None,
                population: int = 0) -> Area:
    fields = area_geometry_fields(geometry) if geometry is not None else {}
    return Area.objects.create(code=code, name=name, level=level, parent=parent,
                               path=f"{parent.path if parent else '/'}{code}/", population=population, **fields)


def small_district_create() -> dict[str, Area]:
    """District T1 → street T1S → communities T1SA (west) and T1SB (east) → grids G11..G23."""
    min_longitude, min_latitude, max_longitude, max_latitude = DISTRICT_BOUNDS
    district = area_create(code="T1", name="测试区", level=AreaLevel.DISTRICT, parent=None,
                           geometry=box(*DISTRICT_BOUNDS))
    street = area_create(code="T1S", name="测试街道", level=AreaLevel.STREET, parent=district,
                         geometry=box(*DISTRICT_BOUNDS))
    areas = {"district": district, "street": street}
    communities = {
        "T1SA": ("西苑社区", box(min_longitude, min_latitude, 119.93, max_latitude)),
        "T1SB": ("东苑社区", box(119.93, min_latitude, max_longitude, max_latitude)),
    }
    for code, (name, geometry) in communities.items():
        areas[code] = area_create(code=code, name=name, level=AreaLevel.COMMUNITY, parent=street, geometry=geometry)
    # Grids: rows r=1..2 (south→north), columns c=1..3 (west→east); code G{r}{c}.
    for row in (1, 2):
        for column in (1, 2, 3):
            west = min_longitude + (column - 1) * GRID_SIZE
            south = min_latitude + (row - 1) * GRID_SIZE
            parent = areas["T1SA"] if west + GRID_SIZE / 2 < 119.93 else areas["T1SB"]
            cell = box(west, south, west + GRID_SIZE, south + GRID_SIZE)
            # Column 2 straddles both communities; keep it in the west community for simplicity.
            areas[f"G{row}{column}"] = area_create(code=f"G{row}{column}", name=f"第{row}{column}网格",
                                                   level=AreaLevel.GRID, parent=parent, geometry=cell,
                                                   population=1000 * row + column)
    zone = area_create(code="T1Z", name="测试开发区", level=AreaLevel.ZONE, parent=district,
                       geometry=box(119.94, 31.72, 119.96, 31.74))
    areas["zone"] = zone
    geo_data_version_bump()
    return areas


def small_addresses_create(grids: dict[str, Area]) -> list[Address]:
    rows = [
        ("竹林路", "12号", "", "", "G11"), ("竹林路", "14号", "", "", "G11"), ("竹林大道", "12号", "", "", "G12"),
        ("", "", "北环新村", "12幢", "G21"), ("", "", "北环新村", "3幢", "G21"), ("", "", "北环花园", "12幢", "G22"),
        ("北环路", "8号", "", "", "G23"),
    ]
    addresses = []
    for number, (road, road_number, compound, building, grid_code) in enumerate(rows, start=1):
        grid = grids[grid_code]
        place = f"{road}{road_number}" or f"{compound}{building}"
        addresses.append(Address.objects.create(
            code=f"TA{number:03d}", full_text=f"测试区测试街道{place}", road=road, road_number=road_number,
            compound=compound, building=building, grid=grid,
            longitude=grid.centroid_longitude or 0.0, latitude=grid.centroid_latitude or 0.0))
    geo_data_version_bump()
    return addresses


def feature(*, name: str, code: str, level: str, parent_code: str | None, coordinates: Any,
            geometry_type: str = "Polygon") -> dict[str, Any]:
    return {"type": "Feature",
            "properties": {"name": name, "code": code, "level": level, "parent_code": parent_code},
            "geometry": {"type": geometry_type, "coordinates": coordinates}}


def square(west: float, south: float, size: float) -> list[list[list[float]]]:
    return [[[west, south], [west + size, south], [west + size, south + size], [west, south + size], [west, south]]]


def collection(*features: dict[str, Any]) -> bytes:
    return json.dumps({"type": "FeatureCollection", "features": list(features)}, ensure_ascii=False).encode("utf-8")


def valid_hierarchy_features() -> list[dict[str, Any]]:
    """District D9 → street D9S → community D9SC → grids D9G1 (west) and D9G2 (east), 0.01° squares."""
    return [
        feature(name="导入区", code="D9", level="district", parent_code=None, coordinates=square(120.0, 31.8, 0.02)),
        feature(name="导入街道", code="D9S", level="street", parent_code="D9", coordinates=square(120.0, 31.8, 0.02)),
        feature(name="导入社区", code="D9SC", level="community", parent_code="D9S",
                coordinates=[[[120.0, 31.8], [120.02, 31.8], [120.02, 31.81], [120.0, 31.81], [120.0, 31.8]]]),
        feature(name="西网格", code="D9G1", level="grid", parent_code="D9SC",
                coordinates=[[[120.0, 31.8], [120.01, 31.8], [120.01, 31.81], [120.0, 31.81], [120.0, 31.8]]]),
        feature(name="东网格", code="D9G2", level="grid", parent_code="D9SC",
                coordinates=[[[120.01, 31.8], [120.02, 31.8], [120.02, 31.81], [120.01, 31.81], [120.01, 31.8]]]),
    ]


def shapely_square(west: float, south: float, size: float) -> shapely.Polygon:
    return box(west, south, west + size, south + size)
