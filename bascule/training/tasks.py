"""Background work of training: planning (or re-planning) a region's sessions with the solver, with progress."""

from __future__ import annotations

import uuid
from typing import Any

from django.core.exceptions import ValidationError

from bascule.core.models import TaskRun
from bascule.core.taskruns import Progress, TaskRunError, register_handler
from bascule.training import services
from bascule.training.models import TrainingPlan


@register_handler("training.schedule")
def run_schedule(run: TaskRun, progress: Progress) -> dict[str, Any]:
    try:
        plan_id = uuid.UUID(str(run.params.get("plan")))
    except ValueError as exc:
        raise TaskRunError("Plan de formation inconnu.") from exc
    plan = (
        TrainingPlan.objects.visible_to(run.owner)
        .select_related("programme", "region", "wave")
        .filter(pk=plan_id)
        .first()
    )
    if plan is None:
        raise TaskRunError("Ce plan de formation n'existe plus ou n'est plus visible.")
    try:
        result = services.schedule(
            by=run.owner,
            plan=plan,
            seconds=float(run.params.get("seconds", 30)),
            keep_published=bool(run.params.get("keep_published", True)),
            progress=progress,
        )
    except ValidationError as exc:
        raise TaskRunError(" ".join(exc.messages)) from exc
    return {**result.stats, "unscheduled": len(result.unscheduled)}
