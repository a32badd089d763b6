"""Writes of the shared core: task runs."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from bascule.core.models import TaskRun, WorkerHeartbeat
from bascule.core.taskruns import (
    HANDLERS,
    ON_INTERRUPTED,
    ON_RESTART,
    remove_upload,
    taskrun_execute,
)

__all__ = ["taskrun_execute"]  # the worker's side lives in core.taskruns; importable here as before

logger = logging.getLogger(__name__)


def taskrun_start(
    *,
    kind: str,
    label: str,
    owner: Any,
    params: dict[str, Any] | None = None,
    input_file: UploadedFile[Any] | None = None,
    source: TaskRun | None = None,
) -> TaskRun:
    """Record a run and queue it for the worker once the transaction commits.

    `source` reuses the input file of an earlier run (an import applied after its preview).
    """
    from bascule.core.tasks import execute_taskrun

    if kind not in HANDLERS:
        raise ValueError(f"Unknown task run kind: {kind}")
    taskrun_purge_uploads()
    run = TaskRun(kind=kind, label=label[:255], owner=owner, params=dict(params or {}))
    if input_file is not None:
        run.params["filename"] = (input_file.name or "fichier")[:255]
        run.input_file.save(input_file.name or "fichier", input_file, save=False)
    elif source is not None:
        run.input_file.name = source.input_file.name
        run.params.setdefault("filename", source.params.get("filename", ""))
    run.save()
    transaction.on_commit(lambda: execute_taskrun.enqueue(str(run.pk)))
    return run


# A preview keeps its file for the "apply" that may follow; an unapplied preview's file goes after this delay.
PREVIEW_UPLOAD_KEPT = timedelta(hours=24)


def taskrun_purge_uploads() -> int:
    """Remove the files of finished previews never applied within PREVIEW_UPLOAD_KEPT; the number removed."""
    stale = TaskRun.objects.filter(
        finished_at__lt=timezone.now() - PREVIEW_UPLOAD_KEPT, params__mode="preview"
    ).exclude(input_file="")
    removed = 0
    for run in stale:
        remove_upload(run)
        removed += 1
    return removed


def taskrun_attach_output(run: TaskRun, filename: str, data: bytes) -> None:
    """Keep the document a run produced (a report…), downloadable by whoever may see the run."""
    run.output_file.save(filename, ContentFile(data), save=False)
    TaskRun.objects.filter(pk=run.pk).update(output_file=run.output_file.name)
    run.params["output_filename"] = filename
    TaskRun.objects.filter(pk=run.pk).update(params=run.params)


INTERRUPTED = (
    "Le traitement a été interrompu le {moment} : le processus qui l'exécutait s'est arrêté pendant l'étape "
    "« {step} » (redémarrage du serveur, mémoire épuisée…). Rien n'a été enregistré ; vous pouvez le relancer."
)


def interrupted_runs(*, now: Any = None) -> Any:
    """Runs « en cours » whose worker has shown no sign of life for BASCULE_WORKER_STALE_SECONDS: it died."""
    from django.conf import settings

    limit = (now or timezone.now()) - timedelta(seconds=settings.BASCULE_WORKER_STALE_SECONDS)
    alive = WorkerHeartbeat.objects.filter(last_seen__gte=limit).values("worker_id")
    return (
        TaskRun.objects.filter(status=TaskRun.Status.RUNNING)
        .exclude(worker_id="")
        .exclude(worker_id__in=alive)
    )


def taskrun_reap(*, now: Any = None) -> int:
    """Fail the runs whose worker died, with a French reason; each module's hook fails its own object too.

    The input file is kept: an interrupted run can be restarted (`taskrun_restart`). Returns how many were failed.
    """
    moment = now or timezone.now()
    failed = 0
    for run in interrupted_runs(now=moment).select_related("owner"):
        reason = INTERRUPTED.format(
            moment=timezone.localtime(moment).strftime("%d/%m/%Y à %H:%M"), step=run.message or "Démarrage"
        )
        with transaction.atomic():
            claimed = TaskRun.objects.filter(pk=run.pk, status=TaskRun.Status.RUNNING).update(
                status=TaskRun.Status.FAILED,
                error=reason,
                finished_at=moment,
                message="",
                params={**run.params, "interrupted": True},
            )
            if not claimed:
                continue  # finished meanwhile, or reaped by another worker
            run.refresh_from_db()
            hook = ON_INTERRUPTED.get(run.kind)
            if hook is not None:
                hook(run, reason)
        logger.warning("Task run %s (%s) interrupted: its worker %s stopped", run.pk, run.kind, run.worker_id)
        failed += 1
    return failed


def taskrun_restart(*, by: Any, run: TaskRun) -> TaskRun:
    """Run again, once, a run that was interrupted (same kind, parameters and file), for whoever started it."""
    from bascule.core.access import require_ability

    require_ability(
        run, by, "restart", "Seul un traitement interrompu se relance, une fois, par qui l'a lancé."
    )
    with transaction.atomic():
        current = TaskRun.objects.select_for_update().get(pk=run.pk)
        require_ability(current, by, "restart", "Ce traitement a déjà été relancé.")
        params = {k: v for k, v in current.params.items() if k not in ("interrupted", "restarted_as")}
        again = taskrun_start(
            kind=current.kind,
            label=current.label,
            owner=current.owner,
            params={**params, "restart_of": str(current.pk)},
            source=current,
        )
        TaskRun.objects.filter(pk=current.pk).update(params={**current.params, "restarted_as": str(again.pk)})
        hook = ON_RESTART.get(current.kind)
        if hook is not None:
            hook(again)
    return again
