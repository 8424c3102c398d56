"""SQLite writers queue on a kernel lock beside the database file (zhili.core.sqlite)."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest
from django.db import OperationalError

from zhili.core.sqlite.base import DatabaseWrapper


@pytest.fixture(autouse=True)
def _own_databases(django_db_blocker: Any) -> Any:
    """These tests open their own SQLite files, not the test database pytest-django guards."""
    with django_db_blocker.unblock():
        yield


def _wrapper(path: Path, alias: str) -> DatabaseWrapper:
    settings_dict: dict[str, Any] = {
        "ENGINE": "zhili.core.sqlite", "NAME": str(path), "USER": "", "PASSWORD": "", "HOST": "", "PORT": "",
        "OPTIONS": {"timeout": 0.3, "transaction_mode": "IMMEDIATE"}, "ATOMIC_REQUESTS": False,
        "AUTOCOMMIT": True, "CONN_MAX_AGE": 0, "CONN_HEALTH_CHECKS": False, "TIME_ZONE": None, "TEST": {},
    }
    return DatabaseWrapper(settings_dict, alias=alias)


def test_a_second_writer_waits_for_the_first_and_proceeds_when_it_commits(tmp_path: Path) -> None:
    database = tmp_path / "writers.sqlite3"
    first = _wrapper(database, "first")
    first.ensure_connection()
    first._start_transaction_under_autocommit()  # holds the writers' lock
    progress: list[str] = []

    def second_writer() -> None:
        second = _wrapper(database, "second")
        second.ensure_connection()
        second._start_transaction_under_autocommit()
        progress.append("began")
        second._commit()
        second.close()

    thread = threading.Thread(target=second_writer)
    thread.start()
    time.sleep(0.1)
    assert progress == []  # still waiting: the first writer holds the lock
    first._commit()
    thread.join(timeout=2)
    assert progress == ["began"]
    first.close()


def test_the_lock_is_released_by_rollback_and_close_and_waiting_is_bounded(tmp_path: Path) -> None:
    database = tmp_path / "writers.sqlite3"
    first, second = _wrapper(database, "first"), _wrapper(database, "second")
    first.ensure_connection()
    second.ensure_connection()
    first._start_transaction_under_autocommit()
    started = time.monotonic()
    with pytest.raises(OperationalError, match=r"another writer held it for more than 0\.3 s"):
        second._start_transaction_under_autocommit()
    assert 0.25 < time.monotonic() - started < 2
    first._rollback()
    second._start_transaction_under_autocommit()  # free again after the rollback
    second._commit()
    first._start_transaction_under_autocommit()
    first.close()  # closing a connection in a transaction frees the lock too
    second._start_transaction_under_autocommit()
    second._commit()
    second.close()
    assert (tmp_path / "writers.sqlite3.writers.lock").exists()
