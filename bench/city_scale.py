"""City scale on PostgreSQL: pages, lookups, sweep, rollup, backup and intake at 1M and at 10M cases.

A fresh PostgreSQL database (``--database``, default ``zhili_city_scale``) is migrated and loaded with the
demo district's areas, grids, departments, matters and users (``zhili demo_load --only geo accounts``).
Intake throughput is measured on it while it holds no case (``intake_empty_per_s``). Then five years of
a city's cases are generated with COPY (never the ORM), newest first, so the checkpoint
(``--checkpoint``, default 1,000,000) is the last months of the city and the full size (``--cases``,
default 10,000,000) adds the older history — the growth figures say whether cost grows with history:

* cases at a constant rate over ``--years`` years, with realistic statuses by age (≈ 2 % of all cases
  open, almost all of them recent), SLA deadlines and lights, ratings, reporters from a pool of phones
  (encrypted, masked, keyed lookup hash through ``phone_lookup_hash``), unique numbers (``YYYYMMDD`` + a
  per-day sequence, the day counters set afterwards) and tracking codes, descriptions from the
  citizen-message corpus in ../shared;
* their events (≈ 5 per case: create, dispatch, accept, reply, follow-up, archive …), one in-app
  notification per dispatch, and one audit record per event with a valid hash chain (computed with
  ``zhili.audit.services._record_hash`` in id order, ids explicit, then the sequences and the chain
  head set), so ``audit_verify`` passes and the sealer has nothing pending.

At the checkpoint and at the full size (after VACUUM ANALYZE, as autovacuum keeps a live table) it
measures, each with its same-run baseline:

* p95 over ``--runs`` requests (Django test client, production settings) of the command center, the
  leader page and the monthly report (baseline: the same aggregates over the raw cases of the
  period), a department's and a street's case list, first page and page 500 (baseline: a bare indexed
  ``SELECT … ORDER BY created_at DESC LIMIT 50 OFFSET …``), text search over descriptions
  (``/cases/?q=``; baseline: the bare ``SELECT … WHERE description LIKE … LIMIT 50``);
* p95 of case lookup by number, by tracking code and by reporter phone (the selectors; baseline: the
  bare ``SELECT`` on the same column);
* the SLA sweep of the minute (``case_sla_sweep``; baseline: one bare UPDATE of the same rows), the
  nightly rollup rebuild (baseline: the same aggregates in one GROUP BY over a plain scan), ``zhili
  backup`` (baseline: a plain ``pg_dump``), and intake throughput (``case_intake``; baseline: the empty
  database, ``intake_ratio_vs_empty``).

``growth_<figure>`` = figure at full size / figure at the checkpoint. Prints progress to stderr and ONE
JSON line to stdout.

Usage: nice -n 10 .venv/bin/python bench/city_scale.py [--cases 10000000] [--checkpoint 1000000]
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import json
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from bench_environment import bench_environment_set, bench_static_collect

REPOSITORY = Path(__file__).resolve().parents[1]
MESSAGES = REPOSITORY.parent / "shared" / "data" / "citizen-messages" / "dev_raw.csv"
PG_ADMIN_URL = os.environ.get("ZHILI_BENCH_PG_ADMIN", "postgres://postgres@127.0.0.1:5432/postgres")
TRACKING_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
# a bijection of 0 … 31^12-1 (the multiplier is coprime with 31): unique, random-looking tracking codes
TRACKING_SPACE = 31 ** 12
TRACKING_MULTIPLIER = 614_889_782_588_491_410_731 % TRACKING_SPACE | 1
SEARCH_TERM = "停车位"  # three characters: the shortest pattern a trigram index can answer
SEARCH_TERM_SHORT = "噪音"
PAGE_500 = 500
OPEN_STATUS_DRAW = (("received", 0.10), ("dispatched", 0.35), ("handling", 0.90), ("returned", 1.0))


def log(message: str) -> None:
    print(f"[bench/city_scale {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def fresh_database(name: str) -> str:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


def percentile_95(timings: list[float]) -> float:
    ordered = sorted(timings)
    return ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered)) - 1))]


def timed_p95(call: Callable[[int], Any], runs: int, warm: int = 2) -> float:
    """p95 in ms of ``call(run)`` over ``runs`` calls after ``warm`` unmeasured ones."""
    for run in range(warm):
        call(run)
    timings = []
    for run in range(runs):
        started = time.perf_counter()
        call(run + warm)
        timings.append((time.perf_counter() - started) * 1000.0)
    return round(percentile_95(timings), 2)


def seconds_of(call: Callable[[], Any]) -> float:
    started = time.perf_counter()
    call()
    return round(time.perf_counter() - started, 3)


# -- the world the cases are generated in -------------------------------------------------------------

class World:
    """The demo district's grids, matters and users, plus the pools the generator draws from."""

    def __init__(self, rng: random.Random) -> None:
        from zhili.cases.personal_data import personal_encrypt, phone_lookup_hash
        from zhili.core.personal_data import name_mask, phone_mask
        from zhili.geo.models import Area, AreaLevel, Matter

        grids = list(Area.objects.filter(level=AreaLevel.GRID).order_by("id").values(
            "id", "path", "centroid_longitude", "centroid_latitude"))
        # some grids (markets, old towns) report far more than others
        self.grids = grids
        self.grid_weights = [1.0 + 6.0 * rng.random() ** 4 for _ in grids]
        matters = list(Matter.objects.filter(is_active=True).order_by("id").values(
            "id", "category_id", "department_id", "handle_limit_days"))
        self.matters = matters
        self.matter_weights = [1.0 / (rank + 1) ** 0.8 for rank in range(len(matters))]
        self.streets = list(Area.objects.filter(level=AreaLevel.STREET).order_by("code").values("id", "path"))
        messages = []
        with MESSAGES.open(encoding="utf-8", errors="replace", newline="") as handle:
            for row in csv.DictReader(handle):
                content = (row.get("content") or "").replace("\x00", "").strip()
                if content:
                    messages.append(((row.get("title") or "")[:120].strip(), content[:600]))
        self.messages = messages
        surnames = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
        given = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英"
        names = [rng.choice(surnames) + rng.choice(given) + rng.choice(given) for _ in range(500)]
        self.names = [(personal_encrypt(name), name_mask(name)[:40]) for name in names]
        phones = [f"1{rng.choice('3456789')}{rng.randrange(10 ** 9):09d}" for _ in range(20_000)]
        self.phones = [(phone, personal_encrypt(phone), phone_mask(phone), phone_lookup_hash(phone)) for phone in phones]


