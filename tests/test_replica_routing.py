"""Which database a read goes to (zhili.core.replica), without a replica server: its answers are mocked.

The real streaming replica is in tests/postgresql/test_streaming_replica.py.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import OperationalError, transaction
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory

from zhili.cases.models import Case
from zhili.config import operations
from zhili.core import replica
from zhili.core.replica import (
    STICKY_COOKIE,
    PrimaryAfterWriteMiddleware,
    ReplicaRouter,
    primary_pinned,
    read_alias,
    replica_health,
    replica_read_view,
    replica_reads,
)

REPOSITORY_DIR = Path(__file__).resolve().parents[1]


class ReplicaAnswers:
    """Stands in for the replica's lag query: what it answers, and how often it was asked."""

    def __init__(self) -> None:
        self.lag_seconds = 0.4
        self.error: Exception | None = None
        self.asked = 0

    def __call__(self) -> tuple[bool, float]:
        self.asked += 1
        if self.error is not None:
            raise self.error
        return True, self.lag_seconds


@pytest.fixture
def answers(monkeypatch: pytest.MonkeyPatch, settings: object) -> Iterator[ReplicaAnswers]:
    fake = ReplicaAnswers()
    monkeypatch.setattr(replica, "replica_configured", lambda: True)
    monkeypatch.setattr(replica, "replica_lag_measure", fake)
    settings.ZHILI_REPLICA_MAX_LAG_SECONDS = 5  # type: ignore[attr-defined]
    settings.ZHILI_REPLICA_CHECK_SECONDS = 0  # type: ignore[attr-defined]
    settings.ZHILI_REPLICA_STICKY_SECONDS = 7  # type: ignore[attr-defined]
    replica.replica_health_forget()
    yield fake
    replica.replica_health_forget()


def test_reads_go_to_the_replica_only_inside_replica_reads(answers: ReplicaAnswers) -> None:
    assert read_alias() == "default"
    with replica_reads():
        assert read_alias() == "replica"
        assert ReplicaRouter().db_for_read(Case) == "replica"
        with primary_pinned():
            assert read_alias() == "default"
    assert read_alias() == "default"
    assert ReplicaRouter().db_for_write(Case) == "default"


