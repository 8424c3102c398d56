import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zhili.core.errors import ApplicationError
from zhili.geo import coordinates
from zhili.geo.coordinates import (
    bd09_to_gcj02,
    bd09_to_wgs84,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    out_of_china,
    to_wgs84,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)

# Inside China with a margin, so forward offsets (< 1 km) never cross the published bounds.
china_longitudes = st.floats(min_value=73.5, max_value=134.5, allow_nan=False)
china_latitudes = st.floats(min_value=18.0, max_value=53.0, allow_nan=False)
outside_longitudes = st.floats(min_value=-179.0, max_value=71.0, allow_nan=False)


def distance_meters(first: tuple[float, float], second: tuple[float, float]) -> float:
    mean_latitude = math.radians((first[1] + second[1]) / 2)
    dx = (first[0] - second[0]) * 111_320.0 * math.cos(mean_latitude)
    dy = (first[1] - second[1]) * 110_574.0
    return math.hypot(dx, dy)


def test_forward_transforms_match_the_published_reference_values() -> None:
    # Reference values of the widely used coordtransform library for (116.404, 39.915).
    assert wgs84_to_gcj02(116.404, 39.915) == pytest.approx((116.41024449916938, 39.91640428150164), abs=1e-12)
    assert gcj02_to_bd09(116.404, 39.915) == pytest.approx((116.41036949371029, 39.92133699351021), abs=1e-12)


def test_inverse_transforms_agree_with_the_one_step_published_inverses_within_a_metre() -> None:
    # The library's one-step inverses are approximate; ours iterate, so they differ by well under 1 m.
    assert distance_meters(bd09_to_gcj02(116.404, 39.915), (116.39762729119315, 39.90865673957631)) < 1.0
    assert distance_meters(gcj02_to_wgs84(116.404, 39.915), (116.39775550083061, 39.91359571849836)) < 1.0


def test_the_gcj02_offset_near_changzhou_is_a_few_hundred_metres() -> None:
    offset = distance_meters(wgs84_to_gcj02(119.98, 31.78), (119.98, 31.78))
    assert 400.0 < offset < 600.0


@settings(max_examples=200, deadline=None)
@given(china_longitudes, china_latitudes)
def test_wgs84_gcj02_round_trip_is_under_half_a_metre(longitude: float, latitude: float) -> None:
    assert distance_meters(gcj02_to_wgs84(*wgs84_to_gcj02(longitude, latitude)), (longitude, latitude)) < 0.5
    assert distance_meters(wgs84_to_gcj02(*gcj02_to_wgs84(longitude, latitude)), (longitude, latitude)) < 0.5


@settings(max_examples=200, deadline=None)
@given(china_longitudes, china_latitudes)
def test_wgs84_bd09_round_trip_is_under_half_a_metre(longitude: float, latitude: float) -> None:
    assert distance_meters(bd09_to_wgs84(*wgs84_to_bd09(longitude, latitude)), (longitude, latitude)) < 0.5
    assert distance_meters(gcj02_to_bd09(*bd09_to_gcj02(longitude, latitude)), (longitude, latitude)) < 0.5


@settings(max_examples=100, deadline=None)
@given(outside_longitudes, st.floats(min_value=-89.0, max_value=89.0, allow_nan=False))
def test_every_transform_is_the_identity_outside_china(longitude: float, latitude: float) -> None:
    assert out_of_china(longitude, latitude)
    for transform in (wgs84_to_gcj02, gcj02_to_wgs84, gcj02_to_bd09, bd09_to_gcj02, wgs84_to_bd09, bd09_to_wgs84):
        assert transform(longitude, latitude) == (longitude, latitude)


def test_to_wgs84_dispatches_on_the_coordinate_system_name() -> None:
    gcj = wgs84_to_gcj02(119.98, 31.78)
    bd = wgs84_to_bd09(119.98, 31.78)
    assert to_wgs84(119.98, 31.78, "wgs84") == (119.98, 31.78)
    assert distance_meters(to_wgs84(*gcj, "GCJ-02"), (119.98, 31.78)) < 0.01
    assert distance_meters(to_wgs84(*bd, "bd09"), (119.98, 31.78)) < 0.01


def test_an_unknown_coordinate_system_is_a_clear_error() -> None:
    with pytest.raises(ApplicationError) as error:
        to_wgs84(119.98, 31.78, "utm50")
    assert error.value.code == "unknown_coordinate_system"
    assert "utm50" in error.value.message


def test_the_array_conversion_equals_the_scalar_one() -> None:
    import numpy as np

    longitudes = np.array([119.98, 120.5, 10.0])
    latitudes = np.array([31.78, 30.0, 50.0])
    converted_longitudes, converted_latitudes = coordinates.to_wgs84_arrays(longitudes, latitudes, "bd09")
    for index in range(3):
        expected = bd09_to_wgs84(float(longitudes[index]), float(latitudes[index]))
        assert (converted_longitudes[index], converted_latitudes[index]) == expected
    assert longitudes[0] == 119.98  # inputs untouched
