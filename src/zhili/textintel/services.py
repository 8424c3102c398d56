"""Writes of the textintel app: train/activate classifier versions, training jobs, hot-issue runs."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from zhili.accounts.models import User
from zhili.accounts.permissions import user_area_paths
from zhili.accounts.roles import Role
from zhili.audit.services import audit_record_append
from zhili.core import clock
from zhili.core.errors import ApplicationError, NotFoundError
from zhili.core.files import private_directory, private_file_write
from zhili.core.jobs import job_submit
from zhili.textintel.artifacts import classifier_artifact_read, classifier_artifact_write
from zhili.textintel.case_source import case_messages
from zhili.textintel.classifier import (
    ClassifierSettings,
    ProgressCallback,
    classifier_evaluate_on,
    classifier_fit,
)
from zhili.textintel.hot_issues import (
    MAX_ROWS,
    HotIssueMessage,
    hot_issues_compute,
    messages_from_csv_bytes,
    rows_over_cap_error,
)
from zhili.textintel.labelled_files import labelled_texts_read
from zhili.textintel.models import (
    ClassifierModel,
    ClassifierTarget,
    ClassifierTrainingJob,
    HotIssue,
    HotIssueRun,
    HotIssueRunStatus,
    HotIssueSource,
    TrainingJobStatus,
)

HELD_OUT_SHARE = 0.2
_NAME_PATTERN = re.compile(r"^[\w\-.]{1,80}$")

CLASSIFIER_TRAINING_JOB = "textintel.classifier_training"
HOT_ISSUE_RUN_JOB = "textintel.hot_issue_run"


def _no_progress(message: str) -> None:
    return None


def _checked_target(target: str) -> str:
    if target not in ClassifierTarget.values:
        raise ApplicationError(
            "classifier_target_invalid",
            _("预测对象“%(target)s”无效：请选择 category（诉求分类）或 department（承办部门）。") % {"target": target},
        )
    return target


def _checked_name(name: str) -> str:
    cleaned = (name or "").strip()
    if not _NAME_PATTERN.match(cleaned):
        raise ApplicationError(
            "classifier_name_invalid",
            _("模型名称“%(name)s”无效：请使用 1–80 个字母、数字、汉字、下划线、连字符或点。") % {"name": name},
        )
    return cleaned


def _held_out_split(labels: Sequence[str]) -> tuple[list[int], list[int]]:
    """Stratified 80/20 split (seeded); classes with one example stay in training only."""
    # deferred: scikit-learn/SciPy take about a second to import; only this computation needs them
    from sklearn.model_selection import train_test_split

    indexes = list(range(len(labels)))
    counts: dict[str, int] = {}
    for label in labels:
        counts[label] = counts.get(label, 0) + 1
    splittable = [index for index in indexes if counts[labels[index]] >= 2]
    single = [index for index in indexes if counts[labels[index]] < 2]
    held_out_size = max(len({labels[index] for index in splittable}), round(len(splittable) * HELD_OUT_SHARE))
    if len(splittable) - held_out_size < 2:
        return indexes, []
    train, held_out = train_test_split(
        splittable, test_size=held_out_size, stratify=[labels[index] for index in splittable], random_state=0
    )
    return sorted([*train, *single]), sorted(held_out)


def _plain_baseline_scores(*, train_texts: Sequence[str], train_labels: Sequence[str], texts: Sequence[str],
                           labels: Sequence[str]) -> dict[str, Any]:
    """Macro-F1 and accuracy of a plain baseline trained on the same rows and measured on the same held-out rows.

    The baseline is what anyone would try first: character 1–2-gram TF-IDF (default settings) and
    a linear SVM on the text as given. A model that does not beat it on this district's own history
    has no business replacing it.
    """
    # deferred: scikit-learn/SciPy take about a second to import; only this computation needs them
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.metrics import accuracy_score, f1_score
    from sklearn.svm import LinearSVC

    vectorizer = TfidfVectorizer(analyzer="char", ngram_range=(1, 2))
    model = LinearSVC()
    model.fit(vectorizer.fit_transform(train_texts), list(train_labels))
    predicted = model.predict(vectorizer.transform(texts))
    present = sorted(set(labels))
    return {"macro_f1": round(float(f1_score(labels, predicted, labels=present, average="macro", zero_division=0)), 4),
            "accuracy": round(float(accuracy_score(labels, predicted)), 4),
            "description": "char 1-2-gram TF-IDF + LinearSVC"}


def _current_model_scores(*, target: str, texts: Sequence[str], labels: Sequence[str]) -> dict[str, Any] | None:
    """The active model of ``target`` measured on the same held-out rows (None when none is active or it is unusable)."""
    current = ClassifierModel.objects.filter(is_active=True, target=target).first()
    if current is None:
        return None
    try:
        classifier = classifier_artifact_read(current.artifact_path, expected_sha256=current.artifact_sha256)
    except ApplicationError:
        return None
    evaluation = classifier_evaluate_on(classifier, texts=texts, labels=labels)
    return {"id": current.pk, "name": current.name, "version": current.version, "macro_f1": evaluation.macro_f1,
            "accuracy": evaluation.accuracy,
            "labels_known_share": round(sum(1 for label in labels if label in set(classifier.labels))
                                        / max(1, len(labels)), 4)}


def classifier_model_train(
    *, name: str, data: bytes, file_name: str, text_columns: Sequence[str], label_column: str,
    actor_id: int | None = None, settings_override: ClassifierSettings | None = None,
    progress: ProgressCallback = _no_progress, target: str = ClassifierTarget.CATEGORY,
) -> ClassifierModel:
    """Train a new version of classifier ``name`` from a labelled file and register it — never activated.

    The file is split 80/20 (stratified, seeded); a model trained on the 80 % is measured on the
    20 % it did not see (macro-F1, accuracy, per-class precision/recall/F1, confusion matrix,
    ms/message). On the same split, in the same run, a plain baseline (character 1–2-gram TF-IDF +
    linear SVM, ``metrics["baseline"]``) is trained and measured, and the model of ``target`` in use
    now is measured too (``metrics["current_model"]``), so a person can compare the three before
    activating anything. The model that is stored is then trained again on every row, so a
    deployment's classifier learns from its whole history. ``target`` says what the labels are:
    case categories, or the departments that handled such messages. Activation is a person's
    decision (:func:`classifier_model_activate`), also for the first model of a target.
    """
    name = _checked_name(name)
    target = _checked_target(target)
    progress(_("读取数据文件 …"))
    labelled = labelled_texts_read(data=data, file_name=file_name, text_columns=text_columns,
                                   label_column=label_column)
    train_indexes, held_out_indexes = _held_out_split(labelled.labels)
    progress(_("共 %(total)d 条：训练 %(train)d 条，留出评估 %(held)d 条")
             % {"total": len(labelled.texts), "train": len(train_indexes), "held": len(held_out_indexes)})
    started = clock.now()
    train_texts = [labelled.texts[index] for index in train_indexes]
    train_labels = [labelled.labels[index] for index in train_indexes]
    classifier = classifier_fit(name=name, texts=train_texts, labels=train_labels, settings=settings_override,
                                progress=progress)
    metrics: dict[str, Any] = {"held_out_count": len(held_out_indexes),
                               "evaluation_training_count": len(train_indexes),
                               "label_counts": dict(labelled.label_counts)}
    if held_out_indexes:
        held_texts = [labelled.texts[index] for index in held_out_indexes]
        held_labels = [labelled.labels[index] for index in held_out_indexes]
        progress(_("在留出集上评估 …"))
        evaluation = classifier_evaluate_on(classifier, texts=held_texts, labels=held_labels)
        metrics.update(evaluation.as_dict())
        progress(_("在同一划分上训练并评估简单基线（字符 1–2 元 TF-IDF + 线性 SVM）…"))
        metrics["baseline"] = _plain_baseline_scores(train_texts=train_texts, train_labels=train_labels,
                                                     texts=held_texts, labels=held_labels)
        progress(_("在同一留出集上评估当前在用的模型 …"))
        metrics["current_model"] = _current_model_scores(target=target, texts=held_texts, labels=held_labels)
        progress(_("用全部 %(total)d 条重新训练登记的模型 …") % {"total": len(labelled.texts)})
        classifier = classifier_fit(name=name, texts=labelled.texts, labels=labelled.labels,
                                    settings=settings_override, progress=progress)
    metrics["train_seconds"] = round((clock.now() - started).total_seconds(), 2)
    with transaction.atomic():
        version = (ClassifierModel.objects.select_for_update().filter(name=name)
                   .aggregate(latest=Max("version"))["latest"] or 0) + 1
        stamp = clock.now().strftime("%Y%m%d%H%M%S")
        safe_name = re.sub(r"[^\w\-.]", "_", name, flags=re.ASCII) or "model"
        path, sha256 = classifier_artifact_write(
            classifier, file_name=f"{safe_name}-v{version}-{stamp}-{uuid.uuid4().hex[:8]}.joblib"
        )
        model = ClassifierModel.objects.create(
            name=name, version=version, target=target, created_at=clock.now(), created_by_id=actor_id, metrics=metrics,
            artifact_path=str(path), artifact_sha256=sha256, is_active=False,
            training_message_count=len(labelled.texts), source_file_name=Path(file_name).name[:255],
            text_columns=",".join(text_columns)[:255], label_column=label_column[:100],
        )
        audit_record_append(
            actor_id=actor_id, action="classifier.train", object_type="textintel.ClassifierModel",
            object_id=model.pk, data={"name": name, "version": version, "target": target,
                                      "macro_f1": metrics.get("macro_f1"),
                                      "baseline_macro_f1": (metrics.get("baseline") or {}).get("macro_f1"),
                                      "activated": False, "sha256": sha256},
        )
    return model


NO_ACTIVE_MODEL = 0


def classifier_model_activate(*, model_id: int, actor_id: int | None, compared_with: int | None) -> ClassifierModel:
    """Make ``model_id`` the one active classifier of its target (activating an older version is the roll-back).

    A person's decision made on the comparison page: ``compared_with`` is the id of the model that
    page showed as in use (:data:`NO_ACTIVE_MODEL` when none was). If another model became active
    since, the comparison is out of date and the activation is refused. ``None`` is only for the
    demo loader and scripts that set a district up. Refuses a model whose artifact is missing or
    altered, so intake never loses its classifier. The other target's model is left as it is.
    """
    with transaction.atomic():
        model = ClassifierModel.objects.select_for_update().filter(pk=model_id).first()
        if model is None:
            raise NotFoundError("classifier_model_not_found", _("模型不存在或已被删除。"))
        classifier_artifact_read(model.artifact_path, expected_sha256=model.artifact_sha256)
        others = ClassifierModel.objects.filter(is_active=True, target=model.target).exclude(pk=model.pk)
        if compared_with is not None:
            active_id = (ClassifierModel.objects.filter(is_active=True, target=model.target)
                         .values_list("pk", flat=True).first()) or NO_ACTIVE_MODEL
            if active_id != compared_with:
                raise ApplicationError(
                    "classifier_comparison_outdated",
                    _("比较页显示后，在用模型已变化：请重新打开比较页，看过新模型与当前在用模型的对比后再启用。"),
                    status_code=409)
        previous = list(others.values_list("pk", flat=True))
        others.update(is_active=False)
        if not model.is_active:
            model.is_active = True
            model.save(update_fields=["is_active"])
        audit_record_append(
            actor_id=actor_id, action="classifier.activate", object_type="textintel.ClassifierModel",
            object_id=model.pk, data={"name": model.name, "version": model.version, "target": model.target,
                                      "previous": previous},
        )
    return model


def classifier_model_deactivate(*, model_id: int, actor_id: int | None) -> ClassifierModel:
    """Stop using ``model_id`` at intake (intake falls back to keyword rules)."""
    with transaction.atomic():
        model = ClassifierModel.objects.select_for_update().filter(pk=model_id).first()
        if model is None:
            raise NotFoundError("classifier_model_not_found", _("模型不存在或已被删除。"))
        model.is_active = False
        model.save(update_fields=["is_active"])
        audit_record_append(
            actor_id=actor_id, action="classifier.deactivate", object_type="textintel.ClassifierModel",
            object_id=model.pk, data={"name": model.name, "version": model.version},
        )
    return model


def classifier_model_evaluate(
    *, model: ClassifierModel, data: bytes, file_name: str, text_columns: Sequence[str], label_column: str,
) -> dict[str, Any]:
    """Metrics of a registered model on a labelled file (no writes)."""
    classifier = classifier_artifact_read(model.artifact_path, expected_sha256=model.artifact_sha256)
    labelled = labelled_texts_read(data=data, file_name=file_name, text_columns=text_columns,
                                   label_column=label_column, require_two_classes=False)
    return classifier_evaluate_on(classifier, texts=labelled.texts, labels=labelled.labels).as_dict()


def _upload_directory() -> Path:
    return private_directory(Path(settings.DATA_DIR) / "uploads" / "textintel")


def classifier_training_job_create(
    *, name: str, data: bytes, file_name: str, text_columns: Sequence[str], label_column: str,
    actor_id: int | None, target: str = ClassifierTarget.CATEGORY,
) -> ClassifierTrainingJob:
    """Check the file now (so a bad file is refused at once), store it, queue training on commit."""
    name = _checked_name(name)
    target = _checked_target(target)
    labelled_texts_read(data=data, file_name=file_name, text_columns=text_columns, label_column=label_column)
    suffix = Path(file_name).suffix.lower() or ".csv"
    path = _upload_directory() / f"training-{uuid.uuid4().hex}{suffix}"
    private_file_write(path, data)
    try:
        with transaction.atomic():
            job = ClassifierTrainingJob.objects.create(
                name=name, target=target, data_path=str(path), source_file_name=Path(file_name).name[:255],
                text_columns=",".join(text_columns)[:255], label_column=label_column[:100],
                created_at=clock.now(), created_by_id=actor_id,
            )
            job_submit(CLASSIFIER_TRAINING_JOB, job.pk, user_id=actor_id)  # refused over the user's cap
            audit_record_append(
                actor_id=actor_id, action="classifier.training_queued",
                object_type="textintel.ClassifierTrainingJob", object_id=job.pk,
                data={"name": name, "target": target, "file": job.source_file_name},
            )
    except BaseException:
        path.unlink(missing_ok=True)  # nothing half-written: no file without its job
        raise
    return job


def classifier_training_job_run(*, job_id: int) -> ClassifierTrainingJob:
    """Run a queued training job (called by the job queue); records success or the error."""
    job = ClassifierTrainingJob.objects.get(pk=job_id)
    if job.status not in {TrainingJobStatus.QUEUED, TrainingJobStatus.FAILED}:
        return job
    ClassifierTrainingJob.objects.filter(pk=job.pk).update(status=TrainingJobStatus.RUNNING, progress="")
    steps = iter(range(1, 1000))

    def progress(message: str) -> None:
        # one short UPDATE per step (about a dozen a run): the page that started the job shows it
        ClassifierTrainingJob.objects.filter(pk=job.pk).update(progress=f"{next(steps)}. {message}"[:200])

    try:
        model = classifier_model_train(
            name=job.name, data=Path(job.data_path).read_bytes(), file_name=job.source_file_name,
            text_columns=[column for column in job.text_columns.split(",") if column],
            label_column=job.label_column, actor_id=job.created_by_id, target=job.target, progress=progress,
        )
    except (ApplicationError, OSError, ValueError) as error:
        message = error.message if isinstance(error, ApplicationError) else str(error)
        ClassifierTrainingJob.objects.filter(pk=job.pk).update(
            status=TrainingJobStatus.FAILED, error_message=message, finished_at=clock.now()
        )
    else:
        ClassifierTrainingJob.objects.filter(pk=job.pk).update(
            status=TrainingJobStatus.SUCCEEDED, result_model=model, finished_at=clock.now(), error_message="",
            progress=_("已完成：请比较后决定是否启用"),
        )
    job.refresh_from_db()
    return job


def _hot_issues_store(*, run: HotIssueRun, messages: Sequence[HotIssueMessage]) -> HotIssueRun:
    """Compute the hot issues of ``messages`` (outside any transaction: it takes seconds to minutes),
    then store them in ``run``, which is then succeeded."""
    result = hot_issues_compute(messages, max_rows=hot_issue_max_rows())
    with transaction.atomic():
        HotIssue.objects.filter(run=run).delete()  # a failed run tried again starts clean
        HotIssue.objects.bulk_create([
            HotIssue(
                run=run, rank=rank, heat_index=issue.heat_index, place=issue.place[:200],
                first_reported_at=issue.first_reported_at, last_reported_at=issue.last_reported_at,
                representative_title=issue.representative_title[:300], representative_text=issue.representative_text,
                report_count=issue.report_count, reporter_count=issue.reporter_count, like_count=issue.like_count,
                growth=issue.growth, recent_reports=issue.recent_reports, previous_reports=issue.previous_reports,
                members=[member.as_dict() for member in issue.members],
            )
            for rank, issue in enumerate(result.issues, start=1)
        ])
        run.message_count, run.issue_count = len(messages), len(result.issues)
        run.parameters = {**run.parameters, **result.parameters}
        run.status, run.error_message, run.finished_at = HotIssueRunStatus.SUCCEEDED, "", clock.now()
        run.save(update_fields=["message_count", "issue_count", "parameters", "status", "error_message",
                                "finished_at"])
        audit_record_append(
            actor_id=run.created_by_id, action="hot_issue.compute", object_type="textintel.HotIssueRun",
            object_id=run.pk, data={"source": run.source, "label": run.source_label, "messages": len(messages),
                                    "issues": len(result.issues)},
        )
    return run


def hot_issue_max_rows() -> int:
    """The most messages one run computes (``ZHILI_HOT_ISSUE_MAX_ROWS``, default 100,000)."""
    return int(getattr(settings, "ZHILI_HOT_ISSUE_MAX_ROWS", MAX_ROWS))


def hot_issue_scope_paths(actor_id: int | None) -> list[str]:
    """The area subtrees whose cases ``actor_id`` may read (empty: the whole platform; a scoped user
    without an area reads nothing, and gets the impossible path "-")."""
    actor = User.objects.filter(pk=actor_id).select_related("scope_area").first() if actor_id else None
    if actor is None or actor.role == Role.ADMIN:
        return []
    paths = list(user_area_paths(actor))
    return paths or ([] if actor.role not in (Role.GRID_WORKER, Role.HANDLER) else ["-"])


def _case_messages(*, days: int, actor_id: int | None) -> list[HotIssueMessage]:
    """The cases of the last ``days`` days that ``actor_id`` may see, as messages (refused over the row cap)."""
    limit = hot_issue_max_rows()
    messages = case_messages(user_id=actor_id, since=clock.now() - dt.timedelta(days=days), limit=limit + 1)
    if len(messages) > limit:
        raise rows_over_cap_error(rows=_("超过 %(limit)d") % {"limit": limit}, limit=limit)
    return messages


def _cases_label(days: int) -> str:
    return _("最近 %(days)d 天的案件") % {"days": days}


def hot_issue_run_create_from_cases(*, actor_id: int | None, days: int = 90) -> HotIssueRun:
    """Compute and store, now (not in the queue), the hot issues of the platform's cases of the last ``days`` days."""
    run = HotIssueRun.objects.create(source=HotIssueSource.CASES, source_label=_cases_label(days)[:255],
                                     created_at=clock.now(), created_by_id=actor_id, parameters={"days": days},
                                     status=HotIssueRunStatus.QUEUED, scope_paths=hot_issue_scope_paths(actor_id))
    return hot_issue_run_execute(run_id=run.pk)


