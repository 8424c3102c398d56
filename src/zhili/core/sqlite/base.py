"""Django's SQLite backend, with writers queued on an operating-system lock instead of SQLite's busy wait.

Several gunicorn workers (and their threads) write to one SQLite file. SQLite lets one writer at a
time hold the database; the others wait in its busy handler, which *sleeps* between retries (up to
100 ms a time) even when the lock was freed a millisecond later — intake then loses throughput and
gets long latency tails. Here every transaction (BEGIN IMMEDIATE, settings ``transaction_mode``)
first takes an exclusive ``flock`` on a lock file beside the database: the kernel hands it to the
next waiter as soon as it is released, and a process that dies releases it. Waiting is bounded by
the same timeout as SQLite's own (``OPTIONS["timeout"]``). In-memory databases skip the lock.
"""

from __future__ import annotations

import fcntl
import os
import time
from typing import Any

from django.db import OperationalError
from django.db.backends.sqlite3 import base

_FIRST_PAUSE_SECONDS = 0.0002
_LONGEST_PAUSE_SECONDS = 0.005


class DatabaseWrapper(base.DatabaseWrapper):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._writer_lock_descriptor: int | None = None
        self._writer_lock_held = False

    def _writer_lock_path(self) -> str | None:
        name = str(self.settings_dict.get("NAME") or "")
        if not name or name == ":memory:" or name.startswith("file:") or "mode=memory" in name:
            return None
        return f"{name}.writers.lock"

    def _writer_lock_acquire(self) -> None:
        if self._writer_lock_held:
            return
        if self._writer_lock_descriptor is None:
            path = self._writer_lock_path()
            if path is None:
                return
            self._writer_lock_descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        timeout = float(self.settings_dict.get("OPTIONS", {}).get("timeout", 20))
        deadline = time.monotonic() + timeout
        pause = _FIRST_PAUSE_SECONDS
        while True:
            try:
                fcntl.flock(self._writer_lock_descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
                self._writer_lock_held = True
                return
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise OperationalError(
                        f"database is locked: another writer held it for more than {timeout:g} s") from None
                time.sleep(pause)
                pause = min(pause * 2, _LONGEST_PAUSE_SECONDS)

    def _writer_lock_release(self) -> None:
        if self._writer_lock_held and self._writer_lock_descriptor is not None:
            fcntl.flock(self._writer_lock_descriptor, fcntl.LOCK_UN)
        self._writer_lock_held = False

    def _start_transaction_under_autocommit(self) -> None:
        self._writer_lock_acquire()
        try:
            super()._start_transaction_under_autocommit()  # type: ignore[misc]  # not in the stubs
        except BaseException:
            self._writer_lock_release()
            raise

    def _commit(self) -> None:
        try:
            super()._commit()  # type: ignore[misc]
        finally:
            self._writer_lock_release()

    def _rollback(self) -> None:
        try:
            super()._rollback()  # type: ignore[misc]
        finally:
            self._writer_lock_release()

    def _close(self) -> None:
        try:
            super()._close()  # type: ignore[misc]
        finally:
            self._writer_lock_release()
            if self._writer_lock_descriptor is not None:
                os.close(self._writer_lock_descriptor)
                self._writer_lock_descriptor = None
