from __future__ import annotations

import datetime as dt
import io
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from zhili.accounts.models import User
from zhili.accounts.roles import Role
from zhili.core.errors import ApplicationError
from zhili.textintel import hot_issues
from zhili.textintel.hot_issues import (
    PLACE_BONUS,
    HotIssueMessage,
    heat_index,
    hot_issues_compute,
    messages_from_csv_bytes,
    run_similarity,
)
from zhili.textintel.models import HotIssue, HotIssueRun, HotIssueRunStatus
from zhili.textintel.places import place_mentions
from zhili.textintel.services import hot_issue_run_execute, hot_issue_run_queue_from_file

CSV = """msg_id,user_id,title,created_at,content,dislikes,likes
1,U1,A2区丽发新城小区附近搅拌站噪音扰民,2019/11/2 10:00:00,丽发新城小区旁边建了搅拌站，噪音很大,0,3
2,U2,投诉丽发新城小区附近搅拌站噪音,2019-11-20 09:00:00,丽发新城小区附近搅拌站每天轰鸣，影响休息,0,5
3,U3,丽发新城小区搅拌站扬尘噪音污染,2019/12/1 08:30:00,丽发新城小区旁搅拌站灰尘和噪音,0,0
4,U4,A5区魅力之城小区油烟扰民,2019/7/28 20:00:00,魅力之城小区临街门面油烟直排,0,1
5,U4,A5区魅力之城小区临街油烟扰民,2019/8/2 20:00:00,魅力之城小区临街门面油烟直排，熏得没法开窗,0,0
6,U6,A市人才补贴何时发放,2019/5/1 12:00:00,人才新政租房补贴两个月没发,0,0
"""


def test_places_are_extracted_from_text() -> None:
    mentions = place_mentions("座落在A市A3区联丰路米兰春天G2栋，A5区劳动东路魅力之城小区临街")
    assert mentions.administrative == ("A市", "A3区", "A5区")
    assert mentions.roads == ("联丰路", "劳动东路")
    assert mentions.compounds == ("魅力之城小区",)
    # a street lamp or a road surface does not end a road's name
    assert place_mentions("其他小区路灯不亮，人民路路面破损，行人路过危险").roads == ("人民路",)


def test_clusters_and_heat_ranking() -> None:
    result = hot_issues_compute(messages_from_csv_bytes(CSV.encode()))
    assert [[member.message_id for member in issue.members] for issue in result.issues] == [["1", "2", "3"], ["4", "5"]]
    first = result.issues[0]
    assert (first.place, first.report_count, first.reporter_count, first.like_count) == ("A2区丽发新城小区", 3, 3, 8)
    assert first.last_reported_at == dt.datetime(2019, 12, 1, 8, 30, tzinfo=first.last_reported_at.tzinfo)
    assert result.issues[1].reporter_count == 1
    assert result.cluster_of["6"] not in {result.cluster_of["1"], result.cluster_of["4"]}


def test_a_tie_between_places_goes_to_the_one_named_first_in_every_process() -> None:
    """The place of an issue must not change between two computations of the same messages.

    Counting names from sets let the string-hash seed of each process break ties; run in fresh
    interpreters with different seeds, the place must be the same and the one named first.
    """
    program = (
        "from zhili.textintel.hot_issues import HotIssueMessage, _cluster_place\n"
        "import datetime as dt\n"
        "at = dt.datetime(2019, 11, 2)\n"
        "members = [HotIssueMessage(message_id=str(i), reporter=str(i), title='A2区投诉', created_at=at, likes=0,\n"
        "           text='金桂苑 银杏苑 红枫苑 翠竹苑 门口 噪音') for i in range(2)]\n"
        "print(_cluster_place(members))\n"
    )
    places = {
        subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, check=True,  # noqa: S603 - our own interpreter and program
                       env={**os.environ, "PYTHONHASHSEED": str(seed)}).stdout.strip()
        for seed in range(1, 7)
    }
    assert places == {"A2区金桂苑"}


