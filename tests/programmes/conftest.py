"""Programme tests see the referential and programme steering only (not what later modules add to the world)."""

from __future__ import annotations

import pytest

from tests.conftest import World
from tests.programmes.world import extend_world


@pytest.fixture
def world(base_world: World) -> World:
    extend_world(base_world)
    return base_world
