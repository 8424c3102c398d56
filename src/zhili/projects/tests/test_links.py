"""The links through hooks (projects and indicators/enterprises share a layer and import neither):
plan indicators fed from the monthly reports, and the 亩均 evaluation seeing finished industrial
projects' owners by credit code."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from zhili.core import clock
from zhili.enterprises import services as enterprise_services
from zhili.enterprises.models import SourceKind
from zhili.enterprises.presets import RANK_SHARE_THREE_INDICATORS
from zhili.enterprises.tests.factories import credit_code_for, district_create, enterprise_create
from zhili.enterprises.tests.factories import user_create as analyst_create
from zhili.geo.models import Department
from zhili.indicators import services as indicator_services
from zhili.indicators.models import Observation
from zhili.indicators.platform_metrics import platform_metric_get
from zhili.indicators.tests.factories import small_plan_create
from zhili.projects import services
from zhili.projects.models import MonthlyReport, Project, ProjectKind, ProjectLevel
from zhili.projects.tests.factories import ProjectWorld, project_create

NOW = dt.datetime(2025, 7, 15, 10, 0, tzinfo=clock.CHINA_TIME_ZONE)


def test_fixed_asset_and_industrial_investment_feed_plan_indicators(project_world: ProjectWorld) -> None:
    fixed = platform_metric_get("projects.fixed_asset_investment")
    industrial = platform_metric_get("projects.industrial_investment")
    assert fixed is not None
    assert industrial is not None
    assert fixed.compute(2025) is None  # nothing reported yet: no figure, the indicator keeps its own
    factory = project_create(project_world, is_industrial=True)
    school = project_create(project_world)
    for month in range(1, 7):
        services.monthly_report_file(actor=project_world.unit, project_id=factory.pk, year=2025, month=month,
                                     investment=1500)
        services.monthly_report_file(actor=project_world.unit, project_id=school.pk, year=2025, month=month,
                                     investment=500)
    # 6 × (1 500 + 500) = 12 000 万元 = 1.2 亿元; the industrial project alone 9 000 万元 = 0.9 亿元
    assert (fixed.compute(2025), industrial.compute(2025)) == (1.2, 0.9)
    plan, investment = small_plan_create(code="G1", name="固定资产投资", unit="亿元", observation_unit="亿元",
                                         baseline_value=1.0, target_value=2.0)
    plan.indicators.create(group=investment.group, code="G2", number=2, name="工业投资", unit="亿元",
                           observation_unit="亿元", kind="level", baseline_value=0.5, target_value=1.0,
                           platform_metric="projects.industrial_investment")
    indicator_services.indicator_bind_platform_metric(indicator=investment,
                                                      metric_name="projects.fixed_asset_investment", actor=None)
    assert indicator_services.observations_fill_from_platform(year=2025).created == 2
    values = dict(Observation.objects.filter(year=2025).values_list("indicator__code", "value"))
    assert values == {"G1": 1.2, "G2": 0.9}


def _project(code: str, *, owner: str, industrial: bool, finished: dt.date | None, department: Department) -> None:
    Project.objects.create(code=code, name=code, level=ProjectLevel.DISTRICT, kind=ProjectKind.KEY,
                           total_investment=Decimal(1000), department=department, chain=services.chain_get_or_create(),
                           is_industrial=industrial, owner_credit_code=owner, actual_finish=finished,
                           created_at=NOW, updated_at=NOW)


@pytest.mark.django_db
def test_the_evaluation_sees_the_owners_of_finished_industrial_projects() -> None:
    district_create()
    enterprises = [enterprise_create(number) for number in range(1, 6)]
    department = Department.objects.create(code="FGJ", name="区发改局")
    _project("P1", owner=enterprises[0].credit_code, industrial=True, finished=dt.date(2025, 3, 1),
             department=department)
    _project("P2", owner=credit_code_for(99), industrial=True, finished=dt.date(2025, 4, 1),
             department=department)  # finished, but its owner is not in the enterprise registry
    _project("P3", owner=enterprises[1].credit_code, industrial=True, finished=None, department=department)
    _project("P4", owner=enterprises[2].credit_code, industrial=False, finished=dt.date(2025, 3, 1),
             department=department)
    enterprise_services.year_values_record(
        actor=None, year=2025, source_kind=SourceKind.OTHER, source_label="测试",
        values={enterprise.pk: {"tax": 10.0 * number, "sales": 200.0 * number, "energy_tce": 10.0}
                for number, enterprise in enumerate(enterprises, start=1)})
    analyst = analyst_create()
    scheme = enterprise_services.scheme_save(actor=analyst, code="test", name="", year=2025,
                                             config=RANK_SHARE_THREE_INDICATORS)
    run = enterprise_services.evaluation_run_execute(actor=analyst, year=2025, scheme=scheme)
    [source] = [item for item in run.summary["sources"] if item["source"] == "projects.finished_industrial_owners"]
    assert (source["codes"], source["evaluated"], source["missing"]) == (2, 1, [credit_code_for(99)])
    assert source["label"] == "竣工工业项目业主"
    assert MonthlyReport.objects.count() == 0  # the link reads the library, not the reports
