"""亩均 policy on hand-computed figures: the per-firm money of each class, an objection that changes a
class (and the price), the objection window, four-eyes sign-off, a simulation, land apportionment on a
shared site, and D-class follow-up cases on the case engine.

The firm priced below uses 100 万千瓦时 = 1,000,000 kWh, 2 万立方米 water = 20,000 m³, 1 万立方米 gas =
10,000 m³, 30 亩 = 20,000 m², and COD 2 t + 氨氮 0.8 t + SO₂ 0.95 t = 2,000 + 1,000 + 1,000 = 4,000 污染当量.
Under the shipped table (adjustments per unit, 元):

* A: −0.02·1,000,000 − 3·20,000 − 0.2·4,000 = −20,000 − 60,000 − 800 = −80,800
* B: −1.5·20,000 = −30,000
* C: 0.05·1,000,000 + 0.5·20,000 + 0.2·10,000 + 0.3·4,000 = 50,000 + 10,000 + 2,000 + 1,200 = 63,200
* D: 0.1·1,000,000 + 1.0·20,000 + 0.4·10,000 + 0.6·4,000 = 100,000 + 20,000 + 4,000 + 2,400 = 126,400
"""

from __future__ import annotations

import copy
import datetime as dt
import io

import pytest
from openpyxl import load_workbook

from zhili.audit.models import AuditRecord
from zhili.core import clock
from zhili.core.errors import ApplicationError
from zhili.core.spreadsheets import table_xlsx
from zhili.enterprises import rules, selectors, services
from zhili.enterprises.models import (
    EvaluationRun,
    LandCategory,
    LandSite,
    LandSiteShare,
    Objection,
    ObjectionStatus,
    ObjectorKind,
    PolicyMeasure,
    PolicyTable,
    RunStatus,
    SourceKind,
)
from zhili.enterprises.presets import DEFAULT_POLICY_TABLE
from zhili.enterprises.tests.factories import district_create, enterprise_create, user_create

pytestmark = pytest.mark.django_db

FIGURES = {"electricity": 100.0, "water": 2.0, "gas": 1.0, "land_mu": 30.0, "cod": 2.0, "ammonia": 0.8, "so2": 0.95}
# One indicator (亩均税收, weight 100, fixed benchmark 10 万元/亩, cap 2) and score thresholds A 120 / B 80 / C 50.
TAX_ONLY: dict[str, object] = {
    "name": "亩均税收单指标（测试）",
    "indicators": [{"key": "tax_per_mu", "weight": 100, "cap_multiple": 2,
                    "benchmark": {"mode": "fixed", "value": 10.0}}],
    "classes": {"method": "thresholds", "thresholds": {"A": 120, "B": 80, "C": 50}},
}


def test_per_firm_money_for_each_class() -> None:
    table = rules.policy_table_parse(DEFAULT_POLICY_TABLE)
    quantities = rules.firm_quantities(FIGURES)
    assert quantities["electricity"] == 1_000_000.0
    assert quantities["land"] == pytest.approx(20_000.0)
    assert quantities["emission"] == pytest.approx(4_000.0)
    totals = {code: rules.firm_policy_effect(table, code, quantities).total for code in "ABCD"}
    assert totals == pytest.approx({"A": -80_800.0, "B": -30_000.0, "C": 63_200.0, "D": 126_400.0})
    d_class = rules.firm_policy_effect(table, "D", quantities)
    electricity = next(item for item in d_class.resources if item.resource == "electricity")
    assert electricity.base_price == 0.65
    assert electricity.price == pytest.approx(0.75)
    assert electricity.amount == 100_000.0
    assert (d_class.support_eligible, d_class.credit) == (False, "从紧")
    assert rules.firm_policy_effect(table, "T", quantities).resources == ()
    # A firm without water figures: that line is not priced, the rest is.
    partial = rules.firm_policy_effect(table, "C", rules.firm_quantities({**FIGURES, "water": None}))
    assert partial.total == pytest.approx(53_200.0)
    assert partial.missing == ["水价"]


