"""The evaluation engine: pure functions on plain dataclasses (no database, no Django).

For each indicator and year it computes the expected progress by the time-proportional rule
(时序进度: the elapsed share of the plan period), adapted per kind, the realised progress, the
ratio of the two, a projection to the target year, a status, and the Open SDG progress score.
``docs/indicators.md`` documents every rule; the tests check them on hand-computed values.

:func:`evaluate_indicator` evaluates one indicator, one year, with a reason a person can read;
pages, reports and tests use it. A second implementation of the same rules over many indicators ×
many years with numpy (``tests/oracles/indicators_matrix.py``) checks it in the tests and the
benchmark.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from django.utils.translation import gettext, gettext_noop

EPSILON = 1e-9


class Status(IntEnum):
    """Evaluation statuses; the integer order is the display order (worst first is reversed)."""

    COMPLETED = 0
    AHEAD = 1
    ON_TRACK = 2
    LAGGING = 3
    SEVERELY_LAGGING = 4
    NO_DATA = 5

    @property
    def label(self) -> str:
        return gettext(STATUS_LABELS[self])

    @property
    def colour(self) -> str:
        return STATUS_COLOURS[self]

    @property
    def slug(self) -> str:
        return self.name.lower()

    @property
    def off_track(self) -> bool:
        return self in (Status.LAGGING, Status.SEVERELY_LAGGING)


STATUS_LABELS: dict[Status, str] = {
    Status.COMPLETED: gettext_noop("已完成"),
    Status.AHEAD: gettext_noop("超序时"),
    Status.ON_TRACK: gettext_noop("符合序时"),
    Status.LAGGING: gettext_noop("滞后"),
    Status.SEVERELY_LAGGING: gettext_noop("严重滞后"),
    Status.NO_DATA: gettext_noop("无数据"),
}
STATUS_COLOURS: dict[Status, str] = {
    Status.COMPLETED: "green", Status.AHEAD: "green", Status.ON_TRACK: "green",
    Status.LAGGING: "amber", Status.SEVERELY_LAGGING: "red", Status.NO_DATA: "",
}
QUALITATIVE_STATUS_BY_SLUG: dict[str, Status] = {
    "completed": Status.COMPLETED,
    "on_track": Status.ON_TRACK,
    "lagging": Status.LAGGING,
    "severely_lagging": Status.SEVERELY_LAGGING,
}

KIND_LEVEL = "level"
KIND_GROWTH = "growth"
KIND_CUMULATIVE = "cumulative"
KIND_SHARE = "share"
KIND_BOUND = "bound"
KIND_QUALITATIVE = "qualitative"
KIND_CODES: dict[str, int] = {
    KIND_LEVEL: 0, KIND_GROWTH: 1, KIND_CUMULATIVE: 2, KIND_SHARE: 3, KIND_BOUND: 4, KIND_QUALITATIVE: 5,
}

REASON_MESSAGES: dict[str, str] = {
    "": "",
    "year_outside_plan": gettext_noop("所选年份不在规划期内（基期年之后至目标年）。"),
    "no_observation": gettext_noop("该年度尚无观测值，请填报。"),
    "no_baseline": gettext_noop("缺少基期值，且无更早年份的观测值，无法计算进度。请在指标表中填写基期值或填报基期年观测值。"),
    "zero_baseline": gettext_noop("基期值为0，增速无定义。请核实基期值，或改为按“当年增速”填报。"),
    "non_positive_value": gettext_noop("基期值或当年值不是正数，无法计算复合增速。请核实数据。"),
    "missing_years": gettext_noop("规划期内有年份缺少数据，无法计算累计值或平均增速。请补齐缺失年份。"),
    "invalid_target": gettext_noop("目标值缺失或无效，无法评估。请在指标表中核实目标值。"),
    "unsupported": gettext_noop("该类型与方向的组合不受支持（规划期累计只支持“越高越好”）。"),
    "target_met": gettext_noop("已达到规划目标。"),
    "target_met_at_baseline": gettext_noop("基期已达到目标，但当年未保持。"),
    "bound_met": gettext_noop("当年符合约束值。"),
    "bound_violated": gettext_noop("当年未达到约束值。"),
    "baseline_inferred": gettext_noop("指标表无基期值，以最早观测年为进度起点。"),
    "qualitative_entered": gettext_noop("按填报的完成情况。"),
}


@dataclass(frozen=True)
class Thresholds:
    """Progress ratio (realised / expected) thresholds.

    ratio ≥ ``ahead_ratio`` → 超序时; ≥ 1 → 符合序时 (green); ≥ ``lag_ratio`` → 滞后 (yellow, up to
    30 % behind by default); below → 严重滞后 (red).
    """

    ahead_ratio: float = 1.10
    lag_ratio: float = 0.70


DEFAULT_THRESHOLDS = Thresholds()


@dataclass(frozen=True)
class IndicatorSpec:
    kind: str
    direction: int  # +1: higher is better, −1: lower is better
    base_year: int  # the plan's base year
    target_year: int
    baseline: float | None = None
    target: float | None = None
    baseline_year: int | None = None  # defaults to base_year
    growth_input: str = "level"  # growth kind: "level" (values) or "rate" (yearly growth in %)

    @property
    def effective_baseline_year(self) -> int:
        return self.baseline_year if self.baseline_year is not None else self.base_year


@dataclass(frozen=True)
class Evaluation:
    year: int
    status: Status
    reason: str = ""
    expected_share: float | None = None  # 时序进度 (0…1)
    ratio: float | None = None  # realised progress / expected progress
    realised_value: float | None = None  # the compared value (level, average growth %, running sum)
    expected_value: float | None = None  # where the expected path stands this year
    projected_value: float | None = None  # at the target year, in the target's unit
    projected_meets_target: bool | None = None
    sdg_score: float | None = None
    start_year: int | None = None
    start_value: float | None = None

    @property
    def reason_message(self) -> str:
        message = REASON_MESSAGES.get(self.reason, self.reason)
        return gettext(message) if message else ""  # gettext("") is the catalogue's header


def status_from_ratio(ratio: float, thresholds: Thresholds) -> Status:
    if ratio >= thresholds.ahead_ratio - EPSILON:
        return Status.AHEAD
    if ratio >= 1.0 - EPSILON:
        return Status.ON_TRACK
    if ratio >= thresholds.lag_ratio - EPSILON:
        return Status.LAGGING
    return Status.SEVERELY_LAGGING


def violation_ratio(value: float, bound: float) -> float:
    """1 − relative gap beyond a bound (a zero bound makes any violation severe)."""
    if bound == 0:
        return -math.inf
    return 1.0 - abs(value - bound) / abs(bound)


def cagr_ratio(*, base_value: float, current_value: float, target: float, base_year: int, current_year: int,
               target_year: int, direction: int) -> float | None:
    """Open SDG's progress value p (observed CAGR ÷ required CAGR, signed); None when undefined."""
    if base_value == 0 or current_year - base_year < 1 or target_year <= base_year:
        return None
    if (base_value > 0) != (current_value > 0) or current_value == 0 or (base_value > 0) != (target > 0):
        return None
    observed = (current_value / base_value) ** (1.0 / (current_year - base_year)) - 1.0
    required = (target / base_value) ** (1.0 / (target_year - base_year)) - 1.0
    if required == 0:
        return None
    sign = -1.0 if base_value < 0 else 1.0
    return float(sign * direction * observed / abs(required))


