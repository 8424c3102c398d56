"""Data retention: closed cases lose their reporter's personal data after a configurable period.

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

from zhili.audit.services import audit_record_append
from zhili.cases.models import Case
from zhili.core import clock

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
