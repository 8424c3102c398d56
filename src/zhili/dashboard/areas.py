"""The administrative area tree and simplified GeoJSON of every area, cached per process.

Built once from ``geo.Area`` (geometries simplified for drawing at screen resolution) and rebuilt
when the geo data version changes (:class:`zhili.geo.data_version.VersionedCache`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import shapely

from zhili.geo.data_version import VersionedCache
from zhili.geo.models import ADMINISTRATIVE_LEVELS, Area, AreaLevel

# Simplification tolerance in degrees per level (~50 m for streets, ~5 m for grids).
_SIMPLIFY_DEGREES: dict[str, float] = {
    AreaLevel.DISTRICT: 0.0008,
    AreaLevel.STREET: 0.0004,
    AreaLevel.COMMUNITY: 0.0001,
    AreaLevel.GRID: 0.00004,
}
_COORDINATE_PRECISION_DEGREES = 0.000001


@dataclass(frozen=True)
class AreaNode:
    id: int
    code: str
    name: str
    level: str
    parent_id: int | None
    path: str
    centroid: tuple[float, float] | None


@dataclass
class AreaTree:
    """The administrative areas (district → street → community → grid) and their outlines."""

    by_id: dict[int, AreaNode] = field(default_factory=dict)
    by_code: dict[str, AreaNode] = field(default_factory=dict)
    by_path: dict[str, AreaNode] = field(default_factory=dict)
    children: dict[int | None, list[AreaNode]] = field(default_factory=dict)
    geometries: dict[int, dict[str, Any]] = field(default_factory=dict)

    def roots(self) -> list[AreaNode]:
        return self.children.get(None, [])

    def children_of(self, node: AreaNode) -> list[AreaNode]:
        return self.children.get(node.id, [])

    def ancestors(self, node: AreaNode) -> list[AreaNode]:
        """From the root down to ``node`` (inclusive)."""
        chain: list[AreaNode] = []
        current: AreaNode | None = node
        while current is not None:
            chain.append(current)
            current = self.by_id.get(current.parent_id) if current.parent_id is not None else None
        return list(reversed(chain))

    def ancestor_at_level(self, area_id: int | None, level: str) -> int | None:
        """The id of the area of ``level`` that holds ``area_id`` (itself when it has that level)."""
        current = self.by_id.get(area_id) if area_id is not None else None
        while current is not None:
            if current.level == level:
                return current.id
            current = self.by_id.get(current.parent_id) if current.parent_id is not None else None
        return None

    def grids_under(self, node: AreaNode) -> list[AreaNode]:
        return [area for area in self.by_id.values() if area.level == AreaLevel.GRID and area.path.startswith(node.path)]

    def child_containing(self, node: AreaNode, path: str) -> AreaNode | None:
        """The child of ``node`` whose subtree holds the area with materialised ``path``."""
        if not path.startswith(node.path) or len(path) <= len(node.path):
            return None
        child_code = path[len(node.path):].split("/", 1)[0]
        child = self.by_code.get(child_code)
        if child is None or child.parent_id != node.id:
            return None
        return child

    def feature_collection(self, nodes: list[AreaNode]) -> dict[str, Any]:
        features = [
            {
                "type": "Feature",
                "properties": {"name": node.code, "label": node.name, "level": node.level},
                "geometry": self.geometries[node.id],
            }
            for node in nodes
            if node.id in self.geometries
        ]
        return {"type": "FeatureCollection", "features": features}


def _simplified_geojson(wkb: bytes | memoryview, level: str) -> dict[str, Any] | None:
    geometry = shapely.from_wkb(bytes(wkb))
    if geometry is None or geometry.is_empty:
        return None
    simplified = shapely.simplify(geometry, _SIMPLIFY_DEGREES.get(level, 0.0001), preserve_topology=True)
    simplified = shapely.set_precision(simplified, _COORDINATE_PRECISION_DEGREES)
    if simplified.is_empty:
        simplified = geometry
    loaded: dict[str, Any] = json.loads(shapely.to_geojson(simplified))
    return loaded


def _build_area_tree() -> AreaTree:
    tree = AreaTree()
    rows = Area.objects.filter(level__in=ADMINISTRATIVE_LEVELS).order_by("path").values_list(
        "id", "code", "name", "level", "parent_id", "path", "centroid_longitude", "centroid_latitude", "geometry_wkb",
    )
    for area_id, code, name, level, parent_id, path, longitude, latitude, wkb in rows:
        centroid = (float(longitude), float(latitude)) if longitude is not None and latitude is not None else None
        node = AreaNode(id=area_id, code=code, name=name, level=level, parent_id=parent_id, path=path,
                        centroid=centroid)
        tree.by_id[area_id] = node
        tree.by_code[code] = node
        tree.by_path[path] = node
        if wkb:
            geojson = _simplified_geojson(wkb, level)
            if geojson is not None:
                tree.geometries[area_id] = geojson
    for node in tree.by_id.values():
        parent_key = node.parent_id if node.parent_id in tree.by_id else None
        tree.children.setdefault(parent_key, []).append(node)
    return tree


_AREA_TREE_CACHE: VersionedCache[AreaTree] = VersionedCache(_build_area_tree, depends_on_addresses=False)


def area_tree() -> AreaTree:
    """The cached area tree (rebuilt after any change to areas)."""
    return _AREA_TREE_CACHE.get()
