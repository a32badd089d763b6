"""Pages of training: thin, every write through the services, every figure from the selectors."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from bascule.core.access import get_visible_or_404, read_only_post, require_ability, require_user_ability
from bascule.core.exports import export_format, table_response
from bascule.core.forms import run_service
from bascule.core.history import history_entries
from bascule.core.registry import user_can
from bascule.core.services import taskrun_start
from bascule.programmes.models import Programme
from bascule.training import preparation, selectors, services
from bascule.training import problem as p
from bascule.training.forms import (
    CensusFilterForm,
    CourseForm,
    PlanForm,
    RoomForm,
    SessionForm,
    TraineeForm,
    TraineeImportForm,
    TrainerForm,
)
from bascule.training.importers import TraineeImporter
from bascule.training.models import Course, Room, Session, Trainee, Trainer, TrainingPlan

_PLANS = TrainingPlan.objects.select_related("programme__owner", "region", "wave")
_PARTS = ("plan__programme__owner", "plan__region", "plan__wave")
PAGE_SIZE = 50


@require_GET
def plan_list(request: HttpRequest) -> HttpResponse:
    """The plans in the perimeter, each region's share of needs trained against its go-live."""
    plans = list(selectors.plan_list(user=request.user))
    shares = selectors.plan_shares(plans)
    return render(
        request,
        "training/plan_list.html",
        {
            "plans": [(plan, shares[plan.pk]) for plan in plans],
            "programmes": list(Programme.objects.visible_to(request.user).order_by("code")),
            "can_create": user_can(request.user, "training.add_plan"),
        },
    )


@require_GET
def plan_detail(request: HttpRequest, trainingplan_id: str) -> HttpResponse:
    plan = get_visible_or_404(_PLANS, request.user, pk=trainingplan_id)
    return render(
        request,
        "training/plan_detail.html",
        {
            "plan": plan,
            **selectors.plan_page(plan=plan),
            "unknown_cities": selectors.unknown_cities(plan=plan),
            "takeover": selectors.takeover_date(plan=plan),
            "history": history_entries(plan, limit=10),
        },
    )


@require_POST
def plan_schedule(request: HttpRequest, trainingplan_id: str) -> HttpResponse:
    """Plan (or re-plan) in the background; published sessions are kept unless « tout replanifier » is ticked."""
    plan = get_visible_or_404(_PLANS, request.user, pk=trainingplan_id)
    require_ability(plan, request.user, "schedule", preparation.REGION_ONLY)
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
    require_ability(plan, request.user, "change", preparation.REGION_ONLY)
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
    require_ability(plan, request.user, "schedule", preparation.REGION_ONLY)
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
        require_ability(session, request.user, "change", preparation.REGION_ONLY)
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
        {
            "session": session,
            "plan": session.plan,
            "movable": not session.cancelled
            and not (session.published and session.starts_on <= timezone.localdate()),
            **selectors.session_page(session=session),
        },
    )


# --- curricula ----------------------------------------------------------------------------------------------
@require_GET
def course_list(request: HttpRequest, programme_id: str) -> HttpResponse:
    programme = get_visible_or_404(Programme.objects.select_related("owner"), request.user, pk=programme_id)
    return render(
        request,
        "training/course_list.html",
        {"programme": programme, "courses": selectors.courses_page(programme=programme)},
    )


def course_create(request: HttpRequest, programme_id: str) -> HttpResponse:
    programme = get_visible_or_404(Programme.objects.select_related("owner"), request.user, pk=programme_id)
    require_ability(programme, request.user, "change", preparation.PILOTS_ONLY)
    form = CourseForm(request.POST or None, programme=programme)
    if request.method == "POST" and form.is_valid():
        course = run_service(
            form,
            lambda: preparation.course_create(
                by=request.user,
                programme=programme,
                prerequisites=list(form.cleaned_data["prerequisites"]),
                **form.values(),
            ),
        )
        if course is not None:
            messages.success(request, f"Cours {course.code} créé.")
            return redirect("training:course_list", programme_id=programme.pk)
    return _form(request, form, f"Nouveau cours — {programme.code}", "training:course_list", programme.pk)


def course_edit(request: HttpRequest, course_id: str) -> HttpResponse:
    course = get_visible_or_404(Course.objects.select_related("programme__owner"), request.user, pk=course_id)
    require_ability(course, request.user, "change", preparation.PILOTS_ONLY)
    form = CourseForm(request.POST or None, instance=course, programme=course.programme)
    if request.method == "POST" and form.is_valid():
        done = run_service(
            form,
            lambda: preparation.course_update(
                by=request.user,
                course=course,
                version=form.cleaned_data["version"],
                prerequisites=list(form.cleaned_data["prerequisites"]),
                **form.values(),
            ),
        )
        if done is not None:
            messages.success(request, f"Cours {done.code} enregistré.")
            return redirect("training:course_list", programme_id=course.programme_id)
    return _form(
        request, form, f"Modifier le cours {course.code}", "training:course_list", course.programme_id, course
    )


