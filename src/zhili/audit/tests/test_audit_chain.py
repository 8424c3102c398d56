"""The audit record is append-only and hash-chained; tampering is detected."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from zhili.audit.models import AuditRecord
from zhili.audit.services import audit_chain_verify, audit_record_append


def append_three() -> list[AuditRecord]:
    return [
        audit_record_append(actor_id=None, action="case.create", object_type="case", object_id=index,
                            data={"note": f"第{index}条", "phone": None})
        for index in range(1, 4)
    ]


@pytest.mark.django_db
def test_records_link_to_the_previous_hash() -> None:
    first, second, third = append_three()
    assert first.previous_hash == "0" * 64
    assert second.previous_hash == first.record_hash
    assert third.previous_hash == second.record_hash
    result = audit_chain_verify()
    assert (result.checked, result.intact) == (3, True)


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
