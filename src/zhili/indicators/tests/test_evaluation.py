"""The evaluation engine on hand-computed values: every kind × status, and the bad-input edge cases.

Plan period 2020 (base) → 2025 (target): the time-proportional share (时序进度) is 0.2 per year.
"""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.oracles.indicators_matrix import evaluate_matrix, matrix_from_specs

from zhili.indicators.evaluation import (
    IndicatorSpec,
    Status,
    Thresholds,
    chart_series,
    evaluate_indicator,
    open_sdg_score,
)


def level(baseline: float | None = 100.0, target: float = 150.0, direction: int = 1, kind: str = "level") -> IndicatorSpec:
    return IndicatorSpec(kind=kind, direction=direction, base_year=2020, target_year=2025, baseline=baseline,
                         target=target)


# --- level -------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("value", "status", "ratio"),
    [
        (120.0, Status.ON_TRACK, 1.0),  # progress 20/50 = 0.4 = share 0.4
        (125.0, Status.AHEAD, 1.25),  # 25/50 = 0.5 → 0.5 / 0.4
        (115.0, Status.LAGGING, 0.75),  # 15/50 = 0.3 → 0.75 (within 30 % behind)
        (110.0, Status.SEVERELY_LAGGING, 0.5),  # 10/50 = 0.2 → 0.5
    ],
)
def test_level_statuses_in_2022(value: float, status: Status, ratio: float) -> None:
    result = evaluate_indicator(level(), {2022: value}, 2022)
    assert result.status == status
    assert result.ratio == pytest.approx(ratio)
    assert result.expected_share == pytest.approx(0.4)
    assert result.expected_value == pytest.approx(120.0)


def test_level_exactly_at_ahead_threshold_is_ahead() -> None:
    # 22/50 = 0.44; 0.44 / 0.4 = 1.1 (floating point gives 1.0999999…; the tolerance keeps it "ahead")
    assert evaluate_indicator(level(), {2022: 122.0}, 2022).status == Status.AHEAD


def test_level_exactly_at_lag_threshold_is_lagging_not_severe() -> None:
    # 14/50 = 0.28; 0.28 / 0.4 = 0.7
    assert evaluate_indicator(level(), {2022: 114.0}, 2022).status == Status.LAGGING


def test_level_target_already_met_early_is_completed() -> None:
    result = evaluate_indicator(level(), {2021: 150.0}, 2021)
    assert result.status == Status.COMPLETED
    assert result.reason == "target_met"
    assert result.sdg_score == 5.0


def test_level_lower_is_better() -> None:
    spec = level(baseline=50.0, target=40.0, direction=-1)
    assert evaluate_indicator(spec, {2021: 48.0}, 2021).status == Status.ON_TRACK  # 2/10 = 0.2
    assert evaluate_indicator(spec, {2021: 49.0}, 2021).status == Status.SEVERELY_LAGGING  # 0.1/0.2 = 0.5
    assert evaluate_indicator(spec, {2021: 39.5}, 2021).status == Status.COMPLETED


def test_level_missing_year_is_no_data_not_carried_forward() -> None:
    result = evaluate_indicator(level(), {2021: 130.0}, 2022)
    assert result.status == Status.NO_DATA
    assert result.reason == "no_observation"


@pytest.mark.parametrize("year", [2019, 2020, 2026])
def test_year_outside_plan_is_no_data(year: int) -> None:
    result = evaluate_indicator(level(), {year: 140.0}, year)
    assert result.status == Status.NO_DATA
    assert result.reason == "year_outside_plan"


def test_level_without_baseline_starts_from_earliest_observation() -> None:
    spec = level(baseline=None, target=20.0)
    result = evaluate_indicator(spec, {2021: 10.0, 2023: 14.0}, 2023)
    # start 2021: share (2023−2021)/(2025−2021) = 0.5; progress (14−10)/(20−10) = 0.4 → 0.8
    assert result.status == Status.LAGGING
    assert result.ratio == pytest.approx(0.8)
    assert result.reason == "baseline_inferred"
    assert result.start_year == 2021


