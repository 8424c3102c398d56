"""Backup → change → restore gives back exactly the backed-up rows (counts and checksums)."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import call_command

from zhili.audit.services import audit_chain_verify, audit_record_append
from zhili.core.backup import database_fingerprint
from zhili.geo.models import Department


@pytest.mark.django_db(transaction=True)
def test_backup_restore_round_trip(tmp_path: Path) -> None:
    Department.objects.create(code="CG", name="城管局")
    Department.objects.create(code="ZJ", name="住建局")
    audit_record_append(actor_id=None, action="department.create", object_type="department", object_id="CG")
    before = database_fingerprint()
    backup_file = tmp_path / "zhili.backup"
    call_command("backup", str(backup_file))
    assert backup_file.stat().st_size > 0

    Department.objects.filter(code="ZJ").delete()
    Department.objects.create(code="HB", name="生态环境局")
    assert database_fingerprint() != before

    call_command("restore", str(backup_file), "--yes")
    after = database_fingerprint()
    assert after == before
    assert after["geo_department"][0] == 2
    assert sorted(Department.objects.values_list("code", flat=True)) == ["CG", "ZJ"]
    assert audit_chain_verify().intact
