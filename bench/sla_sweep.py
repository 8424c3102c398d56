"""The yellow/red light sweep over 1,000,000 open cases on PostgreSQL (target < 5 s).

A fresh database is migrated; open cases are bulk-loaded with COPY (about 4 % already past their
deadline, another 8 % past their warning share, the rest in time, spread over 20 departments of
which a quarter have a webhook), then ``case_sla_sweep`` runs once and is timed. It is the same
service the queue runs every minute: two indexed UPDATEs and INSERT … SELECT for the
notification outbox, no Python loop over cases.

Prints one JSON line: {"open_cases": N, "seconds": s, "warned": w, "overdue": o, "notifications": n}.
Usage: .venv/bin/python bench/sla_sweep.py [--cases 1000000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import sys
import tempfile
import time

from bench_environment import bench_environment_set

PG_ADMIN_URL = os.environ.get("ZHILI_BENCH_PG_ADMIN", "postgres://postgres@127.0.0.1:5432/postgres")
PG_BENCH_DB = "zhili_bench_sla"


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def fresh_database() -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {PG_BENCH_DB} WITH (FORCE)")
        connection.execute(f"CREATE DATABASE {PG_BENCH_DB}")
    os.environ["DATABASE_URL"] = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{PG_BENCH_DB}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=1_000_000)
    options = parser.parse_args()
    bench_environment_set()
    os.environ["ZHILI_DATA_DIR"] = tempfile.mkdtemp(prefix="zhili-bench-sla-")
    os.environ["ZHILI_HUEY_IMMEDIATE"] = "0"
    fresh_database()
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from zhili.cases.models import Case, Notification
    from zhili.cases.services.sla import case_sla_sweep
    from zhili.core import clock
    from zhili.geo.models import Department

    log("migrating a fresh PostgreSQL database …")
    call_command("migrate", verbosity=0)
    departments = [Department.objects.create(code=f"D{index:02d}", name=f"部门{index}",
                                             webhook_url="https://hooks.example.org/zhili" if index % 4 == 0 else "")
                   for index in range(20)]
    now = clock.now()
    rng = random.Random(20260101)
    columns = [field for field in Case._meta.concrete_fields if not field.primary_key]
    names = [field.column for field in columns]
    template: dict[str, object] = {}
    for field in columns:
        if field.has_default():
            default = field.get_default()
            template[field.column] = json.dumps(default) if isinstance(default, (list, dict)) else default
        elif field.null:
            template[field.column] = None
        else:
            template[field.column] = ""
    template.update({"channel": "hotline", "status": "handling", "description": "路灯不亮", "title": "路灯不亮",
                     "priority": 0, "classification_confidence": 0.9, "is_synthetic": True})
    log(f"loading {options.cases:,} open cases with COPY …")
    started = time.perf_counter()
    table = Case._meta.db_table
    with connection.cursor() as cursor, cursor.cursor.copy(
            f"COPY {table} ({', '.join(names)}) FROM STDIN") as copy:
        for index in range(options.cases):
            created = now - dt.timedelta(minutes=rng.randrange(1, 60 * 24 * 20))
            draw = rng.random()
            if draw < 0.04:
                due = now - dt.timedelta(minutes=rng.randrange(1, 600))
                warn = due - dt.timedelta(hours=4)
            elif draw < 0.12:
                due = now + dt.timedelta(minutes=rng.randrange(1, 600))
                warn = now - dt.timedelta(minutes=rng.randrange(1, 60))
            else:
                due = now + dt.timedelta(hours=rng.randrange(2, 200))
                warn = due - dt.timedelta(hours=1)
            row = dict(template)
            row.update({"number": f"{20260000000000 + index}", "tracking_code": f"T{index:015d}",
                        "created_at": created, "updated_at": created, "dispatched_at": created,
                        "department_id": departments[index % len(departments)].pk,
                        "stage_due_at": due, "stage_warn_at": warn, "handle_due_at": due})
            copy.write_row([row[name] for name in names])
    with connection.cursor() as cursor:
        # a live table is kept vacuumed by autovacuum; a freshly COPYed one has no visibility hints yet
        cursor.execute(f"VACUUM ANALYZE {table}")
    log(f"loaded in {time.perf_counter() - started:.1f} s; sweeping …")
    started = time.perf_counter()
    result = case_sla_sweep(at=now)
    seconds = time.perf_counter() - started
    notifications = Notification.objects.count()
    output = {"open_cases": options.cases, "seconds": round(seconds, 3), "warned": result.warned,
              "overdue": result.overdue, "notifications": notifications,
              "second_sweep_seconds": None}
    started = time.perf_counter()
    again = case_sla_sweep(at=now)
    output["second_sweep_seconds"] = round(time.perf_counter() - started, 3)
    output["second_sweep_changes"] = again.warned + again.overdue
    # steady state: one minute later, only the deadlines of that minute are scanned and marked
    started = time.perf_counter()
    minute_later = case_sla_sweep(at=now + dt.timedelta(minutes=1))
    output["next_minute_sweep_seconds"] = round(time.perf_counter() - started, 3)
    output["next_minute_changes"] = minute_later.warned + minute_later.overdue
    print(json.dumps(output))


if __name__ == "__main__":
    main()
