"""The notification outbox: rows written inside the change's transaction, delivered after commit.

Delivery claims each row with a conditional UPDATE (only one worker wins a row), then marks it
delivered; failures are retried with exponential backoff (1, 2, 4 … minutes, at most 8 tries).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q

from zhili.cases.models import Case, Notification, NotificationChannel
from zhili.core import clock
from zhili.core.jobs import job_queue
from zhili.core.personal_data import personal_text_mask
from zhili.geo.models import Department

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
CLAIM_SECONDS = 120
WEBHOOK_TIMEOUT_SECONDS = 5


def notifications_for_department(*, case: Case, department: Department | None, kind: str, title: str,
                                 body: str = "") -> list[Notification]:
    """Unsaved outbox rows telling a department about a case: in-app, plus webhook when it has one."""
    if department is None:
        return []
    at = clock.now()
    rows = [Notification(channel=NotificationChannel.IN_APP, kind=kind, case=case, department=department,
                         title=title, body=body, created_at=at, next_attempt_at=at)]
    if department.webhook_url:
        rows.append(Notification(channel=NotificationChannel.WEBHOOK, kind=kind, case=case, department=department,
                                 title=title, body=body, target_url=department.webhook_url, created_at=at,
                                 next_attempt_at=at))
    return rows


def notification_for_user(*, case: Case, user_id: int, kind: str, title: str, body: str = "") -> Notification:
    at = clock.now()
    return Notification(channel=NotificationChannel.IN_APP, kind=kind, case=case, recipient_id=user_id, title=title,
                        body=body, created_at=at, next_attempt_at=at)


def notifications_save(rows: Iterable[Notification]) -> None:
    """Insert outbox rows (inside the caller's transaction) and deliver them after commit."""
    rows = list(rows)
    if not rows:
        return
    Notification.objects.bulk_create(rows)
    notifications_schedule_delivery()


_enqueue_lock = threading.Lock()
_last_enqueued = 0.0
COALESCE_SECONDS = 1.0
NOTIFICATIONS_DELIVER_JOB = "cases.notifications_deliver"


def notifications_schedule_delivery() -> None:
    """After commit, queue one delivery run. Busy processes coalesce: at most one queued run per
    second, scheduled a second later so it also takes the rows of every commit in between (the
    periodic task is the backstop). In immediate mode (tests) the run happens at once."""

    def enqueue() -> None:
        global _last_enqueued
        if settings.HUEY.get("immediate"):
            job_queue(NOTIFICATIONS_DELIVER_JOB)
            return
        with _enqueue_lock:
            now = time.monotonic()
            if now - _last_enqueued < COALESCE_SECONDS:
                return
            _last_enqueued = now
        job_queue(NOTIFICATIONS_DELIVER_JOB, delay_seconds=COALESCE_SECONDS)

    transaction.on_commit(enqueue)


def _webhook_payload(notification: Notification) -> bytes:
    case = notification.case
    payload: dict[str, Any] = {
        # Delivery is at least once (a worker killed after sending, before marking, sends again):
        # receivers discard repeats by this id, also sent as the Idempotency-Key header.
        "notification_id": notification.pk,
        "kind": notification.kind,
        "title": notification.title,
        "body": notification.body,
        "case_number": case.number if case is not None else None,
        "status": case.status if case is not None else None,
        "stage_due_at": case.stage_due_at.isoformat() if case is not None and case.stage_due_at else None,
    }
    if notification.kind.startswith("sla_"):
        # SLA notices are digests: the body lists the case numbers
        payload["case_numbers"] = [number for number in notification.body.split(",") if number]
    return json.dumps(payload, ensure_ascii=False).encode("utf-8")


def _send_webhook(notification: Notification) -> None:
    url = notification.target_url
    if not url.startswith(("http://", "https://")):
        raise ValueError("webhook URL must be http(s)")
    request = urllib.request.Request(  # noqa: S310 - scheme checked above
        url, data=_webhook_payload(notification), method="POST",
        headers={"Content-Type": "application/json; charset=utf-8", "User-Agent": "zhili-outbox/1",
                 "Idempotency-Key": f"zhili-notification-{notification.pk}"},
    )
    with urllib.request.urlopen(request, timeout=WEBHOOK_TIMEOUT_SECONDS) as response:  # noqa: S310
        if response.status >= 300:
            raise urllib.error.HTTPError(url, response.status, "webhook refused", response.headers, None)


def _claim(notification_id: int, at: dt.datetime) -> bool:
    claimed = Notification.objects.filter(
        Q(claimed_until__isnull=True) | Q(claimed_until__lt=at),
        pk=notification_id, delivered_at__isnull=True, failed_at__isnull=True,
    ).update(claimed_until=at + dt.timedelta(seconds=CLAIM_SECONDS))
    return claimed == 1


def notification_deliver(notification_id: int) -> bool:
    """Deliver one row if this worker wins its claim; True when it was delivered now."""
    at = clock.now()
    if not _claim(notification_id, at):
        return False
    notification = Notification.objects.select_related("case").get(pk=notification_id)
    try:
        if notification.channel == NotificationChannel.WEBHOOK:
            _send_webhook(notification)
    except (OSError, ValueError, urllib.error.URLError) as error:
        attempts = notification.attempts + 1
        message = personal_text_mask(str(error))[:300]
        logger.warning("webhook delivery of notification %s failed: %s", notification_id, message)
        Notification.objects.filter(pk=notification_id).update(
            attempts=attempts, last_error=message, claimed_until=None,
            next_attempt_at=at + dt.timedelta(minutes=2 ** (attempts - 1)),
            failed_at=at if attempts >= MAX_ATTEMPTS else None,
        )
        return False
    # in-app rows are delivered by being visible in the inbox; the claim makes this exactly-once
    Notification.objects.filter(pk=notification_id, delivered_at__isnull=True).update(
        delivered_at=clock.now(), attempts=notification.attempts + 1, claimed_until=None, last_error="",
    )
    return True


def notifications_deliver_pending(*, limit: int = 500) -> int:
    """Deliver due rows, oldest first; returns how many were delivered."""
    at = clock.now()
    pending_ids = list(
        Notification.objects.filter(delivered_at__isnull=True, failed_at__isnull=True, next_attempt_at__lte=at)
        .order_by("next_attempt_at").values_list("id", flat=True)[:limit]
    )
    return sum(1 for notification_id in pending_ids if notification_deliver(notification_id))


def notification_mark_read(*, notification_id: int, user_id: int) -> None:
    Notification.objects.filter(pk=notification_id, recipient_id=user_id, read_at__isnull=True).update(
        read_at=clock.now()
    )
