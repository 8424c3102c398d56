"""Hot issues: accuracy on labelled public messages and on the demo district's cases, and scaling.

1. The 4,326 real messages of messages_with_votes.csv (an uploaded file): for each hand-labelled
   pair (src/zhili/textintel/tests/data/duplicate_pairs.csv) "same problem" is predicted when both
   messages fall in one cluster → pairwise ``precision`` / ``recall``.
2. The demo district (geo, accounts and cases demo data loaded into a fresh SQLite database), read
   through the case source the cases app registers: the generator's own truth is the matter and the
   place it wrote each case about, so two cases belong together when both are equal →
   ``demo_precision`` / ``demo_recall`` over all pairs of cases, and ``largest_issue_share`` (the
   largest issue's reports over all cases: the chaining defect showed as 0.9).
3. Scaling: demo-generator cases at the demo's rate (3,000 per 90 days, so 10,000 span 300 days and
   100,000 span 3,000), 10k and 100k, each computed in a fresh process: ``seconds_10k``,
   ``seconds_100k``, ``growth`` (their ratio; 10 is linear) and ``peak_rss_mb_100k`` (the process's
   peak, Django and scikit-learn included: ``rss_mb_before_100k`` is the same process before the
   computation; ``cpu_seconds_*`` are the same runs' CPU time, which other load on a shared machine
   inflates less). The same for uploaded-file messages (no recorded matter or place: one block cut into
   runs of BLOCK_ROWS): ``file_seconds_10k`` / ``file_seconds_100k``.

Same-run baseline: the previous method (single linkage: connected components of "cosine ≥ 0.55, or
≥ 0.30 with a common place" over every pair) on the same public messages and demo cases
(``baseline_*``).

Prints one JSON line.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import json
import os
import pickle
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench_environment import bench_environment_set

REPOSITORY = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPOSITORY / "src"))

MESSAGES = REPOSITORY.parent / "shared" / "data" / "citizen-messages" / "messages_with_votes.csv"
PAIRS = REPOSITORY / "src" / "zhili" / "textintel" / "tests" / "data" / "duplicate_pairs.csv"
DEMO_RATE_PER_DAY = 3000 / 90


def _log(message: str) -> None:
    print(f"[bench/hot_issues] {message}", file=sys.stderr, flush=True)


def _pairs_of(labels: Counter[Any]) -> int:
    return sum(count * (count - 1) // 2 for count in labels.values())


def _labelled_scores(cluster_of: dict[str, int]) -> tuple[float, float]:
    true_positive = predicted_positive = actual_positive = 0
    with PAIRS.open(encoding="utf-8") as handle:
        for pair in csv.DictReader(handle):
            same_cluster = cluster_of[pair["msg_id_a"]] == cluster_of[pair["msg_id_b"]]
            actual = pair["same_problem"] == "1"
            predicted_positive += same_cluster
            actual_positive += actual
            true_positive += same_cluster and actual
    return true_positive / max(1, predicted_positive), true_positive / max(1, actual_positive)


def _truth_scores(cluster_of: dict[str, int], truth: dict[str, Any]) -> tuple[float, float, float]:
    """Pairwise precision and recall of clusters against truth labels, and the largest cluster's share."""
    ids = list(truth)
    predicted = Counter(cluster_of[message_id] for message_id in ids)
    actual = Counter(truth[message_id] for message_id in ids)
    both = Counter((cluster_of[message_id], truth[message_id]) for message_id in ids)
    true_pairs = _pairs_of(both)
    return (true_pairs / max(1, _pairs_of(predicted)), true_pairs / max(1, _pairs_of(actual)),
            max(predicted.values()) / len(ids))


