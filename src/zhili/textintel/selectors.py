"""Reads of the textintel app."""

from __future__ import annotations

import logging
import threading

from django.db.models import QuerySet

from zhili.core.errors import ApplicationError
from zhili.textintel.artifacts import classifier_artifact_read
from zhili.textintel.classifier import CategoryClassifier
from zhili.textintel.models import ClassifierModel, ClassifierTrainingJob, HotIssue, HotIssueRun

logger = logging.getLogger(__name__)

_cache_lock = threading.Lock()
_cached_key: tuple[int, str, str, int] | None = None
_cached_classifier: CategoryClassifier | None = None


def active_classifier_model() -> ClassifierModel | None:
    return ClassifierModel.objects.filter(is_active=True).first()


def active_category_classifier() -> CategoryClassifier | None:
    """The active trained classifier, or None when no model is active (or its file is unusable).

    Cached per process; one indexed query per call notices when another version was activated.
    The returned object's ``name`` is "name vN".
    """
    global _cached_key, _cached_classifier
    row = ClassifierModel.objects.filter(is_active=True).values_list("id", "artifact_sha256", "artifact_path",
                                                                     "name", "version").first()
    if row is None:
        return None
    model_id, sha256, path, name, version = row
    key = (model_id, sha256, name, version)
    with _cache_lock:
        if _cached_key == key and _cached_classifier is not None:
            return _cached_classifier
        try:
            classifier = classifier_artifact_read(path, expected_sha256=sha256)
        except ApplicationError as error:
            logger.error("active classifier %s v%s unusable: %s", name, version, error.message)
            return None
        classifier.name = f"{name} v{version}"
        _cached_key, _cached_classifier = key, classifier
        return classifier


def classifier_model_list() -> QuerySet[ClassifierModel]:
    return ClassifierModel.objects.select_related("created_by").order_by("-created_at", "-id")


def classifier_model_for_name(name: str, *, version: int | None = None) -> ClassifierModel | None:
    """The given version of ``name``; without version the active one of that name, else the newest."""
    models = ClassifierModel.objects.filter(name=name)
    if version is not None:
        return models.filter(version=version).first()
    return models.filter(is_active=True).first() or models.order_by("-version").first()


def classifier_training_job_list(limit: int = 20) -> list[ClassifierTrainingJob]:
    return list(ClassifierTrainingJob.objects.select_related("result_model").order_by("-created_at", "-id")[:limit])


def hot_issue_run_latest() -> HotIssueRun | None:
    return HotIssueRun.objects.order_by("-created_at", "-id").first()


def hot_issue_run_list(limit: int = 10) -> list[HotIssueRun]:
    return list(HotIssueRun.objects.order_by("-created_at", "-id")[:limit])


def hot_issues_of_run(run: HotIssueRun, *, limit: int | None = None) -> list[HotIssue]:
    issues = HotIssue.objects.filter(run=run).order_by("rank")
    return list(issues[:limit] if limit else issues)
