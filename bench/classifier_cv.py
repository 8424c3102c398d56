"""Choose classifier settings without dev_raw: 5-fold CV on train_segmented + a raw-text proxy.

* CV: stratified 5 folds (seed 0) of train_segmented.csv, macro-F1 per fold (mean ± sd).
* Raw proxy: some unlabelled raw messages (messages_with_votes.csv) are the originals of training
  rows. Each raw message is aligned to its most similar training row (char 2–3-gram TF-IDF cosine
  of ``classifier_text`` of both; ≥ 0.6 — checked by hand: above it the pairs are the same message,
  below 0.6 they are related messages of the same place or topic) and takes that row's label.
  Raw messages with a dev_raw msg_id, or whose text is similar (≥ 0.5) to a dev_raw text, are
  left out; dev_raw's labels are never read. In each fold the raw originals of the held-out rows
  are classified from their *raw* text (``raw``) and, for comparison, from the segmented text of
  the same rows (``segmented_same_rows``): the difference is the train → raw shift.

Prints one JSON line per setting. Run: ``.venv/bin/python bench/classifier_cv.py [--no-words]``.
"""

from __future__ import annotations

import argparse
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
os.environ.setdefault("ZHILI_DATA_DIR", tempfile.mkdtemp(prefix="zhili-bench-classifier-cv-"))
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

DATA = REPOSITORY.parent / "shared" / "data" / "citizen-messages"
ALIGNED_SIMILARITY = 0.6
DEV_SIMILARITY = 0.5


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-words", action="store_true", help="also score the character-only model")
    parser.add_argument("--version-4", action="store_true", help="also score feature version 4 (no lead block)")
    arguments = parser.parse_args()

    import django

    django.setup()
    import numpy as np
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.metrics import f1_score
    from sklearn.model_selection import StratifiedKFold
    from threadpoolctl import threadpool_limits

    from zhili.textintel.classifier import ClassifierSettings, classifier_fit, classifier_text

    threadpool_limits(1)
    train = _read(DATA / "train_segmented.csv")
    raw = _read(DATA / "messages_with_votes.csv")
    dev = _read(DATA / "dev_raw.csv")
    texts = [row["text"] for row in train]
    labels = np.array([row["label"] for row in train])
    raw_texts = [f"{row['title']} {row['content']}" for row in raw]

    cleaned_train = [classifier_text(text) for text in texts]
    cleaned_raw = [classifier_text(text) for text in raw_texts]
    cleaned_dev = [classifier_text(f"{row['title']} {row['content']}") for row in dev]  # texts only, to exclude
    similarity = TfidfVectorizer(analyzer="char", ngram_range=(2, 3), sublinear_tf=True, lowercase=False)
    similarity.fit(cleaned_train + cleaned_raw)
    train_matrix = similarity.transform(cleaned_train)
    raw_matrix = similarity.transform(cleaned_raw)
    to_train = (raw_matrix @ train_matrix.T).toarray()
    to_dev = (raw_matrix @ similarity.transform(cleaned_dev).T).toarray().max(axis=1)
    dev_ids = {row["msg_id"] for row in dev}
    aligned = [index for index, row in enumerate(raw)
               if to_train[index].max() >= ALIGNED_SIMILARITY and row["msg_id"] not in dev_ids
               and to_dev[index] < DEV_SIMILARITY]
    aligned_row = np.array([int(to_train[index].argmax()) for index in aligned])
    print(f"{len(aligned)} raw messages aligned to training rows (dev ids / dev-like texts excluded)", file=sys.stderr)

    settings_list = [("char 1–3 + word 1–2 + lead char 1–3 (feature version 5)", ClassifierSettings())]
    if arguments.version_4:
        settings_list.append(("char 1–3 + word 1–2 (feature version 4)", ClassifierSettings(lead_characters=0)))
    if arguments.no_words:
        settings_list.append(("char 1–3 only (feature version 3)", ClassifierSettings(use_words=False, lead_characters=0)))
    folds = list(StratifiedKFold(5, shuffle=True, random_state=0).split(np.zeros(len(labels)), labels))
    for name, settings in settings_list:
        started = time.process_time()
        predicted = np.empty(len(labels), dtype=object)
        raw_predicted = np.empty(len(aligned), dtype=object)
        for train_index, test_index in folds:
            classifier = classifier_fit(name="cv", texts=[texts[i] for i in train_index],
                                        labels=list(labels[train_index]), settings=settings)
            predicted[test_index] = [pairs[0][0] for pairs in classifier.predict([texts[i] for i in test_index])]
            held = np.isin(aligned_row, test_index)
            if held.any():
                raw_predicted[held] = [pairs[0][0] for pairs in classifier.predict(
                    [raw_texts[aligned[j]] for j in np.flatnonzero(held)])]
        fold_f1 = [f1_score(labels[test], list(predicted[test]), average="macro") for _train, test in folds]
        truth = labels[aligned_row]
        print(json.dumps({
            "setting": name,
            "cv_macro_f1": round(float(np.mean(fold_f1)), 4),
            "cv_macro_f1_sd": round(float(np.std(fold_f1)), 4),
            "cv_folds": [round(float(value), 4) for value in fold_f1],
            "raw_proxy_macro_f1": round(float(f1_score(truth, list(raw_predicted), average="macro")), 4),
            "raw_proxy_accuracy": round(float(np.mean(truth == raw_predicted)), 4),
            "segmented_same_rows_macro_f1": round(float(f1_score(truth, list(predicted[aligned_row]),
                                                                 average="macro")), 4),
            "raw_proxy_messages": len(aligned),
            "cpu_seconds": round(time.process_time() - started, 1),
        }, ensure_ascii=False))


if __name__ == "__main__":
    main()
