"""Small, hand-made test data: a district of two streets (four grids), a development zone, users."""

from __future__ import annotations

import copy
import itertools
from typing import Any

import shapely
from shapely.geometry import box

from zhili.accounts.models import User
from zhili.accounts.roles import Role
from zhili.core import clock
from zhili.core.credit_code import credit_code_build
from zhili.enterprises import services
from zhili.enterprises.models import Enterprise, EnterpriseScale
from zhili.geo.models import Area, AreaLevel

WEST, SOUTH = 119.90, 31.70
_sequence = itertools.count(1)


def _area(*, code: str, name: str, level: str, parent: Area | None, geometry: Any) -> Area:
    min_x, min_y, max_x, max_y = geometry.bounds
    return Area.objects.create(
        code=code, name=name, level=level, parent=parent,
        path=f"{parent.path if parent else '/'}{code}/",
        geometry_wkb=shapely.to_wkb(geometry), min_longitude=min_x, min_latitude=min_y, max_longitude=max_x,
        max_latitude=max_y, centroid_longitude=geometry.centroid.x, centroid_latitude=geometry.centroid.y,
        is_synthetic=True,
    )


def district_create() -> dict[str, Area]:
    """District 0.2° × 0.1°; streets S1 (west) and S2 (east); each one community and two grids;
    the zone covers the western half of S1."""
    district = _area(code="320402", name="测试区", level=AreaLevel.DISTRICT, parent=None,
                     geometry=box(WEST, SOUTH, WEST + 0.2, SOUTH + 0.1))
    areas: dict[str, Area] = {"district": district}
    for street_index in range(2):
        west = WEST + 0.1 * street_index
        street = _area(code=f"S{street_index + 1}", name=f"第{street_index + 1}街道", level=AreaLevel.STREET,
                       parent=district, geometry=box(west, SOUTH, west + 0.1, SOUTH + 0.1))
        community = _area(code=f"C{street_index + 1}", name=f"第{street_index + 1}社区", level=AreaLevel.COMMUNITY,
                          parent=street, geometry=box(west, SOUTH, west + 0.1, SOUTH + 0.1))
        areas[street.code] = street
        for grid_index in range(2):
            grid_west = west + 0.05 * grid_index
            code = f"G{street_index + 1}{grid_index + 1}"
            areas[code] = _area(code=code, name=f"网格{code}", level=AreaLevel.GRID, parent=community,
                                geometry=box(grid_west, SOUTH, grid_west + 0.05, SOUTH + 0.1))
    areas["zone"] = _area(code="320402Z01", name="测试经济开发区", level=AreaLevel.ZONE, parent=district,
                          geometry=box(WEST, SOUTH, WEST + 0.05, SOUTH + 0.1))
    return areas


def user_create(role: str = Role.ANALYST, *, username: str | None = None, scope_area: Area | None = None) -> User:
    return User.objects.create_user(username=username or f"{role}{next(_sequence)}", password="Zhili@2026test",
                                    role=role, display_name=f"测试{role}", scope_area=scope_area)


def credit_code_for(number: int) -> str:
    body = f"MA{number:06d}"
    return credit_code_build(authority="9", organisation_type="1", division="320402", organisation_body=body)


def enterprise_create(number: int, *, longitude: float = WEST + 0.01, latitude: float = SOUTH + 0.05,
                      scale: str = EnterpriseScale.ABOVE, land: float | None = 10.0, industry: str = "C3411",
                      start_year: int | None = 2010, actor: User | None = None) -> Enterprise:
    return services.enterprise_register(
        actor=actor, credit_code=credit_code_for(number), name=f"测试制造{number}有限公司", industry_code=industry,
        scale=scale, land_area_mu=land, longitude=longitude, latitude=latitude, production_start_year=start_year,
    )


def fixed_benchmarks(config: dict[str, Any], values: dict[str, float]) -> dict[str, Any]:
    """A copy of a scheme config with every indicator's benchmark set by hand."""
    result = copy.deepcopy(config)
    for indicator in result["indicators"]:
        indicator["benchmark"] = {"mode": "fixed", "value": values[indicator["key"]]}
    return result


def now_label() -> str:
    return clock.now().isoformat()
