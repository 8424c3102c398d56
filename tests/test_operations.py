"""/healthz, /readyz and /metrics as the load balancer and Prometheus call them."""

from __future__ import annotations

import pytest
from django.contrib.auth.signals import user_login_failed
from django.test import Client

from zhili.core.metrics import LOGIN_FAILURES


@pytest.mark.django_db
def test_healthz_is_liveness_and_readyz_checks_database_queue_assets_and_calendar(client: Client) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    checks = ready.json()["checks"]
    assert checks["database"]["status"] == "ok"
    assert checks["queue"] == {"status": "ok", "pending": 0}
    assert checks["static"] == {"status": "ok"}
    assert checks["calendar"]["status"] in {"ok", "warning"}


@pytest.mark.django_db
def test_readyz_fails_naming_redis_url_when_the_queue_does_not_answer(client: Client, monkeypatch: pytest.MonkeyPatch,
                                                                        settings: object) -> None:
    from zhili.config import operations

    def refused() -> int:
        raise ConnectionRefusedError("Connection refused")

    monkeypatch.setattr(operations, "_queue_pending", refused)
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # type: ignore[attr-defined]
    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json()["status"] == "fail"
    assert ready.json()["checks"]["queue"] == {
        "status": "fail", "message": "REDIS_URL: 任务队列连接失败 (ConnectionRefusedError)，请检查 REDIS_URL / "
                                     "the job queue does not answer"}


@pytest.mark.django_db
def test_metrics_need_the_token_or_an_allowed_network(client: Client, settings: object) -> None:
    settings.ZHILI_METRICS_TOKEN = "s3cret-token"  # type: ignore[attr-defined]
    assert client.get("/metrics").status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 403
    before = LOGIN_FAILURES._value.get()
    user_login_failed.send(sender=None, credentials={"username": "x"}, request=None)
    response = client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-token")
    assert response.status_code == 200
    text = response.content.decode()
    for name in ("zhili_queue_pending_tasks 0.0", "zhili_cases_overdue 0.0",
                 "zhili_notification_oldest_undelivered_seconds 0.0", "zhili_sla_sweep_duration_seconds 0.0",
                 "zhili_http_request_duration_seconds_bucket", 'zhili_http_responses_total{status_class="4xx"}'):
        assert name in text
    assert f"zhili_login_failures_total {before + 1}" in text
    settings.ZHILI_METRICS_TOKEN = ""  # type: ignore[attr-defined]
    settings.ZHILI_METRICS_ALLOWED_NETWORKS = ["127.0.0.0/8"]  # type: ignore[attr-defined]
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 403