def test_policy_rates_that_make_a_price_negative_are_refused() -> None:
    config = copy.deepcopy(DEFAULT_POLICY_TABLE)
    config["classes"]["A"]["adjustments"]["electricity"] = -0.70
    with pytest.raises(ApplicationError) as error:
        services.policy_table_save(actor=None, year=2025, config=config)
    assert error.value.code == "policy_price_negative"
    assert error.value.message.startswith("A类电价加减价后为负：0.65 − 0.7 = -0.05 元/千瓦时。")
    assert PolicyTable.objects.count() == 0
    saved = services.policy_table_save(actor=None, year=2025, config=DEFAULT_POLICY_TABLE)
    assert (saved.version, saved.name) == (1, "差别化资源要素价格与政策（演示默认）")


def _tax_only_run(analyst, reviewer, taxes: list[float], *, days: int = 7):  # type: ignore[no-untyped-def]
    enterprises = [enterprise_create(number) for number in range(1, len(taxes) + 1)]
    services.year_values_record(
        actor=None, year=2025, source_kind=SourceKind.OTHER, source_label="测试",
        values={enterprise.pk: {"tax": tax, "electricity": 100.0, "water": 2.0}
                for enterprise, tax in zip(enterprises, taxes, strict=True)})
    scheme = services.scheme_save(actor=analyst, code="tax-only", name="", year=2025, config=TAX_ONLY)
    services.policy_table_save(actor=analyst, year=2025, config=DEFAULT_POLICY_TABLE)
    run = services.evaluation_run_execute(actor=analyst, year=2025, scheme=scheme)
    return enterprises, services.evaluation_run_publish(actor=reviewer, run=run, objection_days=days)


def test_four_eyes_the_evaluator_cannot_sign_off() -> None:
    district_create()
    analyst, reviewer = user_create(), user_create()
    firm = enterprise_create(1)
    services.year_values_record(actor=None, year=2025, source_kind=SourceKind.OTHER, source_label="测试",
                                values={firm.pk: {"tax": 40.0}})
    scheme = services.scheme_save(actor=analyst, code="tax-only", name="", year=2025, config=TAX_ONLY)
    run = services.evaluation_run_execute(actor=analyst, year=2025, scheme=scheme)
    with pytest.raises(ApplicationError) as error:
        services.evaluation_run_publish(actor=analyst, run=run)
    assert error.value.code == "run_four_eyes"
    assert "不能由您本人签发" in error.value.message
    run.refresh_from_db()
    assert (run.status, run.published_by) == (RunStatus.DRAFT, None)
    at = dt.datetime(2026, 5, 10, 2, 0, tzinfo=dt.UTC)
    with clock.frozen(at):
        published = services.evaluation_run_publish(actor=reviewer, run=run, objection_days=7)
    assert published.published_by == reviewer
    assert published.objection_deadline == at + dt.timedelta(days=7)
    audit = AuditRecord.objects.get(action="enterprise_run.publish")
    assert audit.data["evaluated_by"] == analyst.pk
    with clock.frozen(at + dt.timedelta(days=3)):
        assert selectors.run_state(published) == "objection_window"
    with clock.frozen(at + dt.timedelta(days=8)):
        assert selectors.run_state(published) == "effective"


