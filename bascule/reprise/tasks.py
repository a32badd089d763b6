"""Background work of the data takeover: executing a run (thin: the service does the work)."""

from __future__ import annotations

import uuid
from typing import Any

from bascule.core.models import TaskRun
from bascule.core.taskruns import Progress, TaskRunError, register_handler
from bascule.reprise import services
from bascule.reprise.engine import EngineError
from bascule.reprise.models import TakeoverRun


def _takeover_id(run: TaskRun) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(run.params.get("run")))
    except ValueError:
        return None


def _interrupted(run: TaskRun, reason: str) -> None:
    if (takeover_id := _takeover_id(run)) is not None:
        services.run_interrupted(run_id=takeover_id, reason=reason)


def _restarted(run: TaskRun) -> None:
    if (takeover_id := _takeover_id(run)) is not None:
        services.run_requeue(run_id=takeover_id)


@register_handler("reprise.run", on_interrupted=_interrupted, on_restart=_restarted)
def execute_run(run: TaskRun, progress: Progress) -> dict[str, Any]:
    try:
        run_id = uuid.UUID(str(run.params.get("run")))
    except ValueError as exc:
        raise TaskRunError("Exécution de reprise inconnue.") from exc
    takeover = (
        TakeoverRun.objects.visible_to(run.owner)
        .select_related("structure", "header_mapping")
        .filter(pk=run_id)
        .first()
    )
    if takeover is None:
        raise TaskRunError("Cette exécution de reprise n'existe plus ou n'est plus visible.")
    try:
        services.run_execute(run=takeover, progress=progress)
    except EngineError as exc:
        raise TaskRunError(str(exc)) from exc
    return {"run": str(takeover.pk), "no_loss": takeover.summary.get("no_loss")}