def test_level_without_baseline_uses_base_year_observation() -> None:
    spec = level(baseline=None, target=150.0)
    result = evaluate_indicator(spec, {2020: 100.0, 2022: 120.0}, 2022)
    assert result.status == Status.ON_TRACK
    assert result.reason == ""


def test_level_without_any_start_is_no_data() -> None:
    result = evaluate_indicator(level(baseline=None), {2021: 120.0}, 2021)
    assert result.status == Status.NO_DATA
    assert result.reason == "no_baseline"


def test_level_target_met_at_baseline_then_lost() -> None:
    spec = level(baseline=82.0, target=80.0)
    slipped = evaluate_indicator(spec, {2021: 79.0}, 2021)
    assert slipped.status == Status.LAGGING  # 1 − 1/80 = 0.9875
    assert slipped.ratio == pytest.approx(0.9875)
    assert slipped.reason == "target_met_at_baseline"
    assert evaluate_indicator(spec, {2021: 50.0}, 2021).status == Status.SEVERELY_LAGGING  # 1 − 30/80


def test_level_projection_by_compound_growth() -> None:
    result = evaluate_indicator(level(), {2022: 121.0}, 2022)
    # CAGR (121/100)^(1/2) − 1 = 10 % → 121 · 1.1³ = 161.051
    assert result.projected_value == pytest.approx(161.051)
    assert result.projected_meets_target is True


def test_open_sdg_score_for_level() -> None:
    result = evaluate_indicator(level(), {2022: 110.0}, 2022)
    # observed CAGR 0.048809, required 0.084472 → 0.577813 < 0.6 → 4.1667·0.577813 − 2.5
    assert result.sdg_score == pytest.approx(-0.092428, abs=1e-5)


def test_custom_thresholds() -> None:
    strict = Thresholds(ahead_ratio=1.2, lag_ratio=0.8)
    assert evaluate_indicator(level(), {2022: 115.0}, 2022, strict).status == Status.SEVERELY_LAGGING  # 0.75
    assert evaluate_indicator(level(), {2022: 123.0}, 2022, strict).status == Status.ON_TRACK  # 1.15


# --- share -------------------------------------------------------------------------------------

def test_share_statuses_and_projection_capped_at_100() -> None:
    spec = level(baseline=90.0, target=98.0, kind="share")
    result = evaluate_indicator(spec, {2022: 96.0}, 2022)
    assert result.status == Status.AHEAD  # (6/8) / 0.4 = 1.875
    assert result.projected_value == 100.0  # 96·(96/90)^1.5 = 105.76 capped
    assert evaluate_indicator(spec, {2022: 93.2}, 2022).status == Status.ON_TRACK  # 3.2/8 = 0.4
    assert evaluate_indicator(spec, {2022: 92.8}, 2022).status == Status.LAGGING  # 0.35/0.4 = 0.875
    assert evaluate_indicator(spec, {2022: 91.0}, 2022).status == Status.SEVERELY_LAGGING  # 0.125/0.4
    assert evaluate_indicator(spec, {2022: 98.0}, 2022).status == Status.COMPLETED


# --- growth ------------------------------------------------------------------------------------

def growth_rates(target: float = 6.0, direction: int = 1) -> IndicatorSpec:
    return IndicatorSpec(kind="growth", direction=direction, base_year=2020, target_year=2025, target=target,
                         growth_input="rate")


@pytest.mark.parametrize(
    ("rates", "status", "ratio"),
    [
        ({2021: 6.0, 2022: 6.0}, Status.ON_TRACK, 1.0),
        ({2021: 7.0}, Status.AHEAD, 1.0 + 1.0 / 6.0),
        ({2021: 4.2}, Status.LAGGING, 0.7),
        ({2021: 3.0}, Status.SEVERELY_LAGGING, 0.5),
        ({2021: -1.0}, Status.SEVERELY_LAGGING, 1.0 + (-0.01 - 0.06) / 0.06),
    ],
)
def test_growth_entered_as_yearly_rates(rates: dict[int, float], status: Status, ratio: float) -> None:
    year = max(rates)
    result = evaluate_indicator(growth_rates(), rates, year)
    assert result.status == status
    assert result.ratio == pytest.approx(ratio)
    assert result.expected_value == pytest.approx(6.0)


