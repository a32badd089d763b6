"""Writes of the shared core: task runs."""

from __future__ import annotations

import logging
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from bascule.core.models import TaskRun
from bascule.core.taskruns import HANDLERS, TaskRunError

logger = logging.getLogger(__name__)


def taskrun_start(
    *,
    kind: str,
    label: str,
    owner: Any,
    params: dict[str, Any] | None = None,
    input_file: UploadedFile | None = None,
    source: TaskRun | None = None,
) -> TaskRun:
    """Record a run and queue it for the worker once the transaction commits.

    `source` reuses the input file of an earlier run (an import applied after its preview).
    """
    from bascule.core.tasks import execute_taskrun

    if kind not in HANDLERS:
        raise ValueError(f"Unknown task run kind: {kind}")
    run = TaskRun(kind=kind, label=label, owner=owner, params=params or {})
    if input_file is not None:
        run.input_file.save(input_file.name or "fichier", input_file, save=False)
    elif source is not None:
        run.input_file.name = source.input_file.name
    run.save()
    transaction.on_commit(lambda: execute_taskrun.enqueue(str(run.pk)))
    return run


def _update(run: TaskRun, **fields: Any) -> None:
    for name, value in fields.items():
        setattr(run, name, value)
    TaskRun.objects.filter(pk=run.pk).update(**fields)


def taskrun_execute(*, taskrun_id: str) -> None:
    """Run the handler of a pending run, recording progress, then the result or a French error."""
    run = TaskRun.objects.select_related("owner").get(pk=taskrun_id)
    if run.status != TaskRun.Status.PENDING:
        return  # already taken (a task may be delivered twice)
    _update(run, status=TaskRun.Status.RUNNING, started_at=timezone.now(), progress=1, message="Démarrage")

    def progress(percent: int, message: str) -> None:
        _update(run, progress=max(1, min(99, percent)), message=message[:255])

    try:
        result = HANDLERS[run.kind](run, progress)
    except TaskRunError as exc:
        _update(run, status=TaskRun.Status.FAILED, error=str(exc), finished_at=timezone.now(), message="")
        return
    except Exception:
        logger.exception("Task run %s (%s) failed", run.pk, run.kind)
        _update(
            run,
            status=TaskRun.Status.FAILED,
            error="Une erreur inattendue a interrompu le traitement ; rien n'a été enregistré. "
            "L'équipe technique a été prévenue par le journal.",
            finished_at=timezone.now(),
            message="",
        )
        return
    _update(
        run,
        status=TaskRun.Status.SUCCEEDED,
        result=result,
        progress=100,
        message="Terminé",
        finished_at=timezone.now(),
    )
