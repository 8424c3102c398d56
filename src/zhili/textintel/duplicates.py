"""Duplicate detection at intake: which open cases are most likely the same problem.

``duplicate_scores`` is pure and fast (no database, no model): intake passes the new report and
up to ~50 open candidate cases near it in place and time, and gets back the likely duplicates.

Score (0..1) of a candidate, documented in docs/textintel.md:

* ``text`` — cosine similarity of character-bigram counts of the two texts (whitespace and
  punctuation removed), the strongest signal;
* ``place`` — 1 when the coordinates are within 50 m, decaying as exp(-(d-50)/300 m); when a
  side has no coordinates, the share of named places (compound, road) the texts have in common,
  or 0.5 (unknown) when neither names one;
* ``category`` — 1 same category, 0 different, 0.5 when either is unknown;
* ``time`` — exp(-days/30) of the gap between the reports.

    score = time_factor × (0.70·text + 0.20·place + 0.10·category)
    time_factor = 0.6 + 0.4·exp(-days/30)

A candidate is returned when its score ≥ ``DUPLICATE_SCORE_THRESHOLD`` (0.30), chosen on the
labelled pairs in tests/data/duplicate_pairs.csv (bench/duplicates.py reports precision/recall).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from zhili.textintel.normalization import character_bigrams
from zhili.textintel.places import place_mentions

DUPLICATE_SCORE_THRESHOLD = 0.30
TEXT_WEIGHT = 0.70
PLACE_WEIGHT = 0.20
CATEGORY_WEIGHT = 0.10
SAME_SPOT_METERS = 50.0
DISTANCE_DECAY_METERS = 300.0
TIME_DECAY_DAYS = 30.0
EARTH_RADIUS_METERS = 6_371_000.0
# The first characters state the problem and the place; comparing only them keeps scoring fast
# (< 2 ms for 50 candidates) and keeps long stories from diluting the similarity.
COMPARED_CHARACTERS = 300


@dataclass(frozen=True)
class DuplicateCandidate:
    """An open case that the new report might duplicate."""

    case_id: int
    text: str
    longitude: float | None
    latitude: float | None
    category_code: str | None
    created_at: datetime


def distance_meters(longitude_a: float, latitude_a: float, longitude_b: float, latitude_b: float) -> float:
    """Great-circle (haversine) distance between two WGS-84 points."""
    phi_a, phi_b = math.radians(latitude_a), math.radians(latitude_b)
    delta_phi = phi_b - phi_a
    delta_lambda = math.radians(longitude_b - longitude_a)
    half_chord = math.sin(delta_phi / 2) ** 2 + math.cos(phi_a) * math.cos(phi_b) * math.sin(delta_lambda / 2) ** 2
    return 2 * EARTH_RADIUS_METERS * math.asin(min(1.0, math.sqrt(half_chord)))


def _place_similarity_from_coordinates(distance: float) -> float:
    if distance <= SAME_SPOT_METERS:
        return 1.0
    return math.exp(-(distance - SAME_SPOT_METERS) / DISTANCE_DECAY_METERS)


def _place_similarity_from_names(left: frozenset[str], right: frozenset[str]) -> float:
    if not left and not right:
        return 0.5
    if not left or not right:
        return 0.3
    return len(left & right) / min(len(left), len(right))


def _category_similarity(left: str | None, right: str | None) -> float:
    if not left or not right:
        return 0.5
    return 1.0 if left == right else 0.0


def time_factor(first: datetime, second: datetime) -> float:
    """0.6 + 0.4·exp(-days/30): near-in-time reports are likelier the same problem."""
    try:
        gap_days = abs((first - second).total_seconds()) / 86_400
    except TypeError:  # one naive, one aware: compare wall clock
        gap_days = abs((first.replace(tzinfo=None) - second.replace(tzinfo=None)).total_seconds()) / 86_400
    return 0.6 + 0.4 * math.exp(-gap_days / TIME_DECAY_DAYS)


def pair_score(
    *, text_similarity: float, place_similarity: float, category_similarity: float, time_weight: float
) -> float:
    """The combined duplicate score (see the module docstring)."""
    combined = TEXT_WEIGHT * text_similarity + PLACE_WEIGHT * place_similarity + CATEGORY_WEIGHT * category_similarity
    return max(0.0, min(1.0, time_weight * combined))


@functools.lru_cache(maxsize=8192)
def _text_features(text: str) -> tuple[dict[str, int], float, frozenset[str]]:
    """Bigram counts, their norm and the specific places of a text's first characters (cached)."""
    head = text[:COMPARED_CHARACTERS]
    counts = character_bigrams(head)
    norm = math.sqrt(sum(count * count for count in counts.values()))
    return counts, norm, frozenset(place_mentions(head).specific)


def _cosine(left: dict[str, int], left_norm: float, right: dict[str, int], right_norm: float) -> float:
    if not left_norm or not right_norm:
        return 0.0
    # only the bigrams both texts have contribute; the key-view intersection runs in C
    return sum([left[key] * right[key] for key in left.keys() & right.keys()]) / (left_norm * right_norm)


def duplicate_scores(
    *,
    text: str,
    longitude: float | None,
    latitude: float | None,
    category_code: str | None,
    created_at: datetime,
    candidates: Sequence[DuplicateCandidate],
    threshold: float = DUPLICATE_SCORE_THRESHOLD,
) -> list[tuple[int, float]]:
    """``(case_id, score)`` of the candidates scoring ≥ ``threshold``, best first (ties: lower id)."""
    if not candidates:
        return []
    text_counts, text_norm, text_places = _text_features(text)
    scored: list[tuple[int, float]] = []
    for candidate in candidates:
        candidate_counts, candidate_norm, candidate_places = _text_features(candidate.text)
        text_similarity = _cosine(text_counts, text_norm, candidate_counts, candidate_norm)
        if (longitude is not None and latitude is not None
                and candidate.longitude is not None and candidate.latitude is not None):
            place_similarity = _place_similarity_from_coordinates(
                distance_meters(longitude, latitude, candidate.longitude, candidate.latitude)
            )
        else:
            place_similarity = _place_similarity_from_names(text_places, candidate_places)
        score = pair_score(
            text_similarity=text_similarity,
            place_similarity=place_similarity,
            category_similarity=_category_similarity(category_code, candidate.category_code),
            time_weight=time_factor(created_at, candidate.created_at),
        )
        if score >= threshold:
            scored.append((candidate.case_id, round(score, 4)))
    scored.sort(key=lambda pair: (-pair[1], pair[0]))
    return scored