def test_growth_average_is_geometric_not_arithmetic() -> None:
    # 5 % then 7 %: arithmetic mean 6 %, geometric √(1.05·1.07) − 1 = 5.9953 % → just behind
    result = evaluate_indicator(growth_rates(), {2021: 5.0, 2022: 7.0}, 2022)
    assert result.realised_value == pytest.approx(5.995283, abs=1e-6)
    assert result.status == Status.LAGGING
    assert result.ratio == pytest.approx(0.999214, abs=1e-6)


def test_growth_missing_year_is_no_data() -> None:
    result = evaluate_indicator(growth_rates(), {2021: 6.0, 2023: 6.0}, 2023)
    assert result.status == Status.NO_DATA
    assert result.reason == "missing_years"


def test_growth_whole_period_growth_reached_early_is_completed() -> None:
    # 1.06^5 = 1.3382; 1.20·1.12 = 1.344 ≥ 1.3382
    assert evaluate_indicator(growth_rates(), {2021: 20.0, 2022: 12.0}, 2022).status == Status.COMPLETED


def test_growth_lower_is_better_decline_target() -> None:
    spec = growth_rates(target=-1.5, direction=-1)
    faster = evaluate_indicator(spec, {2021: -2.0}, 2021)
    assert faster.status == Status.AHEAD
    assert faster.ratio == pytest.approx(1.0 + 0.005 / 0.015)
    rising = evaluate_indicator(spec, {2021: 1.0}, 2021)
    assert rising.status == Status.SEVERELY_LAGGING
    assert rising.ratio == pytest.approx(1.0 - 0.025 / 0.015)


def growth_levels(baseline: float | None = 100.0) -> IndicatorSpec:
    return IndicatorSpec(kind="growth", direction=1, base_year=2020, target_year=2025, baseline=baseline,
                         target=10.0, growth_input="level")


def test_growth_from_levels() -> None:
    result = evaluate_indicator(growth_levels(), {2022: 121.0}, 2022)
    assert result.status == Status.ON_TRACK  # (121/100)^(1/2) − 1 = 10 %
    assert result.realised_value == pytest.approx(10.0)
    assert evaluate_indicator(growth_levels(), {2022: 170.0}, 2022).status == Status.COMPLETED  # ≥ 1.1^5 = 1.6105


def test_growth_zero_baseline_is_undefined() -> None:
    result = evaluate_indicator(growth_levels(baseline=0.0), {2022: 121.0}, 2022)
    assert result.status == Status.NO_DATA
    assert result.reason == "zero_baseline"


def test_growth_negative_value_is_undefined() -> None:
    result = evaluate_indicator(growth_levels(), {2022: -5.0}, 2022)
    assert result.status == Status.NO_DATA
    assert result.reason == "non_positive_value"


def test_growth_zero_target_rate() -> None:
    spec = growth_rates(target=0.0)
    assert evaluate_indicator(spec, {2021: -0.5}, 2021).status == Status.SEVERELY_LAGGING
    assert evaluate_indicator(spec, {2021: 0.5}, 2021).status == Status.COMPLETED  # index 1.005 ≥ 1


def test_growth_open_sdg_score_when_on_path() -> None:
    # observed CAGR = required CAGR → progress 1 → 7.1429 − 4.2857
    result = evaluate_indicator(growth_rates(), {2021: 6.0, 2022: 6.0}, 2022)
    assert result.sdg_score == pytest.approx(2.8572, abs=1e-4)


# --- cumulative --------------------------------------------------------------------------------

def cumulative(target: float = 200.0) -> IndicatorSpec:
    return IndicatorSpec(kind="cumulative", direction=1, base_year=2020, target_year=2025, target=target)


