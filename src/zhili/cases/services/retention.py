"""Data retention: closed cases lose their reporter's personal data after a configurable period, and
export and import files leave the disk (see :func:`case_files_retention_sweep`).

``settings.ZHILI_PERSONAL_DATA_RETENTION_DAYS`` (default 1095 days, three years) after a case was
closed (``closed_at``: archived, cancelled or merged), the reporter's name, phone and ID number are
erased — the encrypted values, the display masks and the phone lookup hash — so neither staff nor a
copy of the database can recover them. The case, its timeline and every statistic stay. Idempotent:
an anonymised case is never touched again.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Q

from zhili.audit.services import audit_record_append
from zhili.cases.models import Case, CaseImportBatch, ImportStatus
from zhili.cases.services.workbench import exports_directory
from zhili.core import clock
from zhili.core.files import files_older_than

DEFAULT_RETENTION_DAYS = 1095
BATCH_SIZE = 1000
_PERSONAL_FIELDS = ("reporter_name_encrypted", "reporter_phone_encrypted", "reporter_id_number_encrypted",
                    "reporter_name_masked", "reporter_phone_masked", "reporter_phone_hash")


def personal_data_retention_days() -> int:
    return int(getattr(settings, "ZHILI_PERSONAL_DATA_RETENTION_DAYS", DEFAULT_RETENTION_DAYS))


@dataclass(frozen=True)
class RetentionResult:
    anonymised: int
    cutoff: dt.datetime


def cases_personal_data_anonymise(*, at: dt.datetime | None = None) -> RetentionResult:
    """Erase the reporter's personal data of cases closed before ``at`` minus the retention period.

    Works in batches of :data:`BATCH_SIZE`, each one transaction with its own audit record.
    """
    at = at or clock.now()
    cutoff = at - dt.timedelta(days=personal_data_retention_days())
    # rows still holding any personal field (exclude() with several fields drops rows where all are empty)
    due = Case.objects.filter(closed_at__isnull=False, closed_at__lte=cutoff).exclude(
        **dict.fromkeys(_PERSONAL_FIELDS, ""))
    total = 0
    while True:
        with transaction.atomic():
            batch = list(due.order_by("id").values_list("id", flat=True)[:BATCH_SIZE])
            if not batch:
                break
            Case.objects.filter(pk__in=batch).update(**dict.fromkeys(_PERSONAL_FIELDS, ""), updated_at=at)
            audit_record_append(actor_id=None, actor_label="数据保留期限", action="case.personal_data_anonymise",
                                object_type="case", object_id=f"{batch[0]}-{batch[-1]}",
                                data={"count": len(batch), "cutoff": cutoff.isoformat()})
        total += len(batch)
    return RetentionResult(anonymised=total, cutoff=cutoff)


# -- files ---------------------------------------------------------------------------------------

DEFAULT_EXPORT_RETENTION_DAYS = 7
DEFAULT_IMPORT_RETENTION_DAYS = 30


def export_retention_days() -> int:
    return int(getattr(settings, "ZHILI_EXPORT_RETENTION_DAYS", DEFAULT_EXPORT_RETENTION_DAYS))


def import_retention_days() -> int:
    return int(getattr(settings, "ZHILI_IMPORT_RETENTION_DAYS", DEFAULT_IMPORT_RETENTION_DAYS))


@dataclass(frozen=True)
class FileRetentionResult:
    export_files_removed: int
    import_files_removed: int

    def as_dict(self) -> dict[str, int]:
        return {"export_files_removed": self.export_files_removed, "import_files_removed": self.import_files_removed}


def case_files_retention_sweep(*, at: dt.datetime | None = None) -> FileRetentionResult:
    """Delete what the platform no longer needs to keep on disk, and record what went.

    - case-list export files (and their progress records) older than ``ZHILI_EXPORT_RETENTION_DAYS``
      (default 7): they carry reporters' phones for roles that may see them;
    - uploaded work-order import files ``ZHILI_IMPORT_RETENTION_DAYS`` (default 30) after the batch was
      committed, or after it was uploaded when it was never committed (abandoned); the batch record,
      its counts and its error report stay.
    """
    at = at or clock.now()
    export_cutoff = at - dt.timedelta(days=export_retention_days())
    exports = files_older_than(exports_directory(), cutoff=export_cutoff)
    for path in exports:
        path.unlink(missing_ok=True)
    import_cutoff = at - dt.timedelta(days=import_retention_days())
    batches = list(CaseImportBatch.objects.exclude(file="").filter(
        Q(status=ImportStatus.COMMITTED, committed_at__lt=import_cutoff)
        | (~Q(status=ImportStatus.COMMITTED) & Q(created_at__lt=import_cutoff))))
    for batch in batches:
        batch.file.delete(save=False)
        batch.file = ""
        batch.save(update_fields=["file"])
    result = FileRetentionResult(export_files_removed=len(exports), import_files_removed=len(batches))
    if exports or batches:
        audit_record_append(actor_id=None, actor_label="数据保留期限", action="case.files_remove",
                            object_type="case_files", object_id=at.date().isoformat(),
                            data={**result.as_dict(), "export_cutoff": export_cutoff.isoformat(),
                                  "import_cutoff": import_cutoff.isoformat()})
    return result
