"""The three progress measures, target revisions and the reminder calendar, on hand-computed figures.

Figures worked out by hand (plan 2020 → 2025, evaluated in 2023, so 时序进度 = 3/5 = 0.6):

* level 100 → 150, value 128: 序时 ratio (28/50)/0.6 = 0.9333 (滞后); CAGR observed 1.28^(1/3) − 1 =
  0.085767, required 1.5^(1/5) − 1 = 0.084472, ratio 1.0153 (显著进展); projection 128·1.28^(2/3) =
  150.90, (150.90 − 100)/50 = 1.018 (可达标). Two measures say "good", 序时 says "behind": disagree.
* growth from yearly rates 5, 7, 4 % against 6 %: index 1.05·1.07·1.04 = 1.16844, realised 5.3260 %,
  序时 ratio 1 + (0.053260 − 0.06)/0.06 = 0.8877; CAGR ratio the same 0.8877 (中等进展); projection
  index 1.053260^5 = 1.29622, (1.29622 − 1)/(1.06^5 − 1) = 0.8758 (需加快). All "behind": agree.
* cumulative 200 with flows 38, 41, 36: S = 115, ratio (115/200)/0.6 = 0.9583; no CAGR; projection
  36·g + 36·g² with g = (36/38)^(1/2) = 0.973329 → 115 + 69.145 = 184.145, 184.145/200 = 0.9207.
* upper bound ≤ 3 (lower is better), baseline 2.0, value 2.8: compliant (符合序时); CAGR ratio
  −(1.4^(1/3) − 1)/(1.5^(1/5) − 1) = −1.4051 (退步); projection 2.8·1.4^(2/3) = 3.5041 > 3 (背离). Disagree.
"""

from __future__ import annotations

import datetime as dt

import pytest

from zhili.indicators.evaluation import IndicatorSpec, Status, evaluate_indicator
from zhili.indicators.rules import (
    TargetVersion,
    Verdict,
    cagr_status,
    data_deadline_for,
    data_year_for,
    progress_measures,
    reminder_due,
    spec_with_target,
    target_for_year,
)


def _measures(spec: IndicatorSpec, values: dict[int, float], year: int = 2023):  # type: ignore[no-untyped-def]
    evaluation = evaluate_indicator(spec, values, year)
    return evaluation, progress_measures(spec, evaluation)


def test_level_indicator_where_the_three_measures_disagree() -> None:
    spec = IndicatorSpec(kind="level", direction=1, base_year=2020, target_year=2025, baseline=100.0, target=150.0)
    evaluation, measures = _measures(spec, {2023: 128.0})
    assert evaluation.status == Status.LAGGING
    assert measures.schedule_ratio == pytest.approx(0.933333, abs=1e-6)
    assert measures.cagr_ratio == pytest.approx(0.085767 / 0.084472, abs=2e-4)
    assert measures.cagr_status == "substantial_progress"
    assert measures.projected_value == pytest.approx(150.90, abs=0.01)
    assert measures.projection_ratio == pytest.approx(1.018, abs=1e-3)
    assert measures.projection_status == "on_track"
    assert measures.verdicts == (Verdict.GOOD, Verdict.BEHIND, Verdict.GOOD)
    assert measures.disagree
    assert "直线路径" in measures.reason
    assert "93%" in measures.reason
    assert "102%" in measures.reason


def test_level_indicator_where_they_agree() -> None:
    spec = IndicatorSpec(kind="level", direction=1, base_year=2020, target_year=2025, baseline=100.0, target=150.0)
    evaluation, measures = _measures(spec, {2023: 130.0})
    assert evaluation.status == Status.ON_TRACK
    assert measures.cagr_ratio == pytest.approx((1.3 ** (1 / 3) - 1) / (1.5 ** 0.2 - 1), abs=1e-9)
    assert measures.cagr_ratio == pytest.approx(1.0819, abs=1e-4)
    assert measures.projected_value == pytest.approx(154.84, abs=0.01)
    assert measures.verdicts == (Verdict.GOOD, Verdict.GOOD, Verdict.GOOD)
    assert not measures.disagree
    assert measures.reason == ""


def test_growth_rate_indicator() -> None:
    spec = IndicatorSpec(kind="growth", direction=1, base_year=2020, target_year=2025, target=6.0,
                         growth_input="rate")
    evaluation, measures = _measures(spec, {2021: 5.0, 2022: 7.0, 2023: 4.0})
    assert evaluation.realised_value == pytest.approx(5.3260, abs=1e-4)
    assert evaluation.status == Status.LAGGING
    assert measures.schedule_ratio == pytest.approx(0.8877, abs=1e-4)
    assert measures.cagr_ratio == pytest.approx(0.8877, abs=1e-4)
    assert measures.cagr_status == "moderate_progress"
    assert measures.projection_ratio == pytest.approx(0.8758, abs=1e-4)
    assert measures.projection_status == "acceleration_needed"
    assert measures.verdicts == (Verdict.BEHIND, Verdict.BEHIND, Verdict.BEHIND)
    assert not measures.disagree


