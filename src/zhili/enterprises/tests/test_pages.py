"""Pages and API: permission checks, exports and the JSON envelope."""

from __future__ import annotations

import io

import pytest
from django.test import Client
from docx import Document
from openpyxl import load_workbook

from zhili.accounts.models import User
from zhili.accounts.roles import Role
from zhili.enterprises import services
from zhili.enterprises.models import EvaluationRun, SourceKind
from zhili.enterprises.presets import RANK_SHARE_THREE_INDICATORS
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
