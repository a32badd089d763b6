"""Background work that users follow on a result page: a registry of handlers run by the task worker.

A module registers a handler for a kind of run (`register_handler("import")`); the handler receives the TaskRun
and a `progress(percent, message)` callback, and returns the result to keep (JSON). Raising `TaskRunError` ends
the run in failure with a French message; any other exception too, with a generic message (and a log).
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

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
