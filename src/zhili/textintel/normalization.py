"""Text normalisation shared by the classifier, duplicate detection and hot issues.

Citizens' texts arrive raw ("A市A3区联丰路…"), while some training histories are already
segmented with spaces and stop words removed ("A1 区 蔡锷 南路 …"). Everything that compares
texts first folds both shapes into the same form: NFKC, lower case, no whitespace.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter

_WHITESPACE = re.compile(r"\s+")
# Anything that is not a CJK ideograph, a Latin letter or a digit carries no meaning for matching.
_NON_CONTENT = re.compile(r"[^0-9a-z\u3400-\u9fff]+")
# Masked personal data in exported histories ("*****", "×××") only adds noise.
_MASK = re.compile(r"[*×xX]{3,}")


def despaced_text(text: str) -> str:
    """NFKC-folded, lower-cased text with all whitespace removed (keeps punctuation)."""
    folded = unicodedata.normalize("NFKC", text or "").lower()
    return _WHITESPACE.sub("", folded)


def folded_text(text: str) -> str:
    """NFKC-folded, lower-cased text with masks replaced by a space (keeps punctuation and spacing)."""
    return _MASK.sub(" ", unicodedata.normalize("NFKC", text or "").lower())


def content_characters(text: str) -> str:
    """Only ideographs, Latin letters and digits: the text as a matcher should see it."""
    folded = unicodedata.normalize("NFKC", text or "").lower()
    return _NON_CONTENT.sub("", _MASK.sub("", folded))


def character_bigrams(text: str) -> dict[str, int]:
    """Counts of overlapping character pairs of :func:`content_characters` (single char if short)."""
    characters = content_characters(text)
    if len(characters) < 2:
        return {characters: 1} if characters else {}
    return dict(Counter(characters[index:index + 2] for index in range(len(characters) - 1)))


def cosine_similarity_of_counts(left: dict[str, int], right: dict[str, int]) -> float:
    """Cosine of two sparse count vectors (0 when either is empty)."""
    if not left or not right:
        return 0.0
    if len(left) > len(right):
        left, right = right, left
    dot = sum(count * right.get(key, 0) for key, count in left.items())
    if dot == 0:
        return 0.0
    left_norm = sum(count * count for count in left.values()) ** 0.5
    right_norm = sum(count * count for count in right.values()) ** 0.5
    return float(dot / (left_norm * right_norm))
