"""Background work that users follow on a result page: a registry of handlers run by the task worker.

A module registers a handler for a kind of run (`register_handler("import")`); the handler receives the TaskRun
and a `progress(percent, message)` callback, and returns the result to keep (JSON). Raising `TaskRunError` ends
the run in failure with a French message; any other exception too, with a generic message (and a log).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from django.utils import timezone

from bascule.core.imports import IMPORTERS
from bascule.core.models import TaskRun
from bascule.core.spreadsheets import SpreadsheetError

Progress = Callable[[int, str], None]
Handler = Callable[[TaskRun, Progress], dict[str, Any]]

HANDLERS: dict[str, Handler] = {}
# What a module does to its own object when a run of its kind was interrupted (its worker died) or restarted:
# e.g. the data takeover marks its run failed, then pending again.
ON_INTERRUPTED: dict[str, Callable[[TaskRun, str], None]] = {}
ON_RESTART: dict[str, Callable[[TaskRun], None]] = {}
# The worker process running the current task (set by core.worker): recorded on the run it starts.
CURRENT_WORKER: ContextVar[str] = ContextVar("bascule_current_worker", default="")

logger = logging.getLogger(__name__)


class TaskRunError(Exception):
    """A failure the user can understand and act on (the message is shown as is)."""


def register_handler(
    kind: str,
    *,
    on_interrupted: Callable[[TaskRun, str], None] | None = None,
    on_restart: Callable[[TaskRun], None] | None = None,
) -> Callable[[Handler], Handler]:
    def decorator(handler: Handler) -> Handler:
        HANDLERS[kind] = handler
        if on_interrupted is not None:
            ON_INTERRUPTED[kind] = on_interrupted
        if on_restart is not None:
            ON_RESTART[kind] = on_restart
        return handler

    return decorator


@register_handler("import")
def run_import(run: TaskRun, progress: Progress) -> dict[str, Any]:
    """Preview or apply a spreadsheet import (params: importer, mode) for the user who asked for it."""
    importer_cls = IMPORTERS.get(run.params.get("importer", ""))
    if importer_cls is None:
        raise TaskRunError("Type d'import inconnu.")
    importer = importer_cls.from_params(user=run.owner, params=run.params)
    progress(5, "Lecture du fichier")
    with run.input_file.open("rb") as handle:
        data = handle.read()
    try:
        # The name the user gave the file, never the stored path, in messages and for the format.
        filename = run.params.get("filename") or ""
        table = importer.read(data, filename)
        progress(30, f"{len(table.rows)} lignes lues ; vérification")
        if run.params.get("mode") == "apply":
            progress(50, "Écriture des lignes acceptées (en une seule transaction)")
            report = importer.apply(table)
        else:
            report = importer.preview(table)
    except SpreadsheetError as exc:
        shown = f"Fichier « {filename} » : " if filename and filename not in str(exc) else ""
        raise TaskRunError(f"{shown}{exc}") from exc
    return report.to_dict()


# The worker's side: executing a recorded run (core.tasks calls it; core.services records and queues runs).
def remove_upload(run: TaskRun) -> None:
    """Delete the run's uploaded file (and forget it: a later apply says the file is gone)."""
    if run.input_file.name:
        run.input_file.storage.delete(run.input_file.name)
        TaskRun.objects.filter(input_file=run.input_file.name).update(input_file="")
        run.input_file.name = ""


def update_run(run: TaskRun, **fields: Any) -> None:
    for name, value in fields.items():
        setattr(run, name, value)
    TaskRun.objects.filter(pk=run.pk).update(**fields)


def taskrun_execute(*, taskrun_id: str) -> None:
    """Run the handler of a pending run, recording progress, then the result or a French error."""
    run = TaskRun.objects.select_related("owner").get(pk=taskrun_id)
    if run.status != TaskRun.Status.PENDING:
        return  # already taken (a task may be delivered twice)
    update_run(
        run,
        status=TaskRun.Status.RUNNING,
        started_at=timezone.now(),
        progress=1,
        message="Démarrage",
        worker_id=CURRENT_WORKER.get(),
    )

    def progress(percent: int, message: str) -> None:
        update_run(run, progress=max(1, min(99, percent)), message=message[:255])

    try:
        if run.kind == "import" and not run.input_file.name:
            raise TaskRunError("Le fichier de cet aperçu n'est plus conservé : importez-le de nouveau.")
        result = HANDLERS[run.kind](run, progress)
    except TaskRunError as exc:
        update_run(
            run, status=TaskRun.Status.FAILED, error=str(exc)[:10_000], finished_at=timezone.now(), message=""
        )
        remove_upload(run)
        return
    except Exception:
        logger.exception("Task run %s (%s) failed", run.pk, run.kind)
        update_run(
            run,
            status=TaskRun.Status.FAILED,
            error="Une erreur inattendue a interrompu le traitement ; rien n'a été enregistré. "
            "L'équipe technique a été prévenue par le journal.",
            finished_at=timezone.now(),
            message="",
        )
        remove_upload(run)
        return
    update_run(
        run,
        status=TaskRun.Status.SUCCEEDED,
        result=result,
        progress=100,
        message="Terminé",
        finished_at=timezone.now(),
    )
    if run.params.get("mode") != "preview":  # a preview keeps its file for the apply that may follow
        remove_upload(run)