def test_cumulative_indicator_has_no_cagr() -> None:
    spec = IndicatorSpec(kind="cumulative", direction=1, base_year=2020, target_year=2025, target=200.0)
    evaluation, measures = _measures(spec, {2021: 38.0, 2022: 41.0, 2023: 36.0})
    assert evaluation.realised_value == 115.0
    assert measures.schedule_ratio == pytest.approx(0.958333, abs=1e-6)
    assert measures.cagr_ratio is None
    assert measures.cagr_status == "not_available"
    assert measures.projected_value == pytest.approx(184.145, abs=1e-3)
    assert measures.projection_ratio == pytest.approx(0.92072, abs=1e-4)
    assert measures.verdicts == (Verdict.UNKNOWN, Verdict.BEHIND, Verdict.BEHIND)
    assert not measures.disagree


def test_upper_bound_compliant_now_but_trending_out() -> None:
    spec = IndicatorSpec(kind="bound", direction=-1, base_year=2020, target_year=2025, baseline=2.0, target=3.0)
    evaluation, measures = _measures(spec, {2023: 2.8})
    assert evaluation.status == Status.ON_TRACK
    assert measures.cagr_ratio == pytest.approx(-(1.4 ** (1 / 3) - 1) / (1.5 ** 0.2 - 1), abs=1e-9)
    assert measures.cagr_ratio == pytest.approx(-1.4051, abs=1e-4)
    assert measures.cagr_status == "deterioration"
    assert measures.projected_value == pytest.approx(3.5041, abs=1e-4)
    assert measures.projection_status == "regressing"
    assert measures.verdicts == (Verdict.REGRESSING, Verdict.GOOD, Verdict.REGRESSING)
    assert measures.reason == "当年值2.8符合约束值3，但按基期以来的变化趋势外推至2025年为3.5，将突破约束。"


def test_upper_bound_falling_towards_the_bound_agrees() -> None:
    # PM2.5 36.5 → ≤ 35, 34.0 in 2023: CAGR ratio (1 − (34/36.5)^(1/3)) / (1 − (35/36.5)^(1/5)) = 2.7966.
    spec = IndicatorSpec(kind="bound", direction=-1, base_year=2020, target_year=2025, baseline=36.5, target=35.0)
    evaluation, measures = _measures(spec, {2023: 34.0})
    assert evaluation.status == Status.ON_TRACK
    assert measures.cagr_ratio == pytest.approx(2.7966, abs=1e-4)
    assert measures.projected_value == pytest.approx(32.43, abs=0.01)
    assert measures.verdicts == (Verdict.GOOD, Verdict.GOOD, Verdict.GOOD)


def test_cagr_thresholds_follow_open_sdg() -> None:
    assert cagr_status(0.95, achieved=False) == "substantial_progress"
    assert cagr_status(0.9499, achieved=False) == "moderate_progress"
    assert cagr_status(0.6, achieved=False) == "moderate_progress"
    assert cagr_status(0.5999, achieved=False) == "limited_progress"
    assert cagr_status(0.0, achieved=False) == "limited_progress"
    assert cagr_status(-0.01, achieved=False) == "deterioration"
    assert cagr_status(None, achieved=True) == "target_achieved"


def test_target_revision_applies_from_its_year_on() -> None:
    original = TargetVersion(from_year=0, value=150.0, text="150")
    revisions = [TargetVersion(from_year=2024, value=140.0, text="", decision_reference="天人发〔2023〕5号",
                               revision=1)]
    assert target_for_year(original, revisions, 2023).value == 150.0
    assert target_for_year(original, revisions, 2024).value == 140.0
    assert target_for_year(original, revisions, 2025).decision_reference == "天人发〔2023〕5号"
    # A later decision replaces an earlier one for the years both cover.
    corrected = [*revisions, TargetVersion(from_year=2023, value=145.0, text="", revision=2)]
    assert target_for_year(original, corrected, 2022).value == 150.0
    assert target_for_year(original, corrected, 2023).value == 145.0
    assert target_for_year(original, corrected, 2025).value == 145.0
    # Evaluated by the target that applies: 2024 value 135 lags against 150, is on track against 140.
    spec = IndicatorSpec(kind="level", direction=1, base_year=2020, target_year=2025, baseline=100.0, target=150.0)
    against_original = evaluate_indicator(spec, {2024: 135.0}, 2024)
    against_revised = evaluate_indicator(spec_with_target(spec, 140.0), {2024: 135.0}, 2024)
    assert against_original.ratio == pytest.approx(0.875)
    assert against_original.status == Status.LAGGING
    assert against_revised.ratio == pytest.approx(1.09375)
    assert against_revised.status == Status.ON_TRACK


def test_reminder_calendar() -> None:
    assert data_deadline_for(2025, 3, 31) == dt.date(2026, 3, 31)
    assert data_year_for(dt.date(2026, 3, 1), 3, 31) == 2025
    assert data_year_for(dt.date(2026, 4, 1), 3, 31) == 2026
    deadline = dt.date(2026, 3, 31)
    assert reminder_due(dt.date(2026, 3, 1), deadline) == 30
    assert reminder_due(dt.date(2026, 3, 24), deadline) == 7
    assert reminder_due(dt.date(2026, 3, 30), deadline) == 1
    assert reminder_due(dt.date(2026, 3, 2), deadline) is None
