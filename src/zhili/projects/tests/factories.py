"""Test data for the projects app on the cases app's tiny district (two grids, two departments)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from itertools import count
from typing import Any

from zhili.accounts.models import User
from zhili.accounts.roles import Role
from zhili.cases.tests.factories import POINT_IN_GRID_A, World, user_create, world_create
from zhili.core.credit_code import credit_code_build
from zhili.projects import services
from zhili.projects.models import Project, ProjectKind, ProjectLevel, StatisticsState

_sequence = count(1)


@dataclass
class ProjectWorld:
    world: World
    office: User  # 发改局项目办
    unit: User  # a handler of the responsible unit (城管局 in the cases world)
    other_unit: User
    leader: User
    dispatcher: User


def project_world_create() -> ProjectWorld:
    world = world_create()
    return ProjectWorld(
        world=world, office=user_create(Role.PROJECT_OFFICE), unit=user_create(Role.HANDLER, department=world.department_cg),
        other_unit=user_create(Role.HANDLER, department=world.department_hb),
        leader=user_create(Role.LEADER, scope_area=world.district), dispatcher=user_create(Role.DISPATCHER))


def owner_code(number: int) -> str:
    return credit_code_build(authority="9", organisation_type="1", division="320402",
                             organisation_body=f"MA{number:06d}")


def project_input(world: ProjectWorld, **overrides: Any) -> services.ProjectInput:
    """A district key project in grid A of 城管局, 10 000 万元, 1 200 planned for 2025, started 10 January 2025,
    entered in the statistics on 1 February."""
    number = next(_sequence)
    base = services.ProjectInput(
        code=f"XM2025{number:04d}", name=f"测试项目{number}", level=ProjectLevel.DISTRICT, kind=ProjectKind.KEY,
        department_id=world.world.department_cg.pk, total_investment=10000.0, year_plans={2025: 1200.0},
        owner_credit_code=owner_code(number), owner_name=f"测试业主{number}有限公司", longitude=POINT_IN_GRID_A[0],
        latitude=POINT_IN_GRID_A[1], leader_id=world.leader.pk, contact_name="李工", contact_phone="13812345678",
        planned_start=dt.date(2025, 1, 10), planned_finish=dt.date(2026, 12, 31),
        node_actual_dates={"land": dt.date(2024, 12, 1), "start": dt.date(2025, 1, 10)},
        statistics_state=StatisticsState.ENTERED, statistics_date=dt.date(2025, 2, 1))
    return replace(base, **overrides)


def project_create(world: ProjectWorld, **overrides: Any) -> Project:
    return services.project_register(actor=world.office, item=project_input(world, **overrides))
