"""Reads of the geo app: point → grid, address → candidates, area subtrees, grid cards."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, QuerySet
from django.utils.translation import gettext as _

from zhili.core.errors import ApplicationError
from zhili.geo.address_matching import address_matcher_current
from zhili.geo.coordinates import to_wgs84
from zhili.geo.models import Address, Area, AreaLevel, ComponentClass
from zhili.geo.spatial_index import OUTSIDE, GridIndex, grid_index_current


@dataclass(frozen=True)
class GridLocation:
    grid_id: int
    grid_code: str
    grid_name: str
    path: str  # Area.path of the grid
    community_name: str
    street_name: str
    zone_codes: tuple[str, ...]  # overlay zones/parks containing the point
    # the level of the area found: "grid", or a coarser one where no finer boundary covers the point
    level: str = AreaLevel.GRID


def _finite_checked(longitude: float, latitude: float) -> None:
    if not (math.isfinite(longitude) and math.isfinite(latitude)):
        raise ApplicationError(
            "coordinates_not_finite",
            _("坐标无效：经度、纬度必须是有限的数字（收到 %(longitude)s, %(latitude)s）。请重新定位后再提交。")
            % {"longitude": longitude, "latitude": latitude},
            details={"longitude": str(longitude), "latitude": str(latitude)},
        )


def _location(index: GridIndex, position: int, longitude: float, latitude: float) -> GridLocation | None:
    if position == OUTSIDE:
        return None
    grid = index.grids[position]
    return GridLocation(grid.grid_id, grid.grid_code, grid.grid_name, grid.path, grid.community_name,
                        grid.street_name, index.overlays_at(longitude, latitude), grid.level)


def grid_for_point(*, longitude: float, latitude: float, coordinate_system: str = "wgs84") -> GridLocation | None:
    """The area containing the point at the finest level present there (``level``: grid, community,
    street or district), or None when it lies outside the district.

    Raises :class:`ApplicationError` only for NaN/infinite coordinates or an unknown coordinate system.
    On a shared border the grid first in path order wins (the same rule as the brute-force check).
    """
    longitude, latitude = float(longitude), float(latitude)
    _finite_checked(longitude, latitude)
    longitude, latitude = to_wgs84(longitude, latitude, coordinate_system)
    index = grid_index_current()
    return _location(index, index.locate_one(longitude, latitude), longitude, latitude)


def grids_for_points(longitudes: Sequence[float], latitudes: Sequence[float]) -> list[GridLocation | None]:
    """Batched :func:`grid_for_point` for WGS-84 points (None for points outside or not finite)."""
    if len(longitudes) != len(latitudes):
        raise ApplicationError(
            "coordinates_length_mismatch",
            _("经度和纬度的个数不一致（%(longitudes)d 个经度，%(latitudes)d 个纬度）。请逐点成对提交。")
            % {"longitudes": len(longitudes), "latitudes": len(latitudes)},
        )
    index = grid_index_current()
    positions = index.locate(longitudes, latitudes)
    return [
        _location(index, int(position), float(longitude), float(latitude))
        for position, longitude, latitude in zip(positions, longitudes, latitudes, strict=True)
    ]


@dataclass(frozen=True)
class AddressCandidate:
    address_id: int
    full_text: str
    grid_id: int
    grid_code: str
    longitude: float
    latitude: float
    score: float  # 0..1


def address_candidates(text: str, *, limit: int = 5) -> list[AddressCandidate]:
    """Standard addresses matching a caller's free text, best first. Never raises for any string."""
    if not isinstance(text, str) or not text.strip():
        return []
    limit = max(0, min(int(limit), 50))
    return [
        AddressCandidate(scored.address.address_id, scored.address.full_text, scored.address.grid_id,
                         scored.address.grid_code, scored.address.longitude, scored.address.latitude, scored.score)
        for scored in address_matcher_current().match(text, limit=limit)
    ]


def area_subtree(area: Area) -> QuerySet[Area]:
    """The area and every area below it (by materialised path), in path order."""
    return Area.objects.filter(path__startswith=area.path).order_by("path")


def area_by_code(code: str) -> Area:
    area = Area.objects.filter(code=code).first()
    if area is None:
        raise ApplicationError("area_not_found", _("未找到代码为“%(code)s”的区域。") % {"code": code}, status_code=404)
    return area


GridCardSection = Callable[[Area], Any]
# Hooks other apps register (in their AppConfig.ready()) to add to a grid's card, e.g.
# "open_cases" from cases and "enterprises" from enterprises. Keys become keys of card["sections"].
GRID_CARD_SECTIONS: dict[str, GridCardSection] = {}


def grid_card_section_register(key: str, section: GridCardSection) -> None:
    """Add a section to every grid card (cases: open cases; enterprises: enterprises in the grid)."""
    GRID_CARD_SECTIONS[key] = section


def grid_card(grid: Area) -> dict[str, Any]:
    """What a grid holds: its workers, element counts and population.

    Keys: ``grid`` (id, code, name, path, level), ``street_name``, ``community_name``,
    ``workers`` (list of {user_id, name, is_primary}), ``address_count``,
    ``component_counts`` ({class value: count} for every CJ/T 214 class), ``component_total``,
    ``components_out_of_service``, ``population``, ``households``, ``area_square_meters``,
    ``sections`` ({key: value} from :data:`GRID_CARD_SECTIONS`; "open_cases" and "enterprises" come
    from the cases and enterprises apps when they register).
    """
    codes = [part for part in grid.path.split("/") if part]
    names = dict(Area.objects.filter(code__in=codes).values_list("code", "name"))
    street_name = names.get(codes[1], "") if len(codes) >= 3 else ""
    community_name = names.get(codes[2], "") if len(codes) >= 4 else ""
    workers = [
        {"user_id": assignment.user_id, "name": str(assignment.user), "is_primary": assignment.is_primary}
        for assignment in grid.grid_assignments.select_related("user").order_by("-is_primary", "user_id")
    ]
    component_counts = {component_class.value: 0 for component_class in ComponentClass}
    for row in grid.components.values("component_class").annotate(count=Count("id")):
        component_counts[row["component_class"]] = row["count"]
    return {
        "grid": {"id": grid.pk, "code": grid.code, "name": grid.name, "path": grid.path, "level": grid.level},
        "street_name": street_name,
        "community_name": community_name,
        "workers": workers,
        "address_count": Address.objects.filter(grid=grid).count(),
        "component_counts": component_counts,
        "component_total": sum(component_counts.values()),
        "components_out_of_service": grid.components.filter(is_in_service=False).count(),
        "population": grid.population,
        "households": grid.households,
        "area_square_meters": grid.area_square_meters,
        "sections": {key: section(grid) for key, section in GRID_CARD_SECTIONS.items()},
    }


def areas_for_map(level: str, *, root: Area | None = None) -> QuerySet[Area]:
    """Areas of one level (optionally inside ``root``) that have a geometry, for maps and exports."""
    if level not in AreaLevel.values:
        raise ApplicationError("unknown_area_level", _("未知的区域层级“%(level)s”。") % {"level": level},
                               details={"level": level, "allowed": list(AreaLevel.values)})
    areas = Area.objects.filter(level=level, geometry_wkb__isnull=False)
    if root is not None:
        areas = areas.filter(path__startswith=root.path)
    return areas.order_by("path")