def open_sdg_score(*, base_value: float, current_value: float, target: float, base_year: int, current_year: int,
                   target_year: int, direction: int) -> float | None:
    """The Open SDG progress score (−5…5) by the CAGR-ratio method (sdg-build ``ProgressMeasure``).

    None when the method is undefined: a zero base (Open SDG substitutes 0.001; we refuse rather than
    report a made-up score), base and current of opposite signs, fewer than two years, or a target
    equal to the base.
    """
    if direction * (current_value - target) >= 0:
        return 5.0
    progress = cagr_ratio(base_value=base_value, current_value=current_value, target=target, base_year=base_year,
                          current_year=current_year, target_year=target_year, direction=direction)
    if progress is None:
        return None
    if progress >= 0.6:
        return float(min(7.1429 * progress - 4.2857, 5.0))
    return float(max(4.1667 * progress - 2.5, -5.0))


def _start_point(spec: IndicatorSpec, observations: Mapping[int, float], year: int) -> tuple[int, float, bool] | None:
    """(start year, start value, inferred?) for path-based kinds."""
    if spec.baseline is not None:
        return spec.effective_baseline_year, spec.baseline, False
    if spec.base_year in observations:
        return spec.base_year, observations[spec.base_year], False
    earlier = sorted(y for y in observations if spec.base_year < y < year)
    if earlier:
        return earlier[0], observations[earlier[0]], True
    return None


