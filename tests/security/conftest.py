"""Fixtures of the security findings' tests: the authorization world (two streets, one user per role)."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.authorization.world import World, world_create


@pytest.fixture
def world(db: None) -> World:
    return world_create()


def client_for(world: World, role: str) -> Client:
    client = Client()
    client.force_login(world.users[role])
    return client
