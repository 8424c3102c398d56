"""The plan evaluation rules of :mod:`zhili.indicators.evaluation` over many indicators × many years
with numpy (statuses, ratios, projections, Open SDG scores): a second implementation the tests and
``bench/indicators.py`` check :func:`zhili.indicators.evaluation.evaluate_indicator` against."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from zhili.indicators.evaluation import (
    DEFAULT_THRESHOLDS,
    EPSILON,
    KIND_BOUND,
    KIND_CODES,
    KIND_CUMULATIVE,
    KIND_GROWTH,
    KIND_LEVEL,
    KIND_QUALITATIVE,
    KIND_SHARE,
    QUALITATIVE_STATUS_BY_SLUG,
    IndicatorSpec,
    Status,
    Thresholds,
)

# ---------------------------------------------------------------------------------------------
# Vectorised evaluation
# ---------------------------------------------------------------------------------------------

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass
class IndicatorMatrix:
    """Many indicators in columns of arrays; ``values`` is indicators × ``years`` (NaN = missing).

    ``qualitative`` holds a :class:`Status` code per cell for qualitative indicators (NO_DATA when
    nothing was entered). ``years`` must be consecutive.
    """

    kinds: IntArray
    directions: FloatArray
    base_years: IntArray
    target_years: IntArray
    baselines: FloatArray
    baseline_years: IntArray
    targets: FloatArray
    rate_inputs: npt.NDArray[np.bool_]
    years: IntArray
    values: FloatArray
    qualitative: IntArray


@dataclass
class MatrixResult:
    statuses: IntArray
    ratios: FloatArray
    projections: FloatArray
    sdg_scores: FloatArray


def matrix_from_specs(specs: list[IndicatorSpec], observations: list[Mapping[int, float]], years: list[int],
                      qualitative: list[Mapping[int, str]] | None = None) -> IndicatorMatrix:
    size, width = len(specs), len(years)
    values = np.full((size, width), np.nan)
    qualitative_codes = np.full((size, width), int(Status.NO_DATA), dtype=np.int64)
    column = {y: position for position, y in enumerate(years)}
    for row, series in enumerate(observations):
        for y, v in series.items():
            if y in column and v is not None:
                values[row, column[y]] = v
    for row, entered in enumerate(qualitative or []):
        for y, slug in entered.items():
            if y in column and slug in QUALITATIVE_STATUS_BY_SLUG:
                qualitative_codes[row, column[y]] = int(QUALITATIVE_STATUS_BY_SLUG[slug])
    return IndicatorMatrix(
        kinds=np.array([KIND_CODES[s.kind] for s in specs], dtype=np.int64),
        directions=np.array([float(s.direction) for s in specs]),
        base_years=np.array([s.base_year for s in specs], dtype=np.int64),
        target_years=np.array([s.target_year for s in specs], dtype=np.int64),
        baselines=np.array([np.nan if s.baseline is None else s.baseline for s in specs]),
        baseline_years=np.array([s.effective_baseline_year for s in specs], dtype=np.int64),
        targets=np.array([np.nan if s.target is None else s.target for s in specs]),
        rate_inputs=np.array([s.growth_input == "rate" for s in specs], dtype=np.bool_),
        years=np.array(years, dtype=np.int64), values=values, qualitative=qualitative_codes,
    )


def _statuses_from_ratios(ratios: FloatArray, thresholds: Thresholds) -> IntArray:
    return np.select(
        [ratios >= thresholds.ahead_ratio - EPSILON, ratios >= 1.0 - EPSILON, ratios >= thresholds.lag_ratio - EPSILON],
        [int(Status.AHEAD), int(Status.ON_TRACK), int(Status.LAGGING)],
        default=int(Status.SEVERELY_LAGGING),
    ).astype(np.int64)


def _matrix_sdg(base: FloatArray, current: FloatArray, target: FloatArray, base_year: FloatArray,
                current_year: float, target_year: FloatArray, direction: FloatArray) -> FloatArray:
    achieved = direction * (current - target) >= 0
    valid = ((base != 0) & (current_year - base_year >= 1) & (target_year > base_year)
             & ((base > 0) == (current > 0)) & (current != 0) & ((base > 0) == (target > 0)))
    observed = np.power(current / base, 1.0 / (current_year - base_year)) - 1.0
    required = np.power(target / base, 1.0 / (target_year - base_year)) - 1.0
    valid &= required != 0
    sign = np.where(base < 0, -1.0, 1.0)
    progress = sign * direction * observed / np.abs(required)
    score = np.where(progress >= 0.6, np.minimum(7.1429 * progress - 4.2857, 5.0),
                     np.maximum(4.1667 * progress - 2.5, -5.0))
    score = np.where(valid, score, np.nan)
    return np.where(achieved, 5.0, score)


def evaluate_matrix(matrix: IndicatorMatrix, thresholds: Thresholds = DEFAULT_THRESHOLDS) -> MatrixResult:
    """Evaluate every indicator in every year of ``matrix.years`` (same rules as :func:`evaluate_indicator`)."""
    size, width = matrix.values.shape
    statuses = np.full((size, width), int(Status.NO_DATA), dtype=np.int64)
    ratios = np.full((size, width), np.nan)
    projections = np.full((size, width), np.nan)
    sdg_scores = np.full((size, width), np.nan)
    rows = np.arange(size)
    years = matrix.years
    first_year = int(years[0])
    values = matrix.values
    present = ~np.isnan(values)
    direction = matrix.directions
    target = matrix.targets
    kinds = matrix.kinds
    base_years = matrix.base_years
    target_years = matrix.target_years.astype(np.float64)
    is_path = (kinds == KIND_CODES[KIND_LEVEL]) | (kinds == KIND_CODES[KIND_SHARE])
    is_growth = kinds == KIND_CODES[KIND_GROWTH]
    is_growth_rate = is_growth & matrix.rate_inputs
    is_cumulative = kinds == KIND_CODES[KIND_CUMULATIVE]
    is_bound = kinds == KIND_CODES[KIND_BOUND]
    is_qualitative = kinds == KIND_CODES[KIND_QUALITATIVE]
    target_ok = np.isfinite(target)

    # Start points that do not depend on the evaluated year: the baseline, else the base-year value.
    base_column = base_years - first_year
    base_in_range = (base_column >= 0) & (base_column < width)
    base_value = np.where(base_in_range, values[rows, np.clip(base_column, 0, width - 1)], np.nan)
    has_baseline = ~np.isnan(matrix.baselines)
    fixed_start_value = np.where(has_baseline, matrix.baselines, base_value)
    fixed_start_year = np.where(has_baseline, matrix.baseline_years, base_years).astype(np.float64)
    has_fixed_start = ~np.isnan(fixed_start_value)
    # Else the earliest observation after the base year.
    after_base = present & (years[None, :] > base_years[:, None])
    has_later = after_base.any(axis=1)
    earliest_column = np.argmax(after_base, axis=1)
    earliest_value = values[rows, earliest_column]
    earliest_year = years[earliest_column].astype(np.float64)

    with np.errstate(all="ignore"):
        for column in range(width):
            year = float(years[column])
            inside = (year > base_years) & (year <= target_years)
            value = values[:, column]
            has_value = present[:, column]
            status = np.full(size, int(Status.NO_DATA), dtype=np.int64)
            ratio = np.full(size, np.nan)
            projection = np.full(size, np.nan)
            sdg = np.full(size, np.nan)

            use_earliest = ~has_fixed_start & has_later & (earliest_year < year)
            start_value = np.where(has_fixed_start, fixed_start_value, np.where(use_earliest, earliest_value, np.nan))
            start_year = np.where(has_fixed_start, fixed_start_year, np.where(use_earliest, earliest_year, np.nan))
            has_start = ~np.isnan(start_value) & (start_year < year)
            span = target_years - start_year
            share = (year - start_year) / span

            # Level, share and bound: compound projection and Open SDG score from the start point.
            compound = (start_value > 0) & (value > 0)
            compound_projection = value * np.power(value / start_value, (target_years - year) / (year - start_year))
            linear_projection = value + (value - start_value) / (year - start_year) * (target_years - year)
            level_projection = np.where(has_start, np.where(compound, compound_projection, linear_projection), value)
            level_sdg = np.where(
                has_start,
                _matrix_sdg(start_value, value, target, start_year, year, target_years, direction),
                np.where(direction * (value - target) >= 0, 5.0, np.nan),
            )
            met = direction * (value - target) >= 0
            violation = np.where(target == 0, -np.inf, 1.0 - np.abs(value - target) / np.abs(target))
            violation_status = np.where(violation >= thresholds.lag_ratio - EPSILON, int(Status.LAGGING),
                                        int(Status.SEVERELY_LAGGING))

            # Level and share.
            selected = is_path & inside & target_ok & has_value
            met_at_baseline = direction * (target - start_value) <= 0
            path_ratio = ((value - start_value) / (target - start_value)) / share
            path_ratio = np.where(met_at_baseline, violation, path_ratio)
            path_status = np.where(met_at_baseline, violation_status, _statuses_from_ratios(path_ratio, thresholds))
            path_status = np.where(has_start, path_status, int(Status.NO_DATA))
            path_status = np.where(met, int(Status.COMPLETED), path_status)
            status = np.where(selected, path_status, status)
            ratio = np.where(selected & ~met & has_start, path_ratio, ratio)
            share_projection = np.where(kinds == KIND_CODES[KIND_SHARE],
                                        np.clip(level_projection, 0.0, 100.0), level_projection)
            projection = np.where(selected, share_projection, projection)
            sdg = np.where(selected, level_sdg, sdg)

            # Bound.
            selected = is_bound & inside & target_ok & has_value
            bound_status = np.where(met, np.where(year == target_years, int(Status.COMPLETED), int(Status.ON_TRACK)),
                                    violation_status)
            status = np.where(selected, bound_status, status)
            ratio = np.where(selected, np.where(met, 1.0, violation), ratio)
            projection = np.where(selected, level_projection, projection)
            sdg = np.where(selected, level_sdg, sdg)

            # Growth.
            rate_target = target / 100.0
            window = (years[None, :] > base_years[:, None]) & (years[None, :] <= year)
            window_count = year - base_years
            window_present = (present & window).sum(axis=1)
            rate_index = np.prod(np.where(window & present, 1.0 + values / 100.0, 1.0), axis=1)
            rate_ok = (window_present == window_count) & (rate_index > 0)
            level_ok = has_value & has_start & (start_value > 0) & (value > 0)
            growth_index = np.where(is_growth_rate, rate_index, value / start_value)
            growth_start_year = np.where(is_growth_rate, base_years.astype(np.float64), start_year)
            growth_ok = np.where(is_growth_rate, rate_ok, level_ok) & (rate_target > -1.0)
            elapsed = year - growth_start_year
            realised = np.power(growth_index, 1.0 / elapsed) - 1.0
            target_index = np.power(1.0 + rate_target, target_years - growth_start_year)
            growth_ratio = np.where(
                rate_target == 0, np.where(direction * realised >= 0, 1.0, -np.inf),
                1.0 + direction * (realised - rate_target) / np.abs(rate_target),
            )
            growth_met = direction * (growth_index - target_index) >= 0
            growth_status = np.where(growth_met, int(Status.COMPLETED), _statuses_from_ratios(growth_ratio, thresholds))
            selected = is_growth & inside & target_ok
            status = np.where(selected & growth_ok, growth_status, status)
            ratio = np.where(selected & growth_ok & ~growth_met, growth_ratio, ratio)
            projection = np.where(selected & growth_ok, realised * 100.0, projection)
            growth_sdg = _matrix_sdg(np.ones(size), growth_index, target_index, growth_start_year, year,
                                     target_years, direction)
            sdg = np.where(selected & growth_ok, growth_sdg, sdg)

            # Cumulative.
            running_sum = np.where(window & present, values, 0.0).sum(axis=1)
            complete = window_present == window_count
            cumulative_share = (year - base_years) / (target_years - base_years)
            cumulative_ratio = (running_sum / target) / cumulative_share
            cumulative_status = np.where(
                running_sum >= target, int(Status.COMPLETED),
                np.where(complete, _statuses_from_ratios(cumulative_ratio, thresholds), int(Status.NO_DATA)),
            )
            selected = is_cumulative & inside & target_ok & (target > 0) & (direction > 0)
            status = np.where(selected, cumulative_status, status)
            ratio = np.where(selected & complete & (running_sum < target), cumulative_ratio, ratio)
            projection = np.where(
                selected & complete, _matrix_cumulative_projection(values, window & present, running_sum,
                                                                   window_present, year, target_years),
                projection,
            )

            # Qualitative.
            selected = is_qualitative & inside
            status = np.where(selected, matrix.qualitative[:, column], status)

            statuses[:, column] = status
            ratios[:, column] = ratio
            projections[:, column] = projection
            sdg_scores[:, column] = sdg
    return MatrixResult(statuses=statuses, ratios=ratios, projections=projections, sdg_scores=sdg_scores)


def _matrix_cumulative_projection(values: FloatArray, cells: npt.NDArray[np.bool_], running_sum: FloatArray,
                                  count: IntArray, year: float, target_years: FloatArray) -> FloatArray:
    remaining = target_years - year
    first_column = np.argmax(cells, axis=1)
    last_column = cells.shape[1] - 1 - np.argmax(cells[:, ::-1], axis=1)
    rows = np.arange(values.shape[0])
    first = values[rows, first_column]
    last = values[rows, last_column]
    rate = np.power(last / first, 1.0 / (count - 1)) - 1.0
    growth = 1.0 + rate
    # Geometric series last·Σ_{k=1..remaining} growth^k; growth == 1 falls back to last·remaining.
    geometric = np.where(np.abs(growth - 1.0) < 1e-12, last * remaining,
                         last * growth * (np.power(growth, remaining) - 1.0) / (growth - 1.0))
    compound_ok = (count >= 2) & (first > 0) & (last > 0)
    average = running_sum / np.maximum(count, 1) * remaining
    future = np.where(compound_ok, geometric, average)
    return np.where(remaining <= 0, running_sum, running_sum + future)
