"""The one-page « fiche chantier » of a workstream instance (PDF): state, milestones and deliverables, actions,
latest changes — written in the background for the reader, as the committee report is."""

from __future__ import annotations

import uuid
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone

from bascule.core.history import history_entries
from bascule.core.models import TaskRun
from bascule.core.services import taskrun_attach_output
from bascule.core.system import Actor
from bascule.core.taskruns import Progress, TaskRunError, register_handler
from bascule.programmes.models import Workstream


def sheet_context(*, user: Actor, workstream: Workstream) -> dict[str, Any]:
    today = timezone.localdate()
    actions = list(workstream.actions.visible_to(user).select_related("structure").order_by("code"))  # type: ignore[attr-defined]
    return {
        "workstream": workstream,
        "items": list(workstream.items.prefetch_related("versions").order_by("due_date", "name")),
        "actions": [{"action": a, "late": a.is_late_on(today)} for a in actions],
        "history": history_entries(workstream, limit=6)[:6],
        "generated_at": timezone.localtime(),
    }


def render_sheet(context: dict[str, Any]) -> bytes:
    from weasyprint import HTML  # imported here: Pango is loaded only by the processes that write documents

    return HTML(string=render_to_string("programmes/sheet.html", context)).write_pdf()  # type: ignore[no-any-return]


@register_handler("programmes.workstream_sheet")
def write_sheet(run: TaskRun, progress: Progress) -> dict[str, Any]:
    try:
        workstream_id = uuid.UUID(str(run.params.get("workstream")))
    except ValueError as exc:
        raise TaskRunError("Chantier inconnu.") from exc
    workstream = (
        Workstream.objects.visible_to(run.owner)
        .select_related("template__programme", "structure", "pilot")
        .filter(pk=workstream_id)
        .first()
    )
    if workstream is None:
        raise TaskRunError("Ce chantier n'existe plus ou n'est plus dans votre périmètre.")
    progress(20, "Mise en page de la fiche")
    data = render_sheet(sheet_context(user=run.owner, workstream=workstream))
    filename = f"fiche-chantier-{workstream.template.number}-{workstream.structure.code}.pdf".replace(
        "/", "-"
    )
    taskrun_attach_output(run, filename, data)
    return {"filename": filename, "bytes": len(data)}