def _compound_projection(start_year: int, start_value: float, year: int, value: float, target_year: int) -> float:
    if year <= start_year:
        return value
    if start_value > 0 and value > 0:
        rate = (value / start_value) ** (1.0 / (year - start_year)) - 1.0
        return float(value * (1.0 + rate) ** (target_year - year))
    slope = (value - start_value) / (year - start_year)
    return float(value + slope * (target_year - year))


def evaluate_indicator(spec: IndicatorSpec, observations: Mapping[int, float], year: int,
                       thresholds: Thresholds = DEFAULT_THRESHOLDS,
                       qualitative: Mapping[int, str] | None = None) -> Evaluation:
    """Evaluate one indicator in one year from its annual observations (year → value).

    Observations of other years than ``year`` matter for paths (a missing baseline), sums and
    average growth; values after ``year`` are ignored.
    """
    if year <= spec.base_year or year > spec.target_year:
        return Evaluation(year=year, status=Status.NO_DATA, reason="year_outside_plan")
    known = {y: v for y, v in observations.items() if y <= year and v is not None and math.isfinite(v)}
    if spec.kind == KIND_QUALITATIVE:
        slug = (qualitative or {}).get(year, "")
        status = QUALITATIVE_STATUS_BY_SLUG.get(slug)
        if status is None:
            return Evaluation(year=year, status=Status.NO_DATA, reason="no_observation")
        return Evaluation(year=year, status=status, reason="qualitative_entered")
    if spec.target is None or not math.isfinite(spec.target):
        return Evaluation(year=year, status=Status.NO_DATA, reason="invalid_target")
    if spec.kind in (KIND_LEVEL, KIND_SHARE):
        return _evaluate_level(spec, known, year, thresholds)
    if spec.kind == KIND_GROWTH:
        return _evaluate_growth(spec, known, year, thresholds)
    if spec.kind == KIND_CUMULATIVE:
        return _evaluate_cumulative(spec, known, year, thresholds)
    if spec.kind == KIND_BOUND:
        return _evaluate_bound(spec, known, year, thresholds)
    return Evaluation(year=year, status=Status.NO_DATA, reason="unsupported")


