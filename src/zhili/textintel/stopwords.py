"""The publisher's stop words, and a fast way to drop them from raw text the way the publisher did.

Labelled histories are exported jieba-segmented *with stop words removed* (train_segmented.csv,
2020 泰迪杯 C题), while intake text is raw. The publisher's list is not published; it was
recovered from the data (``bench/recover_stopwords.py``): segment the unlabelled raw messages of
the same source with jieba and keep the tokens that are common there but never a token of the
training export (data/publisher_stopwords.txt, 606 tokens: 的 在 是 我们 但是 没有 作为 …,
punctuation, lone digits and the lone letter "A" of "A市").

Dropping them *as tokens* matters: cutting them as substrings also cuts them out of content words
the publisher kept (目的, 自来水, 是否, 一直 …). jieba itself costs ≈ 2 ms per message here, so
instead :func:`stopwords_removed` cuts each run of ideographs by greedy longest match over the
stop words ∪ the *protected words* (data/protected_words.txt: words the publisher kept that
contain a stop word) and drops only the stop words; a run of Latin letters/digits is one token,
dropped when it is a stop word ("A", "2"), kept otherwise ("A1", "2019"). On the unlabelled raw
messages the result matches jieba-then-filter to 98.6 % (character sequence similarity; the
former hand list of substring cuts: 93.9 %) at ≈ 0.3 ms per message.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

_DATA = Path(__file__).resolve().parent / "data"
_CONTENT_RUN = re.compile(r"[\u3400-\u9fff]+|[0-9a-z]+")


def _word_list(name: str) -> frozenset[str]:
    with (_DATA / name).open(encoding="utf-8") as handle:
        return frozenset(unicodedata.normalize("NFKC", line.strip()).lower()
                         for line in handle if line.strip() and not line.startswith("#"))


# NFKC + lower case, as the text is folded before it is cut.
STOPWORDS: frozenset[str] = _word_list("publisher_stopwords.txt")
PROTECTED_WORDS: frozenset[str] = _word_list("protected_words.txt") - STOPWORDS
_IDEOGRAPHIC_STOPWORDS = frozenset(word for word in STOPWORDS if re.fullmatch(r"[\u3400-\u9fff]+", word))
_DICTIONARY = _IDEOGRAPHIC_STOPWORDS | PROTECTED_WORDS


def _lengths_by_first_two_characters() -> dict[str, tuple[int, ...]]:
    """Lengths of the words of ≥ 2 characters, longest first, per first two characters (few to try per position)."""
    lengths: dict[str, set[int]] = {}
    for word in _DICTIONARY:
        if len(word) >= 2:
            lengths.setdefault(word[:2], set()).add(len(word))
    return {prefix: tuple(sorted(sizes, reverse=True)) for prefix, sizes in lengths.items()}


_LENGTHS = _lengths_by_first_two_characters()
_SINGLE_CHARACTER_WORDS = frozenset(word for word in _DICTIONARY if len(word) == 1)


def _ideograph_run_cut(run: str) -> str:
    """``run`` with its stop words dropped: greedy longest match over stop ∪ protected words."""
    kept: list[str] = []
    start = position = 0
    end = len(run)
    while position < end:
        matched = 0
        for size in _LENGTHS.get(run[position:position + 2], ()):
            if position + size <= end and run[position:position + size] in _DICTIONARY:
                matched = size
                break
        if not matched and run[position] in _SINGLE_CHARACTER_WORDS:
            matched = 1
        step = 1
        if matched:
            if run[position:position + matched] in _IDEOGRAPHIC_STOPWORDS:
                kept.append(run[start:position])
                start = position + matched
            step = matched
        position += step
    if start == 0:
        return run
    kept.append(run[start:])
    return "".join(kept)


def _run_cut(match: re.Match[str]) -> str:
    run = match.group()
    if run[0] < "\u3400":  # Latin letters and digits: one token
        return "" if run in STOPWORDS else run
    return _ideograph_run_cut(run)


def stopwords_removed(folded_text: str) -> str:
    """Content characters of ``folded_text`` (already NFKC + lower case) without the stop words.

    Punctuation and whitespace separate runs (a word never spans them) and are dropped, so a
    segmented export ("a1 区 蔡锷 南路") and raw text ("a1区蔡锷南路的…") come out alike.
    """
    return "".join(_run_cut(match) for match in _CONTENT_RUN.finditer(folded_text))
