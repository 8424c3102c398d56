"""Test data for the cases app: a tiny district with two grids, departments, matters and users."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import count

from shapely.geometry import box

from zhili.accounts.models import GridAssignment, User
from zhili.accounts.roles import Role
from zhili.cases.classification import matter_catalog_clear
from zhili.cases.models import Case, CaseChannel
from zhili.cases.services.intake import IntakeRequest, case_intake
from zhili.geo.data_version import geo_data_version_bump
from zhili.geo.models import Address, Area, AreaLevel, Department, Matter, MatterCategory, Urgency

_sequence = count(1)

# grid A: 119.90–119.95 E, 31.70–31.75 N; grid B east of it: 119.95–120.00 E
POINT_IN_GRID_A = (119.925, 31.725)
POINT_IN_GRID_B = (119.975, 31.725)
POINT_OUTSIDE = (116.40, 39.90)


@dataclass
class World:
    district: Area
    street: Area
    community: Area
    grid_a: Area
    grid_b: Area
    department_cg: Department
    department_hb: Department
    category_city: MatterCategory
    category_environment: MatterCategory
    matter_garbage: Matter
    matter_road: Matter
    matter_noise: Matter
    matter_gas: Matter


def _area(code: str, name: str, level: str, parent: Area | None, bounds: tuple[float, float, float, float]) -> Area:
    geometry = box(*bounds)
    path = f"{parent.path if parent else '/'}{code}/"
    return Area.objects.create(
        code=code, name=name, level=level, parent=parent, path=path, geometry_wkb=geometry.wkb,
        min_longitude=bounds[0], min_latitude=bounds[1], max_longitude=bounds[2], max_latitude=bounds[3],
        centroid_longitude=geometry.centroid.x, centroid_latitude=geometry.centroid.y,
    )


def world_create() -> World:
    district = _area("T320402", "测试区", AreaLevel.DISTRICT, None, (119.9, 31.7, 120.0, 31.75))
    street = _area("T320402001", "测试街道", AreaLevel.STREET, district, (119.9, 31.7, 120.0, 31.75))
    community = _area("T320402001001", "测试社区", AreaLevel.COMMUNITY, street, (119.9, 31.7, 120.0, 31.75))
    grid_a = _area("T320402001001001", "一网格", AreaLevel.GRID, community, (119.90, 31.70, 119.95, 31.75))
    grid_b = _area("T320402001001002", "二网格", AreaLevel.GRID, community, (119.95, 31.70, 120.00, 31.75))
    Address.objects.create(code="TA1", full_text="测试区青年路88号阳光花园3幢", road="青年路", road_number="88号",
                           compound="阳光花园", building="3幢", grid=grid_a, longitude=119.921, latitude=31.721)
    geo_data_version_bump()
    department_cg = Department.objects.create(code="CG", name="城管局", area=district)
    department_hb = Department.objects.create(code="HB", name="生态环境局", area=district)
    category_city = MatterCategory.objects.create(code="CXJS", name="城乡建设")
    category_environment = MatterCategory.objects.create(code="HJBH", name="环境保护")
    matter_garbage = Matter.objects.create(
        code="M001", name="垃圾清运", category=category_city, department=department_cg,
        keywords="垃圾,清运,垃圾桶,堆放", grid_self_handling_allowed=True,
    )
    matter_road = Matter.objects.create(code="M002", name="道路破损", category=category_city, department=department_cg,
                                        keywords="路面,坑洼,破损,道路")
    matter_noise = Matter.objects.create(code="M003", name="噪声扰民", category=category_environment,
                                         department=department_hb, keywords="噪音,噪声,扰民,施工")
    matter_gas = Matter.objects.create(code="M004", name="燃气泄漏", category=category_city, department=department_cg,
                                       keywords="燃气,漏气,煤气", urgency=Urgency.URGENT, urgent_limit_hours=4,
                                       accept_limit_hours=1)
    matter_catalog_clear()
    return World(district, street, community, grid_a, grid_b, department_cg, department_hb, category_city,
                 category_environment, matter_garbage, matter_road, matter_noise, matter_gas)


def user_create(role: str, *, username: str | None = None, department: Department | None = None,
                scope_area: Area | None = None, grid: Area | None = None) -> User:
    user = User.objects.create_user(username=username or f"{role}-{next(_sequence)}", password=None,
                                    role=role, department=department, scope_area=scope_area,
                                    display_name=f"测试{role}")
    if grid is not None:
        GridAssignment.objects.create(user=user, grid=grid)
    return user


@dataclass
class People:
    operator: User
    dispatcher: User
    handler_cg: User
    handler_hb: User
    grid_worker: User
    leader: User
    admin: User
    citizen: User


def people_create(world: World) -> People:
    return People(
        operator=user_create(Role.OPERATOR, scope_area=world.district),
        dispatcher=user_create(Role.DISPATCHER, scope_area=world.district),
        handler_cg=user_create(Role.HANDLER, department=world.department_cg),
        handler_hb=user_create(Role.HANDLER, department=world.department_hb),
        grid_worker=user_create(Role.GRID_WORKER, grid=world.grid_a, scope_area=world.grid_a),
        leader=user_create(Role.LEADER, scope_area=world.district),
        admin=user_create(Role.ADMIN),
        citizen=user_create(Role.CITIZEN),
    )


def case_create(*, actor: User | None = None, description: str = "小区门口有个东西坏了，请来看看",
                point: tuple[float, float] | None = POINT_IN_GRID_A, channel: str = CaseChannel.HOTLINE,
                matter_code: str = "", phone: str = "13812341234", name: str = "张三", appeal_type: str = "",
                confidential: bool = False) -> Case:
    request = IntakeRequest(
        channel=channel, description=description, longitude=point[0] if point else None,
        latitude=point[1] if point else None, reporter_name=name, reporter_phone=phone, matter_code=matter_code,
        appeal_type=appeal_type, confidential=confidential,
    )
    return case_intake(request=request, actor=actor).case
