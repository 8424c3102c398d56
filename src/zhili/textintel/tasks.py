"""Queued jobs of the textintel app (they call services)."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from zhili.core.jobs import job_register
from zhili.textintel.services import (
    CLASSIFIER_TRAINING_JOB,
    HOT_ISSUE_RUN_JOB,
    classifier_training_job_run,
    hot_issue_run_execute,
    textintel_uploads_retention_sweep,
)


@db_task()  # type: ignore[untyped-decorator]
def classifier_training_job_task(job_id: int) -> None:
    classifier_training_job_run(job_id=job_id)


@db_task()  # type: ignore[untyped-decorator]
def hot_issue_run_task(run_id: int) -> None:
    hot_issue_run_execute(run_id=run_id)


@db_periodic_task(crontab(hour="3", minute="50"))  # type: ignore[untyped-decorator]
def uploads_retention_periodic() -> int:
    """Remove uploaded files of finished training jobs and hot-issue runs past the retention period."""
    return textintel_uploads_retention_sweep()


job_register(CLASSIFIER_TRAINING_JOB, classifier_training_job_task)
job_register(HOT_ISSUE_RUN_JOB, hot_issue_run_task)