def test_a_compound_named_with_and_without_xiaoqu_is_one_place_for_linking() -> None:
    """"丽发新城小区" and "丽发新城" are the same compound: the pair gets the common-place bonus and is linked."""
    at = dt.datetime(2019, 11, 2, tzinfo=dt.UTC)
    messages = [
        HotIssueMessage(message_id="1", reporter="u1", title="丽发新城小区旁搅拌站夜间噪音",
                        text="每天晚上搅拌站机器轰鸣，居民无法休息，请尽快处理", created_at=at, likes=0),
        HotIssueMessage(message_id="2", reporter="u2", title="投诉丽发新城的搅拌站",
                        text="搅拌站夜间机器轰鸣，粉尘也大，居民无法休息", created_at=at, likes=0),
    ]
    assert [place_mentions(f"{m.title} {m.text}").specific for m in messages] == [("丽发新城小区",), ("丽发新城",)]
    assert [hot_issues._placed(message).places for message in messages] == [("丽发新城",), ("丽发新城",)]
    similarity = run_similarity(messages, [0, 1])
    assert similarity[0, 1] == similarity[1, 0] >= PLACE_BONUS + 0.1  # the common place counts
    result = hot_issues_compute(messages)
    assert [issue.report_count for issue in result.issues] == [2]


def test_heat_index_formula() -> None:
    assert heat_index(report_count=3, reporter_count=3, like_count=0, growth=0.0, days_since_last=0.0) == 7.0
    assert heat_index(report_count=3, reporter_count=3, like_count=0, growth=1.0, days_since_last=0.0) == 8.75


def test_bad_messages_file() -> None:
    with pytest.raises(ApplicationError) as raised:
        messages_from_csv_bytes(b"id,title\n1,x\n")
    assert raised.value.code == "hot_issue_file_columns"
    with pytest.raises(ApplicationError) as raised:
        messages_from_csv_bytes(b"msg_id,user_id,title,created_at,content\n1,U,t,yesterday,c\n")
    assert raised.value.code == "hot_issue_file_times"


def test_empty_input_gives_no_issues() -> None:
    assert hot_issues_compute([]).issues == []
    lonely = HotIssueMessage(message_id="1", reporter="U", title="路灯", text="不亮",
                             created_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC), likes=0)
    assert hot_issues_compute([lonely]).issues == []


def _dispatcher_client() -> Client:
    user = User.objects.create_user(username="ti-dispatcher", password="x-Pass-2026", role=Role.DISPATCHER)
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_page_upload_is_computed_by_the_queue_persisted_and_exported_as_xlsx(
    django_capture_on_commit_callbacks: Any,
) -> None:
    client = _dispatcher_client()
    upload = io.BytesIO(CSV.encode("gbk"))
    upload.name = "messages_with_votes.csv"
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(reverse("textintel:hot_issues"), {"source": "file", "messages": upload})
    # the job is queued once the run is committed (the others seal the audit chain)
    assert [callback.__qualname__ for callback in callbacks].count("job_enqueue.<locals>.<lambda>") == 1
    run = HotIssueRun.objects.get()
    assert response.status_code == 302
    assert (run.status, run.message_count, run.issue_count) == (HotIssueRunStatus.SUCCEEDED, 6, 2)
    assert run.finished_at is not None
    assert list(HotIssue.objects.filter(run=run).values_list("rank", "report_count")) == [(1, 3), (2, 2)]
    page = client.get(reverse("textintel:hot_issues"))
    assert "A2区丽发新城小区" in page.content.decode()
    export = client.get(reverse("textintel:hot_issues_export", args=[run.pk]))
    workbook = load_workbook(io.BytesIO(export.content))
    rows = list(workbook["热点问题"].iter_rows(values_only=True))
    assert rows[1][:3] == (1, HotIssue.objects.get(run=run, rank=1).heat_index, "A2区丽发新城小区")
    assert len(list(workbook["成员留言"].iter_rows(values_only=True))) == 6


