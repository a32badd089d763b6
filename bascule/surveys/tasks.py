"""Background work of surveys: the PDF summary of a survey's results (rates, counts and charts per question, free
text and themes), within the perimeter of whoever asked for it."""

from __future__ import annotations

import uuid
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone

from bascule.core.models import TaskRun
from bascule.core.services import taskrun_attach_output
from bascule.core.taskruns import Progress, TaskRunError, register_handler
from bascule.surveys import selectors
from bascule.surveys.models import Survey


def render_summary(context: dict[str, Any]) -> bytes:
    from weasyprint import HTML  # imported here: Pango is loaded only by the processes that write documents

    return HTML(string=render_to_string("surveys/summary.html", context)).write_pdf()  # type: ignore[no-any-return]


@register_handler("surveys.summary")
def write_summary(run: TaskRun, progress: Progress) -> dict[str, Any]:
    try:
        survey_id = uuid.UUID(str(run.params.get("survey")))
    except ValueError as exc:
        raise TaskRunError("Enquête inconnue.") from exc
    survey = (
        Survey.objects.visible_to(run.owner)
        .select_related("questionnaire__programme", "root")
        .filter(pk=survey_id)
        .first()
    )
    if survey is None:
        raise TaskRunError("Cette enquête n'existe plus ou n'est plus visible.")
    progress(20, "Décompte des réponses")
    data = selectors.results(user=run.owner, survey=survey)
    progress(50, "Mise en page de la synthèse")
    pdf = render_summary({"survey": survey, **data, "generated_at": timezone.localtime()})
    filename = f"enquete-synthese-{timezone.localdate():%Y-%m-%d}.pdf"
    taskrun_attach_output(run, filename, pdf)
    return {"filename": filename, "bytes": len(pdf)}
