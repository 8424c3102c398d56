"""The evaluation engine: scores, ranks and classes of many enterprises at once, with numpy.

Input is a set of float64 columns (one value per enterprise, NaN = not reported) named after
:data:`~zhili.enterprises.scheme.DATA_FIELDS` plus ``above_scale`` (1/0), ``production_start_year``
and ``public_utility`` (1/0). Output is arrays in the same order. ``tests/oracles/enterprises_rowwise.py``
implements the same rules one enterprise at a time; the tests and ``bench/enterprise_eval.py``
check that both give bit-identical results.

Rules both implementations follow (documented in docs/enterprises.md):

* not rated (class T), first match wins: public utility; in production fewer than
  ``new_production_years`` years (``year - production_start_year < n``); 规下 below the minimum land
  (or 规下 not rated at all); land missing or ≤ 0.
* energy = comprehensive energy use (tce), else electricity × 1.229; emission = Σ tonnes ÷ kg per
  pollution equivalent over the pollutants reported (missing when none is reported).
* indicator value = numerator × factor ÷ denominator; score = weight × min(max(ratio, 0), cap)
  with ratio = value ÷ benchmark (or benchmark ÷ value for "lower is better"), so a negative
  numerator (tax refunds) scores 0. Missing data or a zero denominator uses the indicator's fallback.
* benchmark averages are aggregate ratios over rated enterprises with data: Σ numerator ÷ Σ
  denominator, summed exactly (``math.fsum``) so that the result does not depend on order.
* total = Σ indicator scores + Σ bonus items (each clipped to ±limit), added in scheme order.
* rank: competition ranking of rated enterprises by total, highest first; equal totals share the
  better rank ("1224"). Rank-share classes use cut-offs ⌈share × n⌉ on that rank, so a tie that
  straddles a cut-off goes to the better class. A veto forces class D after classification.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from django.utils.translation import gettext as _

from zhili.core.errors import ApplicationError
from zhili.enterprises.scheme import (
    POLLUTION_EQUIVALENT_KG,
    TCE_PER_10K_KWH,
    IndicatorRule,
    Scheme,
)

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

CLASS_LABELS = ("A", "B", "C", "D", "T")
CLASS_INDEX = {label: index for index, label in enumerate(CLASS_LABELS)}
NOT_RATED_REASONS = ("", "public_utility", "new_production", "small_scale", "land_missing")
NOT_RATED_REASON_LABELS = {
    "": "",
    "public_utility": "公用事业（水、电、气供应）不参评",
    "new_production": "新投产未满规定年限不参评",
    "small_scale": "规下企业用地不足规定面积不参评",
    "land_missing": "用地面积缺失或为零，需核实后参评",
}
# Indicator cell status.
STATUS_OK, STATUS_MISSING, STATUS_DENOMINATOR_ZERO = 0, 1, 2
# Share cut-offs are computed as ceil(share × n − ε) so 0.7 × 10 = 7.000000000000001 gives 7.
SHARE_EPSILON = 1e-9


@dataclass(frozen=True)
class Benchmark:
    key: str
    value: float
    source: str  # fixed / prior_year_average / current_year_average / current_year_fallback
    average: float | None


@dataclass(frozen=True)
class Outcome:
    total: FloatArray  # NaN for class T
    rank: IntArray  # 0 for class T
    class_index: npt.NDArray[np.int8]  # index into CLASS_LABELS
    not_rated_reason: npt.NDArray[np.int8]  # index into NOT_RATED_REASONS
    vetoed: BoolArray
    veto_hits: BoolArray  # n × len(scheme.vetoes)
    indicator_values: FloatArray  # n × len(scheme.indicators)
    indicator_scores: FloatArray
    indicator_status: npt.NDArray[np.int8]
    bonus_scores: FloatArray  # n × len(scheme.bonus_items)
    benchmarks: tuple[Benchmark, ...]

    @property
    def size(self) -> int:
        return int(self.total.shape[0])


def _column(columns: dict[str, FloatArray], name: str, size: int) -> FloatArray:
    column = columns.get(name)
    if column is None:
        return np.full(size, np.nan)
    return np.asarray(column, dtype=np.float64)


def derived_columns(columns: dict[str, FloatArray], size: int) -> dict[str, FloatArray]:
    """Add ``energy`` and ``emission`` to the columns (see the module docstring)."""
    energy_tce = _column(columns, "energy_tce", size)
    electricity = _column(columns, "electricity", size)
    energy = np.where(np.isnan(energy_tce), electricity * TCE_PER_10K_KWH, energy_tce)
    emission = np.zeros(size)
    any_reported = np.zeros(size, dtype=bool)
    for pollutant, kilograms_per_equivalent in POLLUTION_EQUIVALENT_KG.items():
        tonnes = _column(columns, pollutant, size)
        reported = ~np.isnan(tonnes)
        any_reported |= reported
        emission = emission + np.where(reported, tonnes, 0.0) / kilograms_per_equivalent
    emission = np.where(any_reported, emission, np.nan)
    result = dict(columns)
    result["energy"] = energy
    result["emission"] = emission
    return result


def not_rated_reasons(scheme: Scheme, columns: dict[str, FloatArray], *, year: int,
                      size: int) -> npt.NDArray[np.int8]:
    eligibility = scheme.eligibility
    reason = np.zeros(size, dtype=np.int8)
    land = _column(columns, "land_mu", size)
    above_scale = _column(columns, "above_scale", size) > 0
    start_year = _column(columns, "production_start_year", size)
    public_utility = _column(columns, "public_utility", size) > 0
    small_scale_excluded = ~above_scale & (
        (not eligibility.rate_small_scale) | ~(land >= eligibility.small_scale_min_land_mu)
    )
    land_missing = ~(land > 0)
    new_production = (year - start_year) < eligibility.new_production_years  # NaN compares False
    # Later assignments take lower priority: write them first.
    reason[land_missing] = NOT_RATED_REASONS.index("land_missing")
    reason[small_scale_excluded] = NOT_RATED_REASONS.index("small_scale")
    reason[new_production] = NOT_RATED_REASONS.index("new_production")
    if eligibility.exclude_public_utilities:
        reason[public_utility] = NOT_RATED_REASONS.index("public_utility")
    return reason


def indicator_average(rule: IndicatorRule, columns: dict[str, FloatArray], rated: BoolArray) -> float | None:
    """Σ numerator ÷ Σ denominator × factor over rated enterprises with data; None when undefined."""
    definition = rule.definition
    numerator = columns[definition.numerator]
    denominator = columns[definition.denominator]
    usable = rated & ~np.isnan(numerator) & (denominator > 0)
    if not usable.any():
        return None
    denominator_sum = math.fsum(denominator[usable].tolist())
    return math.fsum(numerator[usable].tolist()) / denominator_sum * definition.factor


def indicator_averages(scheme: Scheme, columns: dict[str, FloatArray], *, year: int) -> dict[str, float]:
    """The averages a following year's ``prior_year_average`` benchmarks are built from."""
    size = _size(columns)
    full = derived_columns(columns, size)
    rated = not_rated_reasons(scheme, full, year=year, size=size) == 0
    averages: dict[str, float] = {}
    for rule in scheme.indicators:
        average = indicator_average(rule, full, rated)
        if average is not None:
            averages[rule.key] = average
    return averages


