"""Demo projects: about 60 synthetic projects of the demo district across levels and stages, two years
of monthly reports with delays, problems in every state, and the year's ten 民生实事.

Everything here is invented ("演示" in every name); deterministic from the seed; a second run leaves
existing demo projects alone.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TextIO

import numpy as np
from django.db import transaction

from zhili.accounts.models import User
from zhili.accounts.roles import Role
from zhili.cases.services.lifecycle import case_transition
from zhili.cases.services.transition_handlers import TransitionDetails
from zhili.cases.states import CaseAction
from zhili.core import clock
from zhili.core.credit_code import credit_code_build
from zhili.geo.models import Area, AreaLevel, Department
from zhili.projects import services
from zhili.projects.models import (
    MonthlyReport,
    ProblemKind,
    Project,
    ProjectKind,
    ProjectLevel,
    StatisticsState,
)

PROJECT_COUNT = 50  # besides the ten livelihood projects
_CHARACTERS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
# In the style of the district's yearly 十大民生实事 (the issue names the first and the last); invented text.
LIVELIHOOD_PROJECTS: tuple[tuple[str, str, str], ...] = (
    ("常有善育工程", "JY", "新增普惠性托育托位600个，建成社区嵌入式托育点6个"),
    ("学有优教工程", "JY", "新建改扩建中小学、幼儿园5所，新增学位4000个"),
    ("劳有厚得工程", "RS", "新增城镇就业1.2万人，开展职业技能培训8000人次"),
    ("病有良医工程", "WJ", "建成社区医院2家，基层医疗机构智慧化改造10家"),
    ("老有颐养工程", "WJ", "新增养老床位300张，建成助餐点20个"),
    ("住有宜居工程", "ZJ", "改造老旧小区12个、惠及居民8000户"),
    ("出行畅通工程", "JT", "新改建道路8条，新增公共停车泊位2000个"),
    ("文体惠民工程", "CG", "新建口袋公园10个、健身步道15公里"),
    ("弱有众扶工程", "RS", "困难群众救助帮扶全覆盖，建成残疾人之家3个"),
    ("社会服务保障工程", "CG", "新建邻里中心4个，实现15分钟便民生活圈全覆盖"),
)
_PROJECT_WORDS = ("智能制造产业园", "新能源汽车零部件", "检验检测认证中心", "工业互联网基地", "生物医药产业园", "高端装备",
                  "物流枢纽", "城市更新片区", "综合管廊", "水环境治理", "文旅综合体", "科创中心", "数据中心",
                  "光伏组件", "新材料产业园")
_DEPARTMENTS = ("ZJ", "JT", "SW", "CG", "SWJ", "JY", "WJ")
_LEVEL_WEIGHTS = {ProjectLevel.PROVINCE: 0.08, ProjectLevel.CITY: 0.22, ProjectLevel.DISTRICT: 0.5,
                  ProjectLevel.STREET: 0.2}
_KIND_WEIGHTS = {ProjectKind.MAJOR: 0.3, ProjectKind.KEY: 0.45, ProjectKind.ATTRACTION: 0.25}


def _credit_code(rng: np.random.Generator) -> str:
    body = "MA" + "".join(_CHARACTERS[int(index)] for index in rng.integers(0, len(_CHARACTERS), 6))
    return credit_code_build(authority="9", organisation_type="1", division="320402", organisation_body=body)


def _point(grids: list[Area], rng: np.random.Generator) -> tuple[float | None, float | None]:
    grid = grids[int(rng.integers(0, len(grids)))]
    return grid.centroid_longitude, grid.centroid_latitude


def _month_add(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, min(day.day, 28))


def load_demo(*, seed: int, stdout: TextIO) -> None:
    if Project.objects.filter(is_synthetic=True).exists():
        stdout.write("  projects: demo projects exist, left alone\n")
        return
    grids = list(Area.objects.filter(level=AreaLevel.GRID).exclude(centroid_longitude=None).order_by("code"))
    departments = {department.code: department for department in Department.objects.filter(code__in=(
        *_DEPARTMENTS, "RS"))}
    if not grids or not departments:
        stdout.write("  projects: no grids or departments (load the geo demo first), skipped\n")
        return
    rng = np.random.default_rng(seed + 18)
    office = User.objects.filter(username="projectoffice").first()
    leaders = list(User.objects.filter(role=Role.LEADER).order_by("username"))
    today = clock.today()
    this_year = today.year
    with transaction.atomic():
        projects = _projects_create(rng=rng, grids=grids, departments=departments, office=office, leaders=leaders,
                                    today=today)
        _reports_create(projects=projects, rng=rng, today=today)
        services.project_lights_refresh()
        _problems_create(projects=projects, rng=rng, office=office)
    stdout.write(f"  projects: {len(projects)} projects ({len(LIVELIHOOD_PROJECTS)} 民生实事 {this_year}), "
                 f"{MonthlyReport.objects.filter(project__is_synthetic=True).count()} monthly reports\n")


def _projects_create(*, rng: np.random.Generator, grids: list[Area], departments: dict[str, Department],
                     office: User | None, leaders: list[User], today: dt.date) -> list[Project]:
    created: list[Project] = []
    first_year = today.year - 1
    specifications: list[tuple[str, str, str, str, str]] = []
    for index in range(PROJECT_COUNT):
        level = str(rng.choice(list(_LEVEL_WEIGHTS), p=list(_LEVEL_WEIGHTS.values())))
        kind = str(rng.choice(list(_KIND_WEIGHTS), p=list(_KIND_WEIGHTS.values())))
        word = _PROJECT_WORDS[index % len(_PROJECT_WORDS)]
        specifications.append((f"演示{word}项目{index + 1:02d}", level, kind, _DEPARTMENTS[index % len(_DEPARTMENTS)],
                               ""))
    for name, department_code, promise in LIVELIHOOD_PROJECTS:
        specifications.append((f"{name}（演示）", ProjectLevel.DISTRICT, ProjectKind.LIVELIHOOD, department_code, promise))
    for index, (name, level, kind, department_code, promise) in enumerate(specifications, start=1):
        livelihood = kind == ProjectKind.LIVELIHOOD
        total = float(round(rng.uniform(3000, 200000), 0)) if not livelihood else float(round(rng.uniform(2000, 20000)))
        # stages: a fifth not started yet (some late), most building, some finished
        draw = float(rng.random())
        start_offset = int(rng.integers(-22, -2)) if draw > 0.2 else int(rng.integers(-4, 4))
        planned_start = _month_add(dt.date(today.year, today.month, 10), start_offset)
        if livelihood:
            planned_start = dt.date(today.year, int(rng.integers(1, 5)), 10)
        started = draw > 0.2 and planned_start <= today
        actual_start = _month_add(planned_start, int(rng.integers(0, 3))) if started else None
        if actual_start is not None and actual_start > today:
            actual_start = None
        nodes: dict[str, dt.date] = {}
        if actual_start is not None:
            land = actual_start - dt.timedelta(days=int(rng.integers(0, 120)))
            nodes = {"planning": land - dt.timedelta(days=200), "signing": land - dt.timedelta(days=120), "land": land,
                     "project_approval": land + dt.timedelta(days=0), "start": actual_start}
            if draw > 0.85 and (today - actual_start).days > 300:
                nodes["structure"] = actual_start + dt.timedelta(days=200)
                nodes["completion"] = actual_start + dt.timedelta(days=290)
        else:
            nodes = {"planning": planned_start - dt.timedelta(days=200)}
        planning = nodes.get("planning")
        if planning is not None and planning > today:
            nodes.pop("planning")
        entered = actual_start is not None and float(rng.random()) > 0.15
        statistics_date = _month_add(actual_start, 1) if entered and actual_start else None
        if statistics_date is not None and statistics_date > today:
            statistics_date = today
        plans = {year: round(total * float(rng.uniform(0.15, 0.35)), 0) for year in (first_year, today.year)}
        owner_code = _credit_code(rng) if not livelihood else ""
        longitude, latitude = _point(grids, rng)
        department = departments.get(department_code) or next(iter(departments.values()))
        created.append(services.project_register(actor=office, item=services.ProjectInput(
            code=f"DEMO-XM{index:03d}", name=name, level=level, kind=kind, department_id=department.pk,
            total_investment=total, year_plans=plans, industry="" if livelihood else "制造业",
            is_industrial=not livelihood and index % 3 != 0, owner_credit_code=owner_code,
            owner_name=f"演示{name[2:6]}有限公司" if owner_code else "", longitude=longitude, latitude=latitude,
            signed_amount=total * 1.1 if kind == ProjectKind.ATTRACTION else None,
            leader_id=leaders[index % len(leaders)].pk if leaders else None, contact_name="演示联系人",
            contact_phone=f"1380000{index:04d}", planned_start=planned_start,
            planned_finish=_month_add(planned_start, 24), node_actual_dates=nodes,
            statistics_state=StatisticsState.ENTERED if statistics_date else StatisticsState.NOT_ENTERED,
            statistics_date=statistics_date, public_promise=promise, public_year=today.year if livelihood else None,
            is_synthetic=True)))
    return created


def _reports_create(*, projects: list[Project], rng: np.random.Generator, today: dt.date) -> None:
    """Monthly reports from the start month to last month; a third of the projects run behind."""
    rows: list[MonthlyReport] = []
    at = clock.now()
    last = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
    for project in projects:
        if project.actual_start is None:
            continue
        pace = float(rng.choice([1.0, 0.95, 0.8, 0.6, 0.4], p=[0.35, 0.25, 0.2, 0.12, 0.08]))
        plans = {plan.year: float(plan.amount) for plan in project.year_plans.all()}
        total = float(project.total_investment)
        done = 0.0
        progress = 0
        for year in sorted(plans):
            for month in range(1, 13):
                if (year, month) > last or (year, month) < (project.actual_start.year, project.actual_start.month):
                    continue
                amount = round(plans[year] / 12 * pace * float(rng.uniform(0.7, 1.3)), 2)
                amount = max(0.0, min(amount, total - done))
                done += amount
                progress = min(100, progress + int(rng.integers(2, 7)))
                rows.append(MonthlyReport(project=project, year=year, month=month, investment=Decimal(str(amount)),
                                          progress_percent=progress, progress_text="演示：按计划推进" if pace > 0.9
                                          else "演示：进度滞后", reported_at=at))
    MonthlyReport.objects.bulk_create(rows)


def _problems_create(*, projects: list[Project], rng: np.random.Generator, office: User | None) -> None:
    """Problems in every state: dispatched, signed for, supervised, finished, archived."""
    kinds = list(ProblemKind.values)
    steps: tuple[tuple[str, ...], ...] = ((), (CaseAction.ACCEPT,), (CaseAction.SUPERVISE,),
                                          (CaseAction.ACCEPT, CaseAction.REPLY),
                                          (CaseAction.ACCEPT, CaseAction.REPLY, CaseAction.ARCHIVE))
    candidates = [project for project in projects if project.actual_start is not None or project.planned_start]
    for index, project in enumerate(candidates[:15]):
        kind = kinds[index % len(kinds)]
        problem = services.project_problem_raise(actor=office, project_id=project.pk, kind=kind,
                                                 description=f"演示：{ProblemKind(kind).label}方面需要协调（第{index + 1}件）")
        for action in steps[index % len(steps)]:
            case_transition(case_id=problem.case_id, action=action, actor=None, system=True,
                            actor_label="演示数据", details=TransitionDetails(note="演示：已协调处理"))
    del rng
