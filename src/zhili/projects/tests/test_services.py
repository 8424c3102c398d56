"""The library, nodes, monthly reports, imports, reconciliation and lights through the services."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from openpyxl import Workbook

from zhili.audit.models import AuditRecord
from zhili.core.errors import ApplicationError
from zhili.geo.coordinates import wgs84_to_gcj02
from zhili.projects import selectors, services
from zhili.projects.models import Light, MonthlyReport, Project, StatisticsState
from zhili.projects.tests.factories import ProjectWorld, owner_code, project_create


def _months(project: Project, world: ProjectWorld, amounts: dict[int, float]) -> None:
    for month, amount in amounts.items():
        services.monthly_report_file(actor=world.unit, project_id=project.pk, year=2025, month=month, investment=amount)


def test_register_places_a_gcj02_point_in_wgs84_and_builds_the_chain(project_world: ProjectWorld) -> None:
    longitude, latitude = wgs84_to_gcj02(119.925, 31.725)
    project = project_create(project_world, longitude=longitude, latitude=latitude, coordinate_system="gcj02")
    assert project.longitude == pytest.approx(119.925, abs=1e-6)
    assert project.latitude == pytest.approx(31.725, abs=1e-6)
    assert project.grid == project_world.world.grid_a
    assert [node.code for node in project.nodes.order_by("sequence")][:4] == ["planning", "signing", "land",
                                                                              "project_approval"]
    assert project.stage == "start"
    assert project.contact_phone_masked == "138****5678"
    assert "13812345678" not in project.contact_phone_encrypted
    assert AuditRecord.objects.filter(action="projects.project_register", object_id=project.code).count() == 1


@pytest.mark.parametrize(("overrides", "field", "words"), [
    ({"owner_credit_code": "91320402MA00000001"}, "owner_credit_code", "校验码"),
    ({"year_plans": {2025: 20000.0}}, "year_plan", "超过总投资"),
    ({"node_actual_dates": {"land": dt.date(2025, 2, 1), "start": dt.date(2025, 1, 10)}}, "start",
     "早于上一节点“供地/拿地”"),
    ({"node_actual_dates": {"start": dt.date(2025, 8, 1)}}, "start", "晚于今天"),
])
def test_register_refuses_bad_input_with_the_field(project_world: ProjectWorld, overrides: dict[str, Any], field: str,
                                                   words: str) -> None:
    with pytest.raises(ApplicationError) as refused:
        project_create(project_world, **overrides)
    assert refused.value.details["field"] == field
    assert words in refused.value.message
    assert not Project.objects.exists()


def test_duplicate_code_is_refused(project_world: ProjectWorld) -> None:
    project_create(project_world, code="XM-DUP")
    with pytest.raises(ApplicationError, match="项目编码“XM-DUP”已存在"):
        project_create(project_world, code="XM-DUP", owner_credit_code=owner_code(999))
    assert Project.objects.filter(code="XM-DUP").count() == 1


def test_node_gate_and_land_to_start(project_world: ProjectWorld) -> None:
    project = project_create(project_world, node_actual_dates={"land": dt.date(2025, 3, 1)},
                             planned_start=dt.date(2025, 4, 1))
    with pytest.raises(ApplicationError, match="早于上一节点“供地/拿地”的 2025-03-01"):
        services.node_record(actor=project_world.office, project_id=project.pk, code="start",
                             actual_date=dt.date(2025, 2, 20))
    services.node_record(actor=project_world.office, project_id=project.pk, code="start",
                         actual_date=dt.date(2025, 3, 31))
    project.refresh_from_db()
    assert project.actual_start == dt.date(2025, 3, 31)
    assert selectors.project_file(project).land_to_start_days == 30


def test_reports_behind_the_expected_share_turn_the_project_yellow(project_world: ProjectWorld) -> None:
    project = project_create(project_world)
    # January–May 100 each: as of June (the month due on 15 July) 500 of 600 expected, 8.3 points behind
    _months(project, project_world, {1: 100, 2: 100, 3: 100, 4: 100, 5: 100})
    project.refresh_from_db()
    assert (project.light, project.light_month) == (Light.GREEN, "2025-06")
    # June corrected down to nothing, May to 20: 420 of 600 → 15 points behind → yellow
    _months(project, project_world, {5: 20, 6: 0})
    project.refresh_from_db()
    assert project.light == Light.YELLOW
    assert project.light_reasons[0]["rule"] == "progress"
    assert "落后15.0个百分点" in project.light_reasons[0]["message"]


def test_a_revised_plan_rebases_the_light(project_world: ProjectWorld) -> None:
    project = project_create(project_world)
    _months(project, project_world, {1: 50, 2: 50, 3: 50, 4: 50, 5: 50, 6: 50})  # 300 of 600: 25 points → yellow
    project.refresh_from_db()
    assert project.light == Light.YELLOW
    # plan revised to 600 from June: 250 done by May, 350 left over June–December (50 a month): 300 expected
    services.year_plan_revise(actor=project_world.office, project_id=project.pk, year=2025, amount=600, from_month=6)
    project.refresh_from_db()
    assert project.light == Light.GREEN
    row = selectors.dispatch_rows(Project.objects.filter(pk=project.pk), year=2025, month=6)[0]
    assert (row.plan, row.expected, row.completion_rate) == (600.0, 300.0, 50.0)


def test_refreshing_every_light_at_once_matches_each_project_and_rewrites_only_changes(
        project_world: ProjectWorld, django_assert_num_queries: Any) -> None:
    on_pace = project_create(project_world)
    behind = project_create(project_world)
    revised = project_create(project_world)
    unstarted = project_create(project_world, node_actual_dates={}, planned_start=dt.date(2025, 2, 1))
    _months(on_pace, project_world, dict.fromkeys(range(1, 7), 100))  # 600 of 600
    _months(behind, project_world, dict.fromkeys(range(1, 7), 60))  # 360 of 600: 20 points → yellow
    _months(revised, project_world, dict.fromkeys(range(1, 7), 50))
    services.year_plan_revise(actor=project_world.office, project_id=revised.pk, year=2025, amount=600, from_month=6)
    Project.objects.update(light=Light.GREEN, light_reasons=[], light_month="")  # forget what the services stored
    assert services.project_lights_refresh(as_of=(2025, 6)) == 4
    lights = dict(Project.objects.values_list("code", "light"))
    assert lights == {on_pace.code: Light.GREEN, behind.code: Light.YELLOW, revised.code: Light.GREEN,
                      unstarted.code: Light.RED}  # planned February, not started by June: 4 months late
    behind.refresh_from_db()
    assert (behind.light_month, behind.light_reasons[0]["rule"]) == ("2025-06", "progress")
    assert "落后20.0个百分点" in behind.light_reasons[0]["message"]
    # nothing changed: the second refresh reads (thresholds, plans, the reports' sums, the revised plan's
    # months, the projects) and writes nothing
    with django_assert_num_queries(5):
        assert services.project_lights_refresh(as_of=(2025, 6)) == 4


@pytest.mark.parametrize(("project_overrides", "month", "investment", "words"), [
    ({"node_actual_dates": {}, "planned_start": dt.date(2025, 9, 1)}, 6, 10.0, "尚未开工"),
    ({}, 8, 10.0, "晚于本月"),
    ({"total_investment": 1500.0, "year_plans": {2025: 1000.0}}, 6, 1600.0, "超过项目总投资"),
])
def test_report_refusals(project_world: ProjectWorld, project_overrides: dict[str, Any], month: int,
                         investment: float, words: str) -> None:
    project = project_create(project_world, **project_overrides)
    with pytest.raises(ApplicationError, match=words):
        services.monthly_report_file(actor=project_world.unit, project_id=project.pk, year=2025, month=month,
                                     investment=investment)
    assert not MonthlyReport.objects.exists()


def _report_file(rows: list[list[object]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["项目编码", "项目名称", "填报月份", "当月完成投资(万元)", "形象进度(%)", "形象进度说明", "存在问题"])
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_import_is_all_or_nothing_and_names_row_and_field(project_world: ProjectWorld) -> None:
    started = project_create(project_world, code="XM-A")
    project_create(project_world, code="XM-B", node_actual_dates={}, planned_start=dt.date(2025, 10, 1))
    content = _report_file([
        ["XM-A", "", "2025-06", 120, 30, "主体施工", ""],
        ["XM-B", "", "2025-06", 10, 0, "", ""],  # not started
        ["XM-A", "", "2025-06", 1, 0, "", ""],  # twice
        ["XM-C", "", "2025-06", 1, 0, "", ""],  # unknown
    ])
    report = services.monthly_reports_import(actor=project_world.office, content=content, file_name="m.xlsx",
                                             year=2025, month=6)
    assert not report.ok
    assert [(problem.row, problem.field) for problem in report.problems] == [
        (3, "填报月份"), (4, "项目编码"), (5, "项目编码")]
    assert "尚未开工" in report.problems[0].text()
    assert report.problems[0].text().startswith("第3行“填报月份”：")
    assert not MonthlyReport.objects.exists()
    wrong_month = services.monthly_reports_import(actor=project_world.office, content=_report_file(
        [["XM-A", "", "2025-05", 120, 30, "", ""]]), file_name="m.xlsx", year=2025, month=6)
    assert "与所选月份 2025-06 不一致" in wrong_month.problems[0].message
    good = services.monthly_reports_import(actor=project_world.office, content=_report_file(
        [["XM-A", "", "2025-06", 120.5, 30, "主体施工", ""]]), file_name="m.xlsx", year=2025, month=6)
    assert (good.ok, good.imported) == (True, 1)
    assert MonthlyReport.objects.get(project=started).investment == pytest.approx(120.5)


def test_unit_import_is_limited_to_its_own_projects(project_world: ProjectWorld) -> None:
    project_create(project_world, code="XM-A")
    report = services.monthly_reports_import(
        actor=project_world.other_unit, content=_report_file([["XM-A", "", "2025-06", 1, 0, "", ""]]),
        file_name="m.xlsx", year=2025, month=6, department_id=project_world.world.department_hb.pk)
    assert report.problems[0].message == "项目“XM-A”不是本单位负责的项目。"


def _statistics_file(rows: list[list[object]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["项目编码", "项目名称", "统计月份", "累计完成投资(万元)", "入库日期"])
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_statistics_list_reconciles_with_the_reports(project_world: ProjectWorld) -> None:
    project = project_create(project_world, code="XM-A", statistics_state=StatisticsState.NOT_ENTERED,
                             statistics_date=None)
    _months(project, project_world, {1: 100, 2: 100, 3: 100, 4: 100, 5: 100, 6: 100})
    project.refresh_from_db()
    assert project.light == Light.RED  # started in January, not entered by June
    report = services.statistics_list_import(actor=project_world.office, content=_statistics_file(
        [["XM-A", "", "2025-06", 540, dt.date(2025, 6, 20)]]), file_name="s.xlsx", year=2025, month=6)
    assert report.ok
    project.refresh_from_db()
    assert (project.statistics_state, project.statistics_date, project.light) == (
        StatisticsState.ENTERED, dt.date(2025, 6, 20), Light.GREEN)
    [row] = selectors.reconciliation_month(projects=Project.objects.all(), year=2025, month=6)
    assert (row["reported"], row["statistics"], row["gap"], row["gap_percent"]) == (600.0, 540.0, 60.0, 10.0)
    future = services.statistics_list_import(actor=project_world.office, content=_statistics_file(
        [["XM-A", "", "2025-06", 540, dt.date(2025, 8, 1)]]), file_name="s.xlsx", year=2025, month=6)
    assert (future.problems[0].row, future.problems[0].field) == (2, "入库日期")


def test_finished_industrial_projects_name_their_owner_for_the_evaluation(project_world: ProjectWorld) -> None:
    finished = project_create(project_world, is_industrial=True, node_actual_dates={
        "land": dt.date(2024, 1, 1), "start": dt.date(2024, 2, 1), "completion": dt.date(2025, 5, 1)})
    project_create(project_world, is_industrial=True)  # still building
    project_create(project_world, node_actual_dates={"start": dt.date(2024, 2, 1), "completion": dt.date(2025, 5, 1)})
    assert selectors.owner_credit_codes_of_finished_industrial_projects() == [finished.owner_credit_code]
