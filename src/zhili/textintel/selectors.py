"""Reads of the textintel app."""

from __future__ import annotations

import datetime as dt
import logging
import threading
from typing import TYPE_CHECKING

from django.db.models import QuerySet

from zhili.accounts.permissions import user_area_paths
from zhili.accounts.personal_data_policy import personal_text_shown_to
from zhili.accounts.roles import Role
from zhili.core import clock
from zhili.core.errors import ApplicationError
from zhili.core.personal_data import personal_text_mask
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

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from zhili.accounts.models import User

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


def _run_visible_to(run: HotIssueRun, viewer: User | AnonymousUser) -> bool:
    """A run is shown to its creator, and to viewers whose area covers every area the run read: a
    street leader never sees a run over the whole district or another street (finding 6)."""
    if not viewer.is_authenticated:
        return False
    person: User = viewer
    if person.role == Role.ADMIN or run.created_by_id == person.pk:
        return True
    allowed = user_area_paths(person)
    if not allowed:
        return person.role not in (Role.GRID_WORKER, Role.HANDLER)
    paths = list(run.scope_paths or [])
    return bool(paths) and all(any(path.startswith(area) for area in allowed) for path in paths)


_RUNS_LOOKED_AT = 200  # runs are a few a day: the newest 200 cover months of history


def hot_issue_run_list(viewer: User | AnonymousUser, limit: int = 10) -> list[HotIssueRun]:
    """Finished runs ``viewer`` may see, newest first."""
    runs = HotIssueRun.objects.filter(status=HotIssueRunStatus.SUCCEEDED).order_by("-created_at", "-id")
    return [run for run in runs[:_RUNS_LOOKED_AT] if _run_visible_to(run, viewer)][:limit]


def hot_issue_run_for(run_id: int, viewer: User | AnonymousUser) -> HotIssueRun | None:
    """A finished run by id that ``viewer`` may see (None for one unknown, unfinished or out of their scope)."""
    run = HotIssueRun.objects.filter(pk=run_id, status=HotIssueRunStatus.SUCCEEDED).first()
    return run if run is not None and _run_visible_to(run, viewer) else None


def hot_issue_runs_unfinished(viewer: User | AnonymousUser, limit: int = 10) -> list[HotIssueRun]:
    """Runs queued, computing or failed in the last day that ``viewer`` may see, newest first."""
    since = clock.now() - dt.timedelta(days=1)
    runs = (HotIssueRun.objects.exclude(status=HotIssueRunStatus.SUCCEEDED).filter(created_at__gte=since)
            .order_by("-created_at", "-id"))
    return [run for run in runs[:_RUNS_LOOKED_AT] if _run_visible_to(run, viewer)][:limit]


def hot_issues_of_run(run: HotIssueRun, *, viewer: User | AnonymousUser, limit: int | None = None) -> list[HotIssue]:
    """The issues of ``run`` as ``viewer`` may read them: titles and texts (the issue's and its members')
    masked by the personal-data policy for roles without the personal-data permission. The returned
    rows are for display and export only (never saved)."""
    issues = HotIssue.objects.filter(run=run).order_by("rank")
    rows = list(issues[:limit] if limit else issues)
    if personal_text_shown_to(viewer):
        return rows
    for issue in rows:
        issue.representative_title = personal_text_mask(issue.representative_title)
        issue.representative_text = personal_text_mask(issue.representative_text)
        issue.members = [{**member, "title": personal_text_mask(str(member.get("title") or "")),
                          "reporter": ""} for member in issue.members]
    return rows
