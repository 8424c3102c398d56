"""The queue entry point of the job ledger: runs a submitted job and records how it ended."""

from __future__ import annotations

from huey.contrib.djhuey import db_task

from zhili.core.jobs import JOB_LEDGER_RUN, job_ledger_run, job_register


@db_task()  # type: ignore[untyped-decorator]
def job_ledger_task(job_id: int) -> None:
    job_ledger_run(job_id=job_id)


job_register(JOB_LEDGER_RUN, job_ledger_task)
