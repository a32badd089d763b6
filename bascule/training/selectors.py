"""Reads of training: the plans a user sees, one plan's page (census, resources, sessions, what could not be
scheduled) and its dashboard (trained per step and profile against the go-live, room occupancy, trainer load)."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from datetime import date, timedelta
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from bascule.core.access import editable_q
from bascule.core.system import Actor
from bascule.core.workdays import holidays_between
from bascule.organisation.models import Person, Structure, StructureKind
from bascule.programmes.models import InstanceItem, ItemKind, Programme
from bascule.training import problem as p
from bascule.training.models import City, Course, Room, Seat, Session, Trainee, Trainer, TrainingPlan

TAKEOVER_WORKSTREAM = "Reprise des données"


def horizon(plan: TrainingPlan) -> list[p.HalfDay]:
    """Working half-days from the start of the plan to its end (at the latest the eve of the go-live)."""
    last = plan.wave.golive_date - timedelta(days=1)
    if plan.ends_on is not None:
        last = min(last, plan.ends_on)
    return p.working_half_days(plan.starts_on, last, holidays())


def holidays() -> frozenset[date]:
    """French public holidays of the years around today (the one calendar: `core.workdays`)."""
    year = timezone.localdate().year
    return holidays_between(year - 1, year + 4)


def plan_list(*, user: Actor) -> QuerySet[TrainingPlan]:
    return (
        TrainingPlan.objects.visible_to(user)
        .select_related("programme", "region", "wave")
        .annotate(
            trainee_count=Count("trainees", distinct=True), session_count=Count("sessions", distinct=True)
        )
        .order_by("programme__code", "region__name")
    )


def plan_page(*, plan: TrainingPlan) -> dict[str, Any]:
    """Everything the plan's page shows, in a fixed number of queries."""
    courses = list(Course.objects.filter(programme=plan.programme).order_by("step", "code"))
    trainees = list(Trainee.objects.filter(plan=plan).select_related("structure").prefetch_related("exempt"))
    rooms = list(Room.objects.filter(plan=plan))
    trainers = list(Trainer.objects.filter(plan=plan).select_related("person").prefetch_related("courses"))
    sessions = list(
        Session.objects.filter(plan=plan, cancelled=False)
        .select_related("course", "room", "trainer__person")
        .annotate(seat_count=Count("seats"))
        .order_by("starts_on", "room__code")
    )
    seats = list(
        Seat.objects.filter(session__plan=plan, session__cancelled=False).values_list(
            "trainee_id", "session__course__code", "attended", "session__published"
        )
    )
    names = {str(t.pk): t.name for t in trainees}
    return {
        "courses": courses,
        "trainees": trainees,
        "rooms": rooms,
        "trainers": trainers,
        "sessions": sessions,
        "profiles": Counter(t.profile for t in trainees).most_common(),
        "unscheduled": [{**u, "name": names.get(u["trainee"], u["trainee"])} for u in plan.unscheduled],
        "dashboard": dashboard(plan, courses, trainees, seats),
        "occupancy": occupancy(plan, rooms, trainers, sessions),
    }


def dashboard(
    plan: TrainingPlan,
    courses: list[Course],
    trainees: list[Trainee],
    seats: list[tuple[Any, str, Any, bool]],
) -> list[dict[str, Any]]:
    """Per step and profile: trainees who need it, seats planned, published, trained (attended)."""
    by_trainee: dict[str, dict[str, tuple[Any, bool]]] = defaultdict(dict)
    for trainee_id, code, attended, published in seats:
        by_trainee[str(trainee_id)][code] = (attended, published)
    lines: dict[tuple[int, str], dict[str, Any]] = {}
    for trainee in trainees:
        exempt = {c.code for c in trainee.exempt.all()}
        for course in courses:
            if trainee.profile not in course.profiles or course.code in exempt:
                continue
            line = lines.setdefault(
                (course.step, trainee.profile),
                {
                    "step": course.step,
                    "profile": trainee.profile,
                    "needed": 0,
                    "planned": 0,
                    "published": 0,
                    "trained": 0,
                },
            )
            line["needed"] += 1
            seat = by_trainee[str(trainee.pk)].get(course.code)
            if seat is not None and seat[0] is not False:
                line["planned"] += 1
                line["published"] += seat[1]
                line["trained"] += seat[0] is True
    for line in lines.values():
        line["percent"] = round(100 * line["trained"] / line["needed"], 1) if line["needed"] else 0.0
    return [lines[k] for k in sorted(lines)]


