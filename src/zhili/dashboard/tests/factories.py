"""A small district for dashboard tests: 1 district, 2 streets, 2 communities, 3 grids, 2 departments."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass
from typing import Any

from shapely.geometry import box

from zhili.accounts.models import User
from zhili.accounts.roles import Role
from zhili.cases.models import Case, CaseChannel
from zhili.cases.states import CaseStatus
from zhili.core import clock
from zhili.geo.geometry import area_geometry_fields
from zhili.geo.models import Area, AreaLevel, Department, MatterCategory

_sequence = itertools.count(1)
PASSWORD = "Zhili@2026test"


@dataclass
class World:
    district: Area
    street_east: Area
    street_west: Area
    community_east: Area
    community_west: Area
    grid_east_1: Area
    grid_east_2: Area
    grid_west_1: Area
    city_management: Department
    water: Department
    environment: MatterCategory
    facilities: MatterCategory


def area_create(*, code: str, name: str, level: str, parent: Area | None,
                bounds: tuple[float, float, float, float]) -> Area:
    path = f"{parent.path if parent else '/'}{code}/"
    return Area.objects.create(code=code, name=name, level=level, parent=parent, path=path,
                               **area_geometry_fields(box(*bounds)))


def world_create() -> World:
    district = area_create(code="320402", name="天宁区", level=AreaLevel.DISTRICT, parent=None,
                           bounds=(119.90, 31.70, 120.10, 31.90))
    street_east = area_create(code="320402001", name="东街道", level=AreaLevel.STREET, parent=district,
                              bounds=(120.00, 31.70, 120.10, 31.90))
    street_west = area_create(code="320402002", name="西街道", level=AreaLevel.STREET, parent=district,
                              bounds=(119.90, 31.70, 120.00, 31.90))
    community_east = area_create(code="320402001001", name="东社区", level=AreaLevel.COMMUNITY, parent=street_east,
                                 bounds=(120.00, 31.70, 120.10, 31.90))
    community_west = area_create(code="320402002001", name="西社区", level=AreaLevel.COMMUNITY, parent=street_west,
                                 bounds=(119.90, 31.70, 120.00, 31.90))
    grid_east_1 = area_create(code="320402001001001", name="东一网格", level=AreaLevel.GRID, parent=community_east,
                              bounds=(120.00, 31.70, 120.10, 31.80))
    grid_east_2 = area_create(code="320402001001002", name="东二网格", level=AreaLevel.GRID, parent=community_east,
                              bounds=(120.00, 31.80, 120.10, 31.90))
    grid_west_1 = area_create(code="320402002001001", name="西一网格", level=AreaLevel.GRID, parent=community_west,
                              bounds=(119.90, 31.70, 120.00, 31.90))
    return World(
        district=district, street_east=street_east, street_west=street_west, community_east=community_east,
        community_west=community_west, grid_east_1=grid_east_1, grid_east_2=grid_east_2, grid_west_1=grid_west_1,
        city_management=Department.objects.create(code="CG", name="城管局", area=district),
        water=Department.objects.create(code="SW", name="水务局", area=district),
        environment=MatterCategory.objects.create(code="HJ", name="市容环境"),
        facilities=MatterCategory.objects.create(code="SS", name="市政设施"),
    )


def user_create(*, username: str, role: str, scope_area: Area | None = None,
                department: Department | None = None) -> User:
    return User.objects.create_user(username=username, password=PASSWORD, role=role, scope_area=scope_area,
                                    department=department, display_name=username)


def leader_create(**kwargs: Any) -> User:
    return user_create(role=Role.LEADER, **kwargs)


def case_create(*, grid: Area | None, created_at: dt.datetime, department: Department | None = None,
                category: MatterCategory | None = None, status: str = CaseStatus.RECEIVED,
                **fields: Any) -> Case:
    number = f"{created_at:%Y%m%d}{next(_sequence):06d}"
    return Case.objects.create(
        number=number, tracking_code=f"T{number}", channel=fields.pop("channel", CaseChannel.HOTLINE),
        status=status, description=fields.pop("description", "路灯不亮"), title=fields.pop("title", "路灯不亮"),
        grid=grid, area_path=grid.path if grid else "", department=department, category=category,
        created_at=created_at, updated_at=created_at, **fields,
    )


def local(year: int, month: int, day: int, hour: int = 10) -> dt.datetime:
    return dt.datetime(year, month, day, hour, tzinfo=clock.CHINA_TIME_ZONE)