def test_an_upheld_objection_changes_the_class_and_the_price() -> None:
    district_create()
    analyst, reviewer = user_create(), user_create()
    at = dt.datetime(2026, 5, 10, 2, 0, tzinfo=dt.UTC)
    with clock.frozen(at):
        # 10 亩 each: tax 150 → 15/亩 → 150 (A); 100 → 100 (B); 60 → 60 (C); 40 → 40 (D).
        enterprises, run = _tax_only_run(analyst, reviewer, [150.0, 100.0, 60.0, 40.0])
    result = run.results.get(enterprise=enterprises[3])
    assert (result.class_code, result.total) == ("D", pytest.approx(40.0))
    effect = selectors.enterprise_policy_effect(result)
    assert effect is not None
    assert effect.total == pytest.approx(0.1 * 1_000_000 + 1.0 * 20_000)
    with clock.frozen(at + dt.timedelta(days=2)):
        assert selectors.run_state(run) == "objection_window"
        objection = services.objection_record(
            actor=analyst, result=result, submitted_by_name="企业财务", content="2025年税收漏计50万元",
            evidence="国家税务总局常州市天宁区税务局完税证明（编号2025-0088）",
            credit_code=enterprises[3].credit_code.lower())
        resolved = services.objection_resolve(actor=reviewer, objection=objection, upheld=True,
                                              resolution_note="核实完税证明，税收应为90万元", corrections={"tax": 90.0})
        assert selectors.run_state(run) == "objection_window"  # the first run is not yet in effect
        new_run = resolved.resolution_run
        assert new_run is not None
        assert new_run.supersedes_id == run.pk
        with pytest.raises(ApplicationError) as own:
            services.evaluation_run_publish(actor=reviewer, run=new_run)  # the re-evaluator cannot sign it off
        assert own.value.code == "run_four_eyes"
        final = services.evaluation_run_publish(actor=analyst, run=new_run, sign_off_note="复评签发")
        assert final.objection_deadline == at + dt.timedelta(days=2)  # effective on publication
        assert selectors.run_state(final) == "effective"
        assert selectors.run_state(run) == "superseded"
    upheld = final.results.get(enterprise=enterprises[3])
    assert upheld.class_code == "B"
    assert upheld.total == pytest.approx(90.0)  # 9/亩 → 90 points → B
    assert selectors.run_published_latest(year=2025) == final
    new_effect = selectors.enterprise_policy_effect(upheld)
    # B: no price surcharge; the land-tax discount −1.5 元 × 6,666.67 m² (10 亩) = −10,000 元.
    assert new_effect is not None
    assert new_effect.total == pytest.approx(-10_000.0)
    electricity = next(item for item in new_effect.resources if item.resource == "electricity")
    assert electricity.price == pytest.approx(0.65)
    assert Objection.objects.get(pk=objection.pk).status == ObjectionStatus.UPHELD
    assert run.results.get(enterprise=enterprises[3]).class_code == "D"  # the old version is kept


def test_an_objection_after_the_window_or_for_another_firm_is_refused() -> None:
    areas = district_create()
    analyst, reviewer = user_create(), user_create()
    at = dt.datetime(2026, 5, 10, 2, 0, tzinfo=dt.UTC)
    with clock.frozen(at):
        enterprises, run = _tax_only_run(analyst, reviewer, [150.0, 40.0], days=7)
    result = run.results.get(enterprise=enterprises[1])
    with clock.frozen(at + dt.timedelta(days=1)):
        with pytest.raises(ApplicationError) as other:
            services.objection_record(actor=analyst, result=result, submitted_by_name="甲", content="有误",
                                      evidence="证明", credit_code=enterprises[0].credit_code)
        assert other.value.code == "objection_other_enterprise"
        assert enterprises[0].credit_code in other.value.message
        with pytest.raises(ApplicationError) as street:
            services.objection_record(actor=analyst, result=result, submitted_by_name="第2街道", content="有误",
                                      evidence="证明", objector_kind=ObjectorKind.STREET, street=areas["S2"])
        assert street.value.code == "objection_other_street"
        with pytest.raises(ApplicationError) as no_evidence:
            services.objection_record(actor=analyst, result=result, submitted_by_name="甲", content="有误",
                                      credit_code=enterprises[1].credit_code)
        assert no_evidence.value.code == "objection_evidence_required"
        by_street = services.objection_record(actor=analyst, result=result, submitted_by_name="第1街道经发科",
                                              content="用地面积含已退租厂房", evidence="租赁合同解除协议",
                                              objector_kind=ObjectorKind.STREET, street=areas["S1"])
        assert by_street.objector_area == areas["S1"]
    with clock.frozen(at + dt.timedelta(days=7, seconds=1)):
        with pytest.raises(ApplicationError) as late:
            services.objection_record(actor=analyst, result=result, submitted_by_name="甲", content="有误",
                                      evidence="证明", credit_code=enterprises[1].credit_code)
        assert late.value.code == "objection_window_closed"
        assert "2026-05-17 10:00" in late.value.message  # the deadline in China time
        assert selectors.run_state(run) == "pending_objections"
    assert Objection.objects.count() == 1


