"""Duplicate scoring against the hand-labelled pairs of real messages.

Labelled set: src/zhili/textintel/tests/data/duplicate_pairs.csv (140 pairs of
messages_with_votes.csv, labelled by reading both messages; see docs/textintel.md). Each pair is
scored with ``duplicate_scores`` (text + places named in the text + time gap; these messages have
no coordinates or categories) and predicted "same problem" when it passes the documented
threshold. Prints one JSON line: precision, recall, F1 at the threshold, the same for a
text-only baseline (char-bigram cosine ≥ 0.5), and µs per candidate.
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


def _figures(predicted: list[bool], actual: list[bool]) -> dict[str, float]:
    true_positive = sum(p and a for p, a in zip(predicted, actual, strict=True))
    precision = true_positive / max(1, sum(predicted))
    recall = true_positive / max(1, sum(actual))
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4)}


def main() -> None:
    import django

    django.setup()
    from zhili.textintel.duplicates import DUPLICATE_SCORE_THRESHOLD, DuplicateCandidate, duplicate_scores
    from zhili.textintel.hot_issues import parse_message_time
    from zhili.textintel.normalization import character_bigrams, cosine_similarity_of_counts

    with MESSAGES.open(encoding="utf-8") as handle:
        messages = {row["msg_id"]: row for row in csv.DictReader(handle)}
    with PAIRS.open(encoding="utf-8") as handle:
        pairs = list(csv.DictReader(handle))
    actual: list[bool] = []
    predicted: list[bool] = []
    baseline: list[bool] = []
    elapsed = 0.0
    for pair in pairs:
        first, second = messages[pair["msg_id_a"]], messages[pair["msg_id_b"]]
        first_text = f"{first['title']} {first['content']}"
        second_text = f"{second['title']} {second['content']}"
        candidate = DuplicateCandidate(case_id=1, text=second_text, longitude=None, latitude=None, category_code=None,
                                       created_at=parse_message_time(second["created_at"]))  # type: ignore[arg-type]
        started = time.perf_counter()
        scores = duplicate_scores(text=first_text, longitude=None, latitude=None, category_code=None,
                                  created_at=parse_message_time(first["created_at"]),  # type: ignore[arg-type]
                                  candidates=[candidate])
        elapsed += time.perf_counter() - started
        actual.append(pair["same_problem"] == "1")
        predicted.append(bool(scores))
        baseline.append(cosine_similarity_of_counts(character_bigrams(first_text), character_bigrams(second_text)) >= 0.5)
    # Intake's real call: one new text against 50 open cases (their features cached after first use).
    texts = [f"{row['title']} {row['content']}" for row in list(messages.values())[:70]]
    at = parse_message_time(next(iter(messages.values()))["created_at"])
    open_cases = [DuplicateCandidate(case_id=index, text=text, longitude=None, latitude=None, category_code=None,
                                     created_at=at) for index, text in enumerate(texts[:50])]  # type: ignore[arg-type]
    duplicate_scores(text=texts[50], longitude=None, latitude=None, category_code=None, created_at=at,  # type: ignore[arg-type]
                     candidates=open_cases)
    started = time.perf_counter()
    for query in texts[51:70]:
        duplicate_scores(text=query, longitude=None, latitude=None, category_code=None, created_at=at,  # type: ignore[arg-type]
                         candidates=open_cases)
    milliseconds_per_intake = 1000 * (time.perf_counter() - started) / len(texts[51:70])
    result = {
        **_figures(predicted, actual),
        "threshold": DUPLICATE_SCORE_THRESHOLD,
        "baseline_text_only": _figures(baseline, actual),
        "pairs": len(pairs),
        "positive_pairs": sum(actual),
        "microseconds_per_uncached_pair": round(1e6 * elapsed / max(1, len(pairs)), 1),
        "ms_per_intake_50_candidates": round(milliseconds_per_intake, 3),
    }
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
