"""The project library's Excel import: all rows or none, each refusal naming its row and column."""

from __future__ import annotations

import io

from django.test import Client
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from zhili.audit.models import AuditRecord
from zhili.cases.tests.factories import POINT_IN_GRID_A
from zhili.projects import files, services
from zhili.projects.models import Project, ProjectKind, ProjectLevel
from zhili.projects.tests.factories import ProjectWorld, owner_code, project_create


def _library_file(rows: list[list[object]]) -> bytes:
    workbook = load_workbook(io.BytesIO(files.project_library_template()))
    sheet = workbook["项目库"]
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _row(code: str, world: ProjectWorld, **changes: object) -> list[object]:
    values: dict[str, object] = {
        "code": code, "name": f"项目{code}", "level": "区级", "kind": "重点项目",
        "department": world.world.department_cg.name, "total_investment": 5000, "plan_year": 2025, "year_plan": 1200,
        "industry": "汽车零部件", "is_industrial": "是", "owner_name": "测试业主有限公司",
        "owner_credit_code": owner_code(900), "longitude": POINT_IN_GRID_A[0], "latitude": POINT_IN_GRID_A[1],
        "coordinate_system": "WGS-84", "planned_start": "2025-09-01", "planned_finish": "2026-12-31",
        "contact_name": "王工", "contact_phone": "13900001111"}
    values.update(changes)
    return [values[key] for key, _header in files.LIBRARY_COLUMNS]


def test_a_file_with_any_bad_row_imports_nothing_and_names_row_and_column(project_world: ProjectWorld) -> None:
    taken = project_create(project_world)
    bad_code = owner_code(901)[:-1] + ("0" if owner_code(901)[-1] != "0" else "1")  # wrong check character
    report = services.project_library_import(actor=project_world.office, file_name="库.xlsx", content=_library_file([
        _row("K1", project_world),
        _row("K1", project_world),  # twice in the file
        _row(taken.code, project_world),  # already in the library
        _row("K3", project_world, owner_credit_code=bad_code),
        _row("K4", project_world, year_plan=6000),  # above the total of 5 000
        _row("K5", project_world, level="县级"),
        _row("K6", project_world, department="不存在的局"),
        _row("K7", project_world, planned_start="2025/13/01"),
    ]))
    assert not report.ok
    assert report.imported == 0
    found = {(problem.row, problem.field) for problem in report.problems}
    assert found == {(3, "项目编码"), (4, "项目编码"), (5, "统一社会信用代码"), (6, "年度计划投资(万元)"),
                     (7, "项目级别"), (8, "责任单位"), (9, "计划开工")}
    assert "县级" in next(problem.message for problem in report.problems if problem.row == 7)
    assert not Project.objects.filter(code__startswith="K").exists()


def test_a_clean_file_registers_every_row(project_world: ProjectWorld) -> None:
    report = services.project_library_import(actor=project_world.office, file_name="库.xlsx", content=_library_file([
        _row("K1", project_world),
        _row("K2", project_world, kind="民生实事", is_industrial="否", owner_credit_code="", level="街道级",
             department=project_world.world.department_hb.code, plan_year=None, year_plan=None),
    ]))
    assert (report.ok, report.imported) == (True, 2)
    first, second = Project.objects.filter(code__in=["K1", "K2"]).order_by("code")
    assert (first.level, first.kind, first.is_industrial, first.grid_id is not None) == (
        ProjectLevel.DISTRICT, ProjectKind.KEY, True, True)
    assert first.year_plans.get(year=2025).amount == 1200
    assert first.contact_phone_masked == "139****1111"
    assert (second.kind, second.department_id) == (ProjectKind.LIVELIHOOD, project_world.world.department_hb.pk)
    assert AuditRecord.objects.filter(action="projects.project_library_import").count() == 1


def test_the_library_page_is_the_project_offices(project_world: ProjectWorld, client: Client) -> None:
    client.force_login(project_world.unit)
    assert client.get(reverse("projects:library")).status_code == 403
    client.force_login(project_world.office)
    assert "导入项目库" in client.get(reverse("projects:library")).content.decode()
    template = load_workbook(io.BytesIO(client.get(reverse("projects:library_template")).content))
    assert [cell.value for cell in template["项目库"][1]] == [header for _key, header in files.LIBRARY_COLUMNS]
    upload = io.BytesIO(_library_file([_row("K1", project_world, total_investment="很多")]))
    upload.name = "库.xlsx"
    response = client.post(reverse("projects:library_import"), {"file": upload})
    assert response.status_code == 400
    assert "总投资(万元)" in response.content.decode()
    empty = Workbook()
    buffer = io.BytesIO()
    empty.save(buffer)
    buffer.seek(0)
    buffer.name = "空.xlsx"
    response = client.post(reverse("projects:library_import"), {"file": buffer})
    assert response.status_code == 400  # an empty sheet is a message, not a server error