def _form(
    request: HttpRequest, form: Any, title: str, back: str, back_id: Any, obj: Any = None
) -> HttpResponse:
    """Every preparation form: one page shape (title, fields, save, cancel; the object's history when editing)."""
    return render(
        request,
        "training/form.html",
        {
            "form": form,
            "title": title,
            "back": back,
            "back_id": back_id,
            "history": history_entries(obj, limit=10) if obj is not None else None,
        },
    )


# --- plans --------------------------------------------------------------------------------------------------
def plan_create(request: HttpRequest) -> HttpResponse:
    require_user_ability(request.user, "training.add_plan")
    form = PlanForm(request.POST or None, regions=selectors.writable_regions(user=request.user))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        plan = run_service(
            form,
            lambda: preparation.plan_create(
                by=request.user,
                programme=data["programme"],
                region=data["region"],
                wave=data["wave"],
                **form.values(),
            ),
        )
        if plan is not None:
            messages.success(
                request, "Plan de formation créé : recensez les stagiaires, les salles et les formateurs."
            )
            return redirect("training:plan_detail", trainingplan_id=plan.pk)
    return render(
        request,
        "training/form.html",
        {"form": form, "title": "Nouveau plan de formation", "back": "training:plan_list", "back_id": None},
    )


def plan_edit(request: HttpRequest, trainingplan_id: str) -> HttpResponse:
    plan = get_visible_or_404(_PLANS, request.user, pk=trainingplan_id)
    require_ability(plan, request.user, "change", preparation.REGION_ONLY)
    form = PlanForm(request.POST or None, instance=plan)
    if request.method == "POST" and form.is_valid():
        done = run_service(
            form,
            lambda: preparation.plan_update(
                by=request.user, plan=plan, version=form.cleaned_data["version"], **form.values()
            ),
        )
        if done is not None:
            return redirect("training:plan_detail", trainingplan_id=plan.pk)
    return _form(request, form, f"Modifier — {plan}", "training:plan_detail", plan.pk)


# --- census -------------------------------------------------------------------------------------------------
@require_GET
def census(request: HttpRequest, trainingplan_id: str) -> HttpResponse:
    """The census with filters (name, structure and below, profile, exemptions), exported as the import reads it."""
    plan = get_visible_or_404(_PLANS, request.user, pk=trainingplan_id)
    profiles = selectors.profiles(plan=plan)
    form = CensusFilterForm(
        request.GET or None, structures=selectors.region_structures(plan=plan), profiles=profiles
    )
    data = form.cleaned_data if form.is_valid() else {}
    trainees = selectors.census(
        plan=plan,
        q=data.get("q", ""),
        structure=data.get("structure"),
        profile=data.get("profile", ""),
        exempt_only=data.get("exempt_only", False),
    )
    if fmt := export_format(request):
        return table_response(
            fmt,
            selectors.CENSUS_COLUMNS,
            selectors.census_rows(trainees),
            filename_stem=f"recensement-{plan.region.code}",
            title="Recensement",
        )
    page = Paginator(trainees, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "training/census.html", {"plan": plan, "form": form, "page_obj": page})