def benchmarks_resolve(scheme: Scheme, columns: dict[str, FloatArray], rated: BoolArray,
                       prior_averages: dict[str, float] | None) -> tuple[Benchmark, ...]:
    benchmarks = []
    for rule in scheme.indicators:
        if rule.benchmark_mode == "fixed":
            assert rule.benchmark_value is not None  # noqa: S101 - guaranteed by scheme_parse
            benchmarks.append(Benchmark(rule.key, rule.benchmark_value, "fixed", None))
            continue
        prior = (prior_averages or {}).get(rule.key)
        if rule.benchmark_mode == "prior_year_average" and prior is not None and prior > 0:
            benchmarks.append(Benchmark(rule.key, prior * rule.benchmark_multiple, "prior_year_average", prior))
            continue
        current = indicator_average(rule, columns, rated)
        source = "current_year_average" if rule.benchmark_mode == "current_year_average" else "current_year_fallback"
        if current is None or not current > 0 or rule.benchmark_multiple == 0:
            raise ApplicationError(
                "benchmark_undefined",
                _("无法确定指标“%(name)s”的基准值：参评企业没有可用数据或平均值不为正。请导入数据或在方案中设定固定基准值。")
                % {"name": rule.definition.name},
            )
        benchmarks.append(Benchmark(rule.key, current * rule.benchmark_multiple, source, current))
    return tuple(benchmarks)


def _size(columns: dict[str, Any]) -> int:
    for column in columns.values():
        return int(np.asarray(column).shape[0])
    return 0


def _fallback_score(rule: IndicatorRule, fallback: str, average_score: float) -> float:
    if fallback == "zero":
        return 0.0
    if fallback == "benchmark":
        return rule.weight * min(1.0, rule.cap_multiple)
    if fallback == "full":
        return rule.weight * rule.cap_multiple
    return average_score


