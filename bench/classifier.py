"""Category classifier: train on train_segmented.csv, evaluate on dev_raw.csv (held out, raw text).

Also trains the issue's baseline in the same run and evaluates it the same way:
``baseline_macro_f1`` is the plain baseline of the data README (``TfidfVectorizer(analyzer="char",
ngram_range=(1, 2))`` with default settings + ``LinearSVC()``, trained on train_segmented text as
given, tested on title + " " + content); ``baseline_sublinear_macro_f1`` is the same with
``sublinear_tf=True`` (what this bench printed as its baseline before), for transparency. Prints one JSON line with ``macro_f1``, ``baseline_macro_f1``,
``ms_per_message`` (prediction, one process, one message at a time is slower: this is per message
of a batch of dev_raw), ``train_seconds`` and the projected seconds for 10,000 messages, and
``train_seconds_10000``: a training on 10,000 real messages, measured (the 7,843 training rows,
then raw messages from dev_raw and messages_with_votes labelled by the first model's own
prediction — that model is only timed, never evaluated).

Everything runs on one core (BLAS/OpenMP pools limited to one thread). The machine this runs on is
often shared, so next to each wall-clock figure the CPU time of this process is printed too
(``*_cpu``): that is what the same work costs on one idle core.
"""

from __future__ import annotations

import csv
import json
import os
import sys
import tempfile
import time
from pathlib import Path

from bench_environment import bench_environment_set

REPOSITORY = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPOSITORY / "src"))
bench_environment_set()
os.environ.setdefault("ZHILI_DATA_DIR", tempfile.mkdtemp(prefix="zhili-bench-classifier-"))
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

DATA = REPOSITORY.parent / "shared" / "data" / "citizen-messages"


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def main() -> None:
    import django

    django.setup()
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.metrics import f1_score
    from sklearn.svm import LinearSVC

    from zhili.textintel.classifier import classifier_evaluate_on, classifier_fit

    train = _read(DATA / "train_segmented.csv")
    dev = _read(DATA / "dev_raw.csv")
    train_texts = [row["text"] for row in train]
    train_labels = [row["label"] for row in train]
    dev_texts = [f"{row['title']} {row['content']}" for row in dev]
    dev_labels = [row["label"] for row in dev]
    print(f"train {len(train_texts)}, dev {len(dev_texts)}", file=sys.stderr)

    started, started_cpu = time.perf_counter(), time.process_time()
    classifier = classifier_fit(name="bench", texts=train_texts, labels=train_labels,
                                progress=lambda message: print(message, file=sys.stderr))
    train_seconds = time.perf_counter() - started
    train_cpu_seconds = time.process_time() - started_cpu
    classifier.predict(dev_texts[:5])  # warm-up
    started_cpu = time.process_time()
    evaluation = classifier_evaluate_on(classifier, texts=dev_texts, labels=dev_labels)
    batch_cpu_ms = 1000 * (time.process_time() - started_cpu) / len(dev_texts)
    started, started_cpu = time.perf_counter(), time.process_time()
    for text in dev_texts[:200]:
        classifier.predict([text])
    single_ms = 1000 * (time.perf_counter() - started) / 200
    single_cpu_ms = 1000 * (time.process_time() - started_cpu) / 200

    print("training on 10,000 messages (timing only) …", file=sys.stderr)
    extra = dev_texts + [f"{row['title']} {row['content']}" for row in _read(DATA / "messages_with_votes.csv")]
    extra = extra[:10_000 - len(train_texts)]
    extra_labels = [pairs[0][0] for pairs in classifier.predict(extra)]
    started, started_cpu = time.perf_counter(), time.process_time()
    classifier_fit(name="bench-10000", texts=train_texts + extra, labels=train_labels + extra_labels)
    train_seconds_10000 = time.perf_counter() - started
    train_cpu_seconds_10000 = time.process_time() - started_cpu

    print("baseline …", file=sys.stderr)
    baseline_started = time.perf_counter()
    vectorizer = TfidfVectorizer(analyzer="char", ngram_range=(1, 2))
    baseline = LinearSVC().fit(vectorizer.fit_transform(train_texts), train_labels)
    baseline_seconds = time.perf_counter() - baseline_started
    baseline_predicted = baseline.predict(vectorizer.transform(dev_texts))
    baseline_f1 = f1_score(dev_labels, baseline_predicted, average="macro")
    sublinear_vectorizer = TfidfVectorizer(analyzer="char", ngram_range=(1, 2), sublinear_tf=True)
    sublinear = LinearSVC().fit(sublinear_vectorizer.fit_transform(train_texts), train_labels)
    sublinear_predicted = sublinear.predict(sublinear_vectorizer.transform(dev_texts))
    sublinear_f1 = f1_score(dev_labels, sublinear_predicted, average="macro")

    print(json.dumps({
        "macro_f1": evaluation.macro_f1,
        "baseline_macro_f1": round(float(baseline_f1), 4),
        "baseline_sublinear_macro_f1": round(float(sublinear_f1), 4),
        "accuracy": evaluation.accuracy,
        "ms_per_message": evaluation.ms_per_message,
        "ms_per_message_cpu": round(batch_cpu_ms, 4),
        "ms_per_single_message_call": round(single_ms, 3),
        "ms_per_single_message_call_cpu": round(single_cpu_ms, 3),
        "train_seconds": round(train_seconds, 2),
        "train_cpu_seconds": round(train_cpu_seconds, 2),
        "train_messages": len(train_texts),
        "projected_train_seconds_10000": round(train_seconds * 10_000 / len(train_texts), 1),
        "projected_train_cpu_seconds_10000": round(train_cpu_seconds * 10_000 / len(train_texts), 1),
        "train_seconds_10000": round(train_seconds_10000, 2),
        "train_cpu_seconds_10000": round(train_cpu_seconds_10000, 2),
        "train_messages_10000": len(train_texts) + len(extra),
        "baseline_train_seconds": round(baseline_seconds, 2),
        "per_class_f1": {label: figures["f1"] for label, figures in evaluation.per_class.items()},
    }, ensure_ascii=False))


if __name__ == "__main__":
    main()
