"""Data takeover tests see the referential, programmes (the workstream a run feeds) and the takeover."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import World, world_of
from tests.programmes.world import extend_world as extend_programmes
from tests.reprise.world import extend_world


@pytest.fixture
def world(db: Any, request: Any) -> World:
    return world_of(request, [extend_programmes, extend_world])
