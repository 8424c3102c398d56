"""Scoring on hand-computed examples for both presets, class rules, vetoes, ties, fallbacks, and the
vectorised engine against the row-by-row oracle."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from tests.oracles.enterprises_rowwise import evaluate_rows

from zhili.core.errors import ApplicationError
from zhili.enterprises import engine
from zhili.enterprises.presets import JIANGSU_SIX_INDICATORS, RANK_SHARE_THREE_INDICATORS
from zhili.enterprises.scheme import scheme_parse
from zhili.enterprises.synthetic import columns_to_rows, synthetic_columns
from zhili.enterprises.tests.factories import fixed_benchmarks

JIANGSU_BENCHMARKS = {"tax_per_mu": 8.0, "sales_per_mu": 250.0, "tax_per_energy": 1.0, "tax_per_emission": 50.0,
                      "labour_productivity": 20.0, "rd_ratio": 2.0}
RANK_BENCHMARKS = {"tax_per_mu": 20.0, "sales_per_mu": 500.0, "tax_per_energy": 2.0}


def columns(rows: list[dict[str, float]]) -> dict[str, np.ndarray]:
    names = {name for row in rows for name in row}
    return {name: np.array([row.get(name, math.nan) for row in rows], dtype=np.float64) for name in names}


def base_row(**overrides: float) -> dict[str, float]:
    row = {"land_mu": 10.0, "tax": 100.0, "sales": 2000.0, "energy_tce": 50.0, "cod": 1.0, "ammonia": 0.0,
           "so2": 0.0, "nox": 0.0, "added_value": 500.0, "employees": 50.0, "rd": 60.0, "above_scale": 1.0,
           "production_start_year": 2010.0, "public_utility": 0.0, "high_tech": 1.0}
    row.update(overrides)
    return row


def evaluate_both(config: dict[str, Any], rows: list[dict[str, float]], year: int = 2025) -> engine.Outcome:
    scheme = scheme_parse(config)
    outcome = engine.evaluate(scheme, columns(rows), year=year)
    oracle = evaluate_rows(scheme, rows, year=year)
    for index, result in enumerate(oracle):
        total = float(outcome.total[index])
        assert (math.isnan(total) and math.isnan(result.total)) or total == result.total
        assert int(outcome.rank[index]) == result.rank
        assert engine.CLASS_LABELS[int(outcome.class_index[index])] == result.class_label
    return outcome


def test_jiangsu_preset_hand_computed() -> None:
    # 亩均税收 100/10 = 10 vs 8 → 1.25 × 40 = 50; 亩均销售 200 vs 250 → 0.8 × 20 = 16;
    # 单位能耗税收 100/50 = 2 vs 1 → capped 1.5 × 10 = 15; 单位排放税收 100/(1 t COD = 1 千当量) = 100 vs 50
    # → capped 15; 全员劳动生产率 500/50 = 10 vs 20 → 5; R&D 60/2000 = 3% vs 2% → 15; 高新 +3 → 119 → A (≥115).
    outcome = evaluate_both(fixed_benchmarks(JIANGSU_SIX_INDICATORS, JIANGSU_BENCHMARKS), [base_row()])
    assert outcome.indicator_scores[0].tolist() == pytest.approx([50.0, 16.0, 15.0, 15.0, 5.0, 15.0], abs=1e-12)
    assert outcome.total[0] == pytest.approx(119.0, abs=1e-12)
    assert engine.CLASS_LABELS[outcome.class_index[0]] == "A"
    assert outcome.rank[0] == 1


def test_jiangsu_thresholds_give_b_c_d() -> None:
    rows = [
        base_row(tax=60.0, high_tech=0.0),  # 30 + 16 + 10×1.2 + 10×1.2 + 5 + 15 = 90 → B (≥80)
        base_row(tax=20.0, sales=1000.0, rd=10.0, high_tech=0.0),  # 10 + 8 + 4 + 4 + 5 + 10×0.5 = 36 → D
        base_row(tax=40.0, sales=1500.0, rd=30.0, high_tech=0.0),  # 20 + 12 + 8 + 8 + 5 + 10 = 63 → C (≥50)
    ]
    outcome = evaluate_both(fixed_benchmarks(JIANGSU_SIX_INDICATORS, JIANGSU_BENCHMARKS), rows)
    assert outcome.total.tolist() == pytest.approx([90.0, 36.0, 63.0], abs=1e-9)
    assert [engine.CLASS_LABELS[index] for index in outcome.class_index] == ["B", "D", "C"]
    assert outcome.rank.tolist() == [1, 3, 2]


def test_rank_share_preset_hand_computed() -> None:
    # 亩均税收 10 vs 20 → 0.5 × 45 = 22.5; 亩均销售 200 vs 500 → 0.4 × 35 = 14; 单位能耗税收 2 vs 2 → 20;
    # 高新 +2 → 58.5.
    outcome = evaluate_both(fixed_benchmarks(RANK_SHARE_THREE_INDICATORS, RANK_BENCHMARKS), [base_row()])
    assert outcome.indicator_scores[0].tolist() == pytest.approx([22.5, 14.0, 20.0], abs=1e-12)
    assert outcome.total[0] == pytest.approx(58.5, abs=1e-12)


def test_rank_share_classes_for_twenty_enterprises() -> None:
    # Distinct scores by tax; A = top ⌈0.2×20⌉ = 4, B to ⌈0.6×20⌉ = 12, C to 19, D the last one.
    rows = [base_row(tax=float(10 * (index + 1)), high_tech=0.0) for index in range(20)]
    outcome = evaluate_both(fixed_benchmarks(RANK_SHARE_THREE_INDICATORS, RANK_BENCHMARKS), rows)
    by_rank = sorted(zip(outcome.rank.tolist(), (engine.CLASS_LABELS[i] for i in outcome.class_index), strict=True))
    assert [label for _rank, label in by_rank] == ["A"] * 4 + ["B"] * 8 + ["C"] * 7 + ["D"]
    assert engine.share_cutoffs(scheme_parse(RANK_SHARE_THREE_INDICATORS), 20) == {"A": 4, "B": 12, "C": 19}


def test_ties_share_rank_and_go_to_the_better_class() -> None:
    # Ten enterprises, A cut-off ⌈0.2 × 10⌉ = 2. Positions 2 and 3 tie across it: both rank 2, both A
    # (the better class); the next enterprise is rank 4.
    taxes = [100.0, 90.0, 90.0, 80.0, 70.0, 60.0, 50.0, 40.0, 30.0, 20.0]
    rows = [base_row(tax=tax, high_tech=0.0) for tax in taxes]
    outcome = evaluate_both(fixed_benchmarks(RANK_SHARE_THREE_INDICATORS, RANK_BENCHMARKS), rows)
    assert outcome.rank.tolist() == [1, 2, 2, 4, 5, 6, 7, 8, 9, 10]
    assert [engine.CLASS_LABELS[i] for i in outcome.class_index] == ["A", "A", "A", "B", "B", "B", "C", "C", "C", "C"]


def test_veto_forces_d_but_keeps_the_rank() -> None:
    rows = [base_row(tax=500.0, major_safety_incident=1.0), base_row(tax=100.0), base_row(tax=50.0)]
    outcome = evaluate_both(fixed_benchmarks(JIANGSU_SIX_INDICATORS, JIANGSU_BENCHMARKS), rows)
    assert outcome.rank.tolist() == [1, 2, 3]
    assert outcome.vetoed.tolist() == [True, False, False]
    assert engine.CLASS_LABELS[outcome.class_index[0]] == "D"
    assert outcome.veto_hits[0].tolist() == [True, False]


def test_not_rated_reasons_are_class_t() -> None:
    rows = [
        base_row(public_utility=1.0),
        base_row(production_start_year=2024.0),  # 2025 − 2024 = 1 < 2 years
        base_row(above_scale=0.0, land_mu=2.5),  # 规下 below 3 亩
        base_row(land_mu=0.0),
        base_row(production_start_year=2023.0, above_scale=0.0, land_mu=3.0),  # rated: exactly 2 years, 3 亩
    ]
    outcome = evaluate_both(fixed_benchmarks(JIANGSU_SIX_INDICATORS, JIANGSU_BENCHMARKS), rows)
    reasons = [engine.NOT_RATED_REASONS[index] for index in outcome.not_rated_reason]
    assert reasons == ["public_utility", "new_production", "small_scale", "land_missing", ""]
    assert [engine.CLASS_LABELS[index] for index in outcome.class_index][:4] == ["T"] * 4
    assert outcome.rank.tolist() == [0, 0, 0, 0, 1]
    assert math.isnan(outcome.total[0])


def test_negative_tax_scores_zero_on_tax_indicators() -> None:
    outcome = evaluate_both(fixed_benchmarks(JIANGSU_SIX_INDICATORS, JIANGSU_BENCHMARKS),
                            [base_row(tax=-30.0, high_tech=0.0)])
    # tax per mu, tax per energy and tax per emission score 0; 16 + 5 + 15 remain.
    assert outcome.indicator_scores[0].tolist() == pytest.approx([0.0, 16.0, 0.0, 0.0, 5.0, 15.0], abs=1e-12)
    assert outcome.indicator_values[0, 0] == pytest.approx(-3.0)


def test_emission_fallbacks_missing_is_average_score_and_zero_is_full() -> None:
    no_emission = {"cod": math.nan, "ammonia": math.nan, "so2": math.nan, "nox": math.nan}
    rows = [
        base_row(high_tech=0.0),  # emission score 15 (capped)
        base_row(tax=20.0, cod=1.0, high_tech=0.0),  # 20/1 = 20 vs 50 → 0.4 × 10 = 4
        base_row(high_tech=0.0, **no_emission),  # missing → average of 15 and 4 = 9.5
        base_row(high_tech=0.0, cod=0.0),  # reported zero → full 15
    ]
    outcome = evaluate_both(fixed_benchmarks(JIANGSU_SIX_INDICATORS, JIANGSU_BENCHMARKS), rows)
    assert outcome.indicator_scores[:, 3].tolist() == pytest.approx([15.0, 4.0, 9.5, 15.0], abs=1e-12)
    assert outcome.indicator_status[:, 3].tolist() == [0, 0, 1, 2]


def test_energy_falls_back_to_electricity_and_missing_energy_scores_zero() -> None:
    rows = [
        base_row(energy_tce=math.nan, electricity=100.0 / 1.229, high_tech=0.0),  # 100 tce → 1.0 vs 1 → 10
        base_row(energy_tce=math.nan, high_tech=0.0),
    ]
    outcome = evaluate_both(fixed_benchmarks(JIANGSU_SIX_INDICATORS, JIANGSU_BENCHMARKS), rows)
    assert outcome.indicator_scores[:, 2].tolist() == pytest.approx([10.0, 0.0], abs=1e-9)


def test_average_benchmarks_are_aggregate_ratios_times_multiple() -> None:
    config = dict(RANK_SHARE_THREE_INDICATORS)
    rows = [base_row(tax=100.0, land_mu=10.0), base_row(tax=300.0, land_mu=30.0), base_row(tax=50.0, land_mu=2.0,
                                                                                            above_scale=0.0)]
    scheme = scheme_parse(config)
    outcome = engine.evaluate(scheme, columns(rows), year=2025)  # no prior year → current average × 2
    assert outcome.benchmarks[0].value == pytest.approx((400.0 / 40.0) * 2.0)
    assert outcome.benchmarks[0].source == "current_year_fallback"
    prior = engine.evaluate(scheme, columns(rows), year=2025, prior_averages={"tax_per_mu": 5.0, "sales_per_mu": 100.0,
                                                                              "tax_per_energy": 1.0})
    assert prior.benchmarks[0].value == 10.0
    assert prior.benchmarks[0].source == "prior_year_average"


def test_benchmark_undefined_is_a_clear_error() -> None:
    with pytest.raises(ApplicationError) as raised:
        engine.evaluate(scheme_parse(RANK_SHARE_THREE_INDICATORS), columns([base_row(public_utility=1.0)]), year=2025)
    assert raised.value.code == "benchmark_undefined"


def test_invalid_scheme_configs_are_refused() -> None:
    broken = dict(RANK_SHARE_THREE_INDICATORS, indicators=[{"key": "nonsense", "weight": 1}])
    with pytest.raises(ApplicationError) as raised:
        scheme_parse(broken)
    assert raised.value.code == "scheme_invalid"
    with pytest.raises(ApplicationError):
        scheme_parse(dict(RANK_SHARE_THREE_INDICATORS, classes={"method": "rank_share",
                                                                  "shares": {"A": 0.7, "B": 0.6, "C": 0.95}}))


@pytest.mark.parametrize("preset", [JIANGSU_SIX_INDICATORS, RANK_SHARE_THREE_INDICATORS])
def test_vectorised_engine_equals_rowwise_oracle(preset: dict[str, Any]) -> None:
    scheme = scheme_parse(preset)
    prior = engine.indicator_averages(scheme, synthetic_columns(size=2000, seed=5, year=2024), year=2024)
    data = synthetic_columns(size=3000, seed=6)
    outcome = engine.evaluate(scheme, data, year=2025, prior_averages=prior)
    oracle = evaluate_rows(scheme, columns_to_rows(data), year=2025, prior_averages=prior)
    totals = outcome.total.tolist()
    assert all((math.isnan(a) and math.isnan(b.total)) or a == b.total for a, b in zip(totals, oracle, strict=True))
    assert outcome.rank.tolist() == [result.rank for result in oracle]
    assert [engine.CLASS_LABELS[i] for i in outcome.class_index] == [result.class_label for result in oracle]
    counts = np.bincount(outcome.class_index, minlength=5)
    assert counts.sum() == 3000
    assert counts[engine.CLASS_INDEX["D"]] > 0