def tracking_code_for(index: int) -> str:
    value = (index * TRACKING_MULTIPLIER) % TRACKING_SPACE
    characters = []
    for _ in range(12):
        value, digit = divmod(value, 31)
        characters.append(TRACKING_ALPHABET[digit])
    return "".join(characters)


class ChainRecord:
    """What ``_record_hash`` reads of an audit record, without a model instance per row."""

    __slots__ = ("action", "actor_id", "actor_label", "data", "object_id", "object_type", "occurred_at")

    def __init__(self, occurred_at: dt.datetime, action: str, object_id: str, data: dict[str, Any]) -> None:
        self.occurred_at, self.action, self.object_id, self.data = occurred_at, action, object_id, data
        self.actor_id, self.actor_label, self.object_type = None, "", "case"


def _template(model: Any, overrides: dict[str, Any]) -> tuple[list[str], dict[str, Any]]:
    """The COPY column list of ``model`` (primary key included) and a row of defaults."""
    columns, row = [], {}
    for field in model._meta.concrete_fields:
        columns.append(field.column)
        if field.primary_key:
            row[field.column] = None
        elif field.has_default():
            default = field.get_default()
            row[field.column] = json.dumps(default) if isinstance(default, list | dict) else default
        elif field.null:
            row[field.column] = None
        else:
            row[field.column] = ""
    row.update(overrides)
    return columns, row


