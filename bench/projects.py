"""Benchmark: lights and the leader's 调度 page over 10,000 projects × 36 monthly reports.

Run from the repository root: ``.venv/bin/python bench/projects.py [--projects N] [--runs N]``
(SQLite in a fresh data directory; ``DATABASE_URL=postgres://…`` for PostgreSQL, whose database it
recreates). It inserts N synthetic projects with three years of plans and 36 monthly reports each,
computes every project's light (``project_lights_refresh``: read, evaluate, write back), renders the
调度 page for a leader ``--runs`` times (all projects, and filtered by light), and, as the same-run
baseline, times a plain aggregate query over the same report rows (sum of the year's investment per
project). Prints one JSON line: projects, reports, lights_seconds, page_p95_ms, baseline_seconds.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

from bench_environment import bench_environment_set, bench_static_collect

REPOSITORY = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPOSITORY / "src"), str(REPOSITORY)]


def _log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def _prepare_postgresql(url: str) -> None:
    import psycopg  # deferred: only a PostgreSQL run needs the driver directly

    name = url.rsplit("/", 1)[1].split("?")[0]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--projects", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=20)
    arguments = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgres"):
        _prepare_postgresql(url)
    os.environ.setdefault("ZHILI_DATA_DIR", tempfile.mkdtemp(prefix="zhili-bench-projects-"))
    bench_environment_set()
    import django  # deferred: after the environment above

    django.setup()
    from django.core.management import call_command  # deferred: needs Django set up

    call_command("migrate", verbosity=0)
    bench_static_collect()
    bench(projects=arguments.projects, runs=arguments.runs)


def bench(*, projects: int, runs: int) -> None:
    # deferred: Django is set up by main() first
    import numpy as np
    from django.db.models import Count, Sum
    from django.test import Client

    from zhili.accounts.models import User
    from zhili.accounts.roles import Role
    from zhili.core import clock
    from zhili.geo.models import Department
    from zhili.projects import services
    from zhili.projects.models import (
        MonthlyReport,
        Project,
        ProjectKind,
        ProjectLevel,
        StatisticsState,
        YearPlan,
    )

    rng = np.random.default_rng(18)
    now = dt.datetime(2026, 1, 15, 10, 0, tzinfo=clock.CHINA_TIME_ZONE)
    chain = services.chain_get_or_create()
    departments = [Department.objects.create(code=f"B{index:02d}", name=f"基准单位{index}") for index in range(20)]
    leaders = [User.objects.create_user(username=f"bench-leader-{index}", password=None, role=Role.LEADER)
               for index in range(10)]
    levels, kinds = list(ProjectLevel.values), [ProjectKind.MAJOR, ProjectKind.KEY, ProjectKind.ATTRACTION]
    started = time.perf_counter()
    rows = []
    for index in range(projects):
        start = dt.date(2023, int(rng.integers(1, 13)), 10) if index % 10 else dt.date(2025, 11, 10)
        rows.append(Project(
            code=f"B{index:06d}", name=f"基准项目{index}", level=levels[index % 4], kind=kinds[index % 3],
            total_investment=Decimal(50000), department=departments[index % 20], leader=leaders[index % 10],
            planned_start=start, actual_start=start if index % 10 else None, chain=chain, stage="start",
            statistics_state=StatisticsState.ENTERED if index % 7 else StatisticsState.NOT_ENTERED,
            statistics_date=start + dt.timedelta(days=40), created_at=now, updated_at=now, is_synthetic=True))
    Project.objects.bulk_create(rows, batch_size=2000)
    ids = list(Project.objects.order_by("pk").values_list("pk", flat=True))
    YearPlan.objects.bulk_create([YearPlan(project_id=project_id, year=year, original_amount=Decimal(12000),
                                           amount=Decimal(12000)) for project_id in ids for year in (2023, 2024, 2025)],
                                 batch_size=5000)
    paces = rng.choice([1.0, 0.8, 0.6], size=len(ids))
    reports = []
    for position, project_id in enumerate(ids):
        amount = Decimal(str(round(1000 * float(paces[position]), 2)))
        reports.extend(MonthlyReport(project_id=project_id, year=year, month=month, investment=amount,
                                     reported_at=now) for year in (2023, 2024, 2025) for month in range(1, 13))
        if len(reports) >= 20000:
            MonthlyReport.objects.bulk_create(reports, batch_size=5000)
            reports = []
    MonthlyReport.objects.bulk_create(reports, batch_size=5000)
    report_count = MonthlyReport.objects.count()
    _log(f"inserted {len(ids):,} projects, {report_count:,} reports in {time.perf_counter() - started:.1f} s")

    with clock.frozen(now):
        started = time.perf_counter()
        lit = services.project_lights_refresh(as_of=(2025, 12))
        lights_seconds = time.perf_counter() - started
        _log(f"lights of {lit:,} projects in {lights_seconds:.2f} s")
        started = time.perf_counter()
        totals = list(MonthlyReport.objects.filter(year=2025, month__lte=12).values("project_id").annotate(
            total=Sum("investment")).values_list("project_id", "total"))
        baseline_seconds = time.perf_counter() - started
        assert len(totals) == len(ids)  # noqa: S101 - the baseline read every project's rows
        client = Client()
        client.force_login(User.objects.create_user(username="bench-viewer", password=None, role=Role.LEADER))
        client.get("/projects/?month=2025-12")  # warm-up: templates compiled, caches filled
        timings = []
        for run in range(runs):
            path = "/projects/?month=2025-12" + ("&light=red" if run % 2 else "")
            started = time.perf_counter()
            response = client.get(path)
            timings.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, response.status_code  # noqa: S101 - a failed page is no figure
    page_p95 = statistics.quantiles(timings, n=20)[-1] if len(timings) >= 2 else timings[0]
    lights = dict(Project.objects.values("light").annotate(count=Count("id")).values_list("light", "count"))
    print(json.dumps({"projects": len(ids), "reports": report_count, "lights_seconds": round(lights_seconds, 3),
                      "page_p95_ms": round(page_p95, 1), "baseline_seconds": round(baseline_seconds, 3),
                      "lights": lights, "database": "postgresql" if os.environ.get("DATABASE_URL", "").startswith(
                          "postgres") else "sqlite"}, ensure_ascii=False))


if __name__ == "__main__":
    main()
