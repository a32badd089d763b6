"""Account tests need no other module: their `world` is the base world (organisation only)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import World, world_of


@pytest.fixture
def world(db: Any, request: Any) -> World:
    return world_of(request, [])
