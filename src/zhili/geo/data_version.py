"""Process-local caches of geo data (spatial index, address matcher), kept fresh by a version check.

Every write to grids or addresses goes through a service that bumps ``GeoDataVersion.counter``.
A cache rebuilds when the data signature (that counter plus row counts and highest ids, so rows
written without a bump are noticed too) differs from the one it was built for. The signature is
read at most once every ``GEO_CACHE_CHECK_SECONDS`` (3 s by default, every call under tests), not
on every lookup.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Max, Sum

from zhili.geo.models import Address, Area, AreaLevel, GeoDataVersion

DataSignature = tuple[object, ...]

_GEO_DATA_VERSION_ROW_ID = 1
_ALL_CACHES: list[VersionedCache[Any]] = []


def geo_data_signature(*, include_addresses: bool = True) -> DataSignature:
    """What the cached geo structures depend on; it changes whenever areas (or addresses) change.

    Besides the version counter it carries row counts, highest ids and a coordinate sum, so rows
    written without a version bump (or test data that reuses ids after a rollback) are noticed too.
    """
    version = GeoDataVersion.objects.filter(pk=_GEO_DATA_VERSION_ROW_ID).values_list("counter", "updated_at").first()
    areas = Area.objects.exclude(level=AreaLevel.DISTRICT).aggregate(
        count=Count("id"), highest=Max("id"), longitudes=Sum("centroid_longitude"), latitudes=Sum("max_latitude"))
    signature: tuple[object, ...] = (version, *areas.values())
    if include_addresses:
        addresses = Address.objects.aggregate(count=Count("id"), highest=Max("id"), longitudes=Sum("longitude"))
        signature += tuple(addresses.values())
    return signature


def geo_data_version_bump() -> int:
    """Move the version counter (inside the caller's transaction) and drop this process's caches.

    Call it from every service that writes areas, geometries or addresses.
    """
    with transaction.atomic():
        version, _created = GeoDataVersion.objects.select_for_update().get_or_create(pk=_GEO_DATA_VERSION_ROW_ID)
        version.counter += 1
        version.save(update_fields=["counter", "updated_at"])
    geo_caches_clear()
    return version.counter


def geo_caches_clear() -> None:
    for cache in _ALL_CACHES:
        cache.clear()


def _check_interval_seconds() -> float:
    default = 0.0 if getattr(settings, "TESTING", False) else 3.0
    return float(getattr(settings, "GEO_CACHE_CHECK_SECONDS", default))


class VersionedCache[CachedValue]:
    """One value built from the database, rebuilt when :func:`geo_data_signature` changes."""

    def __init__(self, build: Callable[[], CachedValue], *, depends_on_addresses: bool) -> None:
        self._build = build
        self._depends_on_addresses = depends_on_addresses
        self._lock = threading.Lock()
        self._value: CachedValue | None = None
        self._signature: DataSignature | None = None
        self._checked_at = 0.0
        _ALL_CACHES.append(self)

    def clear(self) -> None:
        with self._lock:
            self._value = None
            self._signature = None
            self._checked_at = 0.0

    def get(self) -> CachedValue:
        with self._lock:
            now = time.monotonic()
            if self._value is not None and now - self._checked_at < _check_interval_seconds():
                return self._value
            signature = geo_data_signature(include_addresses=self._depends_on_addresses)
            self._checked_at = now
            if self._value is None or signature != self._signature:
                self._value = self._build()
                self._signature = signature
            return self._value
