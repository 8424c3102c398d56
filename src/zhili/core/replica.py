"""Reads on a streaming replica: which queries go there, and when they come back to the primary.

A second database alias, ``replica`` (settings ``DATABASE_REPLICA_URL``), serves the heavy reads that
may be a few seconds old: dashboards, leader pages, KPIs, exports, hot issues and reports. Code asks for
it by running its reads inside :func:`replica_reads` (a view: :func:`replica_read_view`); everything
else reads and writes the primary, as does, even inside :func:`replica_reads`,

- every write, and every read inside a transaction (``atomic``), so a service reads what it writes;
- the reads of a user who changed something in the last ``ZHILI_REPLICA_STICKY_SECONDS`` (a signed
  cookie set by :class:`PrimaryAfterWriteMiddleware` after a POST/PUT/PATCH/DELETE), so a person
  always sees what they just did;
- all reads while the replica does not answer or its replay is more than
  ``ZHILI_REPLICA_MAX_LAG_SECONDS`` behind; ``/readyz`` then says so (a warning: the server still
  serves, from the primary).

Each process looks at the replica at most once every ``ZHILI_REPLICA_CHECK_SECONDS``.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, OperationalError, connections
from django.db.models import Model
from django.http import HttpRequest, HttpResponseBase

logger = logging.getLogger(__name__)

REPLICA_ALIAS = "replica"
PRIMARY_ALIAS = DEFAULT_DB_ALIAS
STICKY_COOKIE = "zhili_primary"
_STICKY_SALT = "zhili.core.replica.sticky"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})

# Replay delay on a PostgreSQL standby: none when it has replayed all it received and still receives;
# otherwise the age of the last transaction it replayed (a standby cut off from its primary ages).
_LAG_SQL = """
SELECT pg_is_in_recovery(),
       CASE WHEN NOT pg_is_in_recovery() THEN 0
            WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn()
                 AND EXISTS (SELECT 1 FROM pg_stat_wal_receiver WHERE status = 'streaming') THEN 0
            ELSE COALESCE(EXTRACT(EPOCH FROM clock_timestamp() - pg_last_xact_replay_timestamp()), 0)
       END
