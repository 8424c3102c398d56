"""Benchmark: evaluate 10,000 indicators × 10 years with the vectorised engine.

Synthetic indicators of every kind (level, share, growth as values and as yearly rates,
cumulative, bound, qualitative) with missing values, a plan 2020 → 2030. The same-run baseline is
the per-indicator pure-Python reference (:func:`evaluate_indicator`) on a sample; the statuses of
the two must be identical. Prints one JSON line.
"""

from __future__ import annotations

import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

from bench_environment import bench_environment_set

sys.path[:0] = [str(Path(__file__).resolve().parents[1] / "src"), str(Path(__file__).resolve().parents[1])]
bench_environment_set()
os.environ.setdefault("ZHILI_DATA_DIR", tempfile.mkdtemp(prefix="zhili-bench-indicators-"))

INDICATORS = 10_000
YEARS = list(range(2021, 2031))
SAMPLE = 2_000
KINDS = ("level", "share", "growth", "cumulative", "bound", "qualitative")


def synthetic(generator: random.Random) -> tuple[list, list, list]:  # type: ignore[type-arg]
    from zhili.indicators.evaluation import IndicatorSpec

    specs, observations, qualitative = [], [], []
    for _ in range(INDICATORS):
        kind = generator.choice(KINDS)
        direction = 1 if kind == "cumulative" else generator.choice((1, -1))
        baseline = round(generator.uniform(10, 200), 2) if generator.random() < 0.8 else None
        start = baseline if baseline is not None else generator.uniform(10, 200)
        if kind == "growth":
            target = round(generator.uniform(-3, 10), 1)
        elif kind == "cumulative":
            target = round(generator.uniform(100, 5000), 1)
        else:
            target = round(start * (1 + direction * generator.uniform(0.05, 0.6)), 2)
        growth_input = generator.choice(("level", "rate"))
        series: dict[int, float] = {}
        for year in YEARS:
            if generator.random() < 0.1:
                continue  # missing year
            if kind == "growth" and growth_input == "rate":
                series[year] = round(generator.gauss(target, 3), 2)
            elif kind == "cumulative":
                series[year] = round(target / 10 * generator.uniform(0.5, 1.5), 2)
            else:
                series[year] = round(start * (1 + generator.gauss(0.03, 0.08)) ** (year - 2020), 3)
        specs.append(IndicatorSpec(kind=kind, direction=direction, base_year=2020, target_year=2030, baseline=baseline,
                                   target=target, growth_input=growth_input))
        observations.append(series)
        qualitative.append({year: generator.choice(("completed", "on_track", "lagging", "severely_lagging"))
                            for year in YEARS if kind == "qualitative" and generator.random() < 0.9})
    return specs, observations, qualitative


def main() -> None:
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)  # the engine needs no tables; migrating proves the setup is sound
    from tests.oracles.indicators_matrix import evaluate_matrix, matrix_from_specs

    from zhili.indicators.evaluation import evaluate_indicator

    generator = random.Random(20260101)
    specs, observations, qualitative = synthetic(generator)
    print(f"[bench] {INDICATORS} indicators × {len(YEARS)} years generated", file=sys.stderr)

    started = time.perf_counter()
    matrix = matrix_from_specs(specs, observations, YEARS, qualitative)
    packed = time.perf_counter()
    result = evaluate_matrix(matrix)
    finished = time.perf_counter()
    seconds = finished - started
    print(f"[bench] vectorised: pack {packed - started:.3f}s + evaluate {finished - packed:.3f}s", file=sys.stderr)

    sample = generator.sample(range(INDICATORS), SAMPLE)
    baseline_started = time.perf_counter()
    mismatches = 0
    for row in sample:
        for column, year in enumerate(YEARS):
            reference = evaluate_indicator(specs[row], observations[row], year, qualitative=qualitative[row])
            if int(reference.status) != int(result.statuses[row, column]):
                mismatches += 1
    baseline_seconds = time.perf_counter() - baseline_started
    per_cell = baseline_seconds / (SAMPLE * len(YEARS))
    extrapolated = per_cell * INDICATORS * len(YEARS)
    print(f"[bench] pure-Python reference on {SAMPLE} indicators: {baseline_seconds:.3f}s "
          f"(≈{extrapolated:.2f}s for all), mismatching statuses: {mismatches}", file=sys.stderr)
    counts = {int(code): int((result.statuses == code).sum()) for code in range(6)}
    print(json.dumps({
        "indicators": INDICATORS, "years": len(YEARS), "seconds": round(seconds, 4),
        "evaluate_seconds": round(finished - packed, 4),
        "baseline": {"method": "per-indicator pure-Python evaluate_indicator loop", "sample_indicators": SAMPLE,
                     "seconds": round(baseline_seconds, 4), "extrapolated_seconds_all": round(extrapolated, 3)},
        "speedup_vs_baseline": round(extrapolated / seconds, 1) if seconds else None,
        "statuses_identical": mismatches == 0, "status_mismatches": mismatches, "status_counts": counts,
    }, ensure_ascii=False))


if __name__ == "__main__":
    main()
