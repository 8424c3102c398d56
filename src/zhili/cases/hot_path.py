"""The hand-written SQL of the intake hot path (measured by ``bench/intake.py``): the day's case-number
counter and the open cases near a place (the duplicate check's candidates). The ORM's query building
cost more than these queries; everything else in intake is the ORM, in ``services/intake.py``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import connection

from zhili.cases import policy
from zhili.cases.models import Case, CaseNumberCounter
from zhili.cases.states import OPEN_STATUSES
from zhili.textintel.duplicates import COMPARED_CHARACTERS, DuplicateCandidate


def case_number_counter_increment(day: dt.date) -> int | None:
    """The day's counter after adding one, or None when the day has no counter row yet."""
    table = CaseNumberCounter._meta.db_table
    sql = f"UPDATE {table} SET last_value = last_value + 1 WHERE day = %s RETURNING last_value"  # noqa: S608
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql" and not connection.in_atomic_block:
            # Every intake passes this one row: its lock must not wait for the commit's disk flush, or
            # intakes queue one flush apart. The increment may commit asynchronously: the case that
            # uses the number commits synchronously afterwards, and that flush covers this change too
            # (a crash before it loses both, and no one has seen the number). One round trip.
            statements = (f"BEGIN; SET LOCAL synchronous_commit TO off; "
                          f"{sql.replace('%s', repr(day.isoformat()))}; COMMIT")
            try:
                cursor.execute(statements)
                while cursor.description is None and cursor.nextset():
                    pass
                row = cursor.fetchone() if cursor.description is not None else None
            except Exception:
                cursor.execute("ROLLBACK")  # leave no failed transaction block behind on this connection
                raise
            return int(row[0]) if row else None
        # Outside a transaction the single UPDATE runs in autocommit; inside one (imports, tests) it
        # simply joins it.
        cursor.execute(sql, [connection.ops.adapt_datefield_value(day)])
        row = cursor.fetchone()
        return int(row[0]) if row else None


# Written out as in the partial index "cases_open_point" (models.py): SQLite uses a partial index
# only when the query repeats its condition literally (not through parameters).
if not all(str(status).isidentifier() for status in OPEN_STATUSES):
    raise RuntimeError("case status values must be plain identifiers to be written into SQL")
_OPEN_STATUS_CONDITION = f"status IN ({', '.join(repr(str(status)) for status in sorted(OPEN_STATUSES))})"


def open_cases_near(*, longitude: float | None, latitude: float | None, grid_id: int | None, at: dt.datetime,
                    intake_key: str | None = None) -> tuple[list[DuplicateCandidate], bool]:
    """Open cases near a place in place and time (the duplicate check's candidates: intake's and the
    operator's assistant's), and
    whether a case with ``intake_key`` exists already (a retried request) — one round trip.

    One hand-written query (run on every intake; the ORM's query building cost more than the
    query): only the columns the scorer reads, and only the first characters of the text it
    compares. The key look-up rides along as a second branch of the same statement, so a first
    attempt pays no extra query and a retry is answered before any classifying or numbering.
    """
    conditions = [_OPEN_STATUS_CONDITION, "created_at >= %s"]
    since = at - dt.timedelta(days=policy.duplicate_window_days())
    parameters: list[Any] = [connection.ops.adapt_datetimefield_value(since)]
    table = Case._meta.db_table
    if longitude is not None and latitude is not None:
        radius = policy.duplicate_radius_degrees()
        conditions += ["longitude IS NOT NULL", "longitude BETWEEN %s AND %s", "latitude BETWEEN %s AND %s"]
        if connection.vendor == "sqlite":
            # without ANALYZE statistics SQLite would rather scan every open case of the window
            table += " INDEXED BY cases_open_point"
        parameters += [longitude - radius, longitude + radius, latitude - radius, latitude + radius]
    elif grid_id is not None:
        conditions.append("grid_id = %s")
        parameters.append(grid_id)
    else:
        return [], intake_key is not None and Case.objects.filter(intake_key=intake_key).exists()
    sql = (f"SELECT id, substr(description, 1, {int(COMPARED_CHARACTERS)}), longitude, latitude, "  # noqa: S608
           f"category_id, created_at, 0 AS replay FROM {table} WHERE {' AND '.join(conditions)} "
           f"ORDER BY created_at DESC LIMIT {int(policy.DUPLICATE_CANDIDATE_LIMIT)}")
    if intake_key is not None:
        sql = (f"SELECT * FROM ({sql}) AS nearby UNION ALL "  # noqa: S608
               f"SELECT id, NULL, NULL, NULL, NULL, NULL, 1 FROM {Case._meta.db_table} WHERE intake_key = %s")
        parameters.append(intake_key)
    with connection.cursor() as cursor:
        cursor.execute(sql, parameters)
        rows = cursor.fetchall()
    candidates = [DuplicateCandidate(case_id=row[0], text=row[1], longitude=row[2], latitude=row[3],
                                     category_code=str(row[4]) if row[4] is not None else None,
                                     created_at=_database_datetime(row[5])) for row in rows if not row[6]]
    return candidates, any(row[6] for row in rows)


def _database_datetime(value: dt.datetime | str) -> dt.datetime:
    """A datetime column read by a plain cursor: PostgreSQL gives it aware, SQLite as UTC text."""
    if isinstance(value, dt.datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
    parsed = dt.datetime.fromisoformat(value)
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=dt.UTC)
