"""Point-in-time recovery as docs/operations.md describes it: a base backup and the archived WAL give
back the database exactly as it was at a recorded time, on another server, with its audit chain intact."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.postgresql.conftest import Primary
from tests.postgresql.servers import (
    ARCHIVE_IN_DEPLOY,
    Server,
    application,
    application_environment,
    base_backup,
    deploy_file,
    free_port,
    server_file_append,
    server_file_write,
    zhili,
)

pytestmark = pytest.mark.postgresql_servers


@pytest.fixture
def restored_servers() -> Iterator[list[Server]]:
    servers: list[Server] = []
    yield servers
    for server in servers:
        server.remove()


def test_restore_to_a_recorded_time_gives_exactly_the_cases_before_it(
        primary: Primary, restored_servers: list[Server]) -> None:
    backup = base_backup(primary.server, standby=False)
    written: Any = application("recovery_writes", application_environment(primary.url))
    assert set(written["written_before"]) <= set(written["numbers_at_target"])
    assert not set(written["written_after"]) & set(written["numbers_at_target"])
    segment = written["last_segment"]  # a WAL file name the server gave
    primary.server.wait_until(f"SELECT last_archived_wal >= '{segment}' FROM pg_stat_archiver", "t")  # noqa: S608

    # the restore procedure of docs/operations.md ("Point-in-time recovery"), steps 3-5
    server_file_append(backup / "postgresql.auto.conf", deploy_file("recovery.conf", {
        ARCHIVE_IN_DEPLOY: str(primary.archive), "2026-12-04 10:15:00+08": written["target_time"]}))
    server_file_write(backup / "recovery.signal", "")
    # the restored copy must not archive into the primary's archive (step 6 of the procedure)
    restored = Server(data=backup, port=free_port(), settings={"archive_mode": "off"})
    restored_servers.append(restored)
    restored.start()
    restored.wait_until("SELECT pg_is_in_recovery()", "f")

    numbers = restored.query("SELECT number FROM cases_case ORDER BY number", database="zhili").split()
    assert numbers == written["numbers_at_target"]
    assert set(written["written_before"]) <= set(numbers)  # replayed from the archive, after the base backup
    assert not set(written["written_after"]) & set(numbers)
    primary_numbers = primary.server.query("SELECT number FROM cases_case", database="zhili").split()
    assert set(written["written_after"]) <= set(primary_numbers)

    verified = json.loads(zhili(["audit_verify"], application_environment(restored.url("zhili"))).splitlines()[-1])
    assert verified["intact"] is True
    assert verified["checked"] + verified["pending"] > 0
