"""Target extraction on the 天宁区"十四五"规划 text against the hand-written gold list.

Prints one JSON line: precision, recall (and F1), the op/period/subject agreement on matched
items, and the counts. An extracted item matches a gold item when unit, kind and value agree
and the gold quote (a short span of the document ending at the number) is found in the extracted
quote (or the reverse); matching is greedy in document order, each item used once.
"""

from __future__ import annotations

import json
import sys
import time
import unicodedata
from pathlib import Path
from typing import Any

REPOSITORY = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPOSITORY / "src"))

PLAN = REPOSITORY.parent / "shared" / "seeds" / "tianning-14th-five-year-plan.txt"
GOLD = REPOSITORY / "src" / "zhili" / "textintel" / "tests" / "data" / "tianning_targets_gold.jsonl"


def _compact(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split()).replace("（", "(").replace("）", ")")


def _same_value(left: Any, right: Any) -> bool:
    if isinstance(left, list) or isinstance(right, list):
        return isinstance(left, list) and isinstance(right, list) and len(left) == len(right) and all(
            abs(a - b) <= 1e-6 * max(1.0, abs(b)) for a, b in zip(left, right, strict=True))
    return abs(float(left) - float(right)) <= 1e-6 * max(1.0, abs(float(right)))


def match_targets(extracted: list[dict[str, Any]], gold: list[dict[str, Any]]) -> list[tuple[int, int]]:
    """Greedy one-to-one matching, returns (gold index, extracted index) pairs."""
    used: set[int] = set()
    pairs: list[tuple[int, int]] = []
    for gold_index, expected in enumerate(gold):
        gold_quote = _compact(expected["quote"])
        for extracted_index, found in enumerate(extracted):
            if extracted_index in used:
                continue
            quote = _compact(found["quote"])
            if (found["unit"] == expected["unit"] and found["kind"] == expected["kind"]
                    and _same_value(found["value"], expected["value"])
                    and (gold_quote in quote or quote in gold_quote)):
                used.add(extracted_index)
                pairs.append((gold_index, extracted_index))
                break
    return pairs


def main() -> None:
    # deferred: the test suite imports match_targets from this file without a benchmark's environment
    from bench_environment import bench_environment_set

    bench_environment_set()
    import django

    django.setup()
    from zhili.textintel.targets import extract_targets_from_file

    started = time.perf_counter()
    extracted = [item.as_dict() for item in extract_targets_from_file(PLAN)]
    elapsed = time.perf_counter() - started
    gold = [json.loads(line) for line in GOLD.read_text(encoding="utf-8").splitlines() if line.strip()]
    pairs = match_targets(extracted, gold)
    matched_gold = {gold_index for gold_index, _ in pairs}
    matched_extracted = {extracted_index for _, extracted_index in pairs}
    for index, expected in enumerate(gold):
        if index not in matched_gold:
            print("missed:", json.dumps(expected, ensure_ascii=False), file=sys.stderr)
    for index, found in enumerate(extracted):
        if index not in matched_extracted:
            print("spurious:", json.dumps(found, ensure_ascii=False), file=sys.stderr)
    precision = len(pairs) / len(extracted) if extracted else 0.0
    recall = len(pairs) / len(gold) if gold else 0.0
    op_agreement = sum(extracted[e]["op"] == gold[g]["op"] for g, e in pairs) / max(1, len(pairs))
    period_agreement = sum(extracted[e]["period"] == gold[g]["period"] for g, e in pairs) / max(1, len(pairs))
    print(json.dumps({
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(2 * precision * recall / (precision + recall), 4) if precision + recall else 0.0,
        "op_agreement": round(op_agreement, 4),
        "period_agreement": round(period_agreement, 4),
        "gold_count": len(gold),
        "extracted_count": len(extracted),
        "matched_count": len(pairs),
        "seconds": round(elapsed, 3),
    }, ensure_ascii=False))


if __name__ == "__main__":
    main()