class Generator:
    """Cases, events, notifications and audit records, newest first, written with COPY."""

    def __init__(self, world: World, *, total: int, years: float, now: dt.datetime, rng: random.Random) -> None:
        self.world, self.total, self.now, self.rng = world, total, now, rng
        self.per_day = total / (years * 365.25)
        self.day_sequences: dict[dt.date, int] = {}
        self.generated = 0
        self.sla_at = now - dt.timedelta(minutes=10)  # the lights are as the sweep of ten minutes ago left them

    def _status(self, age_days: float) -> str:
        draw = self.rng.random()
        open_share = 0.6 if age_days < 15 else 0.25 if age_days < 60 else 0.012
        if draw < open_share:
            pick = self.rng.random()
            return next(status for status, bound in OPEN_STATUS_DRAW if pick < bound)
        draw = self.rng.random()
        if draw < 0.03:
            return "merged"
        if draw < 0.035:
            return "cancelled"
        if age_days < 7:
            return "finished" if draw < 0.6 else "followed_up"
        return "followed_up" if age_days < 30 else "archived"

    def load(self, count: int, connection: Any) -> dict[str, float]:
        """Append the next ``count`` cases (older than every case so far) with their rows; returns rates."""
        from zhili.audit.models import AuditChainHead, AuditRecord
        from zhili.audit.services import _record_hash
        from zhili.cases.models import Case, CaseEvent, CaseNumberCounter, Notification
        from zhili.core import clock

        world, rng = self.world, self.rng
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT coalesce(max(id), 0) FROM {Case._meta.db_table}")  # noqa: S608
            next_case_id = cursor.fetchone()[0] + 1
            cursor.execute(f"SELECT coalesce(max(id), 0) FROM {AuditRecord._meta.db_table}")  # noqa: S608
            next_audit_id = cursor.fetchone()[0] + 1
        for counter in CaseNumberCounter.objects.all():
            self.day_sequences[counter.day] = max(self.day_sequences.get(counter.day, 0), counter.last_value)
        head, _ = AuditChainHead.objects.get_or_create(pk=1)
        position, previous_hash = head.last_position, head.last_hash
        case_columns, case_template = _template(Case, {
            "is_synthetic": True, "classification_confidence": 0.9, "priority": 0, "sla_state": "normal"})
        event_columns, event_template = _template(CaseEvent, {})
        event_columns.remove("id")
        notification_columns, notification_template = _template(Notification, {"channel": "in_app",
                                                                                "kind": "dispatched"})
        notification_columns.remove("id")
        audit_columns, audit_template = _template(AuditRecord, {"object_type": "case", "actor_label": ""})
        grid_choices = rng.choices(range(len(world.grids)), weights=world.grid_weights, k=65_536)
        matter_choices = rng.choices(range(len(world.matters)), weights=world.matter_weights, k=65_536)
        counts = {"cases": 0, "events": 0, "notifications": 0, "audit": 0}
        started = time.perf_counter()
        events_buffer: list[list[Any]] = []
        notifications_buffer: list[list[Any]] = []
        audit_buffer: list[list[Any]] = []
        raw = connection.connection  # the psycopg connection: COPY through it, several streams in turn
        with connection.cursor() as cursor:
            # generated rows reference only rows that exist: skip the per-row foreign-key triggers while
            # loading (superuser; the append-only triggers guard UPDATE/DELETE, not COPY)
            cursor.execute("SET session_replication_role = replica")
            cursor.execute("SET synchronous_commit = off")
        batch = 20_000

        def flush() -> None:
            with raw.cursor() as cursor:
                for table, columns, rows in ((CaseEvent._meta.db_table, event_columns, events_buffer),
                                             (Notification._meta.db_table, notification_columns,
                                              notifications_buffer),
                                             (AuditRecord._meta.db_table, audit_columns, audit_buffer)):
                    if rows:
                        with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                            for row in rows:
                                copy.write_row(row)
                        rows.clear()

        case_rows: list[list[Any]] = []
        for offset in range(count):
            index = self.generated + offset  # 0 = the newest case of all
            age_days = (index + rng.random()) / self.per_day
            created = self.now - dt.timedelta(days=age_days, minutes=5)
            day = created.astimezone(clock.CHINA_TIME_ZONE).date()
            sequence = self.day_sequences.get(day, 0) + 1
            self.day_sequences[day] = sequence
            number = f"{day:%Y%m%d}{sequence:06d}"
            status = self._status(age_days)
            # a case younger than a day is still open; its steps lie between intake and now
            if age_days < 1 and status not in ("received", "dispatched", "handling", "returned"):
                status = ("received", "dispatched", "handling")[index % 3]
            step_room = dt.timedelta(days=age_days * 0.3)
            grid = world.grids[grid_choices[index & 0xFFFF]]
            matter = world.matters[matter_choices[(index * 7919) & 0xFFFF]]
            title, description = world.messages[(index * 104_729) % len(world.messages)]
            name_encrypted, name_masked = world.names[index % len(world.names)]
            _phone, phone_encrypted, phone_masked, phone_hash = world.phones[rng.randrange(len(world.phones))]
            case_id = next_case_id + offset
            row = dict(case_template)
            dispatched = created + min(dt.timedelta(minutes=rng.randrange(3, 60)), step_room)
            accepted = dispatched + min(dt.timedelta(minutes=rng.randrange(10, 240)), step_room)
            handle_due = created + dt.timedelta(days=1.4 * (matter["handle_limit_days"] or 5))
            finished = accepted + dt.timedelta(hours=rng.random() * 24 * 1.6 * (matter["handle_limit_days"] or 5))
            row.update({
                "id": case_id, "number": number, "tracking_code": tracking_code_for(index),
                "channel": ("hotline", "hotline", "hotline", "citizen_app", "patrol", "open311")[index % 6],
                "status": status, "title": title, "description": description,
                "longitude": grid["centroid_longitude"] + (rng.random() - 0.5) * 0.004,
                "latitude": grid["centroid_latitude"] + (rng.random() - 0.5) * 0.004,
                "grid_id": grid["id"], "area_path": grid["path"], "category_id": matter["category_id"],
                "matter_id": matter["id"], "department_id": matter["department_id"],
                "reporter_name_encrypted": name_encrypted, "reporter_name_masked": name_masked,
                "reporter_phone_encrypted": phone_encrypted, "reporter_phone_masked": phone_masked,
                "reporter_phone_hash": phone_hash, "created_at": created, "updated_at": created,
                "accept_due_at": dispatched + dt.timedelta(hours=2), "handle_due_at": handle_due,
            })
            steps: list[tuple[str, str, str, dt.datetime]] = [("create", "", "received", created)]
            if status == "merged":
                steps.append(("merge", "received", "merged", created + dt.timedelta(minutes=30)))
                row["closed_at"] = steps[-1][3]
            elif status == "cancelled":
                steps.append(("cancel", "received", "cancelled", created + dt.timedelta(minutes=45)))
                row["closed_at"] = steps[-1][3]
            elif status == "received":
                row["stage_due_at"] = created + dt.timedelta(hours=1)
                row["stage_warn_at"] = created + dt.timedelta(minutes=40)
            else:
                steps.append(("dispatch", "received", "dispatched", dispatched))
                row["dispatched_at"] = dispatched
                if status == "dispatched":
                    row["stage_due_at"], row["stage_warn_at"] = row["accept_due_at"], dispatched + dt.timedelta(
                        minutes=80)
                elif status == "returned":
                    steps.append(("return", "dispatched", "returned", accepted))
                    row["return_count"] = 1
                    row["stage_due_at"] = accepted + dt.timedelta(hours=1)
                    row["stage_warn_at"] = accepted + dt.timedelta(minutes=40)
                else:
                    steps.append(("accept", "dispatched", "handling", accepted))
                    row["accepted_at"] = accepted
                    row["accepted_on_time"] = accepted <= row["accept_due_at"]
                    if status == "handling":
                        row["stage_due_at"] = handle_due
                        row["stage_warn_at"] = handle_due - (handle_due - accepted) * 0.2
                    else:
                        finished = min(finished, self.now - dt.timedelta(minutes=30))
                        steps.append(("reply", "handling", "finished", finished))
                        row.update({"finished_at": finished, "finished_on_time": finished <= handle_due,
                                    "handling_seconds": int((finished - created).total_seconds()),
                                    "reply_text": "已处理完毕，现场已恢复。",
                                    "follow_up_due_at": finished + dt.timedelta(days=2)})
                        if status == "finished":
                            row["stage_due_at"] = row["follow_up_due_at"]
                            row["stage_warn_at"] = finished + dt.timedelta(days=1.6)
                        else:
                            followed = min(finished + dt.timedelta(hours=rng.randrange(2, 48)),
                                           self.now - dt.timedelta(minutes=20))
                            steps.append(("follow_up", "finished", "followed_up", followed))
                            draw = rng.random()
                            row.update({"followed_up_at": followed,
                                        "rating": "satisfied" if draw < 0.78 else "basically_satisfied"
                                        if draw < 0.91 else "unsatisfied",
                                        "resolved": draw < 0.9, "reopen_count": 1 if draw > 0.985 else 0})
                            if status == "archived":
                                archived = min(followed + dt.timedelta(days=7), self.now - dt.timedelta(minutes=10))
                                steps.append(("archive", "followed_up", "archived", archived))
                                row["closed_at"] = archived
            if row["stage_due_at"] is not None:
                if row["stage_due_at"] <= self.sla_at:
                    row["sla_state"] = "overdue"
                elif row["stage_warn_at"] <= self.sla_at:
                    row["sla_state"] = "warning"
            row["updated_at"] = steps[-1][3]
            case_rows.append([row[column] for column in case_columns])
            for action, from_status, to_status, at in steps:
                event = dict(event_template)
                event.update({"case_id": case_id, "action": action, "from_status": from_status,
                              "to_status": to_status, "occurred_at": at,
                              "department_id": matter["department_id"] if action != "create" else None,
                              "actor_label": "自动派单" if action == "dispatch" else "",
                              "data": json.dumps({"status": to_status}) if action != "create" else json.dumps(
                                  {"channel": row["channel"], "matter_id": matter["id"]})})
                events_buffer.append([event[column] for column in event_columns])
                data = {"status": to_status, "action": action}
                position += 1
                record_hash = _record_hash(ChainRecord(at, f"case.{action}", number, data),  # type: ignore[arg-type]
                                           previous_hash)
                audit = dict(audit_template)
                audit.update({"id": next_audit_id, "occurred_at": at, "action": f"case.{action}",
                              "object_id": number, "data": json.dumps(data), "chain_position": position,
                              "previous_hash": previous_hash, "record_hash": record_hash})
                audit_buffer.append([audit[column] for column in audit_columns])
                previous_hash = record_hash
                next_audit_id += 1
                if action == "dispatch" and matter["department_id"]:
                    notification = dict(notification_template)
                    notification.update({"case_id": case_id, "department_id": matter["department_id"],
                                         "title": f"新工单 {number}", "target_url": f"/cases/{number}/",
                                         "created_at": at, "next_attempt_at": at, "attempts": 1,
                                         "delivered_at": at + dt.timedelta(seconds=2)})
                    notifications_buffer.append([notification[column] for column in notification_columns])
            counts["events"] += len(steps)
            counts["audit"] += len(steps)
            if len(case_rows) >= batch:
                self._copy_cases(raw, case_columns, case_rows)
                counts["notifications"] += len(notifications_buffer)
                flush()
                counts["cases"] += len(case_rows)
                case_rows.clear()
                if counts["cases"] % 200_000 == 0:
                    elapsed = time.perf_counter() - started
                    log(f"  {counts['cases']:,} cases ({counts['cases'] / elapsed:,.0f}/s)")
        self._copy_cases(raw, case_columns, case_rows)
        counts["cases"] += len(case_rows)
        counts["notifications"] += len(notifications_buffer)
        flush()
        load_seconds = time.perf_counter() - started
        self.generated += count
        with connection.cursor() as cursor:
            cursor.execute("SET session_replication_role = origin")
            cursor.execute("SET synchronous_commit = on")
            for model in (Case, AuditRecord, CaseEvent, Notification):
                table = model._meta.db_table
                cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                               f"(SELECT coalesce(max(id), 1) FROM {table}))")
        AuditChainHead.objects.filter(pk=1).update(last_record_id=next_audit_id - 1, last_position=position,
                                                   last_hash=previous_hash)
        for day, last_value in self.day_sequences.items():
            CaseNumberCounter.objects.update_or_create(day=day, defaults={"last_value": last_value})
        return {"cases": counts["cases"], "events": counts["events"], "notifications": counts["notifications"],
                "audit_records": counts["audit"], "load_s": round(load_seconds, 1),
                "cases_per_s": round(counts["cases"] / load_seconds, 1),
                "rows_per_s": round(sum(counts.values()) / load_seconds, 1)}

    @staticmethod
    def _copy_cases(raw: Any, columns: list[str], rows: list[list[Any]]) -> None:
        from zhili.cases.models import Case

        if not rows:
            return
        with raw.cursor() as cursor, cursor.copy(
                f"COPY {Case._meta.db_table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)


# -- secondary indexes: dropped for a bulk load, built again afterwards ------------------------------

def secondary_indexes(connection: Any, tables: list[str]) -> list[tuple[str, str]]:
    """(name, definition) of the plain indexes of ``tables``: not primary keys, not unique constraints."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename = ANY(%s) "
            "AND i.indexname NOT IN (SELECT conname FROM pg_constraint) AND i.indexdef NOT LIKE 'CREATE UNIQUE%%'",
            [tables])
        return list(cursor.fetchall())


# -- measurement --------------------------------------------------------------------------------------

def _intake_requests(world: World, count: int, rng: random.Random) -> Iterator[Any]:
    from zhili.cases.services.intake import IntakeRequest

    for index in range(count):
        grid = world.grids[rng.randrange(len(world.grids))]
        title, description = world.messages[rng.randrange(len(world.messages))]
        _phone, *_rest = world.phones[index % len(world.phones)]
        yield IntakeRequest(channel="hotline", title=title, description=description, reporter_name="王先生",
                            reporter_phone=_phone,
                            longitude=grid["centroid_longitude"] + (rng.random() - 0.5) * 0.002,
                            latitude=grid["centroid_latitude"] + (rng.random() - 0.5) * 0.002)


def intake_per_second(world: World, count: int, actor: Any, seed: int) -> float:
    from zhili.audit.services import audit_records_seal_all
    from zhili.cases.services.intake import case_intake

    requests = list(_intake_requests(world, count + 10, random.Random(seed)))
    for request in requests[:10]:  # warm: classifier, calendar, plans
        case_intake(request=request, actor=actor)
    started = time.perf_counter()
    for request in requests[10:]:
        case_intake(request=request, actor=actor)
    per_second = count / (time.perf_counter() - started)
    audit_records_seal_all()
    return round(per_second, 1)


def measure(stage: str, world: World, users: dict[str, Any], arguments: argparse.Namespace,
            database_url: str) -> dict[str, Any]:
    from django.db import connection
    from django.test import Client

    from zhili.audit.services import audit_chain_verify, audit_records_seal_all
    from zhili.cases import selectors
    from zhili.cases.models import Case, SlaSweepMark
    from zhili.cases.services.sla import case_sla_sweep
    from zhili.core import clock
    from zhili.dashboard.services import case_rollup_rebuild

    runs = arguments.runs
    figures: dict[str, Any] = {}
    log(f"[{stage}] VACUUM ANALYZE …")
    figures["vacuum_analyze_s"] = seconds_of(lambda: _vacuum(connection))
    figures["cases"] = Case.objects.count()
    figures["open_cases"] = Case.objects.filter(status__in=["received", "dispatched", "handling", "returned"]).count()
    audit_records_seal_all()

    # the nightly rollup, and its baseline: the same counters in one GROUP BY over a plain scan
    log(f"[{stage}] nightly rollup …")
    figures["rollup_s"] = seconds_of(case_rollup_rebuild)
    figures["rollup_baseline_s"] = seconds_of(lambda: _rollup_baseline(connection))

    def page(user: Any, url: str) -> Callable[[int], Any]:
        client = Client()
        client.force_login(user)

        def get(_run: int) -> None:
            response = client.get(url)
            if response.status_code != 200:
                raise SystemExit(f"{url} answered {response.status_code} to {user.username}")
        return get

    def sql(statement: str, parameters: list[Any] | Callable[[int], list[Any]]) -> Callable[[int], Any]:
        def run(index: int) -> None:
            with connection.cursor() as cursor:
                cursor.execute(statement, parameters(index) if callable(parameters) else parameters)
                cursor.fetchall()
        return run

    today = clock.today()
    month_start = today.replace(day=1)
    previous_month = (month_start - dt.timedelta(days=1)).replace(day=1)
    leader, handler, street_user, personal = users["leader"], users["handler"], users["street"], users["personal"]
    log(f"[{stage}] pages …")
    since_30 = clock.now() - dt.timedelta(days=30)
    period_start = dt.datetime.combine(previous_month, dt.time(), tzinfo=clock.CHINA_TIME_ZONE)
    month_end = dt.datetime.combine(month_start, dt.time(), tzinfo=clock.CHINA_TIME_ZONE)
    aggregates = ("count(*), count(*) FILTER (WHERE finished_at IS NOT NULL), "
                  "count(*) FILTER (WHERE finished_on_time), count(*) FILTER (WHERE rating <> ''), "
                  "count(*) FILTER (WHERE rating IN ('satisfied','basically_satisfied')), "
                  "count(*) FILTER (WHERE accepted_on_time), avg(handling_seconds)")
    dashboards = {
        "command_center": (page(leader, "/dashboard/"),
                           sql(f"SELECT substr(area_path, 1, 20), {aggregates} FROM cases_case "  # noqa: S608
                               "WHERE created_at >= %s GROUP BY 1", [since_30])),
        "leader": (page(leader, "/dashboard/leader/"),
                   sql(f"SELECT department_id, {aggregates} FROM cases_case "  # noqa: S608
                       "WHERE created_at >= %s GROUP BY 1", [period_start])),
        "monthly_report": (page(leader, f"/dashboard/leader/report/?month={previous_month:%Y-%m}"),
                           sql(f"SELECT department_id, {aggregates} FROM cases_case "  # noqa: S608
                               "WHERE created_at >= %s AND created_at < %s GROUP BY 1", [period_start, month_end])),
    }
    for name, (measured, baseline) in dashboards.items():
        figures[f"{name}_p95_ms"] = timed_p95(measured, runs)
        figures[f"{name}_baseline_p95_ms"] = timed_p95(baseline, runs)
        log(f"[{stage}] {name}: {figures[f'{name}_p95_ms']} ms (baseline {figures[f'{name}_baseline_p95_ms']} ms)")

    listing = ("SELECT id, number, title, status, created_at FROM cases_case WHERE {condition} "
               "ORDER BY created_at DESC, id DESC LIMIT 50 OFFSET %s")
    street_path = users["street_path"]
    lists = {
        "department_list": (handler, "department_id = %s", [handler.department_id]),
        "street_list": (street_user, "(area_path LIKE %s OR area_path = '')", [street_path + "%"]),
    }
    for name, (user, condition, parameters) in lists.items():
        for suffix, page_number in (("first", 1), (f"page{PAGE_500}", PAGE_500)):
            url = "/cases/" if page_number == 1 else f"/cases/?page={page_number}"
            key = f"{name}_{suffix}"
            figures[f"{key}_p95_ms"] = timed_p95(page(user, url), runs)
            figures[f"{key}_baseline_p95_ms"] = timed_p95(
                sql(listing.format(condition=condition), [*parameters, (page_number - 1) * 50]), runs)
            log(f"[{stage}] {key}: {figures[f'{key}_p95_ms']} ms (baseline {figures[f'{key}_baseline_p95_ms']} ms)")

    for key, term in (("text_search", SEARCH_TERM), ("text_search_short", SEARCH_TERM_SHORT)):
        figures[f"{key}_p95_ms"] = timed_p95(page(leader, f"/cases/?q={term}"), runs)
        figures[f"{key}_baseline_p95_ms"] = timed_p95(sql(
            "SELECT id, number, title FROM cases_case WHERE description LIKE %s "
            "ORDER BY created_at DESC, id DESC LIMIT 50", [f"%{term}%"]), runs)
        log(f"[{stage}] {key}: {figures[f'{key}_p95_ms']} ms (baseline {figures[f'{key}_baseline_p95_ms']} ms)")

    log(f"[{stage}] lookups …")
    sample = list(Case.objects.order_by("?").values_list("number", "tracking_code")[:runs + 2]) \
        if figures["cases"] < 200_000 else _sample_cases(connection, runs + 2)
    phones = [world.phones[index * 37 % len(world.phones)][0] for index in range(runs + 2)]
    from zhili.cases.personal_data import phone_lookup_hash

    lookups = {
        "lookup_number": (lambda run: selectors.case_visible_or_404(user=leader, number=sample[run][0]),
                          sql("SELECT * FROM cases_case WHERE number = %s", lambda run: [sample[run][0]])),
        "lookup_tracking_code": (lambda run: selectors.case_by_tracking_code(sample[run][1]),
                                 sql("SELECT * FROM cases_case WHERE tracking_code = %s",
                                     lambda run: [sample[run][1]])),
        "lookup_phone": (lambda run: list(selectors.caller_history(user=personal, phone=phones[run])),
                         sql("SELECT * FROM cases_case WHERE reporter_phone_hash = %s ORDER BY created_at DESC "
                             "LIMIT 20", lambda run: [phone_lookup_hash(phones[run])])),
    }
    for key, (measured, baseline) in lookups.items():
        figures[f"{key}_p95_ms"] = timed_p95(measured, runs)
        figures[f"{key}_baseline_p95_ms"] = timed_p95(baseline, runs)
        log(f"[{stage}] {key}: {figures[f'{key}_p95_ms']} ms (baseline {figures[f'{key}_baseline_p95_ms']} ms)")
    if not list(selectors.caller_history(user=personal, phone=phones[0])):
        raise SystemExit("the phone lookup found nothing: the bench would measure an empty answer")

    # the SLA sweep of the minute: the previous sweep ran ten minutes ago
    log(f"[{stage}] SLA sweep …")
    now = clock.now()
    SlaSweepMark.objects.update_or_create(pk=1, defaults={"swept_at": now - dt.timedelta(minutes=10)})
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id FROM cases_case c WHERE (c.stage_due_at > %(since)s AND c.stage_due_at <= %(at)s "
            "AND c.sla_state IN ('normal','warning')) OR (c.stage_warn_at > %(since)s AND c.stage_warn_at <= %(at)s "
            "AND c.sla_state = 'normal')", {"since": now - dt.timedelta(minutes=25), "at": now})
        changing = [row[0] for row in cursor.fetchall()]
    started = time.perf_counter()
    swept = case_sla_sweep(at=now)
    figures["sla_sweep_s"] = round(time.perf_counter() - started, 4)
    figures["sla_sweep_changed"] = swept.warned + swept.overdue
    figures["sla_sweep_baseline_s"] = seconds_of(lambda: _bare_update(connection, changing))
    # and the first sweep of a new installation (no mark): every deadline of every open case
    SlaSweepMark.objects.all().delete()
    figures["sla_sweep_full_s"] = seconds_of(lambda: case_sla_sweep(at=now + dt.timedelta(seconds=1)))
    log(f"[{stage}] sweep {figures['sla_sweep_s']} s ({figures['sla_sweep_changed']} changed), "
        f"baseline {figures['sla_sweep_baseline_s']} s, full {figures['sla_sweep_full_s']} s")

    log(f"[{stage}] intake …")
    figures["intake_per_s"] = intake_per_second(world, arguments.intake, users["operator"], seed=len(stage))

    if not arguments.skip_backup:
        log(f"[{stage}] backup …")
        directory = Path(tempfile.mkdtemp(prefix="zhili-city-backup-"))
        from django.core.management import call_command

        figures["backup_s"] = seconds_of(lambda: call_command("backup", str(directory / "zhili.backup"),
                                                              verbosity=0, stdout=io.StringIO()))
        figures["backup_bytes"] = (directory / "zhili.backup").stat().st_size
        figures["backup_baseline_s"] = seconds_of(lambda: subprocess.run(
            ["pg_dump", "--format=custom", f"--file={directory / 'plain.dump'}", database_url],
            check=True, capture_output=True))
        for file in directory.iterdir():
            file.unlink()
        directory.rmdir()
        log(f"[{stage}] backup {figures['backup_s']} s, pg_dump {figures['backup_baseline_s']} s")

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_database_size(current_database())")
        figures["database_bytes"] = cursor.fetchone()[0]
    if arguments.verify_audit:
        verification = audit_chain_verify()
        figures["audit_intact"] = verification.intact
        figures["audit_pending"] = verification.pending
    return figures


def _sample_cases(connection: Any, count: int) -> list[tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT number, tracking_code FROM cases_case TABLESAMPLE SYSTEM (0.1) LIMIT %s", [count])
        rows = list(cursor.fetchall())
    return rows if len(rows) >= count else rows * (count // max(1, len(rows)) + 1)


def _vacuum(connection: Any) -> None:
    with connection.cursor() as cursor:
        for table in ("cases_case", "cases_caseevent", "cases_notification", "audit_auditrecord"):
            cursor.execute(f"VACUUM ANALYZE {table}")


def _rollup_baseline(connection: Any) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT (created_at AT TIME ZONE 'Asia/Shanghai')::date, grid_id, department_id, category_id, count(*), "
            "count(dispatched_at), count(accepted_at), count(*) FILTER (WHERE accepted_on_time), count(finished_at), "
            "count(*) FILTER (WHERE finished_on_time), count(*) FILTER (WHERE self_handled), "
            "count(*) FILTER (WHERE reopen_count > 0), count(*) FILTER (WHERE status = 'merged'), "
            "count(*) FILTER (WHERE status = 'cancelled'), count(*) FILTER (WHERE rating <> ''), "
            "count(*) FILTER (WHERE rating = 'satisfied'), count(*) FILTER (WHERE rating = 'basically_satisfied'), "
            "count(*) FILTER (WHERE rating = 'unsatisfied'), count(resolved), count(*) FILTER (WHERE resolved), "
            "sum(handling_seconds) FROM cases_case GROUP BY 1, 2, 3, 4")
        cursor.fetchall()


def _bare_update(connection: Any, ids: list[int]) -> None:
    with connection.cursor() as cursor:
        cursor.execute("UPDATE cases_case SET sla_state = sla_state WHERE id = ANY(%s)", [ids])


def users_prepare() -> dict[str, Any]:
    from zhili.accounts.models import User
    from zhili.accounts.permissions import Action, user_can
    from zhili.accounts.roles import Role
    from zhili.geo.models import Area, AreaLevel

    street = Area.objects.filter(level=AreaLevel.STREET).order_by("code").first()
    street_user, _ = User.objects.get_or_create(username="bench-street", defaults={
        "role": Role.DISPATCHER, "display_name": "街道派单员", "scope_area": street})
    personal = next(user for user in User.objects.filter(username__in=["operator", "dispatcher", "admin"]).order_by(
        "id") if user_can(user, Action.CASE_VIEW_PERSONAL))
    return {"leader": User.objects.get(username="leader"), "handler": User.objects.get(username="handler"),
            "street": street_user, "street_path": street.path if street else "/", "personal": personal,
            "operator": User.objects.get(username="operator")}


def figure_name(key: str) -> str:
    """``command_center_p95_ms`` → ``command_center``; ``backup_s`` → ``backup``; ``intake_per_s`` stays."""
    if key.endswith("_per_s"):
        return key
    return key.removesuffix("_p95_ms").removesuffix("_s")


def machine() -> dict[str, Any]:
    info: dict[str, Any] = {"cpus": os.cpu_count(), "python": platform.python_version(),
                            "platform": platform.platform()}
    try:
        with open("/proc/meminfo", encoding="ascii") as handle:
            info["memory_gb"] = round(int(handle.readline().split()[1]) / 1024 / 1024, 1)
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as handle:
            info["cpu"] = next((line.split(":", 1)[1].strip() for line in handle if line.startswith("model name")), "")
        info["load_average"] = os.getloadavg()
    except OSError:
        pass
    return info


def _environment_for(database: str) -> str:
    bench_environment_set()
    data_dir = tempfile.mkdtemp(prefix="zhili-bench-city-")
    os.environ["ZHILI_DATA_DIR"] = data_dir
    os.environ["ZHILI_STATIC_ROOT"] = str(Path(data_dir) / "static")
    os.environ["ZHILI_HUEY_IMMEDIATE"] = "0"
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{database}"
    os.environ["DATABASE_URL"] = url
    sys.path.insert(0, str(REPOSITORY / "src"))
    return url


def _phone_hashes_rekeyed(world: World, count: int) -> None:
    """A previous run hashed its reporters' phones with its own (random) key: give the cases of ``count``
    of its phones the hashes of this run's pool phones, so a lookup finds as many cases as before."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT DISTINCT reporter_phone_hash FROM cases_case WHERE reporter_phone_hash <> '' "
                       "AND id IN (SELECT id FROM cases_case ORDER BY id LIMIT 5000) LIMIT %s", [count])
        old_hashes = [row[0] for row in cursor.fetchall()]
        for index, old_hash in enumerate(old_hashes):
            new_hash = world.phones[index * 37 % len(world.phones)][3]
            cursor.execute("UPDATE cases_case SET reporter_phone_hash = %s WHERE reporter_phone_hash = %s",
                           [new_hash, old_hash])


