"""Finding 5: a read-only role could exhaust the job worker's memory. Hot-issue similarity was
quadratic (a 736 KB upload of 6,000 identical rows by ``leader`` took the worker to 3.3 GB for 41 s),
there was no row limit, 50 MB uploads were accepted and runs were unlimited.

Now messages are compared only within blocks of at most BLOCK_ROWS, a run has a row cap, hot-issue
uploads a size cap, and each user a cap on queued and running jobs; every refusal is a message on
the page and leaves nothing written.
"""

from __future__ import annotations

import io
import tracemalloc
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import override_settings
from django.urls import reverse

from tests.authorization.world import World
from tests.security.conftest import client_for
from zhili.accounts.roles import Role
from zhili.core.models import Job, JobStatus
from zhili.textintel.hot_issues import BLOCK_ROWS
from zhili.textintel.models import ClassifierTrainingJob, HotIssue, HotIssueRun, HotIssueRunStatus

pytestmark = pytest.mark.django_db

IDENTICAL_ROWS = 6000


def _identical_rows_file(rows: int = IDENTICAL_ROWS) -> io.BytesIO:
    lines = ["msg_id,user_id,title,created_at,content,likes"]
    lines += [f"{number},U{number % 7},A2区丽发新城小区搅拌站噪音扰民,2019/11/2 10:00:00,"
              "丽发新城旁搅拌站噪音很大,0" for number in range(rows)]
    upload = io.BytesIO("\n".join(lines).encode("utf-8"))
    upload.name = "identical.csv"
    return upload


def _uploaded_files() -> list[Path]:
    directory = Path(settings.DATA_DIR) / "uploads" / "textintel"
    return sorted(directory.glob("hot-issues-*.csv")) if directory.exists() else []


def test_six_thousand_identical_rows_are_computed_in_bounded_blocks(
        world: World, django_capture_on_commit_callbacks: Any) -> None:
    upload = _identical_rows_file()
    assert 600_000 < len(upload.getvalue()) < 800_000  # about the size of the finding's file (736 KB)
    tracemalloc.start()
    try:
        with django_capture_on_commit_callbacks(execute=True):
            response = client_for(world, Role.LEADER).post(reverse("textintel:hot_issues"),
                                                           {"source": "file", "messages": upload})
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert response.status_code == 302
    run = HotIssueRun.objects.get()
    assert (run.status, run.message_count) == (HotIssueRunStatus.SUCCEEDED, IDENTICAL_ROWS)
    # compared in runs of BLOCK_ROWS: no issue holds more, and the 6,000 rows make three issues
    assert list(HotIssue.objects.filter(run=run).values_list("report_count", flat=True)) == [BLOCK_ROWS] * 3
    assert peak < 600 * 1024 * 1024  # all pairs of 6,000 texts took 3.3 GB
    assert Job.objects.get().status == JobStatus.SUCCEEDED


@override_settings(ZHILI_HOT_ISSUE_MAX_ROWS=5000)
def test_an_upload_over_the_row_cap_is_refused_with_nothing_written(world: World) -> None:
    files_before = _uploaded_files()
    page = client_for(world, Role.LEADER).post(reverse("textintel:hot_issues"),
                                               {"source": "file", "messages": _identical_rows_file()}, follow=True)
    text = page.content.decode()
    assert page.status_code == 200
    assert "超过一次热点计算 5000 条的上限" in text
    assert "拆分" in text
    assert (HotIssueRun.objects.count(), Job.objects.count(), _uploaded_files()) == (0, 0, files_before)


@override_settings(ZHILI_HOT_ISSUE_UPLOAD_MAX_BYTES=100_000)
def test_an_upload_over_the_size_cap_is_refused_before_it_is_read(world: World) -> None:
    files_before = _uploaded_files()
    page = client_for(world, Role.LEADER).post(reverse("textintel:hot_issues"),
                                               {"source": "file", "messages": _identical_rows_file()}, follow=True)
    assert "文件「identical.csv」超过 97 KB 的上限" in page.content.decode()
    assert (HotIssueRun.objects.count(), Job.objects.count(), _uploaded_files()) == (0, 0, files_before)


@override_settings(ZHILI_UPLOAD_MAX_BYTES=1000)
def test_a_training_upload_has_a_size_cap_too(world: World) -> None:
    upload = io.BytesIO(("text,label\n" + "路灯不亮,城建\n" * 200).encode("utf-8"))
    upload.name = "train.csv"
    page = client_for(world, Role.ADMIN).post(reverse("textintel:model_train"), {
        "data": upload, "name": "category", "text_columns": "text", "label_column": "label"}, follow=True)
    assert "超过 1000 字节 的上限" in page.content.decode()
    assert ClassifierTrainingJob.objects.count() == 0


@override_settings(ZHILI_JOBS_PER_USER=2)
def test_each_user_has_a_cap_on_queued_jobs(world: World, django_capture_on_commit_callbacks: Any) -> None:
    leader = client_for(world, Role.LEADER)
    with django_capture_on_commit_callbacks(execute=False) as queued:  # the worker is busy: nothing runs
        for _attempt in range(2):
            assert leader.post(reverse("textintel:hot_issues"), {"source": "cases"}).status_code == 302
        refused = leader.post(reverse("textintel:hot_issues"), {"source": "cases"}, follow=True)
    assert refused.status_code == 200
    assert "达到每人 2 个的上限" in refused.content.decode()
    assert HotIssueRun.objects.count() == 2
    assert list(Job.objects.values_list("status", flat=True)) == [JobStatus.QUEUED] * 2
    # another user is not held up by the leader's jobs
    assert client_for(world, Role.DISPATCHER).post(reverse("textintel:hot_issues"),
                                                   {"source": "cases"}).status_code == 302
    assert HotIssueRun.objects.count() == 3
    # once the worker has run the leader's jobs, the leader may submit again
    for callback in queued:
        callback()
    assert set(Job.objects.filter(user_id=world.users[Role.LEADER].pk).values_list("status", flat=True)) == {
        JobStatus.SUCCEEDED}
    with django_capture_on_commit_callbacks(execute=True):
        again = leader.post(reverse("textintel:hot_issues"), {"source": "cases"})
    assert again.status_code == 302
    assert HotIssueRun.objects.filter(created_by=world.users[Role.LEADER]).count() == 3
