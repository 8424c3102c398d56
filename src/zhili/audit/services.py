"""Appending to and verifying the audit chain."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.db import connections, transaction

from zhili.audit.models import AuditChainHead, AuditRecord
from zhili.core import clock

GENESIS_HASH = "0" * 64


def _canonical_hash(*, previous_hash: str, occurred_at: dt.datetime, actor_id: int | None, actor_label: str,
                    action: str, object_type: str, object_id: str, data: dict[str, Any]) -> str:
    payload = json.dumps(
        [previous_hash, occurred_at.astimezone(dt.UTC).isoformat(timespec="microseconds"), actor_id, actor_label,
         action, object_type, object_id, data],
        ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str,
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def audit_record_append(*, actor_id: int | None, action: str, object_type: str, object_id: str | int,
                        data: dict[str, Any] | None = None, actor_label: str = "") -> AuditRecord:
    """Append one record to the chain inside the caller's transaction.

    Call it as the last write of a service: it locks the chain head until commit, so the lock is
    held for as short a time as possible. The record's hash covers the previous record's hash.
    """
    clean_data = json.loads(json.dumps(data or {}, ensure_ascii=False, default=str))
    # Three statements while the chain head is locked (lock + read, insert, move the head), and no
    # savepoint when the caller already runs a transaction: every writer queues on this lock.
    with transaction.atomic(savepoint=False):
        head = AuditChainHead.objects.select_for_update().filter(pk=1).values_list("last_hash", flat=True).first()
        if head is None:
            AuditChainHead.objects.get_or_create(pk=1)
            head = AuditChainHead.objects.select_for_update().values_list("last_hash", flat=True).get(pk=1)
        occurred_at = clock.now()
        record_hash = _canonical_hash(
            previous_hash=head, occurred_at=occurred_at, actor_id=actor_id, actor_label=actor_label,
            action=action, object_type=object_type, object_id=str(object_id), data=clean_data,
        )
        record = AuditRecord.objects.create(
            occurred_at=occurred_at, actor_id=actor_id, actor_label=actor_label, action=action,
            object_type=object_type, object_id=str(object_id), data=clean_data,
            previous_hash=head, record_hash=record_hash,
        )
        AuditChainHead.objects.filter(pk=1).update(last_record_id=record.pk, last_hash=record_hash)
    return record


@dataclass(frozen=True)
class AuditVerification:
    checked: int
    first_broken_id: int | None
    reason: str

    @property
    def intact(self) -> bool:
        return self.first_broken_id is None


def _verify_records(records: Iterable[AuditRecord], head: AuditChainHead | None) -> AuditVerification:
    previous = GENESIS_HASH
    checked = 0
    last_id = 0
    for record in records:
        if record.previous_hash != previous:
            return AuditVerification(checked, record.pk, "previous_hash does not match the preceding record")
        expected = _canonical_hash(
            previous_hash=record.previous_hash, occurred_at=record.occurred_at, actor_id=record.actor_id,
            actor_label=record.actor_label, action=record.action, object_type=record.object_type,
            object_id=record.object_id, data=record.data,
        )
        if expected != record.record_hash:
            return AuditVerification(checked, record.pk, "record content does not match its hash")
        previous = record.record_hash
        last_id = record.pk
        checked += 1
    if head is not None and head.last_record_id and (head.last_record_id != last_id or head.last_hash != previous):
        return AuditVerification(checked, head.last_record_id, "records after the last verified one are missing")
    return AuditVerification(checked, None, "")


def audit_chain_verify() -> AuditVerification:
    """Walk the whole chain in order; report the first record whose hash or link is wrong."""
    head = AuditChainHead.objects.filter(pk=1).first()
    return _verify_records(AuditRecord.objects.order_by("id").iterator(chunk_size=2000), head)


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
