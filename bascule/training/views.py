"""Pages of training: thin, every write through the services, every figure from the selectors."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from bascule.core.access import get_visible_or_404, read_only_post, require_ability
from bascule.core.history import history_entries
from bascule.core.services import taskrun_start
from bascule.training import selectors, services
from bascule.training.forms import TraineeImportForm
from bascule.training.importers import TraineeImporter
from bascule.training.models import Session, TrainingPlan

_PLANS = TrainingPlan.objects.select_related("programme__owner", "region", "wave")


@require_GET
def plan_list(request: HttpRequest) -> HttpResponse:
    return render(request, "training/plan_list.html", {"plans": list(selectors.plan_list(user=request.user))})


@require_GET
def plan_detail(request: HttpRequest, trainingplan_id: str) -> HttpResponse:
    plan = get_visible_or_404(_PLANS, request.user, pk=trainingplan_id)
    return render(
        request,
        "training/plan_detail.html",
        {"plan": plan, **selectors.plan_page(plan=plan), "history": history_entries(plan, limit=10)},
    )


@require_POST
def plan_schedule(request: HttpRequest, trainingplan_id: str) -> HttpResponse:
    """Plan (or re-plan) in the background; published sessions are kept unless « tout replanifier » is ticked."""
    plan = get_visible_or_404(_PLANS, request.user, pk=trainingplan_id)
    require_ability(plan, request.user, "schedule", services.REGION_ONLY)
    run = taskrun_start(
        kind="training.schedule",
        label=f"Planning des formations — {plan.region.name} — {plan.wave.name}"[:255],
        owner=request.user,
        params={"plan": str(plan.pk), "seconds": 30, "keep_published": request.POST.get("tout") != "on"},
    )
    return redirect("core:taskrun_detail", taskrun_id=run.pk)


def plan_import(request: HttpRequest, trainingplan_id: str) -> HttpResponse:
    """Extra trainees from a spreadsheet: preview in the background, then apply (atomic)."""
    plan = get_visible_or_404(_PLANS, request.user, pk=trainingplan_id)
    require_ability(plan, request.user, "change", services.REGION_ONLY)
    form = TraineeImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        run = taskrun_start(
            kind="import",
            label=f"Aperçu de l'import des stagiaires — {plan.region.name} — {upload.name}"[:255],
            owner=request.user,
            input_file=upload,
            params={"importer": TraineeImporter.name, "mode": "preview", "plan": str(plan.pk)},
        )
        return redirect("core:taskrun_detail", taskrun_id=run.pk)
    return render(
        request, "training/import.html", {"form": form, "plan": plan, "columns": TraineeImporter.columns}
    )


@require_POST
def plan_publish(request: HttpRequest, trainingplan_id: str) -> HttpResponse:
    plan = get_visible_or_404(_PLANS, request.user, pk=trainingplan_id)
    require_ability(plan, request.user, "schedule", services.REGION_ONLY)
    count = services.publish(by=request.user, plan=plan)
    messages.success(
        request, f"{count} session(s) publiée(s) : les invitations partent aux stagiaires et formateurs."
    )
    return redirect("training:plan_detail", trainingplan_id=plan.pk)


@read_only_post
@require_POST
def session_sheet(request: HttpRequest, session_id: str) -> HttpResponse:
    """Start the attendance sheet (PDF) in the background; its page offers the download."""
    session = get_visible_or_404(
        Session.objects.select_related("course", "room"), request.user, pk=session_id
    )
    run = taskrun_start(
        kind="training.attendance_sheet",
        label=f"Feuille de présence — {session}"[:255],
        owner=request.user,
        params={"session": str(session.pk)},
    )
    return redirect("core:taskrun_detail", taskrun_id=run.pk)


def session_detail(request: HttpRequest, session_id: str) -> HttpResponse:
    """A session, its trainees, and the attendance record (absentees go back into the census)."""
    session = get_visible_or_404(
        Session.objects.select_related(
            "plan__region", "plan__programme", "course", "room", "trainer__person"
        ),
        request.user,
        pk=session_id,
    )
    if request.method == "POST":
        require_ability(session, request.user, "change", services.REGION_ONLY)
        try:
            here, absent = services.attendance_record(
                by=request.user, session=session, present=request.POST.getlist("present")
            )
            messages.success(
                request, f"Présence enregistrée : {here} présent(s), {absent} absent(s) à replanifier."
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        return redirect("training:session_detail", session_id=session.pk)
    return render(
        request,
        "training/session_detail.html",
        {"session": session, "plan": session.plan, **selectors.session_page(session=session)},
    )