def test_simulation_lists_every_firm_that_moves_with_the_money() -> None:
    district_create()
    analyst, reviewer = user_create(), user_create()
    config = {**TAX_ONLY, "indicators": [
        {"key": "tax_per_mu", "weight": 50, "cap_multiple": 2, "benchmark": {"mode": "fixed", "value": 10.0}},
        {"key": "sales_per_mu", "weight": 50, "cap_multiple": 2, "benchmark": {"mode": "fixed", "value": 100.0}}]}
    enterprises = [enterprise_create(number) for number in (1, 2)]
    # Firm 1: tax 15/亩 (75 points), sales 50/亩 (25) → 100 (B). Firm 2: tax 5/亩 (25), sales 150/亩 (75) → 100 (B).
    services.year_values_record(actor=None, year=2025, source_kind=SourceKind.OTHER, source_label="测试", values={
        enterprises[0].pk: {"tax": 150.0, "sales": 500.0, "electricity": 100.0},
        enterprises[1].pk: {"tax": 50.0, "sales": 1500.0, "electricity": 100.0}})
    scheme = services.scheme_save(actor=analyst, code="two", name="", year=2025, config=config)
    services.policy_table_save(actor=analyst, year=2025, config=DEFAULT_POLICY_TABLE)
    run = services.evaluation_run_publish(actor=reviewer, run=services.evaluation_run_execute(
        actor=analyst, year=2025, scheme=scheme))
    assert sorted(run.results.values_list("class_code", flat=True)) == ["B", "B"]
    with pytest.raises(ApplicationError) as error:
        selectors.run_simulation(run, weights={"tax_per_mu": 70, "sales_per_mu": 40})
    assert error.value.code == "simulation_weights_total"
    assert "现在是110%" in error.value.message
    # 70/30: firm 1 → 105 + 15 = 120 (A); firm 2 → 35 + 45 = 80 (B, unchanged).
    result = selectors.run_simulation(run, weights={"tax_per_mu": 70, "sales_per_mu": 30})
    assert [(move.enterprise_id, move.before, move.after) for move in result.moves] == [(enterprises[0].pk, "B", "A")]
    move = result.moves[0]
    assert move.total_before == pytest.approx(100.0)
    assert move.total_after == pytest.approx(120.0)
    # A: −0.02 元 × 1,000,000 kWh − 3 元 × 6,666.67 m² (10 亩) = −20,000 − 20,000; B: −1.5 × 6,666.67 = −10,000.
    assert move.money_before == pytest.approx(-10_000.0)
    assert move.money_after == pytest.approx(-40_000.0)
    assert move.money_change == pytest.approx(-30_000.0)
    # Raising the B line to 101 moves both down to C, without touching weights.
    lowered = selectors.run_simulation(run, thresholds={"B": 101})
    assert {(move.before, move.after) for move in lowered.moves} == {("B", "C")}
    assert EvaluationRun.objects.count() == 1  # nothing written