"""

_replica_reads_wanted: contextvars.ContextVar[bool] = contextvars.ContextVar("zhili_replica_reads", default=False)
_primary_pinned: contextvars.ContextVar[bool] = contextvars.ContextVar("zhili_primary_pinned", default=False)


def replica_configured() -> bool:
    """Whether this installation has a replica alias (``DATABASE_REPLICA_URL`` set)."""
    return REPLICA_ALIAS in settings.DATABASES


@contextlib.contextmanager
def replica_reads() -> Iterator[None]:
    """Reads inside go to the replica when it may serve them (see the module docstring)."""
    token = _replica_reads_wanted.set(True)
    try:
        yield
    finally:
        _replica_reads_wanted.reset(token)


@contextlib.contextmanager
def primary_pinned() -> Iterator[None]:
    """Every read inside goes to the primary, even inside :func:`replica_reads`."""
    token = _primary_pinned.set(True)
    try:
        yield
    finally:
        _primary_pinned.reset(token)


def replica_read_view[**Parameters, Result](view: Callable[Parameters, Result]) -> Callable[Parameters, Result]:
    """A page whose GET/HEAD reads may come from the replica; its other methods stay on the primary.

    A page that fails with a database error while reading the replica (it died since the last check,
    or cancelled a query that conflicted with its replay) is rendered once more from the primary — a
    GET changes nothing, so running it twice is safe — and the replica is looked at again at once."""

    @functools.wraps(view)
    def wrapped(*args: Parameters.args, **kwargs: Parameters.kwargs) -> Result:
        request = args[0]
        if not isinstance(request, HttpRequest) or request.method not in {"GET", "HEAD"}:
            return view(*args, **kwargs)
        try:
            with replica_reads():
                return view(*args, **kwargs)
        except OperationalError as error:
            if not replica_configured():
                raise
            logger.warning("a page failed while reading the replica, rendered again from the primary: %s", error)
            replica_health(fresh=True)
        with primary_pinned():
            return view(*args, **kwargs)  # a failing primary fails here as it would have without a replica

    return wrapped


# -- health -----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ReplicaHealth:
    """What this process last saw of the replica. ``usable``: reads may go there."""

    usable: bool
    lag_seconds: float | None
    in_recovery: bool | None
    problem: str
    checked_at: float

    def as_check(self) -> dict[str, Any]:
        """The ``replica`` entry of ``/readyz``."""
        result: dict[str, Any] = {"status": "ok" if self.usable else "warning",
                                  "lag_seconds": None if self.lag_seconds is None else round(self.lag_seconds, 3),
                                  "max_lag_seconds": settings.ZHILI_REPLICA_MAX_LAG_SECONDS,
                                  "in_recovery": self.in_recovery}
        if self.problem:
            result["message"] = self.problem
        return result


_health_lock = threading.Lock()
_health_last: ReplicaHealth | None = None


def replica_lag_measure() -> tuple[bool, float]:
    """(in recovery, replay lag in seconds) as the replica reports them; :class:`DatabaseError` when it
    does not answer. A replica that is not PostgreSQL (unit tests) answers (False, 0)."""
    connection = connections[REPLICA_ALIAS]
    try:
        with connection.cursor() as cursor:
            if connection.vendor != "postgresql":
                cursor.execute("SELECT 1")
                return False, 0.0
            cursor.execute(_LAG_SQL)
            in_recovery, lag = cursor.fetchone()
    except DatabaseError:
        with contextlib.suppress(DatabaseError):
            connection.close()  # the next look opens a fresh connection
        raise
    return bool(in_recovery), float(lag)


def _health_measure() -> ReplicaHealth:
    checked_at = time.monotonic()
    try:
        in_recovery, lag = replica_lag_measure()
    except DatabaseError as error:
        logger.warning("read replica does not answer, reads go to the primary: %s", error)
        return ReplicaHealth(
            usable=False, lag_seconds=None, in_recovery=None, checked_at=checked_at,
            problem=f"只读副本连接失败 ({type(error).__name__})，读取已改由主库承担；请检查 DATABASE_REPLICA_URL "
                    f"和副本服务 / the read replica does not answer: reads go to the primary")
    limit = settings.ZHILI_REPLICA_MAX_LAG_SECONDS
    if lag > limit:
        logger.warning("read replica lags %.1f s (limit %s s), reads go to the primary", lag, limit)
        return ReplicaHealth(
            usable=False, lag_seconds=lag, in_recovery=in_recovery, checked_at=checked_at,
            problem=f"只读副本落后主库 {lag:.1f} 秒（上限 ZHILI_REPLICA_MAX_LAG_SECONDS={limit}），读取已改由主库"
                    f"承担；请检查复制 / the read replica lags {lag:.1f} s (limit {limit} s): reads go to the primary")
    return ReplicaHealth(usable=True, lag_seconds=lag, in_recovery=in_recovery, problem="", checked_at=checked_at)


def replica_health(*, fresh: bool = False) -> ReplicaHealth:
    """The replica's state, looked at again when the last look is older than ``ZHILI_REPLICA_CHECK_SECONDS``
    (or ``fresh``). Only call it when :func:`replica_configured`."""
    global _health_last
    last = _health_last
    if (not fresh and last is not None
            and time.monotonic() - last.checked_at < settings.ZHILI_REPLICA_CHECK_SECONDS):
        return last
    with _health_lock:
        health = _health_measure()
        _health_last = health
    return health


def replica_health_forget() -> None:
    """The next read looks at the replica again (tests, and after a failover)."""
    global _health_last
    _health_last = None


# -- routing ----------------------------------------------------------------------------------------

def read_alias() -> str:
    """Where a read issued now goes."""
    if (not _replica_reads_wanted.get() or _primary_pinned.get() or not replica_configured()
            or connections[PRIMARY_ALIAS].in_atomic_block):
        return PRIMARY_ALIAS
    return REPLICA_ALIAS if replica_health().usable else PRIMARY_ALIAS


class ReplicaRouter:
    """Django database router (settings ``DATABASE_ROUTERS`` when a replica is configured)."""

    def db_for_read(self, model: type[Model], **hints: Any) -> str:
        # never None: Django would then read related rows where the instance came from, even in a write
        return read_alias()

    def db_for_write(self, model: type[Model], **hints: Any) -> str:
        return PRIMARY_ALIAS

    def allow_relation(self, first: Model, second: Model, **hints: Any) -> bool:
        return True  # the replica holds the primary's rows: the same rows, wherever they were read

    def allow_migrate(self, database: str, app_label: str, **hints: Any) -> bool:
        return database != REPLICA_ALIAS  # a standby is read-only; it receives the primary's schema


class PrimaryAfterWriteMiddleware:
    """After a POST/PUT/PATCH/DELETE the same browser reads from the primary for
    ``ZHILI_REPLICA_STICKY_SECONDS`` (a signed, time-stamped cookie); the request itself does too."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if not replica_configured():
            return self.get_response(request)
        changing = request.method not in _SAFE_METHODS
        if changing or self._recently_changed(request):
            with primary_pinned():
                response = self.get_response(request)
        else:
            response = self.get_response(request)
        if changing:
            seconds = settings.ZHILI_REPLICA_STICKY_SECONDS
            response.set_signed_cookie(STICKY_COOKIE, "1", salt=_STICKY_SALT, max_age=seconds, httponly=True,
                                       secure=settings.SESSION_COOKIE_SECURE, samesite="Lax")
        return response

    @staticmethod
    def _recently_changed(request: HttpRequest) -> bool:
        value = request.get_signed_cookie(STICKY_COOKIE, default=None, salt=_STICKY_SALT,
                                          max_age=settings.ZHILI_REPLICA_STICKY_SECONDS)
        return value == "1"