def _evaluate_level(spec: IndicatorSpec, known: Mapping[int, float], year: int, thresholds: Thresholds) -> Evaluation:
    target = float(spec.target)  # type: ignore[arg-type]
    value = known.get(year)
    if value is None:
        return Evaluation(year=year, status=Status.NO_DATA, reason="no_observation")
    start = _start_point(spec, known, year)
    projected: float | None = value
    sdg: float | None = 5.0 if spec.direction * (value - target) >= 0 else None
    if start is not None and start[0] < year:
        projected = _compound_projection(start[0], start[1], year, value, spec.target_year)
        if spec.kind == KIND_SHARE:
            projected = min(max(projected, 0.0), 100.0)
        sdg = open_sdg_score(base_value=start[1], current_value=value, target=target, base_year=start[0],
                             current_year=year, target_year=spec.target_year, direction=spec.direction)
    meets = spec.direction * (projected - target) >= 0 if projected is not None else None
    common: dict[str, Any] = {"year": year, "realised_value": value, "projected_value": projected, "projected_meets_target": meets,
              "sdg_score": sdg}
    if spec.direction * (value - target) >= 0:
        return Evaluation(status=Status.COMPLETED, reason="target_met", ratio=None,
                          start_year=start[0] if start else None, start_value=start[1] if start else None, **common)
    if start is None or start[0] >= year:
        return Evaluation(status=Status.NO_DATA, reason="no_baseline", **common)
    start_year, start_value, inferred = start
    share = (year - start_year) / (spec.target_year - start_year)
    expected = start_value + (target - start_value) * share
    if spec.direction * (target - start_value) <= 0:
        ratio = violation_ratio(value, target)
        status = Status.LAGGING if ratio >= thresholds.lag_ratio - EPSILON else Status.SEVERELY_LAGGING
        return Evaluation(status=status, reason="target_met_at_baseline", expected_share=share, ratio=ratio,
                          expected_value=target, start_year=start_year, start_value=start_value, **common)
    progress = (value - start_value) / (target - start_value)
    ratio = progress / share
    return Evaluation(status=status_from_ratio(ratio, thresholds), reason="baseline_inferred" if inferred else "",
                      expected_share=share, ratio=ratio, expected_value=expected, start_year=start_year,
                      start_value=start_value, **common)


def _evaluate_growth(spec: IndicatorSpec, known: Mapping[int, float], year: int, thresholds: Thresholds) -> Evaluation:
    rate_target = float(spec.target) / 100.0  # type: ignore[arg-type]
    if rate_target <= -1.0:
        return Evaluation(year=year, status=Status.NO_DATA, reason="invalid_target")
    inferred = False
    if spec.growth_input == "rate":
        start_year = spec.base_year
        wanted = range(spec.base_year + 1, year + 1)
        if any(y not in known for y in wanted):
            return Evaluation(year=year, status=Status.NO_DATA, reason="missing_years")
        index = 1.0
        for y in wanted:
            index *= 1.0 + known[y] / 100.0
        if index <= 0:
            return Evaluation(year=year, status=Status.NO_DATA, reason="non_positive_value")
        start_value = 1.0
    else:
        value = known.get(year)
        if value is None:
            return Evaluation(year=year, status=Status.NO_DATA, reason="no_observation")
        start = _start_point(spec, known, year)
        if start is None or start[0] >= year:
            return Evaluation(year=year, status=Status.NO_DATA, reason="no_baseline")
        start_year, start_value, inferred = start
        if start_value == 0:
            return Evaluation(year=year, status=Status.NO_DATA, reason="zero_baseline")
        if start_value < 0 or value <= 0:
            return Evaluation(year=year, status=Status.NO_DATA, reason="non_positive_value")
        index = value / start_value
    elapsed = year - start_year
    realised = index ** (1.0 / elapsed) - 1.0
    target_index = (1.0 + rate_target) ** (spec.target_year - start_year)
    share = elapsed / (spec.target_year - start_year)
    sdg = open_sdg_score(base_value=1.0, current_value=index, target=target_index, base_year=start_year,
                         current_year=year, target_year=spec.target_year, direction=spec.direction)
    common: dict[str, Any] = {"year": year, "expected_share": share, "realised_value": realised * 100.0,
              "expected_value": rate_target * 100.0, "projected_value": realised * 100.0,
              "projected_meets_target": spec.direction * (realised - rate_target) >= 0, "sdg_score": sdg,
              "start_year": start_year, "start_value": start_value}
    if spec.direction * (index - target_index) >= 0:
        return Evaluation(status=Status.COMPLETED, reason="target_met", ratio=None, **common)
    if rate_target == 0:
        ratio = 1.0 if spec.direction * realised >= 0 else -math.inf
    else:
        ratio = 1.0 + spec.direction * (realised - rate_target) / abs(rate_target)
    return Evaluation(status=status_from_ratio(ratio, thresholds), reason="baseline_inferred" if inferred else "",
                      ratio=ratio, **common)


