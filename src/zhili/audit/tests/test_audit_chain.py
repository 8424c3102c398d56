"""The audit record is append-only and hash-chained; tampering is detected."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from zhili.audit.models import AuditChainHead, AuditRecord
from zhili.audit.services import (
    audit_chain_verify,
    audit_record_append,
    audit_records_seal,
    audit_records_seal_all,
)


def append_three() -> list[AuditRecord]:
    return [
        audit_record_append(actor_id=None, action="case.create", object_type="case", object_id=index,
                            data={"note": f"第{index}条", "phone": None})
        for index in range(1, 4)
    ]


@pytest.mark.django_db
def test_records_link_to_the_previous_hash_once_sealed() -> None:
    append_three()
    assert AuditRecord.objects.filter(record_hash__isnull=True).count() == 3  # written without a lock
    assert audit_chain_verify().pending == 3
    assert audit_records_seal() == 3
    first, second, third = AuditRecord.objects.order_by("chain_position")
    assert first.previous_hash == "0" * 64
    assert second.previous_hash == first.record_hash
    assert third.previous_hash == second.record_hash
    assert [first.chain_position, second.chain_position, third.chain_position] == [1, 2, 3]
    head = AuditChainHead.objects.get(pk=1)
    assert (head.last_record_id, head.last_position, head.last_hash) == (third.pk, 3, third.record_hash)
    result = audit_chain_verify()
    assert (result.checked, result.intact, result.pending) == (3, True, 0)


@pytest.mark.django_db
def test_later_records_continue_the_chain_and_sealing_again_changes_nothing() -> None:
    append_three()
    audit_records_seal()
    fourth = audit_record_append(actor_id=None, action="case.dispatch", object_type="case", object_id=1)
    assert audit_records_seal() == 1
    assert audit_records_seal() == 0
    fourth.refresh_from_db()
    third = AuditRecord.objects.get(chain_position=3)
    assert (fourth.chain_position, fourth.previous_hash) == (4, third.record_hash)
    assert audit_chain_verify().checked == 4


@pytest.mark.django_db(transaction=True)
def test_a_commit_seals_its_record_right_away(monkeypatch: pytest.MonkeyPatch) -> None:
    from zhili.audit import services

    monkeypatch.setattr(services, "_last_seal_attempt", 0.0)  # no attempt "a moment ago" in this process
    with transaction.atomic():
        record = audit_record_append(actor_id=None, action="case.create", object_type="case", object_id=7)
    record.refresh_from_db()
    assert record.record_hash is not None
    assert record.chain_position == 1
    assert audit_chain_verify().intact


@pytest.mark.django_db
def test_the_seal_may_fill_the_link_once_but_never_change_content_or_link() -> None:
    first, _second, _third = append_three()
    with pytest.raises(DatabaseError), transaction.atomic():  # content cannot change while pending either
        AuditRecord.objects.filter(pk=first.pk).update(action="case.tampered", record_hash="f" * 64,
                                                       previous_hash="0" * 64, chain_position=1)
    audit_records_seal_all()
    with pytest.raises(DatabaseError), transaction.atomic():  # nor a link once it is set
        AuditRecord.objects.filter(pk=first.pk).update(record_hash="f" * 64)
    assert audit_chain_verify().intact


@pytest.mark.django_db
def test_update_and_delete_are_refused_by_the_database() -> None:
    first, _second, _third = append_three()
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditRecord.objects.filter(pk=first.pk).update(action="case.tampered")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditRecord.objects.filter(pk=first.pk).delete()
    assert AuditRecord.objects.get(pk=first.pk).action == "case.create"


@pytest.mark.django_db
def test_tampering_below_the_application_is_detected() -> None:
    _first, second, _third = append_three()
    audit_records_seal_all()
    # Simulate an attacker with direct database access who disables the trigger and edits a row.
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_auditrecord DISABLE TRIGGER audit_record_append_only")
            cursor.execute("UPDATE audit_auditrecord SET data = %s WHERE id = %s", ['{"note": "改过"}', second.pk])
            cursor.execute("ALTER TABLE audit_auditrecord ENABLE TRIGGER audit_record_append_only")
        else:
            cursor.execute("DROP TRIGGER audit_record_no_update")
            cursor.execute("UPDATE audit_auditrecord SET data = %s WHERE id = %s", ['{"note": "改过"}', second.pk])
    result = audit_chain_verify()
    assert result.intact is False
    assert result.first_broken_id == second.pk
    with pytest.raises(CommandError, match=f"#{second.pk}"):
        call_command("audit_verify")
