"""Registry, imports with their linkage report, runs, publishing immutability, objections, D-class actions."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import Workbook

from zhili.accounts.models import User
from zhili.audit.models import AuditRecord
from zhili.core.errors import ApplicationError
from zhili.enterprises import services
from zhili.enterprises.models import (
    Enterprise,
    EnterpriseScale,
    EnterpriseYearValue,
    EvaluationRun,
    ImportBatch,
    MeasureStatus,
    ObjectionStatus,
    RunStatus,
    SourceKind,
)
from zhili.enterprises.presets import RANK_SHARE_THREE_INDICATORS
from zhili.enterprises.tests.factories import (
    SOUTH,
    WEST,
    credit_code_for,
    district_create,
    enterprise_create,
    fixed_benchmarks,
    user_create,
)

pytestmark = pytest.mark.django_db


def csv_bytes(rows: list[list[object]], encoding: str = "utf-8-sig") -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode(encoding)


def xlsx_bytes(rows: list[list[object]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_register_locates_grid_zone_and_validates() -> None:
    areas = district_create()
    enterprise = enterprise_create(1)
    assert enterprise.grid == areas["G11"]
    assert enterprise.zone == areas["zone"]
    assert enterprise.area_path == "/320402/S1/C1/G11/"
    east = enterprise_create(2, longitude=WEST + 0.17)
    assert east.grid == areas["G22"]
    assert east.zone is None
    with pytest.raises(ApplicationError) as raised:
        services.enterprise_register(actor=None, credit_code="91320402MA0000011X", name="错", industry_code="C34")
    assert raised.value.code == "credit_code_invalid"
    with pytest.raises(ApplicationError) as raised:
        services.enterprise_register(actor=None, credit_code=credit_code_for(3), name="错", industry_code="C99")
    assert raised.value.code == "industry_code_unknown"
    with pytest.raises(ApplicationError) as raised:
        enterprise_create(4, longitude=WEST - 1)
    assert raised.value.code == "enterprise_outside_district"
    utility = services.enterprise_register(actor=None, credit_code=credit_code_for(5), name="热电厂",
                                           industry_code="D4411", longitude=WEST + 0.01, latitude=SOUTH + 0.01)
    assert utility.is_public_utility is True
    assert Enterprise.objects.count() == 3


def _stage_three_files(actor: User, enterprises: list[Enterprise]) -> ImportBatch:
    first, second, third = enterprises
    tax = xlsx_bytes([
        ["统一社会信用代码", "企业名称", "税收（万元）", "营业收入（万元）"],
        [first.credit_code, first.name, 100, 2000],
        [second.credit_code.lower(), second.name, -5, 1000],  # refund; lower-case code is accepted
        [third.credit_code, third.name, 10, 500],
        [third.credit_code, third.name, 12, 500],  # duplicated within the file
        ["91320402MA00000ZZZ", "笔误企业", 1, 1],
        [credit_code_for(999), "未登记企业", 1, 1],
    ])
    energy_gbk = csv_bytes([
        ["统一社会信用代码", "企业名称", "综合能耗（吨标准煤）", "用电量（千瓦时）", "营业收入（万元）"],
        [first.credit_code, first.name, 50, 400000, 2100],  # conflicting sales; kWh converted to 万kWh
        [second.credit_code, second.name, "", 100000, 1000],
        [third.credit_code, third.name, "abc", "", ""],
    ], encoding="gbk")
    environment = csv_bytes([
        ["统一社会信用代码", "企业名称", "化学需氧量（千克）", "氨氮（吨）"],
        [first.credit_code, first.name, 1500, 0.1],
    ])
    return services.import_batch_stage(actor=actor, year=2025, files=[
        services.SourceFileUpload("税务.xlsx", tax, SourceKind.TAX),
        services.SourceFileUpload("能耗.csv", energy_gbk, SourceKind.ENERGY),
        services.SourceFileUpload("环境.csv", environment, SourceKind.ENVIRONMENT),
    ])


def test_import_linkage_report_then_accept_stores_values_with_source() -> None:
    district_create()
    analyst = user_create()
    enterprises = [enterprise_create(number) for number in (1, 2, 3)]
    batch = _stage_three_files(analyst, enterprises)
    counts = batch.report["counts"]
    assert counts["invalid_code"] == 1
    assert counts["unknown_enterprise"] == 1
    assert counts["duplicate_in_file"] == 2
    assert counts["invalid_number"] == 1
    assert counts["warning_tax_negative"] == 1
    assert counts["excluded_rows"] == 5
    assert counts["conflicts"] == 1
    files = list(batch.files.order_by("position"))
    assert [source_file.encoding for source_file in files] == ["xlsx", "GBK/GB18030", "UTF-8"]
    conflict = batch.report["conflicts"][0]
    assert (conflict["field"], conflict["rule"], conflict["chosen_file_id"]) == ("sales", "earlier_file", files[0].pk)
    assert EnterpriseYearValue.objects.count() == 0  # nothing enters before acceptance

    services.import_batch_accept(actor=analyst, batch=batch)
    first, second, third = enterprises
    stored = {(value.enterprise_id, value.field): value for value in EnterpriseYearValue.objects.all()}
    assert stored[(first.pk, "sales")].value == 2000
    assert stored[(first.pk, "sales")].source_file_id == files[0].pk
    assert stored[(first.pk, "electricity")].value == pytest.approx(40.0)
    assert stored[(first.pk, "cod")].value == pytest.approx(1.5)
    assert stored[(first.pk, "cod")].source_kind == SourceKind.ENVIRONMENT
    assert stored[(second.pk, "tax")].value == -5
    assert (second.pk, "energy_tce") not in stored
    assert not any(enterprise_id == third.pk for enterprise_id, _field in stored)  # all its rows had problems
    assert len(stored) == 9  # first: tax, sales, energy, electricity, COD, 氨氮; second: tax, sales, electricity
    with pytest.raises(ApplicationError) as raised:
        services.import_batch_accept(actor=analyst, batch=batch)
    assert raised.value.code == "import_batch_decided"
    assert AuditRecord.objects.filter(action="enterprise_import.accept").count() == 1


def test_unreadable_file_fails_the_whole_batch() -> None:
    district_create()
    analyst = user_create()
    enterprise_create(1)
    good = csv_bytes([["统一社会信用代码", "税收"], [credit_code_for(1), 10]])
    no_code_column = csv_bytes([["企业名称", "税收"], ["甲", 10]])
    with pytest.raises(ApplicationError) as raised:
        services.import_batch_stage(actor=analyst, year=2025, files=[
            services.SourceFileUpload("好.csv", good, SourceKind.TAX),
            services.SourceFileUpload("坏.csv", no_code_column, SourceKind.TAX),
        ])
    assert raised.value.code == "file_no_credit_code_column"
    with pytest.raises(ApplicationError) as raised:
        services.import_batch_stage(actor=analyst, year=2025, files=[
            services.SourceFileUpload("旧.xls", b"\xd0\xcf\x11\xe0", SourceKind.TAX)])
    assert raised.value.code == "file_unreadable"  # .xls is read now; a broken one says so
    with pytest.raises(ApplicationError) as raised:
        services.import_batch_stage(actor=analyst, year=2025, files=[
            services.SourceFileUpload("旧.dbf", b"\x03", SourceKind.TAX)])
    assert raised.value.code == "file_type_unsupported"
    assert ImportBatch.objects.count() == 0


def _year_data(enterprises: list[Enterprise], year: int, taxes: list[float]) -> None:
    services.year_values_record(
        actor=None, year=year, source_kind=SourceKind.OTHER, source_label="测试",
        values={enterprise.pk: {"tax": tax, "sales": tax * 20, "energy_tce": 10.0}
                for enterprise, tax in zip(enterprises, taxes, strict=True)},
    )


def test_run_publish_is_immutable_and_objection_reruns() -> None:
    district_create()
    analyst = user_create()
    reviewer = user_create()
    enterprises = [enterprise_create(number) for number in range(1, 11)]
    _year_data(enterprises, 2024, [float(10 * n) for n in range(1, 11)])
    _year_data(enterprises, 2025, [float(10 * n) for n in range(10, 0, -1)])
    scheme = services.scheme_save(actor=analyst, code="test", name="", year=2025, config=RANK_SHARE_THREE_INDICATORS)
    draft = services.evaluation_run_execute(actor=analyst, year=2025, scheme=scheme)
    assert draft.version == 1
    assert draft.summary["classes"] == {"A": 2, "B": 4, "C": 4, "D": 0, "T": 0}
    assert draft.benchmarks[0]["source"] == "prior_year_average"
    top = draft.results.get(rank=1)
    assert top.enterprise == enterprises[0]
    assert top.previous_class == ""
    rerun = services.evaluation_run_execute(actor=analyst, year=2025, scheme=scheme)  # re-run before publishing
    assert rerun.version == 2
    with pytest.raises(ApplicationError) as raised:
        services.evaluation_run_publish(actor=reviewer, run=draft)
    assert raised.value.code == "run_not_latest"
    with pytest.raises(ApplicationError) as own:
        services.evaluation_run_publish(actor=analyst, run=rerun)  # four eyes: not the evaluator
    assert own.value.code == "run_four_eyes"
    published = services.evaluation_run_publish(actor=reviewer, run=rerun, sign_off_note="同意")
    assert published.status == RunStatus.PUBLISHED
    assert published.published_by == reviewer
    assert published.published_at is not None

    result = published.results.get(enterprise=enterprises[9])
    for attempt in (
        lambda: services.evaluation_run_publish(actor=reviewer, run=published),
        lambda: services.evaluation_run_discard(actor=analyst, run=published),
        lambda: services.evaluation_result_override(actor=analyst, result=result, class_code="A", note="x"),
        lambda: services.evaluation_run_execute(actor=analyst, year=2025, scheme=scheme),
    ):
        with pytest.raises(ApplicationError) as raised:
            attempt()
        assert raised.value.code in {"run_published", "run_year_published"}
    published.refresh_from_db()
    assert published.results.get(enterprise=enterprises[9]).class_code == result.class_code
    assert AuditRecord.objects.filter(action="enterprise_run.publish", object_id=str(published.pk)).count() == 1

    objection = services.objection_record(actor=analyst, result=result, submitted_by_name="企业联系人",
                                          content="税收漏计一笔", evidence="2025年完税证明",
                                          credit_code=result.enterprise.credit_code)
    _year_data([enterprises[9]], 2025, [500.0])  # corrected figure
    resolved = services.objection_resolve(actor=analyst, objection=objection, upheld=True, resolution_note="补录")
    assert resolved.status == ObjectionStatus.UPHELD
    new_run = resolved.resolution_run
    assert new_run is not None
    assert (new_run.version, new_run.status, new_run.supersedes_id) == (3, RunStatus.DRAFT, published.pk)
    assert new_run.results.get(enterprise=enterprises[9]).rank == 1
    services.evaluation_run_publish(actor=reviewer, run=new_run, sign_off_note="复评发布")
    assert EvaluationRun.objects.filter(year=2025, status=RunStatus.PUBLISHED).count() == 2
    assert published.results.get(enterprise=enterprises[9]).rank == 10  # the old version is untouched


def test_year_on_year_movement_and_d_class_measures() -> None:
    district_create()
    analyst = user_create()
    reviewer = user_create()
    enterprises = [enterprise_create(number) for number in range(1, 21)]
    config = fixed_benchmarks(RANK_SHARE_THREE_INDICATORS, {"tax_per_mu": 20.0, "sales_per_mu": 500.0,
                                                            "tax_per_energy": 2.0})
    scheme = services.scheme_save(actor=analyst, code="fixed", name="", year=2024, config=config)
    _year_data(enterprises, 2024, [float(n) for n in range(1, 21)])
    services.evaluation_run_publish(actor=reviewer, run=services.evaluation_run_execute(actor=analyst, year=2024,
                                                                                         scheme=scheme))
    _year_data(enterprises, 2025, [float(n) for n in range(20, 0, -1)])
    run = services.evaluation_run_publish(actor=reviewer, run=services.evaluation_run_execute(
        actor=analyst, year=2025, scheme=scheme))
    best = run.results.get(enterprise=enterprises[0])
    assert (best.class_code, best.previous_class) == ("A", "D")
    worst = run.results.get(class_code="D")
    assert worst.enterprise == enterprises[19]
    assert worst.previous_class == "A"
    measure = services.policy_measure_create(actor=analyst, result=worst, kind="electricity_price",
                                             responsible_department="供电公司")
    services.policy_follow_up_record(actor=analyst, measure=measure, note="已执行加价", status_after=MeasureStatus.DONE)
    measure.refresh_from_db()
    assert measure.status == MeasureStatus.DONE
    assert measure.follow_ups.count() == 1


def test_small_scale_without_land_falls_back_to_registry_land() -> None:
    district_create()
    analyst = user_create()
    small = enterprise_create(1, scale=EnterpriseScale.BELOW, land=2.0)
    big = enterprise_create(2, land=20.0)
    _year_data([small, big], 2025, [5.0, 50.0])
    scheme = services.scheme_save(actor=analyst, code="t", name="", year=2025, config=RANK_SHARE_THREE_INDICATORS)
    run = services.evaluation_run_execute(actor=analyst, year=2025, scheme=scheme)
    small_result = run.results.get(enterprise=small)
    assert (small_result.class_code, small_result.not_rated_reason) == ("T", "small_scale")
    assert run.results.get(enterprise=big).rank == 1
