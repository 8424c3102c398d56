import math

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from zhili.core.errors import ApplicationError
from zhili.geo.coordinates import wgs84_to_bd09, wgs84_to_gcj02
from zhili.geo.selectors import GridLocation, grid_for_point, grids_for_points
from zhili.geo.services import grid_import_geojson
from zhili.geo.spatial_index import OUTSIDE, GridIndex, IndexedGrid, grid_index_current
from zhili.geo.tests.factories import collection, feature, small_district_create, square


def voronoi_index(seed: int, count: int) -> GridIndex:
    rng = np.random.default_rng(seed)
    frame = shapely.box(0.0, 0.0, 1.0, 1.0)
    seeds = shapely.multipoints(np.column_stack([rng.random(count), rng.random(count)]))
    diagram = shapely.voronoi_polygons(seeds, extend_to=frame)
    cells = [shapely.intersection(cell, frame) for cell in shapely.get_parts(diagram)]
    # Two deliberately overlapping extra cells exercise the first-in-order tie rule.
    cells += [shapely.box(0.2, 0.2, 0.6, 0.6), shapely.box(0.4, 0.4, 0.8, 0.8)]
    grids = [IndexedGrid(index, f"C{index}", f"cell {index}", f"/C{index}/", "", "") for index in range(len(cells))]
    return GridIndex(grids, cells)


INDEX = voronoi_index(seed=7, count=60)
# Coordinates on the cells' own vertices hit shared borders and corners exactly.
VERTICES = np.unique(np.concatenate([shapely.get_coordinates(geometry) for geometry in INDEX.geometries]), axis=0)

coordinates = st.floats(min_value=-0.2, max_value=1.2, allow_nan=False)
vertex_points = st.integers(min_value=0, max_value=len(VERTICES) - 1).map(lambda index: tuple(VERTICES[index]))
points = st.one_of(st.tuples(coordinates, coordinates), vertex_points)


@settings(max_examples=150, deadline=None)
@given(st.lists(points, min_size=1, max_size=40))
def test_indexed_lookup_equals_brute_force_on_random_points(batch: list[tuple[float, float]]) -> None:
    longitudes = [point[0] for point in batch]
    latitudes = [point[1] for point in batch]
    expected = INDEX.locate_brute_force(longitudes, latitudes).tolist()
    assert INDEX.locate(longitudes, latitudes).tolist() == expected
    assert [INDEX.locate_one(longitude, latitude) for longitude, latitude in batch] == expected  # intake's path


def test_points_outside_every_cell_are_outside_and_ties_go_to_the_first_cell() -> None:
    result = INDEX.locate([1.5, 0.5, float("nan")], [0.5, 0.5, 0.5]).tolist()
    assert result[0] == OUTSIDE
    assert result[2] == OUTSIDE
    # (0.5, 0.5) lies in a Voronoi cell and in both extra boxes; the lowest index wins.
    assert result[1] == min(index for index, geometry in enumerate(INDEX.geometries)
                            if geometry.intersects(shapely.Point(0.5, 0.5)))


def grid_code_at(longitude: float, latitude: float, coordinate_system: str) -> str | None:
    location = grid_for_point(longitude=longitude, latitude=latitude, coordinate_system=coordinate_system)
    return location.grid_code if location else None


@pytest.mark.django_db
def test_grid_for_point_names_the_grid_its_community_street_and_zones() -> None:
    small_district_create()
    location = grid_for_point(longitude=119.95, latitude=31.73)
    assert location == GridLocation(
        grid_id=location.grid_id if location else 0, grid_code="G23", grid_name="第23网格",
        path="/T1/T1S/T1SB/G23/", community_name="东苑社区", street_name="测试街道", zone_codes=("T1Z",))
    west = grid_for_point(longitude=119.905, latitude=31.705)
    assert west is not None
    assert (west.grid_code, west.community_name, west.zone_codes) == ("G11", "西苑社区", ())


@pytest.mark.django_db
def test_grid_for_point_is_none_outside_the_district_and_rejects_nan() -> None:
    small_district_create()
    assert grid_for_point(longitude=119.98, latitude=31.78) is None
    assert grid_for_point(longitude=-70.0, latitude=10.0) is None
    with pytest.raises(ApplicationError) as error:
        grid_for_point(longitude=math.nan, latitude=31.7)
    assert error.value.code == "coordinates_not_finite"
    with pytest.raises(ApplicationError):
        grid_for_point(longitude=119.9, latitude=math.inf)


@pytest.mark.django_db
def test_grid_for_point_converts_gcj02_and_bd09_first() -> None:
    small_district_create()
    # A WGS-84 point 100 m inside G11's east edge; in GCJ-02 its raw numbers lie ~500 m further east.
    longitude, latitude = 119.919, 31.705
    gcj = wgs84_to_gcj02(longitude, latitude)
    bd = wgs84_to_bd09(longitude, latitude)
    assert grid_code_at(gcj[0], gcj[1], "gcj02") == "G11"
    assert grid_code_at(bd[0], bd[1], "bd09") == "G11"
    assert grid_code_at(gcj[0], gcj[1], "wgs84") == "G12"


@pytest.mark.django_db
def test_batched_lookup_matches_single_lookups() -> None:
    small_district_create()
    longitudes = [119.905, 119.925, 119.945, 119.905, 120.5, float("nan")]
    latitudes = [31.705, 31.705, 31.705, 31.735, 31.7, 31.7]
    batch = grids_for_points(longitudes, latitudes)
    assert [location.grid_code if location else None for location in batch] == [
        "G11", "G12", "G13", "G21", None, None]
    assert batch[0] == grid_for_point(longitude=119.905, latitude=31.705)


@pytest.mark.django_db
def test_the_cached_index_is_rebuilt_after_an_import() -> None:
    small_district_create()
    before = grid_index_current()
    assert len(before) == 10  # 6 grids, then (for points no grid holds) 2 communities, 1 street, the district
    assert [grid.level for grid in before.grids].count("grid") == 6
    assert grid_for_point(longitude=120.005, latitude=31.805) is None
    grid_import_geojson(data=collection(
        feature(name="新网格", code="G99", level="grid", parent_code="T1SB", coordinates=square(120.0, 31.8, 0.01))))
    assert len(grid_index_current()) == 11
    assert grid_code_at(120.005, 31.805, "wgs84") == "G99"
