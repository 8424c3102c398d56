"""The append-only, hash-chained record of every change (一案一档 rests on it)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditRecord(models.Model):
    """One recorded change. Never deleted, and its content never changes (database triggers refuse it).

    A record is written in the transaction of the change it records, without its chain link; the
    sealer (``audit_records_seal``) then links committed records into the hash chain in the order
    it sees them, filling ``chain_position``, ``previous_hash`` and ``record_hash`` exactly once
    — the one update the triggers allow.
    """

    occurred_at = models.DateTimeField(_("时间"), db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("操作人"), null=True, blank=True,
                              on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    actor_label = models.CharField(_("操作人说明"), max_length=120, blank=True)
    action = models.CharField(_("动作"), max_length=60, db_index=True)
    object_type = models.CharField(_("对象类型"), max_length=60)
    object_id = models.CharField(_("对象标识"), max_length=64)
    data = models.JSONField(_("内容"), default=dict)
    # The chain link, filled once by the sealer. NULL (not "") while the record waits to be sealed:
    # the unique constraint must allow many waiting records, and the partial index finds them.
    chain_position = models.BigIntegerField(null=True, blank=True, unique=True)
    previous_hash = models.CharField(max_length=64, null=True, blank=True)  # noqa: DJ001
    record_hash = models.CharField(max_length=64, null=True, blank=True, unique=True)

    class Meta:
        verbose_name = _("审计记录")
        verbose_name_plural = _("审计记录")
        ordering = ["id"]
        indexes = [
            models.Index(fields=["object_type", "object_id", "id"], name="audit_object_idx"),
            models.Index(fields=["id"], name="audit_unsealed", condition=models.Q(record_hash__isnull=True)),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.action} {self.object_type}:{self.object_id}"


class AuditChainHead(models.Model):
    """Single row holding the newest link of the chain; locking it serialises the sealers (not the writers)."""

    last_record_id = models.BigIntegerField(default=0)
    last_position = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="0" * 64)

    def __str__(self) -> str:
        return f"audit chain head at #{self.last_record_id}"
