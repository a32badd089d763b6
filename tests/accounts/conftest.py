"""Account tests need no other module: their `world` is the base world (organisation only)."""

from __future__ import annotations

import pytest

from tests.conftest import World


@pytest.fixture
def world(base_world: World) -> World:
    return base_world