def _single_linkage_baseline(messages: Sequence[Any]) -> dict[str, int]:
    """The method hot issues used before: connected components over every pair (quadratic)."""
    import numpy as np
    from scipy import sparse
    from scipy.sparse.csgraph import connected_components
    from sklearn.feature_extraction.text import TfidfVectorizer

    from zhili.textintel.hot_issues import _matching_text, _place_key
    from zhili.textintel.places import place_mentions

    vectors = TfidfVectorizer(analyzer="char", ngram_range=(2, 2), sublinear_tf=True, dtype=np.float32
                              ).fit_transform([_matching_text(message) for message in messages])
    similarity = (vectors @ vectors.T).tocoo()
    times = np.array([message.created_at.timestamp() for message in messages])
    rows, columns, values = similarity.row, similarity.col, similarity.data
    keep = (rows < columns) & (values >= 0.30) & (np.abs(times[rows] - times[columns]) <= 180 * 86_400)
    places = [frozenset(_place_key(name) for name in place_mentions(f"{m.title} {m.text}").specific)
              for m in messages]
    linked = [(row, column) for row, column, value in zip(rows[keep].tolist(), columns[keep].tolist(),
                                                          values[keep].tolist(), strict=True)
              if value >= 0.55 or places[row] & places[column]]
    graph = sparse.coo_matrix((np.ones(len(linked)), ([r for r, _c in linked], [c for _r, c in linked])),
                              shape=(len(messages), len(messages)))
    _count, labels = connected_components(graph, directed=False)
    return {message.message_id: int(label) for message, label in zip(messages, labels, strict=True)}


def _public() -> dict[str, Any]:
    from zhili.textintel.hot_issues import hot_issues_compute, messages_from_csv_bytes

    messages = messages_from_csv_bytes(MESSAGES.read_bytes())
    _log(f"public: {len(messages)} messages")
    started = time.perf_counter()
    result = hot_issues_compute(messages)
    seconds = time.perf_counter() - started
    precision, recall = _labelled_scores(result.cluster_of)
    baseline_precision, baseline_recall = _labelled_scores(_single_linkage_baseline(messages))
    return {
        "precision": round(precision, 4), "recall": round(recall, 4),
        "f1": round(2 * precision * recall / (precision + recall), 4) if precision + recall else 0.0,
        "pairs": sum(1 for _row in csv.DictReader(PAIRS.open(encoding="utf-8"))),
        "public_messages": len(messages), "public_seconds": round(seconds, 2),
        "public_issue_count": len(result.issues),
        "public_largest_issue_reports": max((issue.report_count for issue in result.issues), default=0),
        "top5": [[issue.place, issue.report_count] for issue in result.issues[:5]],
        "baseline_precision": round(baseline_precision, 4), "baseline_recall": round(baseline_recall, 4),
    }


def _demo_database(seed: int) -> None:
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("demo_load", seed=seed, only=["geo", "accounts", "cases"], stdout=io.StringIO())


def _demo(seed: int) -> dict[str, Any]:
    from zhili.cases.models import Case
    from zhili.textintel.case_source import case_messages
    from zhili.textintel.hot_issues import hot_issues_compute

    messages = case_messages(user_id=None, since=dt.datetime(2000, 1, 1, tzinfo=dt.UTC), limit=10**6)
    truth = {number: (matter_id, place) for number, matter_id, place in
             Case.objects.values_list("number", "matter_id", "address_text")}
    _log(f"demo: {len(messages)} cases")
    started = time.perf_counter()
    result = hot_issues_compute(messages)
    seconds = time.perf_counter() - started
    precision, recall, largest = _truth_scores(result.cluster_of, truth)
    _baseline_precision, _baseline_recall, baseline_largest = _truth_scores(_single_linkage_baseline(messages), truth)
    return {"demo_cases": len(messages), "demo_precision": round(precision, 4), "demo_recall": round(recall, 4),
            "largest_issue_share": round(largest, 4), "demo_issue_count": len(result.issues),
            "demo_true_pairs": _pairs_of(Counter(truth.values())), "demo_seconds": round(seconds, 2),
            "baseline_largest_issue_share": round(baseline_largest, 4),
            "baseline_demo_precision": round(_baseline_precision, 4),
            "baseline_demo_recall": round(_baseline_recall, 4)}


