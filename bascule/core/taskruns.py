"""Background work that users follow on a result page: a registry of handlers run by the task worker.

A module registers a handler for a kind of run (`register_handler("import")`); the handler receives the TaskRun
and a `progress(percent, message)` callback, and returns the result to keep (JSON). Raising `TaskRunError` ends
the run in failure with a French message; any other exception too, with a generic message (and a log).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bascule.core.imports import IMPORTERS
from bascule.core.models import TaskRun
from bascule.core.spreadsheets import SpreadsheetError

Progress = Callable[[int, str], None]
Handler = Callable[[TaskRun, Progress], dict[str, Any]]

HANDLERS: dict[str, Handler] = {}


class TaskRunError(Exception):
    """A failure the user can understand and act on (the message is shown as is)."""


def register_handler(kind: str) -> Callable[[Handler], Handler]:
    def decorator(handler: Handler) -> Handler:
        HANDLERS[kind] = handler
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