def intake_into_empty(arguments: argparse.Namespace) -> None:
    """Cases per second through ``case_intake`` into the demo district without a single case."""
    _environment_for(arguments.database)
    fresh_database(arguments.database)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("demo_load", "--only", "geo", "accounts", verbosity=0, stdout=io.StringIO())
    world = World(random.Random(20261204))
    users = users_prepare()
    print(json.dumps({"intake_empty_per_s": intake_per_second(world, arguments.intake, users["operator"], seed=1)}))


def measure_existing(arguments: argparse.Namespace) -> None:
    """Measure a database left by a run that was stopped after loading (the figures of its checkpoint
    come from that run's JSON), with the code as it is now."""
    # the last line of a previous run's output (or a file holding just that JSON object)
    checkpoint = json.loads(Path(arguments.measure_existing).read_text(encoding="utf-8").strip().splitlines()[-1])
    database_url = _environment_for(arguments.database)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)  # the code may have moved on since the database was loaded
    bench_static_collect()
    world = World(random.Random(20261204))
    users = users_prepare()
    _phone_hashes_rekeyed(world, arguments.runs + 2)
    figures = measure("full", world, users, arguments, database_url)
    # the empty database's intake, measured now (same load on the machine) in a process of its own
    answer = subprocess.run([sys.executable, __file__, "--intake-only", "--intake", str(arguments.intake),
                             "--database", f"{arguments.database}_empty"], check=True, capture_output=True,
                            text=True)
    intake_empty = json.loads(answer.stdout.strip().splitlines()[-1])["intake_empty_per_s"]
    log(f"intake into an empty database, measured after the full size: {intake_empty}/s")
    figures["intake_ratio_vs_empty"] = round(figures["intake_per_s"] / intake_empty, 3)
    result: dict[str, Any] = {"cases": figures["cases"], "machine": machine(), "intake_empty_per_s": intake_empty,
                              "search_term": SEARCH_TERM, "search_term_short": SEARCH_TERM_SHORT,
                              **{key: value for key, value in checkpoint.items() if key.startswith("load_")},
                              "checkpoint": checkpoint["checkpoint"], "full": figures}
    _summarise(result)
    print(json.dumps(result, ensure_ascii=False, default=str))


