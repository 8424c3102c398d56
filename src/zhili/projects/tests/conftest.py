from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from zhili.core import clock
from zhili.projects.tests.factories import ProjectWorld, project_world_create

# 15 July 2025: June's reports are due; a working Tuesday
TODAY = dt.datetime(2025, 7, 15, 10, 0, tzinfo=clock.CHINA_TIME_ZONE)


@pytest.fixture
def frozen_today() -> Iterator[dt.datetime]:
    with clock.frozen(TODAY):
        yield TODAY


@pytest.fixture
def project_world(db: None, frozen_today: dt.datetime) -> ProjectWorld:
    return project_world_create()
