"""Coordinate systems used by Chinese maps: WGS-84 (GPS), GCJ-02 (Amap/Tencent) and BD-09 (Baidu).

The forward transforms are the published ones: GCJ-02 adds an obfuscation offset computed on the
Krasovsky ellipsoid; BD-09 is a further rotation/shift of GCJ-02 with the ``3000π/180`` constant.
The inverses have no closed form, so they iterate the forward transform until the residual is
below about a millimetre (round-trip error well under 1 m inside China). Outside China every
transform is the identity, as the published algorithms specify.

Scalar functions take and return ``(longitude, latitude)`` in degrees. The ``*_arrays`` variants
take numpy arrays (used by imports and batch lookups).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Final

import numpy as np
from numpy.typing import NDArray

from zhili.core.errors import ApplicationError

WGS84: Final = "wgs84"
GCJ02: Final = "gcj02"
BD09: Final = "bd09"
COORDINATE_SYSTEMS: Final[tuple[str, ...]] = (WGS84, GCJ02, BD09)

# Krasovsky 1940 ellipsoid, as used by the GCJ-02 algorithm.
_SEMI_MAJOR_AXIS: Final = 6378245.0
_ECCENTRICITY_SQUARED: Final = 0.00669342162296594323
_BD_X_PI: Final = math.pi * 3000.0 / 180.0
_INVERSE_TOLERANCE_DEGREES: Final = 1e-10
_INVERSE_MAX_ITERATIONS: Final = 30

FloatArray = NDArray[np.float64]
PointTransform = Callable[[float, float], tuple[float, float]]


def out_of_china(longitude: float, latitude: float) -> bool:
    """True outside the rectangle where the GCJ-02 offset applies (the published bounds)."""
    return not (72.004 <= longitude <= 137.8347 and 0.8293 <= latitude <= 55.8271)


def _out_of_china_mask(longitudes: FloatArray, latitudes: FloatArray) -> NDArray[np.bool_]:
    return ~((longitudes >= 72.004) & (longitudes <= 137.8347) & (latitudes >= 0.8293) & (latitudes <= 55.8271))


def _latitude_offset(x: float, y: float) -> float:
    result = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    result += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    result += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    result += (160.0 * math.sin(y / 12.0 * math.pi) + 320.0 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    return result


def _longitude_offset(x: float, y: float) -> float:
    result = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    result += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    result += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    result += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    return result


def _gcj02_delta(longitude: float, latitude: float) -> tuple[float, float]:
    delta_latitude = _latitude_offset(longitude - 105.0, latitude - 35.0)
    delta_longitude = _longitude_offset(longitude - 105.0, latitude - 35.0)
    radian_latitude = latitude / 180.0 * math.pi
    magic = 1.0 - _ECCENTRICITY_SQUARED * math.sin(radian_latitude) ** 2
    sqrt_magic = math.sqrt(magic)
    delta_latitude = (delta_latitude * 180.0) / (
        (_SEMI_MAJOR_AXIS * (1.0 - _ECCENTRICITY_SQUARED)) / (magic * sqrt_magic) * math.pi
    )
    delta_longitude = (delta_longitude * 180.0) / (_SEMI_MAJOR_AXIS / sqrt_magic * math.cos(radian_latitude) * math.pi)
    return delta_longitude, delta_latitude


def wgs84_to_gcj02(longitude: float, latitude: float) -> tuple[float, float]:
    if out_of_china(longitude, latitude):
        return longitude, latitude
    delta_longitude, delta_latitude = _gcj02_delta(longitude, latitude)
    return longitude + delta_longitude, latitude + delta_latitude


def _invert(forward_longitude: float, forward_latitude: float, forward: PointTransform) -> tuple[float, float]:
    """Solve forward(p) = target by fixed-point iteration, starting from the target itself."""
    longitude, latitude = forward_longitude, forward_latitude
    for _iteration in range(_INVERSE_MAX_ITERATIONS):
        mapped_longitude, mapped_latitude = forward(longitude, latitude)
        error_longitude = mapped_longitude - forward_longitude
        error_latitude = mapped_latitude - forward_latitude
        longitude -= error_longitude
        latitude -= error_latitude
        if abs(error_longitude) < _INVERSE_TOLERANCE_DEGREES and abs(error_latitude) < _INVERSE_TOLERANCE_DEGREES:
            break
    return longitude, latitude


def gcj02_to_wgs84(longitude: float, latitude: float) -> tuple[float, float]:
    if out_of_china(longitude, latitude):
        return longitude, latitude
    return _invert(longitude, latitude, wgs84_to_gcj02)


def gcj02_to_bd09(longitude: float, latitude: float) -> tuple[float, float]:
    if out_of_china(longitude, latitude):
        return longitude, latitude
    radius = math.sqrt(longitude * longitude + latitude * latitude) + 0.00002 * math.sin(latitude * _BD_X_PI)
    theta = math.atan2(latitude, longitude) + 0.000003 * math.cos(longitude * _BD_X_PI)
    return radius * math.cos(theta) + 0.0065, radius * math.sin(theta) + 0.006


def bd09_to_gcj02(longitude: float, latitude: float) -> tuple[float, float]:
    if out_of_china(longitude, latitude):
        return longitude, latitude
    # The published closed-form inverse, refined by iteration so round trips stay millimetre-exact.
    x = longitude - 0.0065
    y = latitude - 0.006
    radius = math.sqrt(x * x + y * y) - 0.00002 * math.sin(y * _BD_X_PI)
    theta = math.atan2(y, x) - 0.000003 * math.cos(x * _BD_X_PI)
    guess_longitude, guess_latitude = radius * math.cos(theta), radius * math.sin(theta)
    for _iteration in range(_INVERSE_MAX_ITERATIONS):
        mapped_longitude, mapped_latitude = gcj02_to_bd09(guess_longitude, guess_latitude)
        error_longitude = mapped_longitude - longitude
        error_latitude = mapped_latitude - latitude
        if abs(error_longitude) < _INVERSE_TOLERANCE_DEGREES and abs(error_latitude) < _INVERSE_TOLERANCE_DEGREES:
            break
        guess_longitude -= error_longitude
        guess_latitude -= error_latitude
    return guess_longitude, guess_latitude


def wgs84_to_bd09(longitude: float, latitude: float) -> tuple[float, float]:
    return gcj02_to_bd09(*wgs84_to_gcj02(longitude, latitude))


def bd09_to_wgs84(longitude: float, latitude: float) -> tuple[float, float]:
    return gcj02_to_wgs84(*bd09_to_gcj02(longitude, latitude))


def coordinate_system_checked(coordinate_system: str) -> str:
    """The normalised name of a coordinate system, or an :class:`ApplicationError`."""
    normalised = (coordinate_system or "").strip().lower().replace("-", "").replace("_", "")
    aliases = {"wgs84": WGS84, "gps": WGS84, "cgcs2000": WGS84, "gcj02": GCJ02, "gcj": GCJ02, "amap": GCJ02,
               "bd09": BD09, "bd09ll": BD09, "baidu": BD09}
    if normalised not in aliases:
        raise ApplicationError(
            "unknown_coordinate_system",
            f"不支持的坐标系“{coordinate_system}”。请使用 wgs84（GPS）、gcj02（高德/腾讯）或 bd09（百度）。",
            details={"coordinate_system": coordinate_system},
        )
    return aliases[normalised]


def to_wgs84(longitude: float, latitude: float, coordinate_system: str) -> tuple[float, float]:
    """Convert one point given in ``coordinate_system`` ("wgs84" | "gcj02" | "bd09") to WGS-84."""
    system = coordinate_system_checked(coordinate_system)
    if system == GCJ02:
        return gcj02_to_wgs84(longitude, latitude)
    if system == BD09:
        return bd09_to_wgs84(longitude, latitude)
    return longitude, latitude


def to_wgs84_arrays(longitudes: FloatArray, latitudes: FloatArray,
                    coordinate_system: str) -> tuple[FloatArray, FloatArray]:
    """Vectorised :func:`to_wgs84` for arrays of points (copies; inputs are not modified)."""
    system = coordinate_system_checked(coordinate_system)
    longitudes = np.asarray(longitudes, dtype=np.float64).copy()
    latitudes = np.asarray(latitudes, dtype=np.float64).copy()
    if system == WGS84:
        return longitudes, latitudes
    inside = ~_out_of_china_mask(longitudes, latitudes) & np.isfinite(longitudes) & np.isfinite(latitudes)
    convert = gcj02_to_wgs84 if system == GCJ02 else bd09_to_wgs84
    for index in np.flatnonzero(inside):
        longitudes[index], latitudes[index] = convert(float(longitudes[index]), float(latitudes[index]))
    return longitudes, latitudes