def test_without_a_replica_configured_everything_reads_the_primary(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(replica, "replica_configured", lambda: False)
    with replica_reads():
        assert read_alias() == "default"


@pytest.mark.django_db(transaction=True)
def test_reads_inside_a_write_stay_on_the_primary(answers: ReplicaAnswers) -> None:
    with replica_reads():
        assert read_alias() == "replica"
        with transaction.atomic():
            assert read_alias() == "default"
            assert Case.objects.all().db == "default"


def test_a_lagging_replica_sends_reads_to_the_primary_and_says_why(answers: ReplicaAnswers) -> None:
    answers.lag_seconds = 9.25
    with replica_reads():
        assert read_alias() == "default"
    health = replica_health()
    assert health.usable is False
    assert health.as_check() == {
        "status": "warning", "lag_seconds": 9.25, "max_lag_seconds": 5, "in_recovery": True,
        "message": "只读副本落后主库 9.2 秒（上限 ZHILI_REPLICA_MAX_LAG_SECONDS=5），读取已改由主库承担；请检查复制"
                   " / the read replica lags 9.2 s (limit 5 s): reads go to the primary"}
    answers.lag_seconds = 4.0
    with replica_reads():
        assert read_alias() == "replica"


def test_a_replica_that_does_not_answer_sends_reads_to_the_primary(answers: ReplicaAnswers) -> None:
    answers.error = OperationalError("connection refused")
    with replica_reads():
        assert read_alias() == "default"
    check = replica_health().as_check()
    assert check["status"] == "warning"
    assert check["lag_seconds"] is None
    assert check["message"].startswith("只读副本连接失败 (OperationalError)，读取已改由主库承担")


def test_the_replica_is_looked_at_once_per_check_interval(answers: ReplicaAnswers, settings: object) -> None:
    settings.ZHILI_REPLICA_CHECK_SECONDS = 3600  # type: ignore[attr-defined]
    with replica_reads():
        for _ in range(5):
            assert read_alias() == "replica"
    assert answers.asked == 1
    answers.lag_seconds = 60.0
    assert replica_health().usable is True  # still the last look
    assert replica_health(fresh=True).usable is False
    assert answers.asked == 2


def _routed_view(request: HttpRequest) -> HttpResponse:
    with replica_reads():
        return HttpResponse(read_alias())


def test_a_change_pins_the_browser_to_the_primary_for_the_sticky_seconds(answers: ReplicaAnswers) -> None:
    middleware = PrimaryAfterWriteMiddleware(_routed_view)
    factory = RequestFactory()
    assert middleware(factory.get("/")).content == b"replica"

    posted = middleware(factory.post("/"))
    assert posted.content == b"default"  # the changing request itself reads the primary
    cookie = posted.cookies[STICKY_COOKIE]
    assert cookie["max-age"] == 7
    assert cookie["httponly"] is True

    after = factory.get("/")
    after.COOKIES[STICKY_COOKIE] = cookie.value
    assert middleware(after).content == b"default"
    assert STICKY_COOKIE not in middleware(after).cookies  # a read does not extend the period

    forged = factory.get("/")
    forged.COOKIES[STICKY_COOKIE] = "1"
    assert middleware(forged).content == b"replica"


def test_without_a_replica_no_cookie_is_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(replica, "replica_configured", lambda: False)
    response = PrimaryAfterWriteMiddleware(_routed_view)(RequestFactory().post("/"))
    assert STICKY_COOKIE not in response.cookies


def test_a_replica_read_view_routes_its_get_and_head_only(answers: ReplicaAnswers) -> None:
    @replica_read_view
    def page(request: HttpRequest) -> HttpResponse:
        return HttpResponse(read_alias())

    factory = RequestFactory()
    assert page(factory.get("/")).content == b"replica"
    assert page(factory.head("/")).content == b"replica"
    assert page(factory.post("/")).content == b"default"


def test_a_page_whose_replica_fails_midway_is_rendered_again_from_the_primary(answers: ReplicaAnswers,
                                                                              settings: object) -> None:
    settings.ZHILI_REPLICA_CHECK_SECONDS = 3600  # type: ignore[attr-defined]
    served_from: list[str] = []

    @replica_read_view
    def page(request: HttpRequest) -> HttpResponse:
        served_from.append(read_alias())
        if served_from[-1] == "replica" and answers.error is not None:
            raise OperationalError("server closed the connection unexpectedly")
        return HttpResponse(served_from[-1])

    assert page(RequestFactory().get("/")).content == b"replica"
    answers.error = OperationalError("connection refused")  # the replica dies; the last look said usable
    assert page(RequestFactory().get("/")).content == b"default"
    assert served_from == ["replica", "replica", "default"]


def test_a_failing_primary_fails_the_page_after_the_one_retry(answers: ReplicaAnswers) -> None:
    calls: list[str] = []

    @replica_read_view
    def page(request: HttpRequest) -> HttpResponse:
        calls.append(read_alias())
        raise OperationalError("the primary is down")

    with pytest.raises(OperationalError):
        page(RequestFactory().get("/"))
    assert calls == ["replica", "default"]


def test_without_a_replica_a_database_error_is_not_retried(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(replica, "replica_configured", lambda: False)
    calls: list[str] = []

    @replica_read_view
    def page(request: HttpRequest) -> HttpResponse:
        calls.append(read_alias())
        raise OperationalError("the primary is down")

    with pytest.raises(OperationalError):
        page(RequestFactory().get("/"))
    assert calls == ["default"]


@pytest.mark.django_db
def test_readyz_warns_while_the_replica_is_down_and_stays_in_rotation(
        client: Client, answers: ReplicaAnswers, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(operations, "replica_configured", lambda: True)
    answers.error = OperationalError("connection refused")
    ready = client.get("/readyz")
    assert ready.status_code == 200
    body = ready.json()
    assert body["status"] == "warning"
    assert body["checks"]["replica"]["status"] == "warning"
    assert body["checks"]["replica"]["message"].startswith("只读副本连接失败")
    answers.error = None
    assert client.get("/readyz").json()["checks"]["replica"] == {
        "status": "ok", "lag_seconds": 0.4, "max_lag_seconds": 5, "in_recovery": True}


def _settings_in_process(environment: dict[str, str]) -> dict[str, object]:
    code = ("import json; from zhili.config import settings as s; "
            "print(json.dumps({'routers': s.DATABASE_ROUTERS, 'databases': s.DATABASES}, default=str))")
    base = {name: value for name, value in os.environ.items()
            if not name.startswith(("DATABASE_", "ZHILI_PG_", "ZHILI_REPLICA_"))}
    completed = subprocess.run([sys.executable, "-c", code], env={**base, "ZHILI_TESTING": "1", **environment},  # noqa: S603
                               capture_output=True, text=True, cwd=REPOSITORY_DIR, check=False, timeout=120)
    if completed.returncode != 0:
        return {"error": completed.stderr.strip().splitlines()[-1]}
    result: dict[str, object] = json.loads(completed.stdout)
    return result


def test_settings_configure_the_replica_alias_and_pooling_from_the_environment() -> None:
    configured = _settings_in_process({
        "DATABASE_URL": "postgres://zhili@10.0.0.1:6432/zhili", "ZHILI_PG_PREPARED_STATEMENTS": "0",
        "DATABASE_REPLICA_URL": "postgres://zhili@10.0.0.2:5432/zhili"})
    assert configured["routers"] == ["zhili.core.replica.ReplicaRouter"]
    databases: dict[str, dict[str, object]] = configured["databases"]  # type: ignore[assignment]
    assert databases["default"]["OPTIONS"] == {"prepare_threshold": None}
    assert databases["default"]["DISABLE_SERVER_SIDE_CURSORS"] is True
    assert databases["replica"]["HOST"] == "10.0.0.2"
    assert databases["replica"]["OPTIONS"] == {"prepare_threshold": None, "connect_timeout": 3}
    assert databases["replica"]["TEST"] == {"MIRROR": "default"}

    refused = _settings_in_process({"DATABASE_REPLICA_URL": "postgres://zhili@10.0.0.2:5432/zhili"})
    assert "DATABASE_REPLICA_URL 需要 PostgreSQL 主库" in str(refused["error"])