@pytest.mark.parametrize(
    ("flows", "status", "ratio"),
    [
        ({2021: 40.0}, Status.ON_TRACK, 1.0),  # 40/200 = 0.2 = share
        ({2021: 40.0, 2022: 30.0}, Status.LAGGING, 0.875),  # 70/200 = 0.35 vs 0.4
        ({2021: 40.0, 2022: 60.0}, Status.AHEAD, 1.25),  # 100/200 = 0.5 vs 0.4
        ({2021: 20.0}, Status.SEVERELY_LAGGING, 0.5),
    ],
)
def test_cumulative_statuses(flows: dict[int, float], status: Status, ratio: float) -> None:
    result = evaluate_indicator(cumulative(), flows, max(flows))
    assert result.status == status
    assert result.ratio == pytest.approx(ratio)
    assert result.realised_value == pytest.approx(sum(flows.values()))


def test_cumulative_total_reached_is_completed_even_with_a_missing_year() -> None:
    assert evaluate_indicator(cumulative(), {2022: 210.0}, 2022).status == Status.COMPLETED


def test_cumulative_missing_year_below_total_is_no_data() -> None:
    result = evaluate_indicator(cumulative(), {2022: 90.0}, 2022)
    assert result.status == Status.NO_DATA
    assert result.reason == "missing_years"


def test_cumulative_projection_compounds_the_yearly_flow() -> None:
    result = evaluate_indicator(cumulative(), {2021: 40.0, 2022: 44.0}, 2022)
    # flow growth 10 %: 48.4 + 53.24 + 58.564 = 160.204 → 84 + 160.204
    assert result.projected_value == pytest.approx(244.204)
    assert result.projected_meets_target is True


def test_cumulative_zero_target_is_invalid() -> None:
    assert evaluate_indicator(cumulative(target=0.0), {2021: 5.0}, 2021).reason == "invalid_target"


# --- bound -------------------------------------------------------------------------------------

def bound(target: float = 35.0, direction: int = -1) -> IndicatorSpec:
    return IndicatorSpec(kind="bound", direction=direction, base_year=2020, target_year=2025, baseline=36.5,
                         target=target)


def test_bound_statuses() -> None:
    assert evaluate_indicator(bound(), {2021: 34.0}, 2021).status == Status.ON_TRACK
    assert evaluate_indicator(bound(), {2025: 34.0}, 2025).status == Status.COMPLETED
    lagging = evaluate_indicator(bound(), {2021: 38.5}, 2021)
    assert lagging.status == Status.LAGGING  # 1 − 3.5/35 = 0.9
    assert lagging.ratio == pytest.approx(0.9)
    assert evaluate_indicator(bound(), {2021: 50.0}, 2021).status == Status.SEVERELY_LAGGING  # 1 − 15/35
    assert evaluate_indicator(bound(), {2021: 35.0}, 2021).status == Status.ON_TRACK  # the bound itself complies


def test_bound_at_least() -> None:
    spec = bound(target=80.0, direction=1)
    assert evaluate_indicator(spec, {2022: 79.0}, 2022).status == Status.LAGGING
    assert evaluate_indicator(spec, {2022: 82.0}, 2022).status == Status.ON_TRACK


def test_bound_zero_violated_is_severe() -> None:
    spec = bound(target=0.0, direction=-1)
    assert evaluate_indicator(spec, {2021: 0.001}, 2021).status == Status.SEVERELY_LAGGING


# --- qualitative -------------------------------------------------------------------------------

def test_qualitative_uses_the_entered_status() -> None:
    spec = IndicatorSpec(kind="qualitative", direction=1, base_year=2020, target_year=2025)
    assert evaluate_indicator(spec, {}, 2021, qualitative={2021: "on_track"}).status == Status.ON_TRACK
    assert evaluate_indicator(spec, {}, 2021, qualitative={2021: "lagging"}).status == Status.LAGGING
    assert evaluate_indicator(spec, {}, 2021, qualitative={2021: "completed"}).status == Status.COMPLETED
    assert evaluate_indicator(spec, {}, 2022, qualitative={2021: "completed"}).status == Status.NO_DATA


def test_numeric_kind_without_target_is_no_data() -> None:
    spec = IndicatorSpec(kind="level", direction=1, base_year=2020, target_year=2025, baseline=1.0, target=None)
    assert evaluate_indicator(spec, {2021: 2.0}, 2021).reason == "invalid_target"


def test_non_finite_observation_is_ignored() -> None:
    assert evaluate_indicator(level(), {2022: math.nan}, 2022).reason == "no_observation"