def test_apportionment_on_a_shared_site() -> None:
    district_create()
    analyst = user_create()
    tenants = [enterprise_create(number, land=40.0) for number in (1, 2, 3)]
    # 30 亩: tenant 1 states 6 亩; tenants 2 and 3 split the other 24 亩 by floor area 3,000 : 1,000 m² → 18 and 6.
    site = services.land_site_save(actor=analyst, code="TN-2025-017", name="青龙标准厂房", area_mu=30.0, shares=[
        services.SiteShareInput(credit_code=tenants[0].credit_code, stated_mu=6.0),
        services.SiteShareInput(credit_code=tenants[1].credit_code, floor_area_m2=3000.0),
        services.SiteShareInput(credit_code=tenants[2].credit_code, floor_area_m2=1000.0),
    ])
    shares = dict(LandSiteShare.objects.filter(site=site).values_list("enterprise_id", "share_mu"))
    assert shares == {tenants[0].pk: 6.0, tenants[1].pk: pytest.approx(18.0), tenants[2].pk: pytest.approx(6.0)}
    # Tenant 1 also has a second site of its own: its land is the sum, 6 + 4 = 10 亩.
    services.land_site_save(actor=analyst, code="TN-2025-018", name="东方路仓库", area_mu=4.0, shares=[
        services.SiteShareInput(credit_code=tenants[0].credit_code, stated_mu=4.0)])
    ids, columns = selectors.evaluation_columns(year=2025)
    land = dict(zip(ids, columns["land_mu"].tolist(), strict=True))
    assert land == {tenants[0].pk: 10.0, tenants[1].pk: pytest.approx(18.0), tenants[2].pk: pytest.approx(6.0)}
    with pytest.raises(ApplicationError) as error:
        services.land_site_save(actor=analyst, code="TN-2025-017", name="青龙标准厂房", area_mu=30.0, shares=[
            services.SiteShareInput(credit_code=tenants[0].credit_code, stated_mu=20.0),
            services.SiteShareInput(credit_code=tenants[1].credit_code, stated_mu=12.5)])
    assert error.value.code == "site_shares_exceed_area"
    assert error.value.message == "青龙标准厂房的分摊面积合计32.5亩，超过宗地面积30亩。请核对各企业的分摊面积，未保存。"
    assert LandSite.objects.get(code="TN-2025-017").shares.count() == 3  # nothing half-written


def test_d_class_list_becomes_follow_up_cases_with_deadlines() -> None:
    from zhili.cases.models import Case

    district_create()
    analyst, reviewer = user_create(), user_create()
    services.low_efficiency_matters_register(actor=analyst)
    enterprises, run = _tax_only_run(analyst, reviewer, [150.0, 40.0, 30.0])
    d_results = list(run.results.filter(class_code="D").order_by("enterprise_id"))
    assert [result.enterprise for result in d_results] == enterprises[1:]
    with pytest.raises(ApplicationError) as not_d:
        services.d_class_follow_up_tasks_create(actor=analyst, run=run, tasks=[services.FollowUpTaskInput(
            result_id=run.results.get(enterprise=enterprises[0]).pk, land_category=LandCategory.USED_NOT_FULLY)])
    assert not_d.value.code == "follow_up_not_d_class"
    measures = services.d_class_follow_up_tasks_create(actor=analyst, run=run, tasks=[
        services.FollowUpTaskInput(result_id=d_results[0].pk, land_category=LandCategory.SUPPLIED_NOT_USED),
        services.FollowUpTaskInput(result_id=d_results[1].pk, land_category=LandCategory.OPERATING_BELOW_STANDARD,
                                   note="产出未达供地合同约定"),
    ])
    cases = {case.number: case for case in Case.objects.select_related("matter", "department")}
    assert len(cases) == 2
    first = cases[measures[0].case_number]
    assert first.matter is not None
    assert first.matter.code == "DXYD-02"
    assert first.department is not None
    assert first.department.name == "自然资源和规划局"
    assert first.status == "dispatched"
    assert "供而未用" in first.title
    assert enterprises[1].credit_code in first.description
    assert first.attributes["land_category"] == "supplied_not_used"
    assert measures[0].due_date == first.handle_due_at.astimezone(clock.CHINA_TIME_ZONE).date()  # type: ignore[union-attr]
    assert cases[measures[1].case_number].matter.handle_limit_days == 120  # type: ignore[union-attr]
    assert PolicyMeasure.objects.filter(land_category__isnull=False, case_number__gt="").count() == 2
    with pytest.raises(ApplicationError) as twice:
        services.d_class_follow_up_tasks_create(actor=analyst, run=run, tasks=[services.FollowUpTaskInput(
            result_id=d_results[0].pk, land_category=LandCategory.SUPPLIED_NOT_USED)])
    assert twice.value.code == "follow_up_exists"
    assert Case.objects.count() == 2


