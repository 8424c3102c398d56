"""One primary PostgreSQL server for the tests of this folder (migrated once), archiving its WAL."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.postgresql.servers import Server, application_environment, primary_create, private_directory, zhili


@dataclass
class Primary:
    server: Server
    archive: Path

    @property
    def url(self) -> str:
        return self.server.url("zhili")


@pytest.fixture(scope="session")
def primary() -> Iterator[Primary]:
    archive = private_directory("zhili-test-archive-")
    server = primary_create(archive=archive)
    try:
        server.query("CREATE DATABASE zhili")
        zhili(["migrate", "--no-input", "-v", "0"], application_environment(server.url("zhili")))
        yield Primary(server=server, archive=archive)
    finally:
        server.remove()
        shutil.rmtree(archive, ignore_errors=True)
