"""Bad input over every route: N random bad-input requests (huge integers, years 1 and 9999, offsets beyond
±24 h, 1e309, non-ASCII digits, list-valued repeats, overlong text, bad path values, bad JSON bodies) sent
to every URL pattern — pages, the JSON API and Open311 — as anonymous and as each role, through Django's
test client against a small seeded database. Every answer must be below 500.

Same-run baseline: the same number of valid requests (the same routes and roles, real path values, no
parameters), so ``ratio`` says what refusing bad input costs next to serving good input.

The Django process runs with production settings (``bench_environment``: DEBUG off, caches on, rate limits
counted but far above the load) and the hashed static files production serves.

Usage: ``.venv/bin/python bench/fuzz_routes.py [--requests 5000] [--seed N] [--database-url URL]``
(SQLite in a temporary directory by default; a PostgreSQL database named in the URL is dropped and
created afresh). Progress and every server error on stderr, one JSON line on stdout.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench_environment import bench_environment_set, bench_static_collect

REPOSITORY = Path(__file__).resolve().parents[1]


def _log(message: str) -> None:
    print(f"[bench/fuzz_routes] {message}", file=sys.stderr, flush=True)


def _database_prepare(url: str) -> None:
    """A fresh PostgreSQL database of that name (the seeded world must be the only data)."""
    import psycopg

    name = url.rsplit("/", 1)[1].split("?")[0]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def _setup(database_url: str) -> None:
    os.environ["ZHILI_DATA_DIR"] = tempfile.mkdtemp(prefix="zhili-bench-fuzz-")
    bench_environment_set()
    os.environ["ZHILI_HUEY_IMMEDIATE"] = "1"  # queued jobs (exports, runs) run inside the request
    os.environ["ZHILI_LOG_LEVEL"] = "CRITICAL"
    if database_url:
        _database_prepare(database_url)
        os.environ["DATABASE_URL"] = database_url
    else:
        os.environ.pop("DATABASE_URL", None)
    sys.path[:0] = [str(REPOSITORY / "src"), str(REPOSITORY)]
    import django

    django.setup()
    import logging

    from django.conf import settings
    from django.core.management import call_command

    settings.ALLOWED_HOSTS = ["testserver", "localhost"]
    bench_static_collect()  # pages render with the hashed names production serves
    for name in ("django.request", "django.security", "django.server", "huey", "zhili"):
        logging.getLogger(name).setLevel(logging.CRITICAL)  # every refusal would be a line
    call_command("migrate", verbosity=0)


def _job_errors() -> list[str]:
    """Names of queued jobs that raised (a failed job must end in a failed state, not a 500 later)."""
    from huey.contrib.djhuey import HUEY
    from huey.signals import SIGNAL_ERROR

    errors: list[str] = []

    @HUEY.signal(SIGNAL_ERROR)
    def _record(signal: str, task: Any, exc: BaseException | None = None) -> None:
        errors.append(f"{task.name}: {type(exc).__name__}: {exc}")

    return errors


def _run(clients: dict[str, Any], users: dict[str, Any], requests: list[Any], api_key: str) -> tuple[float, collections.Counter[int],
                                                                             list[str]]:
    from tests.fuzz.routes import request_send

    statuses: collections.Counter[int] = collections.Counter()
    failures: list[str] = []
    started = time.perf_counter()
    for index, request in enumerate(requests, start=1):
        try:
            response = request_send(clients[request.role], request, api_key=api_key)
            status = response.status_code
            if getattr(response, "streaming", False):
                b"".join(response.streaming_content)
        except Exception as error:
            status = 599
            failures.append(f"{request.describe()} → {type(error).__name__}: {error}")
        statuses[status] += 1
        if request.path.startswith(("/accounts/logout/", "/accounts/login/")) and request.role in users:
            clients[request.role].force_login(users[request.role])  # signed out by the request: sign in again
        if 500 <= status < 599:
            exc_info = getattr(response, "exc_info", None)
            reason = f"{type(exc_info[1]).__name__}: {str(exc_info[1])[:200]}" if exc_info else ""
            failures.append(f"{request.describe()} → HTTP {status} {reason}")
        if index % 1000 == 0:
            _log(f"{index} / {len(requests)} requests, {sum(n for s, n in statuses.items() if s >= 500)} server errors")
    return time.perf_counter() - started, statuses, failures


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=5000, help="bad-input requests (and as many valid ones)")
    parser.add_argument("--seed", type=int, default=20261214)
    parser.add_argument("--database-url", default="")
    arguments = parser.parse_args()
    if arguments.requests < 1:
        parser.error("--requests must be at least 1")
    _setup(arguments.database_url)

    from django.test import Client
    from django.test.utils import setup_test_environment
    from tests.fuzz.routes import LEFT_OUT, all_routes, bad_request, page_roles, valid_request
    from tests.fuzz.world import fuzz_world_create

    from zhili.cases.services.api_keys import api_key_issue

    setup_test_environment()
    started = time.perf_counter()
    made = fuzz_world_create()
    values = {**made.path_values,
              "open311_api_key": [api_key_issue(name="fuzz-open311", user=made.users["operator"]).raw_key]}
    routes = list(all_routes())
    _log(f"{len(routes)} routes, world seeded in {time.perf_counter() - started:.1f} s")
    clients: dict[str, Any] = {"anonymous": Client(raise_request_exception=False)}
    users = {role: made.users[role] for role in page_roles() if role != "anonymous"}
    for role, user in users.items():
        client = Client(raise_request_exception=False)
        client.force_login(user)
        clients[role] = client
    rng = random.Random(arguments.seed)
    order: list[Any] = []
    while len(order) < arguments.requests:  # every route once per round, in a new order each round
        round_routes = routes[:]
        rng.shuffle(round_routes)
        order += round_routes
    order = order[:arguments.requests]
    bad = [bad_request(route, rng, values) for route in order]
    valid = [valid_request(route, rng, values) for route in order]
    job_errors = _job_errors()
    bad_seconds, bad_statuses, failures = _run(clients, users, bad, made.api_key)
    bad_job_errors = list(job_errors)
    valid_seconds, valid_statuses, valid_failures = _run(clients, users, valid, made.api_key)
    for line in failures[:400]:
        _log(f"SERVER ERROR {line}")
    for line in valid_failures[:10]:
        _log(f"SERVER ERROR (valid request) {line}")
    for line in bad_job_errors[:10]:
        _log(f"JOB ERROR {line}")
    server_errors = sum(count for status, count in bad_statuses.items() if status >= 500)
    rate = len(bad) / bad_seconds
    baseline_rate = len(valid) / valid_seconds
    print(json.dumps({
        "requests": len(bad), "server_errors": server_errors, "routes": len(routes),
        "routes_hit": len(set(order)),
        "seconds": round(bad_seconds, 1), "requests_per_second": round(rate, 1),
        "status_counts": {str(status): count for status, count in sorted(bad_statuses.items())},
        "job_errors": len(bad_job_errors),
        "baseline_requests": len(valid),
        "baseline_server_errors": sum(count for status, count in valid_statuses.items() if status >= 500),
        "baseline_seconds": round(valid_seconds, 1), "baseline_requests_per_second": round(baseline_rate, 1),
        "ratio": round(rate / baseline_rate, 3), "seed": arguments.seed,
        "left_out": [f"{method} {route}" for method, route in LEFT_OUT],
        "total_seconds": round(time.perf_counter() - started, 1),
    }, ensure_ascii=False))


if __name__ == "__main__":
    main()