# --- Open SDG score ----------------------------------------------------------------------------

def test_open_sdg_score_bands() -> None:
    common: dict[str, Any] = {"base_value": 100.0, "target": 200.0, "base_year": 2020, "current_year": 2025, "target_year": 2030,
              "direction": 1}
    # required CAGR = 2^(1/10) − 1; observed at the required pace → ratio 1 → 2.8572
    on_pace = 100.0 * 2 ** 0.5
    assert open_sdg_score(current_value=on_pace, **common) == pytest.approx(2.8572, abs=1e-3)
    assert open_sdg_score(current_value=100.0, **common) == pytest.approx(-2.5)  # no growth → ratio 0
    assert open_sdg_score(current_value=10.0, **common) == -5.0  # strong deterioration is capped
    assert open_sdg_score(current_value=250.0, **common) == 5.0
    assert open_sdg_score(current_value=150.0, base_value=0.0, target=200.0, base_year=2020, current_year=2025,
                          target_year=2030, direction=1) is None


# --- charts ------------------------------------------------------------------------------------

def test_chart_series_for_level() -> None:
    series = chart_series(level(), {2021: 110.0, 2022: 121.0}, 2022)
    assert series.years == [2020, 2021, 2022, 2023, 2024, 2025]
    assert series.actual == [None, 110.0, 121.0, None, None, None]
    assert series.expected == pytest.approx([100.0, 110.0, 120.0, 130.0, 140.0, 150.0])
    assert series.projection[2] == pytest.approx(121.0)
    assert series.projection[5] == pytest.approx(161.051)


def test_chart_series_for_growth_rates_is_an_index() -> None:
    series = chart_series(growth_rates(), {2021: 10.0}, 2021)
    assert series.actual[:2] == pytest.approx([100.0, 110.0])
    assert series.target == pytest.approx(100.0 * 1.06 ** 5)


# --- the vectorised engine agrees with the reference -------------------------------------------

KINDS = ["level", "share", "growth", "cumulative", "bound", "qualitative"]


@st.composite
def indicator_cases(draw: st.DrawFn) -> tuple[IndicatorSpec, dict[int, float], dict[int, str]]:
    kind = draw(st.sampled_from(KINDS))
    direction = 1 if kind == "cumulative" else draw(st.sampled_from([1, -1]))
    value = st.floats(min_value=-50.0, max_value=500.0, allow_nan=False).map(lambda v: round(v, 1))
    baseline = draw(st.one_of(st.none(), value))
    target = draw(st.one_of(st.none(), value))
    growth_input = draw(st.sampled_from(["level", "rate"]))
    years = draw(st.lists(st.integers(min_value=2020, max_value=2025), unique=True, max_size=6))
    observations = {year: draw(value) for year in years}
    qualitative = {year: draw(st.sampled_from(["completed", "on_track", "lagging", "severely_lagging"]))
                   for year in years}
    spec = IndicatorSpec(kind=kind, direction=direction, base_year=2020, target_year=2025, baseline=baseline,
                         target=target, growth_input=growth_input)
    return spec, observations, qualitative


@settings(max_examples=120, deadline=None)
@given(st.lists(indicator_cases(), min_size=1, max_size=8))
def test_matrix_statuses_equal_reference(cases: list[tuple[IndicatorSpec, dict[int, float], dict[int, str]]]) -> None:
    years = list(range(2020, 2027))
    specs = [case[0] for case in cases]
    matrix = matrix_from_specs(specs, [case[1] for case in cases], years, [case[2] for case in cases])
    result = evaluate_matrix(matrix)
    for row, (spec, observations, qualitative) in enumerate(cases):
        for column, year in enumerate(years):
            expected = evaluate_indicator(spec, observations, year, qualitative=qualitative)
            assert Status(int(result.statuses[row, column])) == expected.status, (spec, observations, year)
            if expected.sdg_score is None:
                assert math.isnan(result.sdg_scores[row, column]) or expected.status == Status.NO_DATA
            else:
                assert result.sdg_scores[row, column] == pytest.approx(expected.sdg_score, abs=1e-6)