def occupancy(
    plan: TrainingPlan, rooms: list[Room], trainers: list[Trainer], sessions: Sequence[Session]
) -> dict[str, Any]:
    """Half-days used per room (out of the horizon's) and per trainer (out of their availability)."""
    span = len(horizon(plan))
    room_use: Counter[str] = Counter()
    trainer_use: Counter[Any] = Counter()
    for s in sessions:
        room_use[s.room.code] += len(s.half_days)
        trainer_use[s.trainer_id] += len(s.half_days)
    return {
        "rooms": [(r, room_use[r.code], span) for r in rooms],
        "trainers": [(t, trainer_use[t.pk], len(t.available)) for t in trainers],
    }


def session_page(*, session: Session) -> dict[str, Any]:
    return {
        "seats": list(session.seats.select_related("trainee__structure").order_by("trainee__name")),
        "half_days": [p.HalfDay.parse(h) for h in session.half_days],
    }


def trained_share(plan: TrainingPlan) -> tuple[int, int]:
    """How many course needs the census has, and how many are trained (attended): three queries."""
    courses = list(Course.objects.filter(programme=plan.programme))
    trainees = list(Trainee.objects.filter(plan=plan).prefetch_related("exempt"))
    seats = list(
        Seat.objects.filter(session__plan=plan, session__cancelled=False).values_list(
            "trainee_id", "session__course__code", "attended", "session__published"
        )
    )
    lines = dashboard(plan, courses, trainees, seats)
    return sum(line["needed"] for line in lines), sum(line["trained"] for line in lines)


def training_home(*, user: Actor) -> dict[str, Any] | None:
    """The home panel: each plan in the perimeter, its share trained and its next sessions."""
    plans = list(plan_list(user=user)[:5])
    if not plans:
        return None
    shares = plan_shares(plans)
    lines = [
        {
            "plan": plan,
            "needed": shares[plan.pk][0],
            "trained": shares[plan.pk][1],
            "percent": shares[plan.pk][2],
        }
        for plan in plans
    ]
    return {"plans": lines}


# --- census -------------------------------------------------------------------------------------------------
CENSUS_COLUMNS = ["Nom", "Courriel", "Structure", "Profil", "Commune", "Dispenses", "Motif de dispense"]


def census(
    *, plan: TrainingPlan, q: str = "", structure: Any = None, profile: str = "", exempt_only: bool = False
) -> QuerySet[Trainee]:
    """The census of a plan, filtered by name or e-mail, structure (and below), profile, exemptions."""
    trainees = Trainee.objects.filter(plan=plan).select_related("structure").prefetch_related("exempt")
    if q:
        trainees = trainees.filter(Q(name__icontains=q) | Q(email__icontains=q))
    if structure is not None:
        trainees = trainees.filter(structure__path__startswith=structure.path)
    if profile:
        trainees = trainees.filter(profile=profile)
    if exempt_only:
        trainees = trainees.filter(exempt__isnull=False).distinct()
    return trainees.order_by("name", "pk")


def census_rows(trainees: QuerySet[Trainee]) -> Iterator[list[Any]]:
    """The census as the import reads it back (same columns)."""
    for t in trainees:
        yield [
            t.name,
            t.email,
            t.structure.code,
            t.profile,
            t.city,
            " ; ".join(sorted(c.code for c in t.exempt.all())),
            t.exemption_reason,
        ]


def profiles(*, plan: TrainingPlan) -> list[str]:
    """The profiles of the plan's curriculum (what a trainee may be recensed as)."""
    found: set[str] = set()
    for values in Course.objects.filter(programme=plan.programme).values_list("profiles", flat=True):
        found |= set(values)
    return sorted(found)


