"""Hot-issue clustering on messages_with_votes.csv against the hand-labelled pairs.

Runs the full hot-issue computation on the 4,326 real messages, then for each labelled pair
(src/zhili/textintel/tests/data/duplicate_pairs.csv) predicts "same problem" when both
messages fall in the same cluster. Prints one JSON line: pairwise precision/recall/F1, the
number of hot issues, the size of the largest, seconds, and the top five (place, reports).
"""

from __future__ import annotations

import csv
import json
import sys
import time
from pathlib import Path

from bench_environment import bench_environment_set

REPOSITORY = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPOSITORY / "src"))
bench_environment_set()

MESSAGES = REPOSITORY.parent / "shared" / "data" / "citizen-messages" / "messages_with_votes.csv"
PAIRS = REPOSITORY / "src" / "zhili" / "textintel" / "tests" / "data" / "duplicate_pairs.csv"


def main() -> None:
    import django

    django.setup()
    from zhili.textintel.hot_issues import hot_issues_compute, messages_from_csv_bytes

    messages = messages_from_csv_bytes(MESSAGES.read_bytes())
    print(f"{len(messages)} messages", file=sys.stderr)
    started = time.perf_counter()
    result = hot_issues_compute(messages)
    seconds = time.perf_counter() - started
    with PAIRS.open(encoding="utf-8") as handle:
        pairs = list(csv.DictReader(handle))
    true_positive = predicted_positive = actual_positive = 0
    for pair in pairs:
        same_cluster = result.cluster_of[pair["msg_id_a"]] == result.cluster_of[pair["msg_id_b"]]
        actual = pair["same_problem"] == "1"
        predicted_positive += same_cluster
        actual_positive += actual
        true_positive += same_cluster and actual
    precision = true_positive / max(1, predicted_positive)
    recall = true_positive / max(1, actual_positive)
    print(json.dumps({
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(2 * precision * recall / (precision + recall), 4) if precision + recall else 0.0,
        "pairs": len(pairs),
        "hot_issue_count": len(result.issues),
        "largest_issue_reports": max((issue.report_count for issue in result.issues), default=0),
        "seconds": round(seconds, 2),
        "top5": [[issue.place, issue.report_count] for issue in result.issues[:5]],
    }, ensure_ascii=False))


if __name__ == "__main__":
    main()
