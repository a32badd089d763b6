"""Background work of training: planning (or re-planning) a region's sessions with the solver, with progress; a
session's attendance sheet (PDF)."""

from __future__ import annotations

import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.template.loader import render_to_string
from django.utils import timezone

from bascule.core.models import TaskRun
from bascule.core.services import taskrun_attach_output
from bascule.core.taskruns import Progress, TaskRunError, register_handler
from bascule.training import services
from bascule.training.models import Session, TrainingPlan


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


def render_sheet(context: dict[str, Any]) -> bytes:
    from weasyprint import HTML  # imported here: Pango is loaded only by the processes that write documents

    return HTML(string=render_to_string("training/attendance_sheet.html", context)).write_pdf()  # type: ignore[no-any-return]


@register_handler("training.attendance_sheet")
def write_sheet(run: TaskRun, progress: Progress) -> dict[str, Any]:
    """The attendance sheet of a session (PDF): trainees, structures, a box to sign per half-day."""
    try:
        session_id = uuid.UUID(str(run.params.get("session")))
    except ValueError as exc:
        raise TaskRunError("Session inconnue.") from exc
    session: Session | None = (
        Session.objects.visible_to(run.owner)  # type: ignore[assignment]
        .select_related("plan__region", "course", "room", "trainer__person")
        .filter(pk=session_id)
        .first()
    )
    if session is None:
        raise TaskRunError("Cette session n'existe plus ou n'est plus visible.")
    progress(40, "Mise en page de la feuille de présence")
    seats = list(session.seats.select_related("trainee__structure").order_by("trainee__name"))
    data = render_sheet(
        {
            "session": session,
            "seats": seats,
            "half_days": session.half_days,
            "generated_at": timezone.localtime(),
        }
    )
    filename = f"presence-{session.course.code}-{session.starts_on:%Y-%m-%d}-{session.room.code}.pdf"
    taskrun_attach_output(run, filename, data)
    return {"filename": filename, "bytes": len(data)}
