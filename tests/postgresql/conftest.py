"""One primary PostgreSQL server for the tests of this folder, archiving its WAL, with a PgBouncer in
front of it (transaction pooling). The database is migrated once, through PgBouncer with
``ZHILI_PG_PREPARED_STATEMENTS=0`` — a migration is the longest run of schema changes the application
makes, so it is also the first thing the PgBouncer test checks."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.postgresql.servers import (
    Pooler,
    Server,
    application_environment,
    free_port,
    primary_create,
    private_directory,
    zhili,
)


@dataclass
class Primary:
    server: Server
    archive: Path
    pooler: Pooler
    migration_transactions: int  # counted by PgBouncer while `zhili migrate` ran through it

    @property
    def url(self) -> str:
        return self.server.url("zhili")


def pooled_transactions(pooler: Pooler, database: str) -> int:
    return sum(int(row["total_xact_count"]) for row in pooler.show("STATS") if row["database"] == database)


@pytest.fixture(scope="session")
def primary() -> Iterator[Primary]:
    archive = private_directory("zhili-test-archive-")
    server = primary_create(archive=archive)
    pooler = Pooler(server=server, directory=private_directory("zhili-test-pgbouncer-"), port=free_port())
    try:
        server.query("CREATE DATABASE zhili")
        pooler.start()
        zhili(["migrate", "--no-input", "-v", "0"],
              application_environment(pooler.url("zhili"), ZHILI_PG_PREPARED_STATEMENTS="0"))
        yield Primary(server=server, archive=archive, pooler=pooler,
                      migration_transactions=pooled_transactions(pooler, "zhili"))
    finally:
        pooler.stop()
        shutil.rmtree(pooler.directory, ignore_errors=True)
        server.remove()
        shutil.rmtree(archive, ignore_errors=True)
