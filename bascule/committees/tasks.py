"""Background work of committees: the committee report, written for the user who asked (their perimeter)."""

from __future__ import annotations

import uuid
from typing import Any

from bascule.committees.models import Meeting
from bascule.committees.report import build_report, render_odt, render_pdf, report_filename
from bascule.core.models import TaskRun
from bascule.core.services import taskrun_attach_output
from bascule.core.taskruns import Progress, TaskRunError, register_handler

FORMATS = {"pdf": render_pdf, "odt": render_odt}


@register_handler("committees.report")
def write_report(run: TaskRun, progress: Progress) -> dict[str, Any]:
    try:
        meeting_id = uuid.UUID(str(run.params.get("meeting")))
    except ValueError as exc:
        raise TaskRunError("Réunion inconnue.") from exc
    meeting = (
        Meeting.objects.visible_to(run.owner)
        .select_related("programme__owner", "structure")
        .filter(pk=meeting_id)
        .first()
    )
    if meeting is None:
        raise TaskRunError("Cette réunion n'existe plus ou n'est plus dans votre périmètre.")
    fmt = run.params.get("format", "pdf")
    if fmt not in FORMATS:
        raise TaskRunError("Format de relevé inconnu.")
    progress(10, "Rassemblement des actions, des décisions et des réponses")
    report = build_report(user=run.owner, meeting=meeting)
    progress(50, f"Mise en page ({report.total} actions)")
    data = FORMATS[fmt](report)
    filename = report_filename(meeting, fmt)
    taskrun_attach_output(run, filename, data)
    return {"filename": filename, "actions": report.total, "late": len(report.late), "bytes": len(data)}
