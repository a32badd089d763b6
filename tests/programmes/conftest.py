"""Programme tests see the referential and programme steering only (not what later modules add to the world)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import World, world_of
from tests.programmes.world import extend_world


@pytest.fixture
def world(db: Any, request: Any) -> World:
    return world_of(request, [extend_world])
