"""The pure rules, with figures worked out by hand in each test's comment."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

import pytest

from zhili.projects import rules
from zhili.projects.rules import (
    GREEN,
    RED,
    YELLOW,
    LightFacts,
    LightThresholds,
    NodeDates,
    PlanRevision,
    expected_to_date,
    light_evaluate,
)


def test_expected_share_spreads_the_plan_evenly_from_january() -> None:
    # 1200 万元 over 12 months: 100 a month, 600 by the end of June
    assert expected_to_date(year=2025, month=6, original_amount=1200, start=dt.date(2024, 5, 1)) == 600.0
    assert expected_to_date(year=2025, month=12, original_amount=1200) == 1200.0


def test_project_started_late_in_the_year_spreads_its_plan_from_the_start_month() -> None:
    # starts 15 July: 600 over the six months July–December, 100 a month; September is 3/6 → 300
    start = dt.date(2025, 7, 15)
    assert expected_to_date(year=2025, month=9, original_amount=600, start=start) == 300.0
    assert expected_to_date(year=2025, month=6, original_amount=600, start=start) == 0.0
    # a start after the year: nothing expected in the year
    assert expected_to_date(year=2025, month=12, original_amount=600, start=dt.date(2026, 2, 1)) == 0.0


def test_revised_plan_spreads_what_is_left_over_the_remaining_months() -> None:
    # 1200 planned; 50 done each month January–June (300); from July the plan is 600:
    # the 300 left are spread over July–December (50 a month); by September 300 + 3 × 50 = 450
    done = dict.fromkeys(range(1, 7), 50.0)
    revisions = [PlanRevision(month=7, amount=600)]
    assert expected_to_date(year=2025, month=9, original_amount=1200, revisions=revisions,
                            completed_by_month=done) == 450.0
    # before the revision month the original plan counts: June is 6/12 of 1200
    assert expected_to_date(year=2025, month=6, original_amount=1200, revisions=revisions,
                            completed_by_month=done) == 600.0


# started long ago, entered, 1200 planned and 600 expected by the end of June
BASE_FACTS = LightFacts(year=2025, month=6, planned_start=dt.date(2024, 3, 1), actual_start=dt.date(2024, 3, 1),
                        statistics_entered_on=dt.date(2024, 4, 1), plan_amount=1200.0, expected_to_date=600.0,
                        completed_to_date=600.0)


def _facts(**overrides: Any) -> LightFacts:
    return replace(BASE_FACTS, **overrides)


@pytest.mark.parametrize(("completed", "light", "behind"), [
    (500.0, GREEN, 8.3),  # (600 − 500) / 1200 = 8.3 points
    (480.0, YELLOW, 10.0),  # exactly 10 points: yellow
    (420.0, YELLOW, 15.0),
    (240.0, YELLOW, 30.0),  # exactly 30: still yellow ("over 30" is red)
    (200.0, RED, 33.3),
])
def test_progress_light_against_the_expected_share(completed: float, light: str, behind: float) -> None:
    facts = _facts(completed_to_date=completed)
    assert rules.progress_points_behind(facts) == behind
    assert light_evaluate(facts).light == light


@pytest.mark.parametrize(("month", "light"), [(2, GREEN), (3, YELLOW), (5, YELLOW), (6, RED)])
def test_start_light_counts_months_after_the_planned_month(month: int, light: str) -> None:
    # planned to start in March 2025, not started; as of the end of March yellow, three months on (June) red
    facts = _facts(month=month, planned_start=dt.date(2025, 3, 10), actual_start=None, statistics_entered_on=None,
                   expected_to_date=0.0, completed_to_date=0.0)
    assert light_evaluate(facts).light == light


@pytest.mark.parametrize(("month", "entered", "light"), [
    (3, None, GREEN), (4, None, YELLOW), (5, None, RED), (5, dt.date(2025, 4, 20), GREEN),
    (5, dt.date(2025, 6, 2), RED),  # entered after the month assessed: not yet entered then
])
def test_statistics_light_after_the_start(month: int, entered: dt.date | None, light: str) -> None:
    facts = _facts(month=month, planned_start=dt.date(2025, 3, 1), actual_start=dt.date(2025, 3, 5),
                   statistics_entered_on=entered, expected_to_date=0.0, completed_to_date=0.0)
    result = light_evaluate(facts)
    assert result.light == light
    assert [reason.rule for reason in result.reasons] == ([] if light == GREEN else ["statistics"])


def test_worst_rule_wins_and_every_rule_is_a_reason() -> None:
    facts = _facts(month=6, planned_start=dt.date(2025, 1, 1), actual_start=None, statistics_entered_on=None,
                   expected_to_date=600.0, completed_to_date=420.0)
    result = light_evaluate(facts)
    assert result.light == RED
    assert [(reason.rule, reason.light) for reason in result.reasons] == [("start", RED), ("progress", YELLOW)]
    assert "落后15.0个百分点" in result.reasons[1].message


def test_thresholds_are_configurable_and_checked() -> None:
    strict = rules.thresholds_parse({"progress_yellow_points": 5, "progress_red_points": 12})
    assert strict == LightThresholds(progress_yellow_points=5, progress_red_points=12)
    assert light_evaluate(_facts(completed_to_date=420.0), strict).light == RED  # 15 points > 12
    with pytest.raises(ValueError, match="不能小于"):
        rules.thresholds_parse({"start_yellow_months": 4, "start_red_months": 3})
    with pytest.raises(ValueError, match="未知参数"):
        rules.thresholds_parse({"colour": 1})


def test_gates_refuse_a_node_before_its_predecessor_and_a_future_date() -> None:
    nodes = [NodeDates("planning", "谋划", actual=dt.date(2025, 1, 1)),
             NodeDates("signing", "签约", actual=dt.date(2025, 2, 1)),
             NodeDates("land", "供地/拿地", actual=dt.date(2025, 1, 15)),
             NodeDates("start", "开工", actual=dt.date(2025, 12, 1))]
    violations = rules.node_gate_violations(nodes, today=dt.date(2025, 6, 30))
    assert [violation.code for violation in violations] == ["land", "start"]
    assert "早于上一节点“签约”的 2025-02-01" in violations[0].message
    assert "晚于今天" in violations[1].message


def test_land_to_start_days_and_stage() -> None:
    nodes = [NodeDates("land", "供地/拿地", actual=dt.date(2025, 3, 1)),
             NodeDates("start", "开工", actual=dt.date(2025, 3, 31)), NodeDates("structure", "主体完工")]
    assert rules.land_to_start_days(nodes) == 30
    assert rules.current_stage(nodes) == "start"
    assert rules.land_to_start_days(nodes[:1]) is None


def test_five_certificate_chain_adds_the_land_title() -> None:
    four = [code for code, _name in rules.FOUR_CERTIFICATE_CHAIN]
    five = [code for code, _name in rules.FIVE_CERTIFICATE_CHAIN]
    assert five == [*four[:5], "land_title", *four[5:]]
    with pytest.raises(ValueError, match="开工"):
        rules.chain_nodes_parse([["a", "谋划"], ["b", "签约"]])


def test_reconciliation_gap() -> None:
    line = rules.ReconciliationLine(reported_to_date=500.0, statistics_to_date=450.0)
    assert line.gap == 50.0
    assert line.gap_percent == 10.0
    assert rules.ReconciliationLine(reported_to_date=500.0, statistics_to_date=None).gap is None
