"""Recover the stop-word list the publisher of train_segmented.csv removed, from the data alone.

The publisher segmented the raw messages with jieba (default mode, HMM on) and dropped every
token on a stop-word list we do not have. The unlabelled raw messages of the same source
(messages_with_votes.csv, title + content) are segmented the same way here; a token that is
common there but (nearly) never a token of train_segmented.csv was removed by the publisher.

Rule (documented in docs/textintel.md, "Classifier"):

* the token occurs in at least ``--min-documents`` raw messages (5), and
* its count in train_segmented.csv is at most 2 % of what its raw frequency predicts, and
* it is not a name that is merely absent from the training period: a multi-character
  ideographic token must be in jieba's dictionary with a part of speech that is not a proper
  noun (ns nr nrt nrfg nt nz j) — place, estate and company names such as 丽发 or 广铁集团
  are HMM-found or proper nouns — and, unless it is a function-word class (pronoun,
  conjunction, preposition, adverb, particle, auxiliary, interjection, locative, time,
  numeral, quantifier, idiom), must occur in at least ``--min-content-documents`` messages (10);
  a token without ideographs (punctuation, single digits, a lone "A") needs 20 messages.

Writes ``src/zhili/textintel/data/publisher_stopwords.txt`` (one token a line, sorted, UTF-8).

Also writes ``src/zhili/textintel/data/protected_words.txt``: the words the publisher *kept* as
tokens (in at least 2 training messages, two or more ideographs, NFKC + lower case) that contain
an ideographic stop word inside them (目的, 自来水, 是否 …). Intake text is not segmented by jieba
(≈ 2 ms a message here); ``zhili.textintel.stopwords`` instead cuts raw text by greedy longest
match over stop words ∪ protected words and drops only the stop words, which reproduces the
publisher's jieba-then-filter output on the unlabelled messages to 98.6 % (character sequence
similarity) at ≈ 0.3 ms a message. Prints a summary. Run: ``.venv/bin/python bench/recover_stopwords.py``.
"""

from __future__ import annotations

import argparse
import csv
import logging
import os
import re
import sys
import unicodedata
from collections import Counter
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[1]
DATA = REPOSITORY.parent / "shared" / "data" / "citizen-messages"
OUTPUT = REPOSITORY / "src" / "zhili" / "textintel" / "data" / "publisher_stopwords.txt"
PROTECTED_OUTPUT = OUTPUT.with_name("protected_words.txt")

_IDEOGRAPH = re.compile(r"[\u3400-\u9fff]")
_ONLY_IDEOGRAPHS = re.compile(r"[\u3400-\u9fff]+")
_PROPER_NOUNS = {"ns", "nr", "nrt", "nrfg", "nt", "nz", "j"}
_FUNCTION_CLASSES = ("r", "c", "p", "d", "u", "y", "e", "zg", "f", "t", "m", "q", "l", "ad")


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _folded(token: str) -> str:
    return unicodedata.normalize("NFKC", token).lower()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--output", type=Path, default=OUTPUT)
    parser.add_argument("--min-documents", type=int, default=5)
    parser.add_argument("--min-content-documents", type=int, default=10)
    parser.add_argument("--min-symbol-documents", type=int, default=20)
    parser.add_argument("--max-ratio", type=float, default=0.02)
    parser.add_argument("--protected-output", type=Path, default=PROTECTED_OUTPUT)
    parser.add_argument("--min-protected-documents", type=int, default=2)
    arguments = parser.parse_args()

    import jieba

    jieba.setLogLevel(logging.WARNING)
    part_of_speech: dict[str, str] = {}
    with open(os.path.join(os.path.dirname(jieba.__file__), "dict.txt"), encoding="utf-8") as handle:
        for line in handle:
            fields = line.split()
            if len(fields) >= 3:
                part_of_speech[fields[0]] = fields[2]

    train_counts: Counter[str] = Counter()
    train_documents: Counter[str] = Counter()  # NFKC + lower case, as the classifier sees them
    for row in _read(arguments.data / "train_segmented.csv"):
        tokens = row["text"].split()
        train_counts.update(tokens)
        train_documents.update({_folded(token) for token in tokens})
    raw_counts: Counter[str] = Counter()
    raw_documents: Counter[str] = Counter()
    raw = _read(arguments.data / "messages_with_votes.csv")
    for row in raw:
        tokens = [token for token in jieba.lcut(f"{row['title']}\n{row['content']}") if token.strip()]
        raw_counts.update(tokens)
        raw_documents.update(set(tokens))
    train_total, raw_total = sum(train_counts.values()), sum(raw_counts.values())

    stopwords: list[str] = []
    for token, count in raw_counts.items():
        documents = raw_documents[token]
        if documents < arguments.min_documents:
            continue
        if train_counts[token] > arguments.max_ratio * count * train_total / raw_total:
            continue
        if not _IDEOGRAPH.search(token):
            if documents >= arguments.min_symbol_documents:
                stopwords.append(token)
            continue
        if len(token) == 1:
            stopwords.append(token)
            continue
        tag = part_of_speech.get(token)
        if tag is None or tag in _PROPER_NOUNS:
            continue
        if tag.startswith(_FUNCTION_CLASSES) or documents >= arguments.min_content_documents:
            stopwords.append(token)

    stopwords.sort()
    arguments.output.parent.mkdir(parents=True, exist_ok=True)
    arguments.output.write_text(
        "# Stop words removed by the publisher of train_segmented.csv, recovered by bench/recover_stopwords.py\n"
        + "".join(f"{token}\n" for token in stopwords), encoding="utf-8")
    folded_stopwords = {_folded(token) for token in stopwords}
    ideographic = sorted((token for token in folded_stopwords if _ONLY_IDEOGRAPHS.fullmatch(token)),
                         key=lambda token: (-len(token), token))
    inside = re.compile("|".join(re.escape(token) for token in ideographic))
    protected = sorted(
        token for token, documents in train_documents.items()
        if documents >= arguments.min_protected_documents and len(token) >= 2 and token not in folded_stopwords
        and _ONLY_IDEOGRAPHS.fullmatch(token) and inside.search(token)
    )
    arguments.protected_output.write_text(
        "# Words kept by the publisher of train_segmented.csv that contain a stop word; bench/recover_stopwords.py\n"
        + "".join(f"{token}\n" for token in protected), encoding="utf-8")
    print(f"{len(protected)} protected words -> {arguments.protected_output}", file=sys.stderr)
    removed_share = sum(raw_counts[token] for token in stopwords) / raw_total
    print(f"{len(raw)} raw messages, {raw_total} raw tokens, {train_total} train tokens; "
          f"{len(stopwords)} stop words recovered, {removed_share:.1%} of raw tokens -> {arguments.output}",
          file=sys.stderr)


if __name__ == "__main__":
    main()
