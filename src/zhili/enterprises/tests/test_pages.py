"""Pages and API: permission checks, exports and the JSON envelope."""

from __future__ import annotations

import io

import pytest
from django.test import Client
from docx import Document
from openpyxl import load_workbook

from zhili.accounts.models import User
from zhili.accounts.roles import Role
from zhili.enterprises import selectors, services
from zhili.enterprises.models import EvaluationRun, SourceKind
from zhili.enterprises.presets import DEFAULT_POLICY_TABLE, RANK_SHARE_THREE_INDICATORS
from zhili.enterprises.tests.factories import district_create, enterprise_create, user_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def published_run() -> tuple[EvaluationRun, User]:
    district_create()
    analyst = user_create(username="analyst-pages")
    enterprises = [enterprise_create(number) for number in range(1, 6)]
    services.year_values_record(actor=None, year=2025, source_kind=SourceKind.OTHER, source_label="测试",
                                values={enterprise.pk: {"tax": 10.0 * index, "sales": 100.0 * index,
                                                        "energy_tce": 5.0}
                                        for index, enterprise in enumerate(enterprises, start=1)})
    scheme = services.scheme_save(actor=analyst, code="p", name="", year=2025, config=RANK_SHARE_THREE_INDICATORS)
    run = services.evaluation_run_execute(actor=analyst, year=2025, scheme=scheme)
    reviewer = user_create(username="reviewer-pages")
    return services.evaluation_run_publish(actor=reviewer, run=run), analyst


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_analyst_pages_and_exports(published_run: tuple[EvaluationRun, User]) -> None:
    run, analyst = published_run
    client = client_for(analyst)
    for url in ("/enterprises/", "/enterprises/import/", "/enterprises/runs/", "/enterprises/schemes/",
                "/enterprises/registry/", f"/enterprises/runs/{run.pk}/", f"/enterprises/runs/{run.pk}/map/",
                f"/enterprises/runs/{run.pk}/d-list/"):
        response = client.get(url)
        assert response.status_code == 200, url
    page = client.get(f"/enterprises/runs/{run.pk}/")
    assert "已发布" in page.content.decode()
    workbook = load_workbook(io.BytesIO(client.get(f"/enterprises/runs/{run.pk}/export.xlsx").content))
    assert workbook.active is not None
    assert workbook.active.max_row == 3 + 5 + 2
    result = run.results.get(rank=1)
    sheet = Document(io.BytesIO(client.get(f"/enterprises/results/{result.pk}/sheet.docx").content))
    assert sheet.tables[0].rows[0].cells[1].text == result.enterprise.name
    zipped = client.get("/enterprises/import/demo-files.zip")
    assert zipped.status_code == 200
    assert zipped.content[:2] == b"PK"
    # Publishing again through the page is refused with a message, the run stays as it was.
    response = client.post(f"/enterprises/runs/{run.pk}/publish/", follow=True)
    assert "结果不可更改" in response.content.decode()


def test_roles_without_grants_are_refused(published_run: tuple[EvaluationRun, User]) -> None:
    run, _analyst = published_run
    leader = client_for(user_create(Role.LEADER))
    assert leader.get("/enterprises/").status_code == 200
    assert leader.get("/enterprises/import/").status_code == 403
    assert leader.post(f"/enterprises/runs/{run.pk}/discard/").status_code == 403
    citizen = client_for(user_create(Role.CITIZEN))
    assert citizen.get("/enterprises/").status_code == 403
    assert citizen.get(f"/enterprises/runs/{run.pk}/export.xlsx").status_code == 403
    assert Client().get("/enterprises/").status_code == 302


def test_api_credit_code_and_results(published_run: tuple[EvaluationRun, User]) -> None:
    run, analyst = published_run
    client = client_for(analyst)
    good = client.get("/api/v1/enterprises/credit-codes/91350100M000100Y43").json()
    assert good == {"code": "91350100M000100Y43", "valid": True, "problem": "", "message": ""}
    bad = client.get("/api/v1/enterprises/credit-codes/91350100M000100Y44").json()
    assert (bad["valid"], bad["problem"]) == (False, "check_character")
    results = client.get(f"/api/v1/enterprises/runs/{run.pk}/results").json()
    assert len(results) == 5
    assert sorted(result["rank"] for result in results) == [1, 2, 3, 4, 5]
    citizen = client_for(user_create(Role.CITIZEN))
    assert citizen.get("/api/v1/enterprises/runs").status_code == 403


