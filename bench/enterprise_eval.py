"""Benchmark: the vectorised 亩均 evaluation of 1,000,000 enterprises against the row-by-row oracle.

Run from the repository root: ``.venv/bin/python bench/enterprise_eval.py [--enterprises N] [--sample N]``.
It evaluates N synthetic enterprises (both presets' rules, the rank-share preset timed) with numpy,
evaluates a sample of them row by row in plain Python under the same scheme (and the same benchmark
values, taken from the whole population), checks totals, ranks and classes are identical, and
prints one JSON line: enterprises, seconds, rowwise_per_s, vectorized_per_s, speedup, identical.
The engine is pure computation (no database), so no database is set up.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tempfile
import time
from pathlib import Path

from bench_environment import bench_environment_set

sys.path[:0] = [str(Path(__file__).resolve().parents[1] / "src"), str(Path(__file__).resolve().parents[1])]
bench_environment_set()
os.environ.setdefault("ZHILI_DATA_DIR", tempfile.mkdtemp(prefix="zhili-bench-enterprise-"))

import django  # noqa: E402 - after the environment above

django.setup()

import numpy as np  # noqa: E402
from tests.oracles.enterprises_rowwise import evaluate_rows  # noqa: E402

from zhili.enterprises import engine  # noqa: E402
from zhili.enterprises.presets import JIANGSU_SIX_INDICATORS, RANK_SHARE_THREE_INDICATORS  # noqa: E402
from zhili.enterprises.scheme import IndicatorRule, Scheme, scheme_parse  # noqa: E402
from zhili.enterprises.synthetic import columns_to_rows, synthetic_columns  # noqa: E402


def fixed_scheme(scheme: Scheme, benchmarks: tuple[engine.Benchmark, ...]) -> Scheme:
    """The scheme with the population's benchmarks fixed, so a sample is scored against the same values."""
    indicators = tuple(
        IndicatorRule(**{**rule.__dict__, "benchmark_mode": "fixed", "benchmark_value": benchmark.value})
        for rule, benchmark in zip(scheme.indicators, benchmarks, strict=True)
    )
    return Scheme(name=scheme.name, eligibility=scheme.eligibility, indicators=indicators,
                  bonus_items=scheme.bonus_items, vetoes=scheme.vetoes, classes=scheme.classes)


def compare(outcome: engine.Outcome, rows_result: list, positions: np.ndarray | None = None) -> bool:  # type: ignore[type-arg]
    totals = outcome.total.tolist() if positions is None else outcome.total[positions].tolist()
    for total, result in zip(totals, rows_result, strict=True):
        if not ((math.isnan(total) and math.isnan(result.total)) or total == result.total):
            return False
    ranks = outcome.rank.tolist()
    labels = [engine.CLASS_LABELS[index] for index in outcome.class_index.tolist()]
    return ranks == [result.rank for result in rows_result] and labels == [result.class_label for result in rows_result]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--enterprises", type=int, default=1_000_000)
    parser.add_argument("--sample", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=20260101)
    arguments = parser.parse_args()

    scheme = scheme_parse(RANK_SHARE_THREE_INDICATORS)
    print(f"generating {arguments.enterprises} synthetic enterprises …", file=sys.stderr)
    prior = synthetic_columns(size=arguments.sample, seed=arguments.seed + 1, year=2024)
    prior_averages = engine.indicator_averages(scheme, prior, year=2024)
    population = synthetic_columns(size=arguments.enterprises, seed=arguments.seed)

    started = time.perf_counter()
    outcome = engine.evaluate(scheme, population, year=2025, prior_averages=prior_averages)
    seconds = time.perf_counter() - started
    print(f"vectorised: {arguments.enterprises} in {seconds:.2f}s", file=sys.stderr)

    # The sample is evaluated as its own population by both implementations (ranks and rank shares are
    # relative to the evaluated set), with the benchmarks fixed to the full population's.
    sample_size = min(arguments.sample, arguments.enterprises)
    sample_columns = {name: column[:sample_size].copy() for name, column in population.items()}
    sample_scheme = fixed_scheme(scheme, outcome.benchmarks)
    sample_rows = columns_to_rows(sample_columns)
    started = time.perf_counter()
    rows_result = evaluate_rows(sample_scheme, sample_rows, year=2025)
    rowwise_seconds = time.perf_counter() - started
    sample_outcome = engine.evaluate(sample_scheme, sample_columns, year=2025)
    identical = compare(sample_outcome, rows_result)
    print(f"row by row: {sample_size} in {rowwise_seconds:.2f}s; identical={identical}", file=sys.stderr)

    # The same check under the other preset (score thresholds, six indicators, average-score fallback).
    jiangsu = scheme_parse(JIANGSU_SIX_INDICATORS)
    jiangsu_prior = engine.indicator_averages(jiangsu, prior, year=2024)
    identical = identical and compare(
        engine.evaluate(jiangsu, sample_columns, year=2025, prior_averages=jiangsu_prior),
        evaluate_rows(jiangsu, sample_rows, year=2025, prior_averages=jiangsu_prior),
    )
    vectorized_per_s = arguments.enterprises / seconds
    rowwise_per_s = sample_size / rowwise_seconds
    print(json.dumps({
        "enterprises": arguments.enterprises,
        "seconds": round(seconds, 3),
        "rowwise_per_s": round(rowwise_per_s, 1),
        "vectorized_per_s": round(vectorized_per_s, 1),
        "speedup": round(vectorized_per_s / rowwise_per_s, 1),
        "identical": identical,
        "sample": sample_size,
        "classes": {label: int(count) for label, count in zip(engine.CLASS_LABELS, np.bincount(
            outcome.class_index, minlength=len(engine.CLASS_LABELS)).tolist(), strict=True)},
    }, ensure_ascii=False))


if __name__ == "__main__":
    main()