def trainee_add(request: HttpRequest, trainingplan_id: str) -> HttpResponse:
    plan = get_visible_or_404(_PLANS, request.user, pk=trainingplan_id)
    require_ability(plan, request.user, "change", preparation.REGION_ONLY)
    form = TraineeForm(
        request.POST or None,
        plan=plan,
        people=selectors.region_people(plan=plan),
        structures=selectors.region_structures(plan=plan),
        profiles=selectors.profiles(plan=plan),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        trainee = run_service(
            form,
            lambda: preparation.trainee_add(
                by=request.user,
                plan=plan,
                person=data["person"],
                name=data["name"],
                email=data["email"],
                structure=data["structure"],
                profile=data["profile"],
                city=data["city"],
                exempt=list(data["exempt"]),
                exemption_reason=data["exemption_reason"],
            ),
        )
        if trainee is not None:
            messages.success(request, f"{trainee.name} recensé(e).")
            return redirect("training:census", trainingplan_id=plan.pk)
    return _form(request, form, f"Recenser un stagiaire — {plan.region.name}", "training:census", plan.pk)


def trainee_edit(request: HttpRequest, trainee_id: str) -> HttpResponse:
    trainee = get_visible_or_404(Trainee.objects.select_related(*_PARTS), request.user, pk=trainee_id)
    require_ability(trainee, request.user, "change", preparation.REGION_ONLY)
    plan = trainee.plan
    form = TraineeForm(
        request.POST or None,
        plan=plan,
        people=None,
        structures=selectors.region_structures(plan=plan),
        profiles=selectors.profiles(plan=plan),
        trainee=trainee,
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        done = run_service(
            form,
            lambda: preparation.trainee_update(
                by=request.user,
                trainee=trainee,
                version=data["version"],
                structure=data["structure"],
                profile=data["profile"],
                city=data["city"],
                exempt=list(data["exempt"]),
                exemption_reason=data["exemption_reason"],
            ),
        )
        if done is not None:
            messages.success(
                request, f"{trainee.name} : recensement mis à jour (le prochain planning en tient compte)."
            )
            return redirect("training:census", trainingplan_id=plan.pk)
    return _form(request, form, f"{trainee.name} — recensement", "training:census", plan.pk, trainee)


# --- rooms and trainers -------------------------------------------------------------------------------------
def room_add(request: HttpRequest, trainingplan_id: str) -> HttpResponse:
    plan = get_visible_or_404(_PLANS, request.user, pk=trainingplan_id)
    require_ability(plan, request.user, "change", preparation.REGION_ONLY)
    form = RoomForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        room = run_service(form, lambda: preparation.room_add(by=request.user, plan=plan, **form.values()))
        if room is not None:
            return redirect("training:plan_detail", trainingplan_id=plan.pk)
    return _form(request, form, f"Nouvelle salle — {plan.region.name}", "training:plan_detail", plan.pk)


def room_edit(request: HttpRequest, room_id: str) -> HttpResponse:
    room = get_visible_or_404(Room.objects.select_related(*_PARTS), request.user, pk=room_id)
    require_ability(room, request.user, "change", preparation.REGION_ONLY)
    form = RoomForm(request.POST or None, instance=room)
    if request.method == "POST" and form.is_valid():
        done = run_service(
            form,
            lambda: preparation.room_update(
                by=request.user, room=room, version=form.cleaned_data["version"], **form.values()
            ),
        )
        if done is not None:
            return redirect("training:plan_detail", trainingplan_id=room.plan_id)
    return _form(request, form, f"Salle {room.code}", "training:plan_detail", room.plan_id, room)


def _trainer_form(request: HttpRequest, plan: TrainingPlan, trainer: Trainer | None = None) -> TrainerForm:
    return TrainerForm(
        request.POST or None,
        plan=plan,
        candidates=preparation.trainer_candidates(plan).select_related("structure").order_by("last_name"),
        holidays=services.holidays(),
        trainer=trainer,
    )


def trainer_add(request: HttpRequest, trainingplan_id: str) -> HttpResponse:
    plan = get_visible_or_404(_PLANS, request.user, pk=trainingplan_id)
    require_ability(plan, request.user, "change", preparation.REGION_ONLY)
    form = _trainer_form(request, plan)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        trainer = run_service(
            form,
            lambda: preparation.trainer_add(
                by=request.user,
                plan=plan,
                person=data["person"],
                courses=list(data["courses"]),
                available=data["available"],
                city=data["city"],
            ),
        )
        if trainer is not None:
            return redirect("training:plan_detail", trainingplan_id=plan.pk)
    return _form(request, form, f"Nouveau formateur — {plan.region.name}", "training:plan_detail", plan.pk)


def trainer_edit(request: HttpRequest, trainer_id: str) -> HttpResponse:
    trainer = get_visible_or_404(
        Trainer.objects.select_related(*_PARTS, "person"), request.user, pk=trainer_id
    )
    require_ability(trainer, request.user, "change", preparation.REGION_ONLY)
    form = _trainer_form(request, trainer.plan, trainer)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        done = run_service(
            form,
            lambda: preparation.trainer_update(
                by=request.user,
                trainer=trainer,
                version=data["version"],
                courses=list(data["courses"]),
                available=data["available"],
                city=data["city"],
            ),
        )
        if done is not None:
            messages.success(request, f"{trainer.person} : disponibilités enregistrées.")
            return redirect("training:plan_detail", trainingplan_id=trainer.plan_id)
    return _form(
        request, form, f"Formateur {trainer.person}", "training:plan_detail", trainer.plan_id, trainer
    )


def session_edit(request: HttpRequest, session_id: str) -> HttpResponse:
    """Move a session by hand (room, trainer, first half-day): checked like a computed schedule; a published
    session's people get the updated invitation."""
    session = get_visible_or_404(
        Session.objects.select_related(*_PARTS, "course", "room", "trainer__person"),
        request.user,
        pk=session_id,
    )
    require_ability(session, request.user, "change", preparation.REGION_ONLY)
    form = SessionForm(request.POST or None, session=session)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        done = run_service(
            form,
            lambda: services.session_update(
                by=request.user,
                session=session,
                version=data["version"],
                room=data["room"],
                trainer=data["trainer"],
                start=p.HalfDay(data["day"], data["part"]),
            ),
        )
        if done is not None:
            messages.success(
                request,
                "Session modifiée"
                + (" : l'invitation mise à jour part à chacun." if done.published else "."),
            )
            return redirect("training:session_detail", session_id=session.pk)
    return _form(request, form, f"Déplacer la session {session}", "training:session_detail", session.pk)
