"""A small world for the authorization matrix: two streets, a grid in each, two departments, one
user per role with a real scope, and one object of each kind in and out of those scopes.

In scope of the scoped users (operator, dispatcher, leader → west street; handler → 城管局;
grid worker → west grid; citizen → owner) is ``case_in``; ``case_out`` lies in the east street,
belongs to 生态环境局 and was reported by somebody else, so only the admin may reach it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from shapely.geometry import box

from zhili.accounts.models import GridAssignment, User
from zhili.accounts.roles import Role
from zhili.cases.classification import matter_catalog_clear
from zhili.cases.models import Case, CaseChannel
from zhili.cases.services.intake import IntakeRequest, case_intake
from zhili.geo.data_version import geo_data_version_bump
from zhili.geo.models import Area, AreaLevel, Department, Matter, MatterCategory
from zhili.indicators.models import Indicator, Plan
from zhili.indicators.tests.factories import small_plan_create

POINT_WEST = (119.925, 31.725)
POINT_EAST = (119.975, 31.725)
REPORTER_PHONE_IN = "13812345678"
REPORTER_PHONE_OUT = "13987654321"


def _area(code: str, name: str, level: str, parent: Area | None, bounds: tuple[float, float, float, float]) -> Area:
    geometry = box(*bounds)
    return Area.objects.create(
        code=code, name=name, level=level, parent=parent, path=f"{parent.path if parent else '/'}{code}/",
        geometry_wkb=geometry.wkb, min_longitude=bounds[0], min_latitude=bounds[1], max_longitude=bounds[2],
        max_latitude=bounds[3], centroid_longitude=geometry.centroid.x, centroid_latitude=geometry.centroid.y,
    )


@dataclass
class World:
    district: Area
    street_west: Area
    street_east: Area
    grid_west: Area
    grid_east: Area
    department_city: Department
    department_environment: Department
    users: dict[str, User]
    case_in: Case
    case_out: Case
    plan: Plan
    indicator: Indicator
    extra: dict[str, object] = field(default_factory=dict)


def world_create() -> World:
    district = _area("AZ", "矩阵区", AreaLevel.DISTRICT, None, (119.90, 31.70, 120.00, 31.75))
    street_west = _area("AZW", "西街道", AreaLevel.STREET, district, (119.90, 31.70, 119.95, 31.75))
    street_east = _area("AZE", "东街道", AreaLevel.STREET, district, (119.95, 31.70, 120.00, 31.75))
    community_west = _area("AZWC", "西社区", AreaLevel.COMMUNITY, street_west, (119.90, 31.70, 119.95, 31.75))
    community_east = _area("AZEC", "东社区", AreaLevel.COMMUNITY, street_east, (119.95, 31.70, 120.00, 31.75))
    grid_west = _area("AZWG1", "西一网格", AreaLevel.GRID, community_west, (119.90, 31.70, 119.95, 31.75))
    grid_east = _area("AZEG1", "东一网格", AreaLevel.GRID, community_east, (119.95, 31.70, 120.00, 31.75))
    geo_data_version_bump()
    department_city = Department.objects.create(code="CG", name="城管局", area=district)
    department_environment = Department.objects.create(code="HB", name="生态环境局", area=district)
    category = MatterCategory.objects.create(code="CXJS", name="城乡建设")
    Matter.objects.create(code="M001", name="垃圾清运", category=category, department=department_city,
                          keywords="垃圾,清运,垃圾桶,堆放", grid_self_handling_allowed=True)
    Matter.objects.create(code="M003", name="噪声扰民", category=category, department=department_environment,
                          keywords="噪音,噪声,扰民")
    matter_catalog_clear()

    def user(role: str, **fields: object) -> User:
        return User.objects.create_user(username=f"matrix-{role}", password=None, role=role,
                                        display_name=f"矩阵{role}", **fields)

    users = {
        Role.OPERATOR: user(Role.OPERATOR, scope_area=street_west),
        Role.DISPATCHER: user(Role.DISPATCHER, scope_area=street_west),
        Role.HANDLER: user(Role.HANDLER, department=department_city),
        Role.GRID_WORKER: user(Role.GRID_WORKER, scope_area=grid_west),
        Role.LEADER: user(Role.LEADER, scope_area=street_west),
        Role.PLANNER: user(Role.PLANNER),
        Role.ANALYST: user(Role.ANALYST),
        Role.PROJECT_OFFICE: user(Role.PROJECT_OFFICE, scope_area=street_west),
        Role.ADMIN: user(Role.ADMIN),
        Role.CITIZEN: user(Role.CITIZEN),
    }
    GridAssignment.objects.create(user=users[Role.GRID_WORKER], grid=grid_west)
    case_in = case_intake(request=IntakeRequest(
        channel=CaseChannel.CITIZEN_APP, description="小区门口垃圾堆放三天没人清运", longitude=POINT_WEST[0],
        latitude=POINT_WEST[1], reporter_name="张三", reporter_phone=REPORTER_PHONE_IN, matter_code="M001",
    ), actor=users[Role.CITIZEN]).case
    case_out = case_intake(request=IntakeRequest(
        channel=CaseChannel.HOTLINE, description="夜间施工噪声扰民", longitude=POINT_EAST[0], latitude=POINT_EAST[1],
        reporter_name="李四", reporter_phone=REPORTER_PHONE_OUT, matter_code="M003",
    ), actor=users[Role.OPERATOR]).case
    plan, indicator = small_plan_create()
    return World(district=district, street_west=street_west, street_east=street_east, grid_west=grid_west,
                 grid_east=grid_east, department_city=department_city,
                 department_environment=department_environment, users=users, case_in=case_in, case_out=case_out,
                 plan=plan, indicator=indicator)
