"""Source files as departments send them: legacy .xls, the data year in the file name and in the content."""

from __future__ import annotations

import io

import pytest
import xlwt

from zhili.core.errors import ApplicationError
from zhili.enterprises import selectors, services
from zhili.enterprises.files import source_table_read
from zhili.enterprises.models import EnterpriseYearValue, ImportBatch, SourceKind
from zhili.enterprises.tests.factories import credit_code_for, district_create, enterprise_create, user_create
from zhili.enterprises.tests.test_services import csv_bytes, xlsx_bytes

pytestmark = pytest.mark.django_db


def xls_bytes(rows: list[list[object]]) -> bytes:
    workbook = xlwt.Workbook(encoding="utf-8")
    sheet = workbook.add_sheet("税收")
    for row_index, row in enumerate(rows):
        for column, value in enumerate(row):
            sheet.write(row_index, column, value)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def tax_rows(*, title: str | None = None) -> list[list[object]]:
    rows: list[list[object]] = [[title]] if title else []
    return [*rows, ["统一社会信用代码", "企业名称", "税收（万元）"], [credit_code_for(1), "一号企业", 120.5]]


def test_a_legacy_xls_reads_like_an_xlsx() -> None:
    from_xls = source_table_read("2025年度税收.xls", xls_bytes(tax_rows()))
    from_xlsx = source_table_read("2025年度税收.xlsx", xlsx_bytes(tax_rows()))
    assert (from_xls.encoding, from_xls.fields) == ("xls", ["tax"])
    assert [(row.credit_code, row.values) for row in from_xls.rows] == [
        (row.credit_code, row.values) for row in from_xlsx.rows] == [(credit_code_for(1), {"tax": 120.5})]


def test_an_xls_that_is_a_web_page_is_refused_clearly() -> None:
    with pytest.raises(ApplicationError) as refused:
        source_table_read("电费.xls", b"<html><body><table><tr><td>1</td></tr></table></body></html>")
    assert refused.value.code == "file_is_html"
    assert "实际是网页（HTML）表格" in refused.value.message


@pytest.mark.parametrize(("file_name", "rows", "year", "evidence"), [
    ("2025年度税收与经营数据-税务局.xlsx", tax_rows(), 2025, "文件名“2025年度税收与经营数据-税务局.xlsx”"),
    ("tax_2024.xlsx", tax_rows(), 2024, "文件名“tax_2024.xlsx”"),
    ("税收.xlsx", tax_rows(title="2023年度规上工业企业税收汇总表"), 2023, "表头上方写着“2023年度规上工业企业税收汇总表”"),
    ("税收.xlsx", [["年度", "统一社会信用代码", "税收（万元）"], [2022, credit_code_for(1), 1]], 2022, "“年度”列为 2022"),
])
def test_the_data_year_is_found_in_the_name_or_the_content(file_name: str, rows: list[list[object]], year: int,
                                                           evidence: str) -> None:
    detected = source_table_read(file_name, xlsx_bytes(rows)).year
    assert detected is not None
    assert (detected.year, detected.evidence) == (year, evidence)
    assert source_table_read("税收.xlsx", xlsx_bytes(tax_rows())).year is None


def test_a_year_mismatch_is_refused_unless_confirmed_and_a_blank_year_follows_the_files() -> None:
    district_create()
    analyst = user_create()
    enterprise_create(1)
    upload = services.SourceFileUpload("2025年度税收数据.xlsx", xlsx_bytes(tax_rows()), SourceKind.TAX)
    with pytest.raises(ApplicationError) as refused:
        services.import_batch_stage(actor=analyst, year=2026, files=[upload])
    assert refused.value.code == "import_year_mismatch"
    assert refused.value.message.startswith("所选数据年度为 2026，但 “2025年度税收数据.xlsx”是 2025 年度（文件名")
    assert ImportBatch.objects.count() == 0
    confirmed = services.import_batch_stage(actor=analyst, year=2026, files=[upload], confirm_year_mismatch=True)
    assert confirmed.year == 2026
    followed = services.import_batch_stage(actor=analyst, year=None, files=[upload])
    assert followed.year == 2025
    services.import_batch_accept(actor=analyst, batch=followed)
    assert EnterpriseYearValue.objects.filter(year=2025, field="tax").count() == 1
    assert selectors.data_year_latest() == 2025  # the evaluation form's default year
    unnamed = services.SourceFileUpload("税收.csv", csv_bytes(tax_rows()), SourceKind.TAX)
    with pytest.raises(ApplicationError) as no_year:
        services.import_batch_stage(actor=analyst, year=None, files=[unnamed])
    assert no_year.value.code == "import_year_required"