def _summarise(result: dict[str, Any]) -> None:
    """growth_* (full / checkpoint), ratio_* (figure / its baseline) and the final figures at the top level."""
    if "full" in result:
        checkpoint, full = result["checkpoint"], result["full"]
        for key, value in full.items():
            if (key.endswith(("_p95_ms", "_s")) and "baseline" not in key and key in checkpoint
                    and checkpoint[key]):
                result[f"growth_{figure_name(key)}"] = round(value / checkpoint[key], 2)
    final = result.get("full", result["checkpoint"])
    result["intake_ratio_vs_empty"] = final["intake_ratio_vs_empty"]
    for key, value in final.items():
        result.setdefault(key, value)
        if key.endswith(("_baseline_p95_ms", "_baseline_s")):
            figure = key.replace("_baseline", "")
            if final.get(figure) and value:
                result[f"ratio_{figure_name(figure)}"] = round(final[figure] / value, 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=10_000_000)
    parser.add_argument("--checkpoint", type=int, default=1_000_000)
    parser.add_argument("--years", type=float, default=5.0)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--intake", type=int, default=300, help="cases filed through case_intake per measurement")
    parser.add_argument("--database", default="zhili_city_scale")
    parser.add_argument("--skip-backup", action="store_true")
    parser.add_argument("--verify-audit", action="store_true", help="walk the whole audit chain at each stage")
    parser.add_argument("--measure-existing", metavar="CHECKPOINT_JSON", default="",
                        help="measure the database a previous run left (--database) as the full size, without "
                             "loading; growth against the checkpoint figures in this JSON file")
    parser.add_argument("--intake-only", action="store_true",
                        help="only the intake into an empty database (--database is dropped and re-created)")
    arguments = parser.parse_args()
    if arguments.intake_only:
        intake_into_empty(arguments)
        return
    if arguments.measure_existing:
        measure_existing(arguments)
        return
    if not 0 < arguments.checkpoint <= arguments.cases:
        raise SystemExit("--checkpoint must lie between 1 and --cases")
    database_url = _environment_for(arguments.database)
    fresh_database(arguments.database)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from zhili.core import clock

    log("migrating, loading the demo district (zhili demo_load --only geo accounts), collecting static files …")
    call_command("migrate", verbosity=0)
    call_command("demo_load", "--only", "geo", "accounts", verbosity=0, stdout=io.StringIO())
    bench_static_collect()
    rng = random.Random(20261204)
    world = World(rng)
    users = users_prepare()
    log("intake into the empty database …")
    intake_empty = intake_per_second(world, arguments.intake, users["operator"], seed=1)
    log(f"intake (empty): {intake_empty}/s")
    generator = Generator(world, total=arguments.cases, years=arguments.years, now=clock.now(), rng=rng)
    tables = ["cases_case", "cases_caseevent", "cases_notification", "audit_auditrecord"]
    result: dict[str, Any] = {"cases": 0, "machine": machine(), "intake_empty_per_s": intake_empty,
                              "search_term": SEARCH_TERM, "search_term_short": SEARCH_TERM_SHORT}
    stages = [("checkpoint", arguments.checkpoint), ("full", arguments.cases - arguments.checkpoint)]
    for stage, count in stages:
        if count <= 0:
            continue
        indexes = secondary_indexes(connection, tables)
        with connection.cursor() as cursor:
            for name, _definition in indexes:
                cursor.execute(f'DROP INDEX "{name}"')
        log(f"[{stage}] generating {count:,} cases with COPY ({len(indexes)} secondary indexes dropped) …")
        load = generator.load(count, connection)
        log(f"[{stage}] loaded: {load}; building the indexes …")
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("SET maintenance_work_mem = '512MB'")
            for _name, definition in indexes:
                cursor.execute(definition)
        load["index_build_s"] = round(time.perf_counter() - started, 1)
        result[f"load_{stage}"] = load
        figures = measure(stage, world, users, arguments, database_url)
        result[stage] = figures
        log(f"[{stage}] figures: {json.dumps(figures, ensure_ascii=False, default=str)}")
        result["cases"] = figures["cases"]
        figures["intake_ratio_vs_empty"] = round(figures["intake_per_s"] / intake_empty, 3)
    _summarise(result)
    print(json.dumps(result, ensure_ascii=False, default=str))


if __name__ == "__main__":
    main()
