"""Point → area lookup on shapely 2 ``STRtree`` s (vectorised), with a brute-force reference.

The answer is at the finest level present at the point: a grid when a grid holds it, else the
community, else the street, else the district (a district that has imported only its streets is
still answered at street level). Areas are indexed finest level first, each level in path order;
tie rule: a point on the shared border of two areas (or in an overlap) belongs to the one that
comes first in that order. The brute-force loop uses the same rule, so both always agree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely import STRtree
from shapely.geometry.base import BaseGeometry

from zhili.geo.data_version import VersionedCache
from zhili.geo.geometry import geometry_from_wkb
from zhili.geo.models import OVERLAY_LEVELS, Area, AreaLevel

IndexArray = NDArray[np.int64]
OUTSIDE = -1


@dataclass(frozen=True)
class IndexedGrid:
    """One indexed area (a grid, or a coarser area where no grid covers the point)."""

    grid_id: int
    grid_code: str
    grid_name: str
    path: str
    community_name: str
    street_name: str
    level: str = AreaLevel.GRID


# finest first: where a finer level covers a point, it answers
LOOKUP_LEVELS: tuple[str, ...] = (AreaLevel.GRID, AreaLevel.COMMUNITY, AreaLevel.STREET, AreaLevel.DISTRICT)


class GridIndex:
    """Grids (in tie-rule order) and overlay zones, with a spatial tree over each."""

    def __init__(self, grids: Sequence[IndexedGrid], geometries: Sequence[BaseGeometry],
                 overlay_codes: Sequence[str] = (), overlay_geometries: Sequence[BaseGeometry] = ()) -> None:
        if len(grids) != len(geometries) or len(overlay_codes) != len(overlay_geometries):
            raise ValueError("every indexed area needs exactly one geometry")
        self.grids: tuple[IndexedGrid, ...] = tuple(grids)
        self.geometries = np.array(geometries, dtype=object)
        shapely.prepare(self.geometries)
        # one tree per level, over a contiguous block of ``grids`` (finest level first)
        self.blocks: list[tuple[int, STRtree]] = []
        start = 0
        while start < len(self.grids):
            end = start
            while end < len(self.grids) and self.grids[end].level == self.grids[start].level:
                end += 1
            self.blocks.append((start, STRtree(self.geometries[start:end])))
            start = end
        self.tree = self.blocks[0][1] if self.blocks else STRtree(self.geometries)
        self.overlay_codes: tuple[str, ...] = tuple(overlay_codes)
        self.overlay_geometries = np.array(overlay_geometries, dtype=object)
        shapely.prepare(self.overlay_geometries)
        self.overlay_tree = STRtree(self.overlay_geometries)

    def __len__(self) -> int:
        return len(self.grids)

    def locate(self, longitudes: Sequence[float] | NDArray[np.float64],
               latitudes: Sequence[float] | NDArray[np.float64]) -> IndexArray:
        """Index into :attr:`grids` of the grid holding each point, :data:`OUTSIDE` when none does."""
        points: NDArray[np.object_] = np.asarray(
            shapely.points(np.asarray(longitudes, dtype=np.float64), np.asarray(latitudes, dtype=np.float64)),
            dtype=object).reshape(-1)
        unset = np.iinfo(np.int64).max
        result = np.full(len(points), unset, dtype=np.int64)
        remaining = np.arange(len(points))
        for offset, tree in self.blocks:
            if not len(remaining):
                break
            point_indices, area_indices = tree.query(points[remaining], predicate="intersects")
            np.minimum.at(result, remaining[point_indices], area_indices.astype(np.int64) + offset)
            remaining = remaining[result[remaining] == unset]
        result[result == unset] = OUTSIDE
        return result

    def locate_one(self, longitude: float, latitude: float) -> int:
        """:meth:`locate` for one point (intake's case), without building arrays of points."""
        point = shapely.Point(longitude, latitude)
        for offset, tree in self.blocks:
            hits = tree.query(point, predicate="intersects")
            if len(hits):
                return int(hits.min()) + offset
        return OUTSIDE

    def locate_brute_force(self, longitudes: Sequence[float] | NDArray[np.float64],
                           latitudes: Sequence[float] | NDArray[np.float64]) -> IndexArray:
        """The reference answer: test every prepared polygon in order, first hit wins."""
        result = np.full(len(longitudes), OUTSIDE, dtype=np.int64)
        for point_index, (longitude, latitude) in enumerate(zip(longitudes, latitudes, strict=True)):
            point = shapely.Point(float(longitude), float(latitude))
            for grid_index, geometry in enumerate(self.geometries):
                if geometry.intersects(point):
                    result[point_index] = grid_index
                    break
        return result

    def overlays_at(self, longitude: float, latitude: float) -> tuple[str, ...]:
        if not self.overlay_codes:
            return ()
        hits = self.overlay_tree.query(shapely.Point(longitude, latitude), predicate="intersects")
        return tuple(sorted(self.overlay_codes[int(index)] for index in hits))


def _build_grid_index_from_database() -> GridIndex:
    names_by_code = dict(
        Area.objects.filter(level__in=(AreaLevel.STREET, AreaLevel.COMMUNITY)).values_list("code", "name")
    )
    grids: list[IndexedGrid] = []
    geometries: list[BaseGeometry] = []
    for level in LOOKUP_LEVELS:
        rows = (
            Area.objects.filter(level=level, geometry_wkb__isnull=False)
            .order_by("path", "id")
            .values_list("id", "code", "name", "path", "geometry_wkb")
        )
        for area_id, code, name, path, geometry_wkb in rows:
            codes = [part for part in path.split("/") if part]
            # path = /district/street/community/grid/: names of the street and community the area lies in
            street_name = names_by_code.get(codes[1], "") if len(codes) >= 2 else ""
            community_name = names_by_code.get(codes[2], "") if len(codes) >= 3 else ""
            grids.append(IndexedGrid(area_id, code, name, path, community_name, street_name, level))
            geometries.append(geometry_from_wkb(geometry_wkb))
    overlay_codes: list[str] = []
    overlay_geometries: list[BaseGeometry] = []
    overlay_rows = (
        Area.objects.filter(level__in=OVERLAY_LEVELS, geometry_wkb__isnull=False)
        .order_by("path").values_list("code", "geometry_wkb")
    )
    for code, geometry_wkb in overlay_rows:
        overlay_codes.append(code)
        overlay_geometries.append(geometry_from_wkb(geometry_wkb))
    return GridIndex(grids, geometries, overlay_codes, overlay_geometries)


_GRID_INDEX_CACHE: VersionedCache[GridIndex] = VersionedCache(
    _build_grid_index_from_database, depends_on_addresses=False)


def grid_index_current() -> GridIndex:
    """This process's spatial index of the current grids (rebuilt when geo data changes)."""
    return _GRID_INDEX_CACHE.get()
