"""Training tests see the referential, programmes and training."""

from __future__ import annotations

import pytest

from tests.conftest import World
from tests.programmes.world import extend_world as extend_programmes
from tests.training.world import extend_world


@pytest.fixture
def world(base_world: World) -> World:
    extend_programmes(base_world)
    extend_world(base_world)
    return base_world
