"""The table of Django's database cache (the shared cache of the rate limits when REDIS_URL is unset).

Declared as a model so ``migrate`` creates it everywhere (demo, ``make serve``, the test harnesses)
without a separate ``createcachetable`` step; the columns are the ones ``createcachetable`` makes and
``django.core.cache.backends.db.DatabaseCache`` reads and writes. Nothing else touches it.
"""

from __future__ import annotations

from django.db import models


class CacheEntry(models.Model):
    cache_key = models.CharField(max_length=255, primary_key=True)
    value = models.TextField()
    expires = models.DateTimeField(db_index=True)

    class Meta:
        db_table = "zhili_cache"
        verbose_name = "缓存项"
        verbose_name_plural = "缓存项"

    def __str__(self) -> str:
        return self.cache_key


class JobStatus(models.TextChoices):
    QUEUED = "queued", "排队中"
    RUNNING = "running", "运行中"
    SUCCEEDED = "succeeded", "已完成"
    FAILED = "failed", "失败"


class Job(models.Model):
    """The ledger of background work a person submitted (:func:`zhili.core.jobs.job_submit`).

    Counts each user's queued and running jobs, so one user cannot fill the worker; the job's own
    record (a hot-issue run, an export) keeps its result. ``user_id`` is a plain number: core
    imports no app, the accounts app included.
    """

    name = models.CharField(max_length=100)
    arguments = models.JSONField(default=list)
    user_id = models.PositiveBigIntegerField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=JobStatus.choices, default=JobStatus.QUEUED)
    created_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    error_message = models.TextField(blank=True)

    class Meta:
        verbose_name = "后台任务"
        verbose_name_plural = "后台任务"
        indexes = [models.Index(fields=["user_id", "status", "created_at"], name="core_job_user_status")]

    def __str__(self) -> str:
        return f"{self.name} #{self.pk} ({self.status})"