def test_every_list_page_downloads_excel(published_run: tuple[EvaluationRun, User]) -> None:
    run, analyst = published_run
    services.policy_table_save(actor=analyst, year=2025, config=DEFAULT_POLICY_TABLE)
    client = client_for(analyst)
    expected_rows = {  # url → data rows after the title and header rows
        "/enterprises/registry/?format=xlsx": 5, "/enterprises/runs/?format=xlsx": 1,
        f"/enterprises/runs/{run.pk}/d-list/?format=xlsx": run.results.filter(class_code="D").count(),
        f"/enterprises/runs/{run.pk}/policy/?format=xlsx": 5, "/enterprises/objections/?format=xlsx": 0,
        "/enterprises/sites/?format=xlsx": 0, "/enterprises/policy/?format=xlsx": 4 * 5,
        f"/enterprises/runs/{run.pk}/migration/?format=xlsx": 0,
        f"/enterprises/runs/{run.pk}/simulate/?simulate=1&format=xlsx": 0, "/enterprises/schemes/?format=xlsx": 1,
    }
    for url, rows in expected_rows.items():
        response = client.get(url)
        assert response.status_code == 200, url
        assert response["Content-Type"].startswith("application/vnd.openxmlformats"), url
        sheet = load_workbook(io.BytesIO(response.content)).active
        assert sheet is not None
        assert sheet.max_row == 2 + rows, url
    for url in (f"/enterprises/runs/{run.pk}/policy/", f"/enterprises/runs/{run.pk}/simulate/",
                f"/enterprises/runs/{run.pk}/migration/", "/enterprises/objections/", "/enterprises/policy/",
                "/enterprises/sites/"):
        assert client.get(url).status_code == 200, url


def test_simulation_page_refuses_weights_not_summing_to_100(published_run: tuple[EvaluationRun, User]) -> None:
    run, analyst = published_run
    page = client_for(analyst).get(f"/enterprises/runs/{run.pk}/simulate/", {
        "simulate": "1", "weight-tax_per_mu": "50", "weight-sales_per_mu": "35", "weight-tax_per_energy": "20"})
    assert page.status_code == 200
    assert "各指标权重之和应为100%，现在是105%。请调整后重新模拟。" in page.content.decode()


def test_profile_shows_figures_as_people_read_them(published_run: tuple[EvaluationRun, User]) -> None:
    run, analyst = published_run
    result = run.results.get(rank=1)
    services.year_values_record(actor=None, year=2025, source_kind=SourceKind.OTHER, source_label="测试",
                                values={result.enterprise_id: {"high_tech": 0.0, "employees": 6.0}})
    page = client_for(analyst).get(f"/enterprises/registry/{result.enterprise.credit_code}/").content.decode()
    assert '<tr data-field="high_tech"><td>高新技术企业(1是0否)</td><td>否</td>' in page
    assert '<tr data-field="employees"><td>年平均职工人数</td><td>6</td>' in page
    assert "0.0</td>" not in page
    assert "6.0</td>" not in page


def test_import_report_shows_field_labels(published_run: tuple[EvaluationRun, User]) -> None:
    from zhili.enterprises.demo import demo_source_files
    from zhili.enterprises.models import Enterprise

    _run, analyst = published_run
    files = [services.SourceFileUpload(file_name=name, content=content, source_kind=kind)
             for name, content, kind in demo_source_files(year=2025, seed=3,
                                                          enterprises=list(Enterprise.objects.order_by("pk")))]
    batch = services.import_batch_stage(actor=analyst, year=2025, files=files)
    page = client_for(analyst).get(f"/enterprises/import/{batch.pk}/").content.decode()
    assert '<td class="field-labels">税收实际贡献、营业收入、工业增加值、研发经费支出、年平均职工人数、高新技术企业(1是0否)</td>' in page
    for key in ("added_value", "energy_tce", "cod"):
        assert f">{key}" not in page
        assert f"、{key}" not in page
    findings = load_workbook(io.BytesIO(client_for(analyst).get(f"/enterprises/import/{batch.pk}/",
                                                                {"format": "xlsx"}).content)).active
    assert findings is not None
    assert findings.max_row == 2 + len(selectors.staged_rows_with_findings(batch))
