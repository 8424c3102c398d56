"""Appending to, sealing and verifying the audit chain.

Writers only insert (``audit_record_append``, in the transaction of the change it records): no
lock, so concurrent intakes never queue behind each other's commit. The sealer
(``audit_records_seal``) links committed records into the SHA-256 chain in the order it sees
them, under the chain-head lock, soon after each commit (at most every
``SEAL_INTERVAL_SECONDS`` per process) and from a job every minute. Until sealed, a record is
already append-only (database triggers); the chain adds tamper evidence from the moment it is
sealed. The seal is derived data: a seal transaction lost in a database crash leaves the
records unsealed, and the next seal links them again, so it commits asynchronously.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.db import connection, connections, transaction

from zhili.audit.models import AuditChainHead, AuditRecord
from zhili.core import clock
from zhili.core.rows import row_insert

GENESIS_HASH = "0" * 64
SEAL_INTERVAL_SECONDS = 1.0
SEAL_BATCH = 2000


def _canonical_hash(*, previous_hash: str, occurred_at: dt.datetime, actor_id: int | None, actor_label: str,
                    action: str, object_type: str, object_id: str, data: dict[str, Any]) -> str:
    payload = json.dumps(
        [previous_hash, occurred_at.astimezone(dt.UTC).isoformat(timespec="microseconds"), actor_id, actor_label,
         action, object_type, object_id, data],
        ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str,
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _record_hash(record: AuditRecord, previous_hash: str) -> str:
    return _canonical_hash(
        previous_hash=previous_hash, occurred_at=record.occurred_at, actor_id=record.actor_id,
        actor_label=record.actor_label, action=record.action, object_type=record.object_type,
        object_id=record.object_id, data=record.data,
    )


def audit_record_append(*, actor_id: int | None, action: str, object_type: str, object_id: str | int,
                        data: dict[str, Any] | None = None, actor_label: str = "") -> AuditRecord:
    """Write one record inside the caller's transaction; it is sealed into the chain after commit."""
    record = audit_record_new(actor_id=actor_id, action=action, object_type=object_type, object_id=object_id,
                              data=data, actor_label=actor_label)
    row_insert(record)
    audit_records_inserted()
    return record


def audit_record_new(*, actor_id: int | None, action: str, object_type: str, object_id: str | int,
                     data: dict[str, Any] | None = None, actor_label: str = "") -> AuditRecord:
    """An unsaved record, for a caller that inserts it together with the change it records (one
    statement, ``core.rows.rows_insert_linked``); call :func:`audit_records_inserted` after the insert."""
    clean_data = json.loads(json.dumps(data or {}, ensure_ascii=False, default=str))
    return AuditRecord(
        occurred_at=clock.now(), actor_id=actor_id, actor_label=actor_label, action=action,
        object_type=object_type, object_id=str(object_id), data=clean_data,
    )


def audit_records_inserted() -> None:
    """Records were inserted in the current transaction (or just committed): seal them soon after commit."""
    transaction.on_commit(_seal_soon, robust=True)


_last_seal_attempt = 0.0
_seal_attempt_lock = threading.Lock()


def _seal_soon() -> None:
    """After a commit: seal what is pending, unless this process tried a moment ago or another sealer is at it."""
    global _last_seal_attempt
    now = time.monotonic()
    with _seal_attempt_lock:
        if now - _last_seal_attempt < SEAL_INTERVAL_SECONDS:
            return
        _last_seal_attempt = now
    audit_records_seal(wait=False)


def audit_records_seal(*, wait: bool = True, limit: int = SEAL_BATCH) -> int:
    """Link up to ``limit`` committed, unsealed records into the chain (oldest id first); returns how many.

    ``wait=False`` returns 0 at once when another sealer holds the chain head.
    """
    with transaction.atomic():
        # (SQLite needs nothing here: its transactions begin IMMEDIATE, holding the write lock from the start)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit = off")  # derived data: see the module docstring
        head = AuditChainHead.objects.select_for_update(skip_locked=not wait).filter(pk=1).first()
        if head is None:
            if AuditChainHead.objects.filter(pk=1).exists():
                return 0  # another sealer holds it
            AuditChainHead.objects.get_or_create(pk=1)  # a wiped database (zhili flush) has no head row
            head = AuditChainHead.objects.select_for_update().get(pk=1)
        pending = list(AuditRecord.objects.filter(record_hash__isnull=True).order_by("id")[:limit])
        if not pending:
            return 0
        previous, position = head.last_hash, head.last_position
        for record in pending:
            position += 1
            record.chain_position, record.previous_hash = position, previous
            record.record_hash = previous = _record_hash(record, previous)
        with connection.cursor() as cursor:  # one statement, many rows (a pipeline on PostgreSQL)
            cursor.executemany(
                "UPDATE audit_auditrecord SET chain_position = %s, previous_hash = %s, record_hash = %s WHERE id = %s",
                [(record.chain_position, record.previous_hash, record.record_hash, record.pk) for record in pending],
            )
        AuditChainHead.objects.filter(pk=1).update(last_record_id=pending[-1].pk, last_position=position,
                                                   last_hash=previous)
    return len(pending)


def audit_records_seal_all() -> int:
    """Seal everything pending (the minute job, and before a verification that must cover all)."""
    total = 0
    while sealed := audit_records_seal(wait=True):
        total += sealed
    return total


@dataclass(frozen=True)
class AuditVerification:
    checked: int
    first_broken_id: int | None
    reason: str
    pending: int = 0  # records written but not sealed yet (normally only the last moment's)

    @property
    def intact(self) -> bool:
        return self.first_broken_id is None


def _verify_records(records: Iterable[AuditRecord], head: AuditChainHead | None, pending: int) -> AuditVerification:
    previous = GENESIS_HASH
    checked = 0
    last_id = 0
    for record in records:
        if record.previous_hash != previous:
            return AuditVerification(checked, record.pk, "previous_hash does not match the preceding record", pending)
        if _record_hash(record, previous) != record.record_hash:
            return AuditVerification(checked, record.pk, "record content does not match its hash", pending)
        previous = record.record_hash
        last_id = record.pk
        checked += 1
    if head is not None and head.last_record_id and (head.last_record_id != last_id or head.last_hash != previous):
        return AuditVerification(checked, head.last_record_id, "records after the last verified one are missing",
                                 pending)
    return AuditVerification(checked, None, "", pending)


def audit_chain_verify() -> AuditVerification:
    """Walk the sealed chain in order; report the first record whose hash or link is wrong.

    Records not sealed yet are counted (``pending``), not checked.
    """
    head = AuditChainHead.objects.filter(pk=1).first()
    pending = AuditRecord.objects.filter(record_hash__isnull=True).count()
    sealed = AuditRecord.objects.filter(chain_position__isnull=False).order_by("chain_position")
    return _verify_records(sealed.iterator(chunk_size=2000), head, pending)


@contextlib.contextmanager
def audit_maintenance_mode(database_alias: str = "default") -> Iterator[None]:
    """Let a whole-database wipe (``zhili flush``) past the append-only triggers, and only that."""
    connection = connections[database_alias]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET zhili.audit_maintenance = 'on'")
        elif connection.vendor == "sqlite":
            cursor.execute("INSERT INTO audit_maintenance (enabled) VALUES (1)")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("RESET zhili.audit_maintenance")
            elif connection.vendor == "sqlite":
                cursor.execute("DELETE FROM audit_maintenance")