def _evaluate_cumulative(spec: IndicatorSpec, known: Mapping[int, float], year: int,
                         thresholds: Thresholds) -> Evaluation:
    total = float(spec.target)  # type: ignore[arg-type]
    if total <= 0:
        return Evaluation(year=year, status=Status.NO_DATA, reason="invalid_target")
    if spec.direction < 0:
        return Evaluation(year=year, status=Status.NO_DATA, reason="unsupported")
    wanted = list(range(spec.base_year + 1, year + 1))
    flows = [known[y] for y in wanted if y in known]
    running_sum = float(sum(flows))
    share = (year - spec.base_year) / (spec.target_year - spec.base_year)
    complete = len(flows) == len(wanted)
    projected = _cumulative_projection(flows, running_sum, year, spec.target_year) if complete else None
    common: dict[str, Any] = {"year": year, "expected_share": share, "realised_value": running_sum, "expected_value": total * share,
              "projected_value": projected,
              "projected_meets_target": projected >= total if projected is not None else None}
    if running_sum >= total:
        return Evaluation(status=Status.COMPLETED, reason="target_met", **common)
    if not flows:
        return Evaluation(status=Status.NO_DATA, reason="no_observation", **common)
    if not complete:
        return Evaluation(status=Status.NO_DATA, reason="missing_years", **common)
    ratio = (running_sum / total) / share
    return Evaluation(status=status_from_ratio(ratio, thresholds), ratio=ratio, **common)


def _cumulative_projection(flows: list[float], running_sum: float, year: int, target_year: int) -> float:
    remaining = target_year - year
    if remaining <= 0:
        return running_sum
    first, last = flows[0], flows[-1]
    if len(flows) >= 2 and first > 0 and last > 0:
        rate = (last / first) ** (1.0 / (len(flows) - 1)) - 1.0
        future = sum(last * (1.0 + rate) ** k for k in range(1, remaining + 1))
    else:
        future = running_sum / len(flows) * remaining
    return float(running_sum + future)


def _evaluate_bound(spec: IndicatorSpec, known: Mapping[int, float], year: int, thresholds: Thresholds) -> Evaluation:
    bound = float(spec.target)  # type: ignore[arg-type]
    value = known.get(year)
    if value is None:
        return Evaluation(year=year, status=Status.NO_DATA, reason="no_observation")
    start = _start_point(spec, known, year)
    projected = value
    sdg: float | None = 5.0 if spec.direction * (value - bound) >= 0 else None
    if start is not None and start[0] < year:
        projected = _compound_projection(start[0], start[1], year, value, spec.target_year)
        sdg = open_sdg_score(base_value=start[1], current_value=value, target=bound, base_year=start[0],
                             current_year=year, target_year=spec.target_year, direction=spec.direction)
    common: dict[str, Any] = {"year": year, "realised_value": value, "expected_value": bound, "projected_value": projected,
              "projected_meets_target": spec.direction * (projected - bound) >= 0, "sdg_score": sdg,
              "expected_share": (year - spec.base_year) / (spec.target_year - spec.base_year),
              "start_year": start[0] if start is not None and start[0] < year else None,
              "start_value": start[1] if start is not None and start[0] < year else None}
    if spec.direction * (value - bound) >= 0:
        status = Status.COMPLETED if year == spec.target_year else Status.ON_TRACK
        return Evaluation(status=status, reason="bound_met", ratio=1.0, **common)
    ratio = violation_ratio(value, bound)
    status = Status.LAGGING if ratio >= thresholds.lag_ratio - EPSILON else Status.SEVERELY_LAGGING
    return Evaluation(status=status, reason="bound_violated", ratio=ratio, **common)


