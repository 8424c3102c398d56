"""Prometheus metrics of the web process: request latency, responses by status class, failed logins.

Counted with ``prometheus_client``. Under gunicorn (``zhili.config.gunicorn``) each worker writes its
values to ``PROMETHEUS_MULTIPROC_DIR`` and ``/metrics`` adds them up; elsewhere (runserver, tests)
they live in the process's default registry. The figures that come from the database and the queue
are collected at scrape time by the ``/metrics`` view (``zhili.config.operations``).
"""

from __future__ import annotations

import hmac
import ipaddress
import os
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client import multiprocess as prometheus_multiprocess
from prometheus_client.registry import REGISTRY

REQUEST_DURATION = Histogram(
    "zhili_http_request_duration_seconds", "Time from request to response in the Django application.",
    ["method", "view"], buckets=(0.025, 0.05, 0.1, 0.2, 0.35, 0.5, 0.75, 1.0, 2.0, 5.0, 10.0, 30.0))
RESPONSES = Counter("zhili_http_responses_total", "Responses by status class (2xx, 3xx, 4xx, 5xx).",
                    ["status_class"])
SERVER_ERRORS = Counter("zhili_http_server_errors_total", "Responses with a 5xx status.")
LOGIN_FAILURES = Counter("zhili_login_failures_total",
                         "Failed sign-ins (wrong password, unknown user, refused by the throttle).")
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class RequestMetricsMiddleware:
    """Observes every response: latency per route name (bounded label set), status class, 5xx."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        view = (match.view_name or "unnamed") if match is not None else "unmatched"
        method = request.method if request.method in _METHODS else "other"
        REQUEST_DURATION.labels(method=method, view=view).observe(time.perf_counter() - started)
        RESPONSES.labels(status_class=f"{response.status_code // 100}xx").inc()
        if response.status_code >= 500:
            SERVER_ERRORS.inc()
        return response


def login_failed_count(**_signal_arguments: Any) -> None:
    """Receiver of Django's ``user_login_failed`` (sent by ``authenticate`` whatever the login path)."""
    LOGIN_FAILURES.inc()


def process_registry() -> CollectorRegistry:
    """The request/login metrics of every worker of this server (or of this process)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        prometheus_multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return registry
    return REGISTRY


def metrics_access_allowed(request: HttpRequest) -> bool:
    """``Authorization: Bearer <ZHILI_METRICS_TOKEN>``, or a peer address in ZHILI_METRICS_ALLOWED_NETWORKS.

    The address is the direct peer (REMOTE_ADDR): use the network setting when Prometheus scrapes the
    application port itself, the token when it comes through the proxy.
    """
    token = settings.ZHILI_METRICS_TOKEN
    header = request.headers.get("Authorization", "")
    if token and header.startswith("Bearer ") and hmac.compare_digest(header[7:].strip().encode(), token.encode()):
        return True
    networks = settings.ZHILI_METRICS_ALLOWED_NETWORKS
    if not networks:
        return False
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(network, strict=False) for network in networks)