def test_class_migration_matrix() -> None:
    assert rules.migration_matrix([("A", "A"), ("A", "B"), ("D", "C"), ("", "B")])["A"] == {
        "A": 1, "B": 1, "C": 0, "D": 0, "T": 0}
    matrix = rules.migration_matrix([("D", "C"), ("", "B")])
    assert (matrix["D"]["C"], matrix[""]["B"]) == (1, 1)


def test_unrated_firm_shows_its_values_not_a_drag() -> None:
    district_create()
    analyst = user_create()
    new_firm = enterprise_create(1, start_year=2025)  # in production for less than 2 years: class T
    other = enterprise_create(2)
    services.year_values_record(actor=None, year=2025, source_kind=SourceKind.OTHER, source_label="测试", values={
        new_firm.pk: {"tax": 30.0}, other.pk: {"tax": 100.0}})
    scheme = services.scheme_save(actor=analyst, code="tax-only", name="", year=2025, config=TAX_ONLY)
    run = services.evaluation_run_execute(actor=analyst, year=2025, scheme=scheme)
    result = run.results.get(enterprise=new_firm)
    assert (result.class_code, result.not_rated_reason) == ("T", "new_production")
    assert result.detail["indicators"] == [{
        "key": "tax_per_mu", "name": "亩均税收", "unit": "万元/亩", "value": 3.0, "benchmark": 10.0, "weight": 100.0,
        "score": None, "effect": "not_rated", "status": "ok"}]
    assert result.detail["dragged"] == []


def test_exports_write_text_as_data_never_formulas() -> None:
    content = table_xlsx("测试", ["名称", "说明"], [("=HYPERLINK(\"http://x\")", "+1"), ("-2", "@SUM(A1)"),
                                                   ("\tx", 3.5)])
    sheet = load_workbook(io.BytesIO(content)).active
    assert sheet is not None
    assert [(cell.value, cell.data_type) for cell in sheet[3]] == [("=HYPERLINK(\"http://x\")", "s"), ("+1", "s")]
    assert [(cell.value, cell.data_type) for cell in sheet[4]] == [("-2", "s"), ("@SUM(A1)", "s")]
    assert (sheet["A5"].value, sheet["A5"].data_type, sheet["B5"].value) == ("\tx", "s", 3.5)


def test_rules_refuse_bad_apportionment_inputs() -> None:
    with pytest.raises(ApplicationError) as both:
        rules.apportion_site(10.0, [rules.ShareInput(enterprise_id=1, share_mu=2.0, floor_area_m2=100.0)])
    assert both.value.code == "site_share_invalid"
    with pytest.raises(ApplicationError) as full:
        rules.apportion_site(10.0, [rules.ShareInput(enterprise_id=1, share_mu=10.0),
                                    rules.ShareInput(enterprise_id=2, floor_area_m2=500.0)], site_name="甲地块")
    assert full.value.code == "site_shares_exceed_area"
    assert rules.apportion_site(12.0, [rules.ShareInput(enterprise_id=1, floor_area_m2=100.0),
                                       rules.ShareInput(enterprise_id=2, floor_area_m2=300.0)]) == {1: 3.0, 2: 9.0}
