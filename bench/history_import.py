"""Work-order history import: 50,000 generated rows in a five-sheet .xlsx, dry run and commit.

The file has the shape of a real 12345 export (five yearly sheets, the export's headers, times with
``.000``, closing times rounded to the minute, one row in four closing seconds "before" intake),
written here from invented rows. Five source handling units are mapped to departments first. Then:

* dry run: ``import_batch_check`` (read every sheet, check every row, count the values);
* commit: ``import_batch_commit`` (read and check again, numbers, cases, their events, one audit record);
* baseline, same run: the same 50,000 cases built as model objects and ``bulk_create`` d through the
  ORM — the floor of any import through Django (no file, no checks, no events);
* a first SLA sweep over everything (no previous mark: every deadline is scanned), then the
  overdue cases and the notifications are counted — history must give 0 and 0.

Prints one JSON line: {"rows", "dry_run_rows_per_s", "commit_rows_per_s", "baseline_rows_per_s",
"ratio" (commit / baseline, target ≥ 0.25), "overdue_after_sweep" (must be 0), "notifications" (must be 0)}.
Usage: .venv/bin/python bench/history_import.py [--rows 50000] [--postgresql]
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import os
import sys
import tempfile
import time
from pathlib import Path

from bench_environment import bench_environment_set

PG_ADMIN_URL = os.environ.get("ZHILI_BENCH_PG_ADMIN", "postgres://postgres@127.0.0.1:5432/postgres")
PG_BENCH_DB = "zhili_data_bench_history"
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def fresh_postgresql() -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {PG_BENCH_DB} WITH (FORCE)")
        connection.execute(f"CREATE DATABASE {PG_BENCH_DB}")
    os.environ["DATABASE_URL"] = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{PG_BENCH_DB}"


def five_sheet_file(rows: int) -> tuple[bytes, list[object]]:
    from openpyxl import Workbook

    from zhili.cases.tests.history_files import EXPORT_HEADERS, export_row, history_rows

    workbook = Workbook(write_only=True)
    everything: list[object] = []
    per_sheet = rows // 5
    for position, year in enumerate(range(2016, 2021)):
        count = per_sheet if position < 4 else rows - 4 * per_sheet
        sheet = workbook.create_sheet(f"{year}年")
        sheet.append(EXPORT_HEADERS)
        generated = history_rows(count, year=year, seed=1)
        everything += generated
        for item in generated:
            sheet.append(export_row(item))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue(), everything


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--postgresql", action="store_true", help="run on PostgreSQL (default: SQLite)")
    options = parser.parse_args()
    bench_environment_set()
    os.environ["ZHILI_DATA_DIR"] = tempfile.mkdtemp(prefix="zhili-bench-history-")
    os.environ["ZHILI_HUEY_IMMEDIATE"] = "0"
    if options.postgresql:
        fresh_postgresql()
    else:
        os.environ.pop("DATABASE_URL", None)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import transaction

    from zhili.accounts.models import User
    from zhili.accounts.roles import Role
    from zhili.cases.models import Case, CaseChannel, Notification
    from zhili.cases.services.importing import (
        import_batch_check,
        import_batch_commit,
        import_batch_upload,
        import_mapping_guess,
        import_value_mappings_save,
    )
    from zhili.cases.services.intake import tracking_code_new
    from zhili.cases.services.sla import case_sla_sweep
    from zhili.cases.states import CaseStatus
    from zhili.cases.tests.history_files import UNITS
    from zhili.core import clock
    from zhili.geo.models import Department

    log("migrating …")
    call_command("migrate", verbosity=0)
    user = User.objects.create_user(username="bench-importer", password=None, role=Role.DISPATCHER)
    for index, unit in enumerate(UNITS):
        Department.objects.create(code=f"B{index:02d}", name=unit)
    import_value_mappings_save(kind="department", entries=[(unit, unit) for unit in UNITS], actor=user)
    log(f"writing {options.rows} rows into a five-sheet .xlsx …")
    content, generated = five_sheet_file(options.rows)
    log(f"  {len(content) / 2**20:.1f} MB")

    batch = import_batch_upload(name="工单历史.xlsx", stream=io.BytesIO(content), size=len(content), actor=user)
    started = time.perf_counter()
    batch = import_batch_check(batch_id=batch.pk, mapping=import_mapping_guess(batch.headers), actor=user)
    dry_run_seconds = time.perf_counter() - started
    if batch.error_count:
        raise SystemExit(f"the generated file should have no errors: {batch.errors[:3]}")
    log(f"dry run {dry_run_seconds:.1f} s")
    started = time.perf_counter()
    batch = import_batch_commit(batch_id=batch.pk, actor=user)
    commit_seconds = time.perf_counter() - started
    if batch.imported_count != options.rows:
        raise SystemExit(f"imported {batch.imported_count} of {options.rows} rows")
    log(f"commit {commit_seconds:.1f} s")

    departments = {department.name: department.pk for department in Department.objects.all()}
    started = time.perf_counter()
    with transaction.atomic():
        now = clock.now()
        baseline = []
        for index, item in enumerate(generated):
            received = item.received.replace(tzinfo=clock.CHINA_TIME_ZONE)  # type: ignore[attr-defined]
            finished = max(received, item.finished.replace(tzinfo=clock.CHINA_TIME_ZONE))  # type: ignore[attr-defined]
            baseline.append(Case(
                number=f"B{index:019d}", tracking_code=tracking_code_new(), channel=CaseChannel.IMPORT,
                status=CaseStatus.ARCHIVED, title=item.text[:30], description=item.text,  # type: ignore[attr-defined]
                department_id=departments[item.unit], source_handling_unit=item.unit,  # type: ignore[attr-defined]
                source_classification="/".join(item.category),  # type: ignore[attr-defined]
                external_id=f"B{item.number}", reply_text=item.reply,  # type: ignore[attr-defined]
                created_at=received, updated_at=now, finished_at=finished, closed_at=finished))
        Case.objects.bulk_create(baseline, batch_size=1000)
    baseline_seconds = time.perf_counter() - started
    log(f"baseline {baseline_seconds:.1f} s")
    Case.objects.filter(number__startswith="B").delete()

    case_sla_sweep(at=clock.now() + dt.timedelta(days=30))
    overdue = Case.objects.filter(sla_state="overdue").count()
    rows = options.rows
    print(json.dumps({
        "rows": rows,
        "dry_run_rows_per_s": round(rows / dry_run_seconds, 1),
        "commit_rows_per_s": round(rows / commit_seconds, 1),
        "baseline_rows_per_s": round(rows / baseline_seconds, 1),
        "ratio": round(baseline_seconds / commit_seconds, 3),
        "overdue_after_sweep": overdue,
        "notifications": Notification.objects.count(),
        "database": "postgresql" if options.postgresql else "sqlite",
    }, ensure_ascii=False))


if __name__ == "__main__":
    main()
