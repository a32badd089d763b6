"""Data takeover tests see the referential, programmes (the workstream a run feeds) and the takeover."""

from __future__ import annotations

import pytest

from tests.conftest import World
from tests.programmes.world import extend_world as extend_programmes
from tests.reprise.world import extend_world


@pytest.fixture
def world(base_world: World) -> World:
    extend_programmes(base_world)
    extend_world(base_world)
    return base_world
