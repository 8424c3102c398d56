"""Server time of the command center and the leader dashboard with 1,000,000 cases on PostgreSQL.

Builds a fresh database (``DATABASE_URL``, default ``postgres://postgres@127.0.0.1:5432/zhili_bench_dashboard``,
dropped and re-created), a synthetic district (10 streets × 5 communities × 6 grids, 12 categories,
12 departments) and ``--cases`` cases over two years, appended in time order as a live system does (INSERT … SELECT
generate_series; 0.2 % of the cases older than ten days still open), builds the
daily rollup through the service the nightly job calls, then times each page in-process (Django test
client: URL routing, permission check, selectors, template rendering):

* with the rollup (what production serves), and
* the same-run baseline: the same pages with the rollup switched off, so every figure is an aggregate
  over the raw case table (indexed by received time).

Prints progress to stderr and one JSON line to stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench_environment import bench_environment_set, bench_static_collect

REPOSITORY = Path(__file__).resolve().parents[1]
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/zhili_bench_dashboard"


def _log(message: str) -> None:
    print(f"[bench/dashboard] {message}", file=sys.stderr, flush=True)


def _prepare_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1].split("?")[0]
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def _setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("ZHILI_DATA_DIR", tempfile.mkdtemp(prefix="zhili-bench-dashboard-"))
    bench_environment_set()
    sys.path.insert(0, str(REPOSITORY / "src"))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    bench_static_collect()  # pages render with the hashed names production serves


def _build_district() -> dict[str, Any]:
    from shapely.geometry import box

    from zhili.geo.geometry import area_geometry_fields
    from zhili.geo.models import Area, AreaLevel, Department, MatterCategory

    def area(code: str, name: str, level: str, parent: Area | None, bounds: tuple[float, float, float, float]) -> Area:
        return Area.objects.create(code=code, name=name, level=level, parent=parent,
                                   path=f"{parent.path if parent else '/'}{code}/", is_synthetic=True,
                                   **area_geometry_fields(box(*bounds)))

    west, south, size = 119.90, 31.70, 0.03
    district = area("320402", "天宁区", AreaLevel.DISTRICT, None, (west, south, west + 10 * size, south + 5 * size))
    grids: list[Area] = []
    for street_index in range(10):
        street_west = west + street_index * size
        street = area(f"320402{street_index + 1:03d}", f"第{street_index + 1}街道", AreaLevel.STREET, district,
                      (street_west, south, street_west + size, south + 5 * size))
        for community_index in range(5):
            community_south = south + community_index * size
            community = area(f"{street.code}{community_index + 1:03d}", f"{street.name}{community_index + 1}社区",
                             AreaLevel.COMMUNITY, street, (street_west, community_south, street_west + size,
                                                           community_south + size))
            for grid_index in range(6):
                column, row = grid_index % 3, grid_index // 3
                grid_west, grid_south = street_west + column * size / 3, community_south + row * size / 2
                grids.append(area(f"{community.code}{grid_index + 1:03d}", f"{community.name}{grid_index + 1}网格",
                                  AreaLevel.GRID, community,
                                  (grid_west, grid_south, grid_west + size / 3, grid_south + size / 2)))
    departments = [Department.objects.create(code=f"D{index:02d}", name=f"第{index}委办局", area=district)
                   for index in range(1, 13)]
    categories = [MatterCategory.objects.create(code=f"C{index:02d}", name=f"第{index}类诉求")
                  for index in range(1, 13)]
    return {"grids": grids, "departments": departments, "categories": categories}


def _insert_cases(world: dict[str, Any], total: int, chunk: int) -> None:
    from django.db import connection

    from zhili.cases.models import Case

    grid_ids = [grid.pk for grid in world["grids"]]
    grid_paths = [grid.path for grid in world["grids"]]
    category_ids = [category.pk for category in world["categories"]]
    # most categories belong to one department; every third one is shared with the next department
    department_ids = [department.pk for department in world["departments"]]
    expressions: dict[str, str] = {
        "number": "'B' || lpad(s.i::text, 12, '0')",
        "tracking_code": "'T' || lpad(s.i::text, 12, '0')",
        "channel": "(ARRAY['hotline','hotline','citizen_app','patrol','open311'])[1 + floor(s.r5 * 5)::int]",
        "status": "s.status",
        "title": "'第' || s.c || '类诉求 工单' || s.i",
        "description": "'合成演示工单，用于性能测试。'",
        "grid_id": "(%(grid_ids)s::bigint[])[s.g]",
        "area_path": "(%(grid_paths)s::text[])[s.g]",
        "category_id": "(%(category_ids)s::bigint[])[s.c]",
        "department_id": "(%(department_ids)s::bigint[])[CASE WHEN s.c %% 3 = 0 AND s.r6 < 0.5 THEN 1 + s.c %% 12 ELSE s.c END]",
        "created_at": "s.created_at",
        "updated_at": "s.created_at",
        "dispatched_at": "CASE WHEN s.status <> 'received' THEN s.created_at + interval '20 minutes' END",
        "accepted_at": "CASE WHEN s.status NOT IN ('received','dispatched') THEN s.created_at + interval '2 hours' END",
        "accepted_on_time": "CASE WHEN s.status NOT IN ('received','dispatched') THEN s.r2 < 0.93 END",
        "finished_at": "CASE WHEN s.closed THEN s.created_at + (s.r3 * interval '6 days') END",
        "finished_on_time": "CASE WHEN s.closed THEN s.r3 < 0.85 END",
        "handling_seconds": "CASE WHEN s.closed THEN floor(s.r3 * 518400)::bigint END",
        "rating": ("CASE WHEN s.status IN ('followed_up','archived') THEN CASE WHEN s.r4 < 0.75 THEN 'satisfied' "
                   "WHEN s.r4 < 0.9 THEN 'basically_satisfied' ELSE 'unsatisfied' END ELSE '' END"),
        "resolved": "CASE WHEN s.status IN ('followed_up','archived') THEN s.r4 < 0.88 END",
        "reopen_count": "CASE WHEN s.closed AND s.r4 > 0.96 THEN 1 ELSE 0 END",
        "sla_state": ("CASE WHEN s.status IN ('received','dispatched','handling','returned') THEN "
                      "CASE WHEN s.r2 < 0.1 THEN 'overdue' WHEN s.r2 < 0.25 THEN 'warning' ELSE 'normal' END "
                      "ELSE 'normal' END"),
        "is_synthetic": "true",
    }
    columns: list[str] = []
    values: list[str] = []
    parameters: dict[str, Any] = {"grid_ids": grid_ids, "grid_paths": grid_paths, "category_ids": category_ids,
                                  "department_ids": department_ids}
    for model_field in Case._meta.concrete_fields:
        if model_field.primary_key:
            continue
        column = model_field.column
        columns.append(f'"{column}"')
        if model_field.name in expressions or column in expressions:
            values.append(expressions.get(model_field.name) or expressions[column])
        elif model_field.null:
            values.append("NULL")
        else:
            default = model_field.get_db_prep_save(model_field.get_default(), connection)
            key = f"default_{column}"
            parameters[key] = json.dumps(default) if isinstance(default, list | dict) else default
            values.append(f"%({key})s")
    grid_count, category_count = len(grid_ids), len(category_ids)
    # built from model metadata and integer constants; every value is a bound parameter
    source = f"""
        SELECT i, g, c, created_at, r2, r3, r4, r5, r6, status,
               status IN ('finished','followed_up','archived') AS closed
        FROM (
          SELECT i, 1 + floor(random() * {grid_count})::int AS g,
                 1 + floor(power(random(), 1.6) * {category_count})::int AS c,
                 now() - (age_days * interval '1 day') AS created_at,
                 random() AS r2, random() AS r3, random() AS r4, random() AS r5, random() AS r6,
                 CASE
                   WHEN age_days < 1 THEN (ARRAY['received','dispatched','handling'])[1 + floor(random() * 3)::int]
                   WHEN age_days < 10 AND open_draw < 0.45 THEN
                     (ARRAY['received','dispatched','handling','handling','returned'])[1 + floor(random() * 5)::int]
                   WHEN age_days >= 10 AND open_draw < 0.002 THEN 'handling'
                   WHEN age_days < 10 THEN (ARRAY['finished','followed_up'])[1 + floor(random() * 2)::int]
                   WHEN open_draw < 0.03 THEN 'merged'
                   WHEN open_draw < 0.035 THEN 'cancelled'
                   ELSE (ARRAY['followed_up','archived','archived'])[1 + floor(random() * 3)::int]
                 END AS status
          -- cases arrive in time order (the table grows by appending), oldest first
          FROM (SELECT i, greatest(0.0, 730.0 * (1.0 - i::float / {total}) - random() * 0.02) AS age_days,
                       random() AS open_draw
                FROM generate_series(%(first)s::bigint, %(last)s::bigint) AS i) AS base
        ) AS drawn
    """  # noqa: S608
    sql = f"INSERT INTO {Case._meta.db_table} ({', '.join(columns)}) SELECT {', '.join(values)} FROM ({source}) AS s"  # noqa: S608
    inserted = 0
    while inserted < total:
        size = min(chunk, total - inserted)
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(sql, {**parameters, "first": inserted + 1, "last": inserted + size})
        inserted += size
        _log(f"cases inserted: {inserted:,} ({time.perf_counter() - started:.1f} s for the last {size:,})")
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM ANALYZE {Case._meta.db_table}")


def _time_pages(client: Any, pages: dict[str, str], runs: int) -> dict[str, dict[str, float]]:
    results: dict[str, dict[str, float]] = {}
    for name, url in pages.items():
        headers = {"HX-Request": "true"} if "fragment=live" in url else {}
        for _ in range(2):  # warm caches (area tree, query plans)
            response = client.get(url, headers=headers)
            if response.status_code != 200:
                raise SystemExit(f"{url} answered {response.status_code}")
        timings = []
        for _ in range(runs):
            started = time.perf_counter()
            client.get(url, headers=headers)
            timings.append((time.perf_counter() - started) * 1000.0)
        timings.sort()
        p95_index = min(len(timings) - 1, max(0, round(0.95 * len(timings)) - 1))
        results[name] = {"p50_ms": round(statistics.median(timings), 1), "p95_ms": round(timings[p95_index], 1)}
        _log(f"{name}: {results[name]}")
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--chunk", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--baseline-runs", type=int, default=5)
    arguments = parser.parse_args()
    url = os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL)
    if not url.startswith("postgres"):
        raise SystemExit("bench/dashboard.py measures PostgreSQL: set DATABASE_URL=postgres://…")
    _prepare_database(url)
    _setup_django(url)

    from django.test import Client

    from zhili.accounts.models import User
    from zhili.accounts.roles import Role
    from zhili.cases.models import Case
    from zhili.core import clock
    from zhili.dashboard.models import DailyCaseRollup, RollupState
    from zhili.dashboard.services import case_rollup_rebuild

    world = _build_district()
    _log("district built: 300 grids")
    started = time.perf_counter()
    _insert_cases(world, arguments.cases, arguments.chunk)
    insert_seconds = time.perf_counter() - started
    case_count = Case.objects.count()
    started = time.perf_counter()
    rollup = case_rollup_rebuild()
    rollup_seconds = time.perf_counter() - started
    _log(f"rollup rebuilt: {rollup.rows_written:,} rows in {rollup_seconds:.1f} s")

    leader = User.objects.create_user(username="bench-leader", password=None, role=Role.LEADER)
    client = Client()
    client.force_login(leader)
    today = clock.today()
    year_ago = today.replace(year=today.year - 1)
    pages = {
        "command_center": "/dashboard/",
        "command_center_live": "/dashboard/?fragment=live",
        "command_center_satisfaction_grids": "/dashboard/?metric=satisfaction&granularity=grid",
        "leader": "/dashboard/leader/",
        "leader_last_12_months": f"/dashboard/leader/?start={year_ago.isoformat()}&end={today.isoformat()}",
        "leader_monthly_report": f"/dashboard/leader/report/?month={today:%Y-%m}",
    }
    with_rollup = _time_pages(client, pages, arguments.runs)
    state = list(RollupState.objects.values("refreshed_through", "refreshed_at"))
    RollupState.objects.all().delete()  # selectors now aggregate the raw case table
    _log("baseline: rollup switched off")
    baseline = _time_pages(client, pages, arguments.baseline_runs)
    for row in state:
        RollupState.objects.create(**row)
    result: dict[str, Any] = {
        "cases": case_count,
        "database": "postgresql",
        "rollup_rows": DailyCaseRollup.objects.count(),
        "rollup_build_s": round(rollup_seconds, 1),
        "insert_s": round(insert_seconds, 1),
        **with_rollup,
        "baseline_raw_aggregates": baseline,
    }
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