# ---------------------------------------------------------------------------------------------
# Paths for charts
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ChartSeries:
    years: list[int]
    actual: list[float | None]
    expected: list[float | None]
    projection: list[float | None]
    target: float | None
    value_label: str


def chart_series(spec: IndicatorSpec, observations: Mapping[int, float], year: int) -> ChartSeries:
    """Actual values, the expected path and the projection from ``year`` to the target year.

    Growth indicators entered as yearly rates are drawn as an index (base year = 100); cumulative
    ones as running sums.
    """
    years = list(range(spec.base_year, spec.target_year + 1))
    known = {y: v for y, v in observations.items() if v is not None and math.isfinite(v)}
    actual: list[float | None] = [None] * len(years)
    expected: list[float | None] = [None] * len(years)
    projection: list[float | None] = [None] * len(years)
    target = spec.target
    label = "数值"
    span = spec.target_year - spec.base_year
    if spec.kind == KIND_CUMULATIVE:
        label = "累计值"
        running = 0.0
        for position, y in enumerate(years):
            if y > spec.base_year and y in known:
                running += known[y]
                actual[position] = running
            if target is not None:
                expected[position] = target * (y - spec.base_year) / span
    elif spec.kind == KIND_GROWTH and spec.growth_input == "rate":
        label = "指数（基期=100）"
        index = 100.0
        actual[0] = 100.0
        for position, y in enumerate(years[1:], start=1):
            if y not in known:
                break
            index *= 1.0 + known[y] / 100.0
            actual[position] = index
        if target is not None:
            for position, y in enumerate(years):
                expected[position] = 100.0 * (1.0 + target / 100.0) ** (y - spec.base_year)
            target = expected[-1]
    elif spec.kind == KIND_GROWTH:
        start = _start_point(spec, known, spec.target_year + 1)
        for position, y in enumerate(years):
            actual[position] = known.get(y)
        if start is not None and spec.target is not None:
            for position, y in enumerate(years):
                if y >= start[0]:
                    expected[position] = start[1] * (1.0 + spec.target / 100.0) ** (y - start[0])
            target = expected[-1]
    else:
        for position, y in enumerate(years):
            actual[position] = known.get(y)
        start = _start_point(spec, known, spec.target_year + 1)
        if start is not None and target is not None and spec.kind in (KIND_LEVEL, KIND_SHARE):
            for position, y in enumerate(years):
                if y >= start[0]:
                    expected[position] = start[1] + (target - start[1]) * (y - start[0]) / (spec.target_year - start[0])
        elif target is not None and spec.kind == KIND_BOUND:
            expected = [target] * len(years)
    _fill_projection(spec, years, actual, projection, year)
    return ChartSeries(years=years, actual=actual, expected=expected, projection=projection, target=target,
                       value_label=label)


def _fill_projection(spec: IndicatorSpec, years: list[int], actual: list[float | None],
                     projection: list[float | None], year: int) -> None:
    """Extend the actual line from the latest value up to ``year`` by its compound growth rate."""
    points = [(y, v) for y, v in zip(years, actual, strict=True) if v is not None and y <= year]
    if len(points) < 2 or spec.kind == KIND_QUALITATIVE:
        return
    (first_year, first_value), (last_year, last_value) = points[0], points[-1]
    if spec.kind == KIND_CUMULATIVE:
        flows = [b - a for (_, a), (_, b) in itertools.pairwise(points)]
        step = sum(flows) / len(flows)
        for position, y in enumerate(years):
            if y >= last_year:
                projection[position] = last_value + step * (y - last_year)
        return
    for position, y in enumerate(years):
        if y >= last_year:
            projection[position] = _compound_projection(first_year, first_value, last_year, last_value, y)
