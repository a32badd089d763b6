"""What the core adds to the test world: a background run of Normandy's lead (task runs are scoped to their owner)."""

from __future__ import annotations

from typing import Any

from bascule.core.models import TaskRun

ORDER = 5


def extend_world(world: Any) -> None:
    world.taskrun_nor = TaskRun.objects.create(
        kind="import", label="Import de Normandie (monde de test)", owner=world.lead_nor
    )