def _synthetic(count: int, *, seed: int, recorded: bool) -> list[Any]:
    """``count`` cases written by the demo generator's own text function, at the demo's rate per day."""
    from zhili.cases.demo import _text as demo_text  # the generator's own templates, for its own truth
    from zhili.geo.models import Address, Matter
    from zhili.textintel.hot_issues import HotIssueMessage

    rng = random.Random(seed)
    matters = list(Matter.objects.filter(is_active=True).order_by("code"))
    places = [compound or road for compound, road in
              Address.objects.order_by("code").values_list("compound", "road")[:3000]]
    span_days = count / DEMO_RATE_PER_DAY
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    messages = []
    for index in range(count):
        matter, place = rng.choice(matters), rng.choice(places)
        text = demo_text(rng, matter, place)
        messages.append(HotIssueMessage(
            message_id=str(index), reporter=f"r{rng.randrange(count)}", title=text[:30], text=f"{place} {text}",
            created_at=start + dt.timedelta(days=rng.random() * span_days), likes=0,
            topic=matter.code if recorded else "", place=place if recorded else ""))
    return messages


def _measure_in_fresh_process(messages: list[Any]) -> dict[str, float]:
    with tempfile.NamedTemporaryFile(suffix=".pickle", delete=False) as handle:
        pickle.dump(messages, handle)
    try:
        output = subprocess.run([sys.executable, __file__, "--measure", handle.name], check=True,
                                capture_output=True, text=True, env=os.environ.copy()).stdout
    finally:
        Path(handle.name).unlink()
    return json.loads(output.strip().splitlines()[-1])


def _peak_rss_mb() -> float:
    """This process's peak resident memory (VmHWM: unlike ru_maxrss, not inherited from the parent
    that forked it), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _measure(path: str) -> None:
    """Child process: compute the hot issues of the pickled messages; print seconds and peak RSS."""
    import django

    django.setup()
    from zhili.textintel.hot_issues import hot_issues_compute

    with open(path, "rb") as handle:
        messages = pickle.load(handle)  # noqa: S301 - our own file, written by the parent process
    hot_issues_compute(messages[:50])  # imports scikit-learn/SciPy before the clock starts
    before = _peak_rss_mb()
    started, started_cpu = time.perf_counter(), time.process_time()
    result = hot_issues_compute(messages, max_rows=len(messages))
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - started_cpu
    print(json.dumps({"seconds": seconds, "cpu_seconds": cpu_seconds, "peak_rss_mb": _peak_rss_mb(),
                      "rss_mb_before": before, "issues": len(result.issues),
                      "largest": max((issue.report_count for issue in result.issues), default=0)}))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", type=int, default=20260101)
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.measure:
        bench_environment_set()
        _measure(arguments.measure)
        return
    data_dir = tempfile.mkdtemp(prefix="zhili-bench-hot-")
    os.environ["ZHILI_DATA_DIR"] = data_dir
    os.environ.pop("DATABASE_URL", None)  # a fresh SQLite database in the data directory
    os.environ["ZHILI_LOG_LEVEL"] = "CRITICAL"
    bench_environment_set()
    import django

    django.setup()
    figures: dict[str, Any] = {}
    figures.update(_public())
    _demo_database(arguments.seed)
    figures.update(_demo(arguments.seed))
    for recorded, prefix in ((True, ""), (False, "file_")):
        for count, label in ((10_000, "10k"), (100_000, "100k")):
            measured = _measure_in_fresh_process(_synthetic(count, seed=arguments.seed, recorded=recorded))
            _log(f"{prefix or 'cases_'}{label}: {measured}")
            figures[f"{prefix}seconds_{label}"] = round(measured["seconds"], 2)
            figures[f"{prefix}cpu_seconds_{label}"] = round(measured["cpu_seconds"], 2)
            figures[f"{prefix}largest_issue_reports_{label}"] = measured["largest"]
            if label == "100k":
                figures[f"{prefix}peak_rss_mb_100k"] = round(measured["peak_rss_mb"])
                figures[f"{prefix}rss_mb_before_100k"] = round(measured["rss_mb_before"])
        figures[f"{prefix}growth"] = round(figures[f"{prefix}seconds_100k"] / max(0.001, figures[f"{prefix}seconds_10k"]),
                                           2)
    figures["load_average_1min"] = round(os.getloadavg()[0], 2)
    print(json.dumps(figures, ensure_ascii=False))


if __name__ == "__main__":
    main()
