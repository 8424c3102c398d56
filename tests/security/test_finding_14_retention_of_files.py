"""Finding 14: export files with reporter phones in clear and every uploaded import file were kept
forever (mode 644); the original photo download kept EXIF GPS and camera fields for roles that only
need the picture."""

from __future__ import annotations

import datetime as dt
import io
import os
import stat
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command
from PIL import Image

from tests.authorization.world import World
from tests.security.conftest import client_for
from zhili.accounts.roles import Role
from zhili.audit.models import AuditRecord
from zhili.cases.contracts import CaseFilter
from zhili.cases.models import CaseAttachment, CaseImportBatch, ImportStatus
from zhili.cases.services.attachments import attachments_build, photos_validate
from zhili.cases.services.retention import case_files_retention_sweep
from zhili.cases.services.workbench import case_list_export_run, case_list_export_start, export_job_paths
from zhili.core import clock

pytestmark = pytest.mark.django_db


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _age(path: Path, days: int) -> None:
    moment = (clock.now() - dt.timedelta(days=days)).timestamp()
    os.utime(path, (moment, moment))


def test_exports_are_private_and_removed_after_seven_days(world: World) -> None:
    job_id = case_list_export_start(user=world.users[Role.DISPATCHER], filters=CaseFilter())
    case_list_export_run(job_id=job_id)
    progress, file_path = export_job_paths(job_id)
    assert file_path.exists()
    assert progress.exists()
    assert _mode(file_path) == 0o600
    assert _mode(file_path.parent) == 0o700
    assert case_files_retention_sweep().export_files_removed == 0  # a fresh export stays
    _age(file_path, 8)
    _age(progress, 8)
    result = case_files_retention_sweep()
    assert result.export_files_removed == 2
    assert not file_path.exists()
    assert not progress.exists()
    record = AuditRecord.objects.filter(action="case.files_remove").latest("id")
    assert record.data["export_files_removed"] == 2


def _batch(world: World, *, status: str, days_ago: int) -> CaseImportBatch:
    at = clock.now() - dt.timedelta(days=days_ago)
    batch = CaseImportBatch(original_name="history.csv", file_format="csv", status=status,
                            created_by=world.users[Role.DISPATCHER], created_at=at,
                            committed_at=at if status == ImportStatus.COMMITTED else None)
    batch.file.save("history.csv", ContentFile("来电人,电话\n张三,13812345678\n".encode()), save=False)
    batch.save()
    return batch


def test_import_files_go_thirty_days_after_commit_or_abandonment(world: World) -> None:
    committed_old = _batch(world, status=ImportStatus.COMMITTED, days_ago=31)
    abandoned_old = _batch(world, status=ImportStatus.CHECKED, days_ago=31)
    recent = _batch(world, status=ImportStatus.UPLOADED, days_ago=2)
    old_paths = [Path(committed_old.file.path), Path(abandoned_old.file.path)]
    assert all(_mode(path) == 0o600 for path in old_paths)
    assert case_files_retention_sweep().import_files_removed == 2
    assert not any(path.exists() for path in old_paths)
    committed_old.refresh_from_db()
    assert (committed_old.file.name, committed_old.status) == ("", ImportStatus.COMMITTED)  # the record stays
    assert Path(CaseImportBatch.objects.get(pk=recent.pk).file.path).exists()


def test_the_retention_command_reports_what_it_removed(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    _batch(world, status=ImportStatus.COMMITTED, days_ago=40)
    call_command("retention_run")
    assert '"import_files_removed": 1' in capsys.readouterr().out


def _photo_with_exif() -> bytes:
    image = Image.new("RGB", (40, 30), (10, 120, 200))
    exif = Image.Exif()
    exif[0x010F] = "CameraMaker"  # Make
    exif[0x8825] = {1: "N", 2: (31.0, 43.0, 30.0), 3: "E", 4: (119.0, 55.0, 30.0)}
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", exif=exif)
    return buffer.getvalue()


def test_original_photos_lose_their_exif_for_roles_without_the_permission(world: World) -> None:
    content = _photo_with_exif()
    photos = photos_validate([("photo.jpg", io.BytesIO(content), len(content))])
    attachment = attachments_build(case=world.case_in, photos=photos, kind="photo", uploaded_by_id=None,
                                   at=clock.now())[0]
    assert _mode(Path(attachment.private_file.path)) == 0o600

    def downloaded(role: str) -> bytes:
        response = client_for(world, role).get(f"/cases/attachments/{attachment.pk}/")
        assert response.status_code == 200
        return b"".join(response.streaming_content)  # type: ignore[attr-defined]

    assert Image.open(io.BytesIO(downloaded(Role.DISPATCHER))).getexif().get_ifd(0x8825)  # the original
    for role in (Role.LEADER, Role.GRID_WORKER):
        stripped = Image.open(io.BytesIO(downloaded(role))).getexif()
        assert not stripped.get_ifd(0x8825), role
        assert 0x010F not in stripped, role
    assert CaseAttachment.objects.filter(pk=attachment.pk).exists()
