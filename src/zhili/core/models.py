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
