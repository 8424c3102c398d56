from __future__ import annotations

import pytest

from zhili.cases.tests.factories import People, World, people_create, world_create


@pytest.fixture
def world(db: None) -> World:
    return world_create()


@pytest.fixture
def people(world: World) -> People:
    return people_create(world)
