"""Do the hotline-specific parts of the classifier earn their place on data shaped differently?

The public messages (``../shared/data/citizen-messages/train_segmented.csv``, read at run time,
never copied) are rewritten into three shapes other hotlines export, each with the same labels:

* ``web``: the messages as they are (long web messages, the shape the defaults were tuned on);
* ``call``: short transcribed calls — "市民来电反映：" and the first 60 characters;
* ``address``: an operator's record — caller, phone, a street address with numbers, then the text.

On each shape, a stratified 80/20 split (seeded), the same rows for every variant: the full model
(feature version 5), without the lead block, with the lead block but not skipping a shared opening,
without word n-grams, without the stop-word list, and the plain baseline (character 1–2-gram TF-IDF
+ linear SVM) trained in the same run. Prints one JSON line: per shape, macro-F1 of each variant.
Usage: .venv/bin/python bench/classifier_shapes.py [--rows 3000]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

from bench_environment import bench_environment_set

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "citizen-messages" / "train_segmented.csv"
ROADS = ("青年路", "竹林西路", "劳动东路", "关河中路", "红梅北路", "丽华南路")
COMPOUNDS = ("北环新村", "翠竹花园", "天宁府", "丽华三村", "东方名园")
SURNAMES = "张王李赵刘陈杨黄周吴"


def _texts(rows: int, seed: int) -> tuple[list[str], list[str]]:
    with DATA.open(encoding="utf-8") as handle:
        records = [(row["text"].replace(" ", ""), row["label"]) for row in csv.DictReader(handle)]
    generator = random.Random(seed)
    generator.shuffle(records)
    records = records[:rows]
    return [text for text, _label in records], [label for _text, label in records]


def shaped(texts: list[str], shape: str, seed: int) -> list[str]:
    generator = random.Random(seed)
    if shape == "web":
        return texts
    if shape == "call":
        return [f"市民来电反映：{text[:60]}" for text in texts]
    result = []
    for text in texts:
        phone = "1" + "".join(str(generator.randrange(10)) for _ in range(10))
        address = (f"{generator.choice(ROADS)}{generator.randrange(1, 300)}号{generator.choice(COMPOUNDS)}"
                   f"{generator.randrange(1, 40)}幢{generator.randrange(1, 6)}单元{generator.randrange(101, 2802)}室")
        result.append(f"来电人{generator.choice(SURNAMES)}先生，联系电话{phone}，地址{address}，反映：{text}")
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=3000)
    options = parser.parse_args()
    bench_environment_set()
    os.environ.setdefault("ZHILI_DATA_DIR", tempfile.mkdtemp(prefix="zhili-bench-shapes-"))
    import django

    django.setup()
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.metrics import f1_score
    from sklearn.model_selection import train_test_split
    from sklearn.svm import LinearSVC

    from zhili.textintel.classifier import ClassifierSettings, classifier_fit

    texts, labels = _texts(options.rows, seed=5)
    variants = {
        "full": ClassifierSettings(),
        "no_lead": ClassifierSettings(lead_characters=0),
        "lead_not_skipping_opening": ClassifierSettings(lead_skips_common_prefix=False),
        "no_words": ClassifierSettings(use_words=False),
        "no_stop_words": ClassifierSettings(drop_stop_words=False),
    }
    results: dict[str, dict[str, float]] = {}
    started = time.perf_counter()
    for shape in ("web", "call", "address"):
        shaped_texts = shaped(texts, shape, seed=11)
        train, test = train_test_split(list(range(len(labels))), test_size=0.2, stratify=labels, random_state=0)
        train_texts, test_texts = [shaped_texts[i] for i in train], [shaped_texts[i] for i in test]
        train_labels, test_labels = [labels[i] for i in train], [labels[i] for i in test]
        scores: dict[str, float] = {}
        for name, settings in variants.items():
            model = classifier_fit(name=name, texts=train_texts, labels=train_labels, settings=settings)
            predicted = [ranked[0][0] for ranked in model.predict(test_texts)]
            scores[name] = round(float(f1_score(test_labels, predicted, average="macro")), 4)
            print(f"{shape} {name} {scores[name]}", file=sys.stderr, flush=True)
        vectorizer = TfidfVectorizer(analyzer="char", ngram_range=(1, 2))
        baseline = LinearSVC().fit(vectorizer.fit_transform(train_texts), train_labels)
        predicted = list(baseline.predict(vectorizer.transform(test_texts)))
        scores["plain_baseline"] = round(float(f1_score(test_labels, predicted, average="macro")), 4)
        results[shape] = scores
    print(json.dumps({"rows": len(labels), "held_out": len(labels) - int(len(labels) * 0.8), **results,
                      "seconds": round(time.perf_counter() - started, 1)}, ensure_ascii=False))


if __name__ == "__main__":
    main()