def evaluate(scheme: Scheme, columns: dict[str, FloatArray], *, year: int,
             prior_averages: dict[str, float] | None = None) -> Outcome:
    """Evaluate every enterprise of ``columns`` under ``scheme`` for ``year`` (vectorised)."""
    size = _size(columns)
    full = derived_columns(columns, size)
    reason = not_rated_reasons(scheme, full, year=year, size=size)
    rated = reason == 0
    benchmarks = benchmarks_resolve(scheme, full, rated, prior_averages)

    indicator_count = len(scheme.indicators)
    values = np.full((size, indicator_count), np.nan)
    scores = np.zeros((size, indicator_count))
    status = np.zeros((size, indicator_count), dtype=np.int8)
    total = np.zeros(size)
    for position, (rule, benchmark) in enumerate(zip(scheme.indicators, benchmarks, strict=True)):
        definition = rule.definition
        numerator = full[definition.numerator]
        denominator = full[definition.denominator]
        missing = np.isnan(numerator) | np.isnan(denominator)
        denominator_zero = ~missing & (denominator == 0)
        ok = ~missing & ~denominator_zero
        with np.errstate(divide="ignore", invalid="ignore"):
            value = np.where(ok, numerator * definition.factor / np.where(ok, denominator, 1.0), np.nan)
            if rule.direction == "higher":
                ratio = value / benchmark.value
            else:
                ratio = np.where(value > 0, benchmark.value / np.where(value > 0, value, 1.0), rule.cap_multiple)
        score = rule.weight * np.minimum(np.maximum(np.where(ok, ratio, 0.0), 0.0), rule.cap_multiple)
        average_score = 0.0
        if "average_score" in (rule.when_missing, rule.when_denominator_zero):
            ok_rated = ok & rated
            if ok_rated.any():
                average_score = math.fsum(score[ok_rated].tolist()) / int(ok_rated.sum())
        score = np.where(missing, _fallback_score(rule, rule.when_missing, average_score), score)
        score = np.where(denominator_zero, _fallback_score(rule, rule.when_denominator_zero, average_score), score)
        score = np.where(rated, score, 0.0)
        values[:, position] = np.where(rated, value, np.nan)
        scores[:, position] = score
        status[:, position] = np.where(missing, STATUS_MISSING, np.where(denominator_zero, STATUS_DENOMINATOR_ZERO,
                                                                          STATUS_OK))
        total = total + score

    bonus = np.zeros((size, len(scheme.bonus_items)))
    for position, item in enumerate(scheme.bonus_items):
        field_values = np.nan_to_num(_column(full, item.field, size), nan=0.0)
        contribution = np.minimum(np.maximum(field_values * item.points, -item.limit), item.limit)
        contribution = np.where(rated, contribution, 0.0)
        bonus[:, position] = contribution
        total = total + contribution

    veto_hits = np.zeros((size, len(scheme.vetoes)), dtype=bool)
    for position, veto in enumerate(scheme.vetoes):
        veto_hits[:, position] = (_column(full, veto.field, size) > 0) & rated
    vetoed = veto_hits.any(axis=1) if scheme.vetoes else np.zeros(size, dtype=bool)

    total = np.where(rated, total, np.nan)
    rank = np.zeros(size, dtype=np.int64)
    rated_totals = total[rated]
    negated = -rated_totals
    rank[rated] = np.searchsorted(np.sort(negated), negated, side="left") + 1
    class_index = np.full(size, CLASS_INDEX["T"], dtype=np.int8)
    class_index[rated] = _classes(scheme, rated_totals, rank[rated])
    class_index[vetoed] = CLASS_INDEX["D"]
    return Outcome(
        total=total, rank=rank, class_index=class_index, not_rated_reason=reason, vetoed=vetoed,
        veto_hits=veto_hits, indicator_values=values, indicator_scores=scores, indicator_status=status,
        bonus_scores=bonus, benchmarks=benchmarks,
    )


def share_cutoffs(scheme: Scheme, rated_count: int) -> dict[str, int]:
    """For rank-share classes: the last rank of each of A, B, C (D takes the rest)."""
    return {code: math.ceil(share * rated_count - SHARE_EPSILON) for code, share in scheme.classes.shares.items()}


def _classes(scheme: Scheme, totals: FloatArray, ranks: IntArray) -> npt.NDArray[np.int8]:
    result = np.full(totals.shape[0], CLASS_INDEX["D"], dtype=np.int8)
    if scheme.classes.method == "thresholds":
        measure: npt.NDArray[Any] = totals
        limits = {code: scheme.classes.thresholds[code] for code in ("A", "B", "C")}
        # Assign from the worst class up so the better class overwrites.
        for code in ("C", "B", "A"):
            result[measure >= limits[code]] = CLASS_INDEX[code]
        return result
    cutoffs = share_cutoffs(scheme, int(totals.shape[0]))
    for code in ("C", "B", "A"):
        result[ranks <= cutoffs[code]] = CLASS_INDEX[code]
    return result


def class_label(index: int) -> str:
    return CLASS_LABELS[index]
