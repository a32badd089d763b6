"""Background work of sizing: the PDF annex (national table), written for its reader as every document is."""

from __future__ import annotations

import uuid
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone

from bascule.core.models import TaskRun
from bascule.core.services import taskrun_attach_output
from bascule.core.taskruns import Progress, TaskRunError, register_handler
from bascule.sizing import selectors
from bascule.sizing.models import Sizing


def render_annex(context: dict[str, Any]) -> bytes:
    from weasyprint import HTML  # imported here: Pango is loaded only by the processes that write documents

    return HTML(string=render_to_string("sizing/annex.html", context)).write_pdf()  # type: ignore[no-any-return]


@register_handler("sizing.annex")
def write_annex(run: TaskRun, progress: Progress) -> dict[str, Any]:
    try:
        sizing_id = uuid.UUID(str(run.params.get("sizing")))
    except ValueError as exc:
        raise TaskRunError("Dimensionnement inconnu.") from exc
    sizing = (
        Sizing.objects.visible_to(run.owner)
        .select_related("programme", "ministry_a", "ministry_b")
        .filter(pk=sizing_id)
        .first()
    )
    if sizing is None:
        raise TaskRunError("Ce dimensionnement n'existe plus ou n'est plus visible.")
    progress(20, "Calcul des effectifs")
    table = selectors.sizing_table(user=run.owner, sizing=sizing)
    progress(50, "Mise en page de l'annexe")
    data = render_annex({"table": table, "sizing": sizing, "generated_at": timezone.localtime()})
    filename = f"dimensionnement-{sizing.programme.code}-{timezone.localdate():%Y-%m-%d}.pdf"
    taskrun_attach_output(run, filename, data)
    return {"filename": filename, "bytes": len(data)}