def _hot_issue_run_queue(*, run_fields: dict[str, Any], actor_id: int | None, data: bytes | None = None) -> HotIssueRun:
    """One transaction: the run, its place in the job ledger (refused over the user's cap: then
    nothing is written, the uploaded file included), the stored file, the audit record last."""
    path: Path | None = None
    try:
        with transaction.atomic():
            run = HotIssueRun.objects.create(created_at=clock.now(), created_by_id=actor_id,
                                             status=HotIssueRunStatus.QUEUED,
                                             scope_paths=hot_issue_scope_paths(actor_id), **run_fields)
            job_submit(HOT_ISSUE_RUN_JOB, run.pk, user_id=actor_id)
            if data is not None:
                path = _upload_directory() / f"hot-issues-{uuid.uuid4().hex}.csv"
                private_file_write(path, data)
                run.data_path = str(path)
                run.save(update_fields=["data_path"])
            audit_record_append(
                actor_id=actor_id, action="hot_issue.queued", object_type="textintel.HotIssueRun", object_id=run.pk,
                data={"source": run.source, "label": run.source_label},
            )
    except BaseException:
        if path is not None:
            path.unlink(missing_ok=True)
        raise
    return run


def hot_issue_run_queue_from_file(*, data: bytes, file_name: str, actor_id: int | None) -> HotIssueRun:
    """Check a messages file now (a bad file, or one over the row cap, is refused at once, with its rows),
    store it, compute it in the queue (the page shows the run as queued / computing until it is done)."""
    messages_from_csv_bytes(data, max_rows=hot_issue_max_rows())
    return _hot_issue_run_queue(run_fields={"source": HotIssueSource.UPLOADED_FILE,
                                            "source_label": Path(file_name).name[:255]},
                                actor_id=actor_id, data=data)


