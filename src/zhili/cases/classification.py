"""One interface for "which matter is this?": :func:`matter_proposals`.

Keyword rules from the matters catalog (``Matter.keywords``) always work. When text intelligence
has an active trained category classifier, the two combine: the model picks the category, the
keywords pick the matter inside it. When it also has an active *department* model (trained on
which department handled past messages), that model is a second opinion on routing: a matter
whose department it finds unlikely loses up to half its confidence (see
:func:`department_opinion_applied`), so an auto-dispatch it disagrees with goes to a dispatcher.
Confidence is a number in 0..1 that the auto-dispatch threshold
(``policy.auto_dispatch_threshold``) compares against.
"""

from __future__ import annotations

import dataclasses
import threading
import time
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from django.conf import settings

from zhili.geo.models import Matter
from zhili.textintel import selectors as textintel_selectors

_CATALOG_SECONDS = 60.0


@dataclass(frozen=True)
class MatterProposal:
    matter_id: int
    matter_code: str
    matter_name: str
    category_id: int
    category_code: str
    category_name: str
    department_id: int
    confidence: float
    source: str  # "keywords", "model", "model+keywords"; "+department" when the department model weighed in


@dataclass(frozen=True)
class _CatalogMatter:
    matter_id: int
    code: str
    name: str
    category_id: int
    category_code: str
    category_name: str
    department_id: int
    department_code: str
    department_name: str
    keywords: tuple[str, ...]


class _CategoryClassifier(Protocol):
    def predict(self, texts: Sequence[str]) -> list[list[tuple[str, float]]]: ...


@dataclass(frozen=True)
class _Catalog:
    rows: tuple[_CatalogMatter, ...]
    matters_by_id: dict[int, Matter]
    matters_by_code: dict[str, Matter]
    # a model's label may be a category's name or its code
    rows_by_category: dict[str, tuple[_CatalogMatter, ...]]
    # department id → (code, name) of the matters' departments, for a department model's labels
    departments_by_id: dict[int, tuple[str, str]]


_catalog_lock = threading.Lock()
_catalog: tuple[float, _Catalog] | None = None
_classifier_lock = threading.Lock()
# per target ("category", "department"): when it was asked, and the answer (a classifier or None)
_classifier_caches: dict[str, tuple[float, Any]] = {}
_CLASSIFIER_CHECK_SECONDS = 5.0


def _cache_seconds(seconds: float) -> float:
    return 0.0 if getattr(settings, "TESTING", False) else seconds


def _catalog_load() -> _Catalog:
    global _catalog
    with _catalog_lock:
        if _catalog is not None and time.monotonic() - _catalog[0] < _cache_seconds(_CATALOG_SECONDS):
            return _catalog[1]
    matters = list(Matter.objects.filter(is_active=True).select_related("category", "department").order_by("code"))
    rows = tuple(
        _CatalogMatter(
            matter_id=matter.pk, code=matter.code, name=matter.name, category_id=matter.category_id,
            category_code=matter.category.code, category_name=matter.category.name,
            department_id=matter.department_id, department_code=matter.department.code,
            department_name=matter.department.name,
            keywords=tuple(_normalise(word) for word in matter.keyword_list if word),
        )
        for matter in matters
    )
    by_category: dict[str, list[_CatalogMatter]] = {}
    for row in rows:
        by_category.setdefault(row.category_name, []).append(row)
        if row.category_code != row.category_name:
            by_category.setdefault(row.category_code, []).append(row)
    catalog = _Catalog(rows=rows, matters_by_id={matter.pk: matter for matter in matters},
                       matters_by_code={matter.code: matter for matter in matters},
                       rows_by_category={label: tuple(group) for label, group in by_category.items()},
                       departments_by_id={row.department_id: (row.department_code, row.department_name)
                                          for row in rows})
    with _catalog_lock:
        _catalog = (time.monotonic(), catalog)
    return catalog




def active_matter(*, matter_id: int | None = None, code: str = "") -> Matter | None:
    """An active matter (with its category and department loaded) from the per-process catalog.

    The returned object is shared: read it, never modify it.
    """
    catalog = _catalog_load()
    if matter_id is not None:
        return catalog.matters_by_id.get(matter_id)
    return catalog.matters_by_code.get(code)


def matter_catalog_clear() -> None:
    global _catalog
    with _catalog_lock:
        _catalog = None
    with _classifier_lock:
        _classifier_caches.clear()


def _normalise(text: str) -> str:
    # full-width → half-width and lower case, so "ＷＩＦＩ" and "wifi" match
    return unicodedata.normalize("NFKC", text).lower()


def _keyword_hits(text: str, matter: _CatalogMatter) -> float:
    # longer keywords are more specific: weight by length, capped so one long phrase does not dominate
    return sum(min(len(word), 4) / 2 for word in matter.keywords if word in text)