@pytest.mark.django_db
def test_a_queued_run_is_shown_as_computing_and_cannot_be_exported_until_done() -> None:
    client = _dispatcher_client()
    upload = io.BytesIO(CSV.encode("utf-8"))
    upload.name = "later.csv"
    client.post(reverse("textintel:hot_issues"), {"source": "file", "messages": upload})  # on-commit job not run
    run = HotIssueRun.objects.get()
    assert run.status == HotIssueRunStatus.QUEUED
    page = client.get(reverse("textintel:hot_issues")).content.decode()
    assert "排队中" in page
    assert 'http-equiv="refresh"' in page  # the page refreshes itself while a run is pending
    export = client.get(reverse("textintel:hot_issues_export", args=[run.pk]))
    assert export.status_code == 404
    assert "尚未完成" in export.content.decode()
    finished = hot_issue_run_execute(run_id=run.pk)
    assert (finished.status, finished.issue_count) == (HotIssueRunStatus.SUCCEEDED, 2)
    page = client.get(reverse("textintel:hot_issues")).content.decode()
    assert 'http-equiv="refresh"' not in page
    assert "A2区丽发新城小区" in page


@pytest.mark.django_db
def test_a_bad_file_is_refused_at_once_and_a_lost_file_fails_its_run_with_a_message() -> None:
    client = _dispatcher_client()
    bad = io.BytesIO(b"id,title\n1,x\n")
    bad.name = "bad.csv"
    page = client.post(reverse("textintel:hot_issues"), {"source": "file", "messages": bad}, follow=True)
    assert HotIssueRun.objects.count() == 0  # nothing queued for a file that cannot be read
    assert "msg_id" in page.content.decode()
    run = hot_issue_run_queue_from_file(data=CSV.encode(), file_name="m.csv", actor_id=None)
    Path(run.data_path).unlink()
    failed = hot_issue_run_execute(run_id=run.pk)
    assert failed.status == HotIssueRunStatus.FAILED
    assert "请重新上传" in failed.error_message
    assert "请重新上传" in client.get(reverse("textintel:hot_issues")).content.decode()


@pytest.mark.django_db
def test_hot_issues_of_the_platforms_cases_are_computed_by_the_queue(django_capture_on_commit_callbacks: Any) -> None:
    from zhili.cases.tests.factories import case_create, world_create

    world_create()
    for phone in ("13800000001", "13800000002", "13800000003"):
        case_create(description="阳光花园小区门口垃圾堆放好几天无人清运，气味很大", phone=phone)
    case_create(description="学校附近的培训机构收费过高", phone="13800000004")
    client = _dispatcher_client()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("textintel:hot_issues"), {"source": "cases"})
    run = HotIssueRun.objects.get()
    assert (run.source, run.status, run.message_count, run.parameters["days"]) == ("cases", "succeeded", 4, 90)
    assert [(issue.report_count, issue.reporter_count) for issue in HotIssue.objects.filter(run=run)] == [(3, 3)]


@pytest.mark.django_db
def test_the_hot_issue_and_model_pages_have_an_english_catalog() -> None:
    client = _dispatcher_client()
    client.cookies["django_language"] = "en"
    html = client.get(reverse("textintel:hot_issues")).content.decode()
    assert "<h1>Hot issues</h1>" in html
    assert "热点问题</h1>" not in html
    bad = io.BytesIO(b"id,title\n1,x\n")
    bad.name = "bad.csv"
    page = client.post(reverse("textintel:hot_issues"), {"source": "file", "messages": bad}, follow=True)
    assert "msg_id" in page.content.decode()
    assert "缺少" not in page.content.decode()  # the error message is English too


@pytest.mark.django_db
def test_hot_issue_page_needs_permission() -> None:
    user = User.objects.create_user(username="ti-analyst", password="x-Pass-2026", role=Role.ANALYST)
    client = Client()
    client.force_login(user)
    assert client.get(reverse("textintel:hot_issues")).status_code == 403
