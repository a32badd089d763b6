"""Dashboard tests see what the dashboard builds on: the referential, programmes, committees and indicators (a later
module — the data takeover moving its workstream — never changes these figures)."""

from __future__ import annotations

import pytest

from tests.committees.world import extend_world as extend_committees
from tests.conftest import World
from tests.indicators.world import extend_world as extend_indicators
from tests.programmes.world import extend_world as extend_programmes


@pytest.fixture
def world(base_world: World) -> World:
    extend_programmes(base_world)
    extend_committees(base_world)
    extend_indicators(base_world)
    return base_world