def unknown_cities(*, plan: TrainingPlan) -> list[str]:
    """Cities of the census, rooms and trainers with no coordinates: travel to or from them counts as 0 km."""
    used = (
        set(Trainee.objects.filter(plan=plan).values_list("city", flat=True))
        | set(Room.objects.filter(plan=plan).values_list("city", flat=True))
        | set(Trainer.objects.filter(plan=plan).exclude(city="").values_list("city", flat=True))
    )
    return sorted(used - set(City.objects.filter(name__in=used).values_list("name", flat=True)))


def writable_regions(*, user: Actor) -> QuerySet[Structure]:
    """The regions whose training plan the user may prepare."""
    return Structure.objects.filter(kind=StructureKind.REGION).filter(editable_q(user)).order_by("name")


def region_structures(*, plan: TrainingPlan) -> QuerySet[Structure]:
    return Structure.objects.filter(path__startswith=plan.region.path).order_by("path")


def region_people(*, plan: TrainingPlan) -> QuerySet[Person]:
    """Agents of the region not yet in the census (a trainee from the referential)."""
    return (
        Person.objects.filter(structure__path__startswith=plan.region.path)
        .exclude(pk__in=Trainee.objects.filter(plan=plan, person__isnull=False).values("person_id"))
        .select_related("structure")
        .order_by("last_name", "first_name")
    )


def courses_page(*, programme: Programme) -> list[Course]:
    return list(Course.objects.filter(programme=programme).prefetch_related("prerequisites"))


def takeover_milestone(*, plan: TrainingPlan) -> tuple[date, str] | None:
    """The first dated milestone of the region's « Reprise des données » workstream: the fundamentals come before
    it when the plan gives no date of its own."""
    item = (
        InstanceItem.objects.filter(
            kind=ItemKind.MILESTONE,
            due_date__isnull=False,
            workstream__structure=plan.region,
            workstream__template__programme=plan.programme,
            workstream__template__name__iexact=TAKEOVER_WORKSTREAM,
        )
        .order_by("due_date")
        .values_list("due_date", "name")
        .first()
    )
    if item is None or item[0] is None:
        return None
    return item[0], item[1]


def takeover_date(*, plan: TrainingPlan) -> tuple[date | None, str]:
    """The date the fundamentals must precede, and where it comes from (the plan, or the workstream's milestone)."""
    if plan.takeover_on:
        return plan.takeover_on, "saisi dans le plan"
    milestone = takeover_milestone(plan=plan)
    if milestone is None:
        return None, ""
    return milestone[0], f"jalon « {milestone[1]} » du chantier « {TAKEOVER_WORKSTREAM} »"


def plan_shares(plans: Sequence[TrainingPlan]) -> dict[Any, tuple[int, int, int]]:
    """Per plan (region): course needs, trained, percent — in three queries whatever the number of plans."""
    ids = [plan.pk for plan in plans]
    courses: dict[Any, list[Course]] = defaultdict(list)
    for course in Course.objects.filter(programme__in={plan.programme_id for plan in plans}):
        courses[course.programme_id].append(course)
    trainees: dict[Any, list[Trainee]] = defaultdict(list)
    for trainee in Trainee.objects.filter(plan__in=ids).prefetch_related("exempt"):
        trainees[trainee.plan_id].append(trainee)
    seats: dict[Any, list[tuple[Any, str, Any, bool]]] = defaultdict(list)
    for plan_id, *seat in Seat.objects.filter(session__plan__in=ids, session__cancelled=False).values_list(
        "session__plan_id", "trainee_id", "session__course__code", "attended", "session__published"
    ):
        seats[plan_id].append(tuple(seat))  # type: ignore[arg-type]
    shares = {}
    for plan in plans:
        lines = dashboard(plan, courses[plan.programme_id], trainees[plan.pk], seats[plan.pk])
        needed, trained = sum(x["needed"] for x in lines), sum(x["trained"] for x in lines)
        shares[plan.pk] = (needed, trained, round(100 * trained / needed) if needed else 0)
    return shares
