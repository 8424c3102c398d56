"""The same evaluation as :mod:`zhili.enterprises.engine`, one enterprise at a time in plain Python.

It is the oracle the vectorised engine is tested against and the baseline of
``bench/enterprise_eval.py``. It shares only the scheme dataclasses and constants with the engine,
never its code paths.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from zhili.enterprises.scheme import POLLUTION_EQUIVALENT_KG, TCE_PER_10K_KWH, IndicatorRule, Scheme

Row = dict[str, float]


@dataclass(frozen=True)
class RowResult:
    total: float  # NaN when not rated
    rank: int  # 0 when not rated
    class_label: str
    not_rated_reason: str
    vetoed: bool
    indicator_scores: tuple[float, ...]


def _value(row: Row, name: str) -> float:
    value = row.get(name)
    return math.nan if value is None else float(value)


def _with_derived(row: Row) -> Row:
    full = dict(row)
    energy_tce = _value(row, "energy_tce")
    full["energy"] = _value(row, "electricity") * TCE_PER_10K_KWH if math.isnan(energy_tce) else energy_tce
    emission = 0.0
    reported = False
    for pollutant, kilograms_per_equivalent in POLLUTION_EQUIVALENT_KG.items():
        tonnes = _value(row, pollutant)
        if not math.isnan(tonnes):
            reported = True
            emission += tonnes / kilograms_per_equivalent
        else:
            emission += 0.0 / kilograms_per_equivalent
    full["emission"] = emission if reported else math.nan
    return full


def _not_rated_reason(scheme: Scheme, row: Row, year: int) -> str:
    eligibility = scheme.eligibility
    if eligibility.exclude_public_utilities and _value(row, "public_utility") > 0:
        return "public_utility"
    start_year = _value(row, "production_start_year")
    if not math.isnan(start_year) and year - start_year < eligibility.new_production_years:
        return "new_production"
    land = _value(row, "land_mu")
    if not _value(row, "above_scale") > 0 and (
        not eligibility.rate_small_scale or not land >= eligibility.small_scale_min_land_mu
    ):
        return "small_scale"
    if not land > 0:
        return "land_missing"
    return ""


def _average(rule: IndicatorRule, rows: list[Row]) -> float | None:
    numerators = []
    denominators = []
    for row in rows:
        numerator = _value(row, rule.definition.numerator)
        denominator = _value(row, rule.definition.denominator)
        if not math.isnan(numerator) and denominator > 0:
            numerators.append(numerator)
            denominators.append(denominator)
    if not numerators:
        return None
    return math.fsum(numerators) / math.fsum(denominators) * rule.definition.factor


def _benchmark(rule: IndicatorRule, rated_rows: list[Row], prior_averages: dict[str, float]) -> float:
    if rule.benchmark_mode == "fixed":
        return float(rule.benchmark_value or 0.0)
    prior = prior_averages.get(rule.key)
    if rule.benchmark_mode == "prior_year_average" and prior is not None and prior > 0:
        return prior * rule.benchmark_multiple
    current = _average(rule, rated_rows)
    if current is None or not current > 0:
        raise ValueError(f"benchmark of {rule.key} undefined")
    return current * rule.benchmark_multiple


def _cell(rule: IndicatorRule, row: Row, benchmark: float) -> tuple[str, float]:
    """("ok", score) or ("missing"|"zero", 0.0) for one indicator of one enterprise."""
    numerator = _value(row, rule.definition.numerator)
    denominator = _value(row, rule.definition.denominator)
    if math.isnan(numerator) or math.isnan(denominator):
        return "missing", 0.0
    if denominator == 0:
        return "zero", 0.0
    value = numerator * rule.definition.factor / denominator
    if rule.direction == "higher":
        ratio = value / benchmark
    else:
        ratio = benchmark / value if value > 0 else rule.cap_multiple
    return "ok", rule.weight * min(max(ratio, 0.0), rule.cap_multiple)


def _fallback(rule: IndicatorRule, fallback: str, average_score: float) -> float:
    if fallback == "zero":
        return 0.0
    if fallback == "benchmark":
        return rule.weight * min(1.0, rule.cap_multiple)
    if fallback == "full":
        return rule.weight * rule.cap_multiple
    return average_score


def evaluate_rows(scheme: Scheme, rows: list[Row], *, year: int,
                  prior_averages: dict[str, float] | None = None) -> list[RowResult]:
    """Evaluate ``rows`` (dicts of the engine's column names) one by one; same rules as the engine."""
    full_rows = [_with_derived(row) for row in rows]
    reasons = [_not_rated_reason(scheme, row, year) for row in full_rows]
    rated_rows = [row for row, reason in zip(full_rows, reasons, strict=True) if not reason]
    benchmarks = [_benchmark(rule, rated_rows, prior_averages or {}) for rule in scheme.indicators]

    cells = [[_cell(rule, row, benchmark) for rule, benchmark in zip(scheme.indicators, benchmarks, strict=True)]
             for row in full_rows]
    average_scores = []
    for position in range(len(scheme.indicators)):
        ok_scores = [row_cells[position][1] for row_cells, reason in zip(cells, reasons, strict=True)
                     if not reason and row_cells[position][0] == "ok"]
        average_scores.append(math.fsum(ok_scores) / len(ok_scores) if ok_scores else 0.0)

    totals: list[float] = []
    all_scores: list[tuple[float, ...]] = []
    vetoed_flags: list[bool] = []
    for row, reason, row_cells in zip(full_rows, reasons, cells, strict=True):
        if reason:
            totals.append(math.nan)
            all_scores.append(tuple(0.0 for _ in scheme.indicators))
            vetoed_flags.append(False)
            continue
        total = 0.0
        scores: list[float] = []
        for rule, (state, score), average_score in zip(scheme.indicators, row_cells, average_scores, strict=True):
            if state == "missing":
                score = _fallback(rule, rule.when_missing, average_score)
            elif state == "zero":
                score = _fallback(rule, rule.when_denominator_zero, average_score)
            scores.append(score)
            total = total + score
        for item in scheme.bonus_items:
            field_value = _value(row, item.field)
            field_value = 0.0 if math.isnan(field_value) else field_value
            total = total + min(max(field_value * item.points, -item.limit), item.limit)
        totals.append(total)
        all_scores.append(tuple(scores))
        vetoed_flags.append(any(_value(row, veto.field) > 0 for veto in scheme.vetoes))

    rated_totals = sorted((total for total in totals if not math.isnan(total)), reverse=True)
    first_position: dict[float, int] = {}
    for position, total in enumerate(rated_totals, start=1):
        first_position.setdefault(total, position)
    rated_count = len(rated_totals)
    cutoffs = {code: math.ceil(share * rated_count - 1e-9) for code, share in scheme.classes.shares.items()}

    results = []
    for total, reason, vetoed, row_scores in zip(totals, reasons, vetoed_flags, all_scores, strict=True):
        if reason:
            results.append(RowResult(math.nan, 0, "T", reason, False, row_scores))
            continue
        rank = first_position[total]
        if scheme.classes.method == "thresholds":
            thresholds = scheme.classes.thresholds
            label = next((code for code in ("A", "B", "C") if total >= thresholds[code]), "D")
        else:
            label = next((code for code in ("A", "B", "C") if rank <= cutoffs[code]), "D")
        if vetoed:
            label = "D"
        results.append(RowResult(total, rank, label, reason, vetoed, row_scores))
    return results
