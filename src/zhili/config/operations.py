"""``/readyz`` and ``/metrics``: what a load balancer and Prometheus ask of one server.

They live beside the URLconf because they read several apps (the database, the job queue, the
collected assets, the cases' calendar and outbox); ``/healthz`` (liveness) is in core.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector

from zhili.cases.selectors_operations import calendar_coverage, operations_figures
from zhili.core.metrics import metrics_access_allowed, process_registry
from zhili.core.replica import replica_configured, replica_health
from zhili.core.startup import static_files_problems

logger = logging.getLogger(__name__)


def _database_check() -> dict[str, Any]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as error:
        logger.error("readyz: database check failed: %s", error)
        variable = "ZHILI_DATA_DIR" if connection.vendor == "sqlite" else "DATABASE_URL"
        return {"status": "fail", "message": f"{variable}: 数据库连接失败 ({type(error).__name__})，"
                                             f"请检查 {variable} 和数据库服务 / the database does not answer"}
    return {"status": "ok", "vendor": connection.vendor}


def _queue_pending() -> int:
    # deferred: runs before (or while) Django is set up; importing at module level would need settings
    from huey.contrib.djhuey import HUEY

    return int(HUEY.pending_count())


def _queue_check() -> dict[str, Any]:
    variable = "REDIS_URL" if settings.REDIS_URL else "ZHILI_DATA_DIR"
    try:
        pending = _queue_pending()
    except Exception as error:  # any storage failure (Redis, SQLite) means not ready
        logger.error("readyz: queue check failed: %s", error)
        return {"status": "fail", "message": f"{variable}: 任务队列连接失败 ({type(error).__name__})，"
                                             f"请检查 {variable} / the job queue does not answer"}
    return {"status": "ok", "pending": pending}


def _static_check() -> dict[str, Any]:
    problems = static_files_problems()
    return {"status": "fail", "message": " ".join(problems)} if problems else {"status": "ok"}


def _calendar_check() -> dict[str, Any]:
    coverage = calendar_coverage()
    result: dict[str, Any] = {"status": "warning" if coverage.warning else "ok",
                              "covered_until": coverage.covered_until.isoformat() if coverage.covered_until else None,
                              "days_left": coverage.days_left}
    if coverage.warning:
        result["message"] = coverage.warning
    return result


@never_cache
def readiness(request: HttpRequest) -> JsonResponse:
    """200 when this server can serve (database, queue, assets); 503 naming what fails.

    The calendar never takes a server out of rotation: a coverage ending within 60 days is a
    ``warning`` (and a deploy-time system check), not a failure. Nor does the read replica: one that
    does not answer or lags is a ``warning`` (its reads go to the primary meanwhile).
    """
    checks = {"database": _database_check()}
    if replica_configured():
        checks["replica"] = replica_health(fresh=True).as_check()
    checks["queue"] = _queue_check()
    checks["static"] = _static_check()
    checks["calendar"] = _calendar_check() if checks["database"]["status"] == "ok" else {"status": "unknown"}
    failed = [name for name, check in checks.items() if check["status"] == "fail"]
    warnings = [name for name, check in checks.items() if check["status"] == "warning"]
    status = "fail" if failed else ("warning" if warnings else "ok")
    return JsonResponse({"status": status, "checks": checks}, status=503 if failed else 200,
                        json_dumps_params={"ensure_ascii": False})


class _DatabaseFigures(Collector):
    """Figures read at scrape time (gauges, so the same on every server)."""

    def collect(self) -> list[Metric]:
        figures = operations_figures()
        coverage = calendar_coverage()
        gauges = [
            ("zhili_queue_pending_tasks", "Tasks waiting in the job queue.", float(_queue_pending())),
            ("zhili_notification_oldest_undelivered_seconds",
             "Age of the oldest notification not yet delivered (0: none waits).",
             figures.oldest_undelivered_notification_seconds),
            ("zhili_cases_overdue", "Open cases past their current stage's deadline.", float(figures.overdue_cases)),
            ("zhili_sla_sweep_duration_seconds", "Duration of the last SLA sweep.", figures.sla_sweep_duration_seconds),
            ("zhili_sla_sweep_last_run_timestamp_seconds", "When the last SLA sweep ran (Unix time; 0: never).",
             figures.sla_sweep_last_run_timestamp),
            ("zhili_calendar_covered_days", "Days until the working calendar's covered range ends.",
             float(coverage.days_left)),
        ]
        return [GaugeMetricFamily(name, documentation, value=value) for name, documentation, value in gauges]


@never_cache
def metrics(request: HttpRequest) -> HttpResponse:
    if not metrics_access_allowed(request):
        return HttpResponse("/metrics: 需要 Authorization: Bearer <ZHILI_METRICS_TOKEN>，或来自 "
                            "ZHILI_METRICS_ALLOWED_NETWORKS 中的地址 / token or allowed network required\n",
                            status=403, content_type="text/plain; charset=utf-8")
    live = CollectorRegistry()
    live.register(_DatabaseFigures())
    body = generate_latest(process_registry()) + generate_latest(live)
    return HttpResponse(body, content_type=CONTENT_TYPE_LATEST)