def hot_issue_run_queue_from_cases(*, actor_id: int | None, days: int = 90) -> HotIssueRun:
    """Queue the hot issues of the platform's cases of the last ``days`` days."""
    return _hot_issue_run_queue(run_fields={"source": HotIssueSource.CASES, "source_label": _cases_label(days)[:255],
                                            "parameters": {"days": days}}, actor_id=actor_id)


def hot_issue_run_execute(*, run_id: int) -> HotIssueRun:
    """Compute a queued run (called by the job queue); records success, or the error a person can act on."""
    run = HotIssueRun.objects.get(pk=run_id)
    if run.status not in {HotIssueRunStatus.QUEUED, HotIssueRunStatus.FAILED}:
        return run
    HotIssueRun.objects.filter(pk=run.pk).update(status=HotIssueRunStatus.RUNNING)
    try:
        if run.source == HotIssueSource.UPLOADED_FILE:
            messages = messages_from_csv_bytes(Path(run.data_path).read_bytes(), max_rows=hot_issue_max_rows())
        else:
            messages = _case_messages(days=int(run.parameters.get("days", 90)), actor_id=run.created_by_id)
        return _hot_issues_store(run=run, messages=messages)
    except (ApplicationError, OSError, ValueError) as error:
        message = error.message if isinstance(error, ApplicationError) else _(
            "读取上传的留言文件失败（%(error)s）：请重新上传。") % {"error": error}
        HotIssueRun.objects.filter(pk=run.pk).update(status=HotIssueRunStatus.FAILED, error_message=message,
                                                     finished_at=clock.now())
        run.refresh_from_db()
        return run


UPLOAD_RETENTION_DAYS_DEFAULT = 30


def textintel_uploads_retention_sweep(*, at: dt.datetime | None = None) -> int:
    """Delete the uploaded files of training jobs and hot-issue runs finished more than
    ``ZHILI_IMPORT_RETENTION_DAYS`` (default 30) days ago; the job and the run records stay.

    Returns how many files were removed (the nightly job reports it, and it is audited).
    """
    at = at or clock.now()
    cutoff = at - dt.timedelta(days=int(getattr(settings, "ZHILI_IMPORT_RETENTION_DAYS",
                                                UPLOAD_RETENTION_DAYS_DEFAULT)))
    removed = 0
    for model in (ClassifierTrainingJob, HotIssueRun):
        for row in model.objects.exclude(data_path="").filter(finished_at__lt=cutoff):
            Path(row.data_path).unlink(missing_ok=True)
            model.objects.filter(pk=row.pk).update(data_path="")
            removed += 1
    if removed:
        audit_record_append(actor_id=None, actor_label="数据保留期限", action="textintel.uploads_remove",
                            object_type="textintel_uploads", object_id=at.date().isoformat(),
                            data={"files_removed": removed, "cutoff": cutoff.isoformat()})
    return removed
