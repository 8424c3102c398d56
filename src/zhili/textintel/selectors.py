"""Reads of the textintel app."""

from __future__ import annotations

import datetime as dt
import logging
import threading

from django.db.models import QuerySet

from zhili.core import clock
from zhili.core.errors import ApplicationError
from zhili.textintel.artifacts import classifier_artifact_read
from zhili.textintel.classifier import CategoryClassifier
from zhili.textintel.models import (
    ClassifierModel,
    ClassifierTarget,
    ClassifierTrainingJob,
    HotIssue,
    HotIssueRun,
    HotIssueRunStatus,
)

logger = logging.getLogger(__name__)

_cache_lock = threading.Lock()
# per target: (model id, sha256, name, version) of the cached artifact, and the loaded classifier
_cached: dict[str, tuple[tuple[int, str, str, int], CategoryClassifier]] = {}


def active_classifier_models() -> dict[str, ClassifierModel]:
    """The active model of each target that has one (category, department)."""
    return {model.target: model for model in ClassifierModel.objects.filter(is_active=True)}


def active_category_classifier() -> CategoryClassifier | None:
    """The active trained category classifier, or None when no model is active (or its file is unusable).

    Cached per process; one indexed query per call notices when another version was activated.
    The returned object's ``name`` is "name vN".
    """
    return _active_classifier(ClassifierTarget.CATEGORY)


def active_department_classifier() -> CategoryClassifier | None:
    """The active department model (labels are department names or codes), or None; cached like the category one."""
    return _active_classifier(ClassifierTarget.DEPARTMENT)


def _active_classifier(target: str) -> CategoryClassifier | None:
    row = ClassifierModel.objects.filter(is_active=True, target=target).values_list(
        "id", "artifact_sha256", "artifact_path", "name", "version").first()
    if row is None:
        return None
    model_id, sha256, path, name, version = row
    key = (model_id, sha256, name, version)
    with _cache_lock:
        cached = _cached.get(target)
        if cached is not None and cached[0] == key:
            return cached[1]
        try:
            classifier = classifier_artifact_read(path, expected_sha256=sha256)
        except ApplicationError as error:
            logger.error("active %s classifier %s v%s unusable: %s", target, name, version, error.message)
            return None
        classifier.name = f"{name} v{version}"
        _cached[target] = (key, classifier)
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


def hot_issue_run_list(limit: int = 10) -> list[HotIssueRun]:
    """Finished runs, newest first."""
    return list(HotIssueRun.objects.filter(status=HotIssueRunStatus.SUCCEEDED).order_by("-created_at", "-id")[:limit])


def hot_issue_run_for(run_id: int) -> HotIssueRun | None:
    """A finished run by id (None for one that is unknown, queued, computing or failed)."""
    return HotIssueRun.objects.filter(pk=run_id, status=HotIssueRunStatus.SUCCEEDED).first()


def hot_issue_runs_unfinished(limit: int = 10) -> list[HotIssueRun]:
    """Runs queued, computing or failed in the last day, newest first: what the page reports on."""
    since = clock.now() - dt.timedelta(days=1)
    return list(HotIssueRun.objects.exclude(status=HotIssueRunStatus.SUCCEEDED).filter(created_at__gte=since)
                .order_by("-created_at", "-id")[:limit])


def hot_issues_of_run(run: HotIssueRun, *, limit: int | None = None) -> list[HotIssue]:
    issues = HotIssue.objects.filter(run=run).order_by("rank")
    return list(issues[:limit] if limit else issues)
