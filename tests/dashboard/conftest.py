"""Dashboard tests see what the dashboard builds on: the referential, programmes, committees and indicators (a later
module — the data takeover moving its workstream — never changes these figures)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.committees.world import extend_world as extend_committees
from tests.conftest import World, world_of
from tests.indicators.world import extend_world as extend_indicators
from tests.programmes.world import extend_world as extend_programmes


@pytest.fixture
def world(db: Any, request: Any) -> World:
    return world_of(request, [extend_programmes, extend_committees, extend_indicators])