def _active_classifier(target: str = "category") -> _CategoryClassifier | None:
    """textintel's active model of ``target`` (category / department), asked at most every few seconds.

    Asking costs a query per call, and intake asks on every case.
    """
    with _classifier_lock:
        cached = _classifier_caches.get(target)
        if cached is not None and time.monotonic() - cached[0] < _cache_seconds(_CLASSIFIER_CHECK_SECONDS):
            return cached[1]  # type: ignore[no-any-return]
    classifier: Any = (textintel_selectors.active_department_classifier() if target == "department"
                       else textintel_selectors.active_category_classifier())
    with _classifier_lock:
        _classifier_caches[target] = (time.monotonic(), classifier)
    return classifier  # type: ignore[no-any-return]


def department_opinion_applied(
    proposals: Sequence[MatterProposal], department_probabilities: dict[str, float],
    departments: dict[int, tuple[str, str]],
) -> list[MatterProposal]:
    """Proposals re-weighed by a department model's probabilities, most confident first.

    ``departments`` maps a department id to its (code, name); the model's labels may be either.
    A proposal keeps ``0.5 + 0.5 × p / p_best`` of its confidence, ``p`` being the probability the
    model gives the matter's department and ``p_best`` its most probable label: a department the
    model agrees with keeps it all, one it finds implausible keeps half. A department the model
    has never seen (not among its labels) is left as it is: the history cannot speak for it.
    """
    if not department_probabilities:
        return list(proposals)
    best = max(department_probabilities.values()) or 1.0
    weighed: list[MatterProposal] = []
    for proposal in proposals:
        code, name = departments.get(proposal.department_id, ("", ""))
        probability = department_probabilities.get(name, department_probabilities.get(code))
        if probability is None:
            weighed.append(proposal)
            continue
        factor = 0.5 + 0.5 * min(1.0, probability / best)
        weighed.append(dataclasses.replace(proposal, confidence=round(proposal.confidence * factor, 4),
                                           source=f"{proposal.source}+department"))
    weighed.sort(key=lambda proposal: -proposal.confidence)
    return weighed


def _proposal(matter: _CatalogMatter, confidence: float, source: str) -> MatterProposal:
    return MatterProposal(
        matter_id=matter.matter_id, matter_code=matter.code, matter_name=matter.name,
        category_id=matter.category_id, category_code=matter.category_code, category_name=matter.category_name,
        department_id=matter.department_id, confidence=round(max(0.0, min(confidence, 0.99)), 4), source=source,
    )


def _keyword_proposals(text: str, catalog: Sequence[_CatalogMatter], limit: int) -> list[MatterProposal]:
    scored = sorted(((_keyword_hits(text, matter), matter) for matter in catalog), key=lambda pair: -pair[0])
    scored = [(score, matter) for score, matter in scored if score > 0]
    if not scored:
        return []
    total = sum(score for score, _matter in scored)
    best_score = scored[0][0]
    # strength grows with evidence (1 keyword ≈ 0.6, 2 ≈ 0.8, 3+ ≈ 0.9); share splits it among rivals
    strength = 1.0 - 0.4 ** (1 + best_score / 2)
    return [_proposal(matter, strength * score / total, "keywords") for score, matter in scored[:limit]]


def _model_proposals(text: str, catalog: _Catalog, classifier: _CategoryClassifier,
                     limit: int) -> list[MatterProposal]:
    proposals: list[MatterProposal] = []
    for category, probability in classifier.predict([text])[0]:  # most probable category first
        if len(proposals) >= limit:
            # a category's proposals are never more confident than the category itself: once it falls
            # to the weakest of the best ``limit`` found, the rest cannot enter the list
            proposals.sort(key=lambda proposal: -proposal.confidence)
            if probability <= proposals[limit - 1].confidence:
                break
        matters = catalog.rows_by_category.get(category, ())
        if not matters:
            continue
        hits = [(_keyword_hits(text, matter), matter) for matter in matters]
        hits.sort(key=lambda pair: -pair[0])
        total = sum(score for score, _matter in hits)
        if total > 0:
            for score, matter in hits:
                if score > 0:
                    proposals.append(_proposal(matter, probability * score / total, "model+keywords"))
        else:
            # the model is sure of the category but no keyword names the matter: the first matter of
            # the category, at half the confidence, so it goes to the dispatcher unless very sure
            proposals.append(_proposal(hits[0][1], probability * (1.0 if len(matters) == 1 else 0.5), "model"))
    proposals.sort(key=lambda proposal: -proposal.confidence)
    return proposals[:limit]


def matter_proposals(text: str, *, limit: int = 3) -> list[MatterProposal]:
    """The best matters for ``text``, most confident first (empty when nothing matches)."""
    normalised = _normalise(text or "")
    if not normalised.strip():
        return []
    catalog = _catalog_load()
    if not catalog.rows:
        return []
    classifier = _active_classifier()
    proposals = _model_proposals(normalised, catalog, classifier, limit) if classifier is not None else []
    if not proposals:
        proposals = _keyword_proposals(normalised, catalog.rows, limit)
    department_classifier = _active_classifier("department") if proposals else None
    if department_classifier is None:
        return proposals
    return department_opinion_applied(proposals, dict(department_classifier.predict([normalised])[0]),
                                      catalog.departments_by_id)
