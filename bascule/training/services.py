"""Every write of training: curricula, plans and their census and resources, scheduling (the solver's plan written
as sessions and seats), publishing with invitations (iCalendar), attendance.

Curricula are the programme's pilots'; a region's plan, census, rooms, trainers, schedule and attendance are its
regional lead's (whoever edits the region). Invitations leave after the commit, one per person and session.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from bascule.core.access import require_ability
from bascule.core.mail import Mail, send_each
from bascule.core.system import SYSTEM, Actor
from bascule.core.writes import save_historised
from bascule.organisation.models import Person, Structure
from bascule.programmes.models import Programme, Status, Wave, Workstream
from bascule.programmes.services import workstream_update
from bascule.training import problem as p
from bascule.training.check import violations
from bascule.training.models import City, Course, Room, Seat, Session, Trainee, Trainer, TrainingPlan
from bascule.training.solver import Progress, solve

REGION_ONLY = "Le plan de formation d'une région se prépare par son responsable de déploiement."
HOURS = {p.AM: (time(9, 0), time(12, 30)), p.PM: (time(13, 30), time(17, 0))}


@transaction.atomic
def course_create(
    *, by: Actor, programme: Programme, prerequisites: Sequence[Course] = (), **fields: Any
) -> Course:
    require_ability(programme, by, "change", "Seuls les pilotes du programme définissent ses cours.")
    course = Course(programme=programme, **fields)
    save_historised(course, by=by, reason="Création")
    if prerequisites:
        course.prerequisites.set(prerequisites)
    return course


@transaction.atomic
def plan_create(
    *, by: Actor, programme: Programme, region: Structure, wave: Wave, **fields: Any
) -> TrainingPlan:
    plan = TrainingPlan(programme=programme, region=region, wave=wave, **fields)
    require_ability(plan, by, "change", REGION_ONLY)
    save_historised(plan, by=by, reason="Création")
    return plan


@transaction.atomic
def trainee_add(
    *,
    by: Actor,
    plan: TrainingPlan,
    structure: Structure,
    profile: str,
    city: str,
    person: Person | None = None,
    name: str = "",
    email: str = "",
    exempt: Sequence[Course] = (),
    exemption_reason: str = "",
) -> Trainee:
    require_ability(plan, by, "change", REGION_ONLY)
    if not structure.path.startswith(plan.region.path):
        raise ValidationError({"structure": "Le stagiaire doit appartenir à une structure de la région."})
    if timezone.localdate() > plan.census_closes_on:
        raise ValidationError(f"Le recensement est clos depuis le {plan.census_closes_on:%d/%m/%Y}.")
    if exempt and not exemption_reason.strip():
        raise ValidationError({"exemption_reason": "Une dispense se motive."})
    trainee = Trainee(
        plan=plan,
        person=person,
        structure=structure,
        profile=profile.strip(),
        city=city.strip(),
        name=(name or (f"{person.first_name} {person.last_name}" if person else "")).strip(),
        email=(email or (person.email if person else "")).strip(),
        exemption_reason=exemption_reason.strip(),
    )
    save_historised(trainee, by=by, reason="Recensé")
    if exempt:
        trainee.exempt.set(exempt)
    return trainee


@transaction.atomic
def trainee_update(
    *,
    by: Actor,
    trainee: Trainee,
    structure: Structure,
    profile: str,
    city: str,
    exempt: Sequence[Course] = (),
    exemption_reason: str = "",
) -> Trainee:
    current = Trainee.objects.select_for_update().select_related("plan__region").get(pk=trainee.pk)
    require_ability(current, by, "change", REGION_ONLY)
    if not structure.path.startswith(current.plan.region.path):
        raise ValidationError({"structure": "Le stagiaire doit appartenir à une structure de la région."})
    if exempt and not exemption_reason.strip():
        raise ValidationError({"exemption_reason": "Une dispense se motive."})
    current.structure, current.profile, current.city = structure, profile.strip(), city.strip()
    current.exemption_reason = exemption_reason.strip()
    save_historised(current, by=by, reason="Recensement mis à jour")
    current.exempt.set(exempt)
    return current


@transaction.atomic
def room_add(*, by: Actor, plan: TrainingPlan, **fields: Any) -> Room:
    require_ability(plan, by, "change", REGION_ONLY)
    room = Room(plan=plan, **fields)
    save_historised(room, by=by, reason="Salle ajoutée")
    return room


@transaction.atomic
def trainer_add(
    *,
    by: Actor,
    plan: TrainingPlan,
    person: Person,
    courses: Sequence[Course],
    available: Sequence[str],
    city: str = "",
) -> Trainer:
    require_ability(plan, by, "change", REGION_ONLY)
    for half_day in available:
        p.HalfDay.parse(half_day)  # refuses a malformed one in French
    trainer = Trainer(plan=plan, person=person, available=sorted(set(available)), city=city)
    save_historised(trainer, by=by, reason="Formateur ajouté")
    trainer.courses.set(courses)
    return trainer


# --- the problem as the solver reads it -------------------------------------------------------------------
def horizon(plan: TrainingPlan) -> list[p.HalfDay]:
    """Working half-days from the start of the plan to its end (at the latest the eve of the go-live)."""
    last = plan.wave.golive_date - timedelta(days=1)
    if plan.ends_on is not None:
        last = min(last, plan.ends_on)
    return p.working_half_days(plan.starts_on, last, frozenset(holidays()))


def easter(year: int) -> date:
    """Easter Sunday (the anonymous Gregorian algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    week = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * week) // 451
    month, day = divmod(h + week - 7 * m + 114, 31)
    return date(year, month, day + 1)


def holidays() -> set[date]:
    """French public holidays of the years around today: fixed dates, and Easter Monday, Ascension, Whit Monday."""
    found: set[date] = set()
    for year in range(timezone.localdate().year - 1, timezone.localdate().year + 4):
        sunday = easter(year)
        found |= {
            date(year, 1, 1),
            date(year, 5, 1),
            date(year, 5, 8),
            date(year, 7, 14),
            date(year, 8, 15),
            date(year, 11, 1),
            date(year, 11, 11),
            date(year, 12, 25),
            sunday + timedelta(days=1),
            sunday + timedelta(days=39),
            sunday + timedelta(days=50),
        }
    return found


def problem_for(plan: TrainingPlan, *, keep_published: bool = True) -> p.Problem:
    """The plan as plain data: its courses, rooms, trainers, census (go-live of its wave) and published sessions."""
    courses = list(Course.objects.filter(programme=plan.programme).prefetch_related("prerequisites"))
    trainees = list(Trainee.objects.filter(plan=plan).prefetch_related("exempt"))
    trainers = list(Trainer.objects.filter(plan=plan).select_related("person").prefetch_related("courses"))
    rooms = list(Room.objects.filter(plan=plan))
    cities = {c.name: (float(c.latitude), float(c.longitude)) for c in City.objects.all()}
    kept: list[p.Session] = []
    if keep_published:
        for session in (
            Session.objects.filter(plan=plan, published=True, cancelled=False)
            .select_related("course", "room", "trainer")
            .prefetch_related("seats")
        ):
            kept.append(
                p.Session(
                    id=str(session.pk),
                    course=session.course.code,
                    room=session.room.code,
                    trainer=str(session.trainer_id),
                    half_days=[p.HalfDay.parse(h) for h in session.half_days],
                    # an absentee's seat no longer counts: the course goes back into their needs
                    trainees=[str(s.trainee_id) for s in session.seats.all() if s.attended is not False],
                    published=True,
                )
            )
    problem = p.Problem(
        courses=[
            p.Course(
                code=c.code,
                step=c.step,
                duration_half_days=c.duration_half_days,
                capacity=c.capacity,
                profiles=tuple(c.profiles),
                prerequisites=tuple(x.code for x in c.prerequisites.all()),
                workstations=c.workstations,
                deadline=plan.takeover_on - timedelta(days=1)
                if c.before_takeover and plan.takeover_on
                else None,
            )
            for c in courses
        ],
        rooms=[
            p.Room(
                r.code,
                r.city,
                r.capacity,
                r.workstations,
                frozenset(date.fromisoformat(d) for d in r.unavailable),
            )
            for r in rooms
        ],
        trainers=[
            p.Trainer(
                id=str(t.pk),
                courses=frozenset(c.code for c in t.courses.all()),
                available=frozenset(p.HalfDay.parse(h) for h in t.available),
                city=t.city,
            )
            for t in trainers
        ],
        trainees=[
            p.Trainee(
                id=str(t.pk),
                profile=t.profile,
                city=t.city,
                go_live=plan.wave.golive_date,
                exempt=frozenset(c.code for c in t.exempt.all()),
            )
            for t in trainees
        ],
        half_days=horizon(plan),
        coordinates=cities,
        kept=kept,
        region=plan.region.name,
    )
    _release_after_absence(problem, plan)
    return problem


def _release_after_absence(problem: p.Problem, plan: TrainingPlan) -> None:
    """An absentee must take the missed course again before the next ones: their seats in the later courses not
    yet held are released (re-planned after the missed one)."""
    absent = set(
        Seat.objects.filter(session__plan=plan, attended=False).values_list(
            "trainee_id", "session__course__code"
        )
    )
    if not absent:
        return
    trainees = {t.id: t for t in problem.trainees}
    later: set[tuple[str, str]] = set()
    for trainee_id, code in absent:
        trainee = trainees.get(str(trainee_id))
        if trainee is None:
            continue
        chain = [c.code for c in problem.needed(trainee)]
        if code in chain:
            later |= {(trainee.id, c) for c in chain[chain.index(code) + 1 :]}
    attended = set(
        Seat.objects.filter(session__plan=plan, attended=True).values_list(
            "trainee_id", "session__course__code"
        )
    )
    attended_ids = {(str(t), c) for t, c in attended}
    for session in problem.kept:
        session.trainees = [
            t
            for t in session.trainees
            if (t, session.course) not in later or (t, session.course) in attended_ids
        ]


def schedule(
    *,
    by: Actor,
    plan: TrainingPlan,
    seconds: float = 30.0,
    keep_published: bool = True,
    progress: Progress | None = None,
) -> p.Plan:
    """Plan (or re-plan) the region: unpublished sessions are replaced; published ones are kept unless asked."""
    require_ability(plan, by, "schedule", REGION_ONLY)
    problem = problem_for(plan, keep_published=keep_published)
    result = solve(problem, seconds=seconds, progress=progress)
    broken = violations(problem, result)
    if broken:  # never publish a plan that breaks a hard rule (the checker does not trust the solver)
        raise ValidationError("Le planning calculé enfreint une règle : " + " ; ".join(broken[:5]))
    with transaction.atomic():
        plan = TrainingPlan.objects.select_for_update().get(pk=plan.pk)
        rooms = {r.code: r for r in Room.objects.filter(plan=plan)}
        courses = {c.code: c for c in Course.objects.filter(programme=plan.programme)}
        kept_ids = {s.id for s in result.sessions if s.published}
        stale = Session.objects.filter(plan=plan).exclude(pk__in=kept_ids)
        if keep_published:
            stale = stale.filter(published=False)
        for session in stale.filter(published=True):  # re-planned from scratch: the invitation is cancelled
            session.cancelled = True
            session.sequence += 1
            save_historised(session, by=by, reason="Annulée par le nouveau planning")
        stale.filter(published=False).delete()
        for s in result.sessions:
            if s.published:  # a kept session: seats released by the plan go (an absence stays recorded)
                Seat.objects.filter(session_id=s.id, attended__isnull=True).exclude(
                    trainee_id__in=s.trainees
                ).delete()
                continue
            session = Session(
                plan=plan,
                course=courses[s.course],
                room=rooms[s.room],
                trainer_id=s.trainer,
                half_days=[str(h) for h in s.half_days],
                starts_on=s.half_days[0].day,
            )
            save_historised(session, by=by, reason="Planifiée")
            Seat.objects.bulk_create([Seat(session=session, trainee_id=t) for t in s.trainees])
        plan.unscheduled = [
            {"trainee": u.trainee, "course": u.course, "reason": u.reason} for u in result.unscheduled
        ]
        plan.stats = dict(result.stats)
        plan.version += 1
        save_historised(plan, by=by, reason=f"Planning : {len(result.sessions)} sessions")
    return result


# --- invitations --------------------------------------------------------------------------------------------
def calendar(session: Session, *, method: str = "REQUEST") -> bytes:
    """The session as an iCalendar event (one VEVENT per half-day block, same UID across updates)."""
    from icalendar import Calendar, Event, vCalAddress, vText

    half_days = [p.HalfDay.parse(h) for h in session.half_days]
    zone = timezone.get_current_timezone()
    cal = Calendar()
    cal.add("prodid", "-//Bascule//Formation//FR")
    cal.add("version", "2.0")
    cal.add("method", method)
    event = Event()
    event.add("uid", f"session-{session.pk}@bascule")
    event.add("sequence", session.sequence)
    event.add("summary", f"Formation {session.course.code} — {session.course.title}")
    event.add("dtstart", datetime.combine(half_days[0].day, HOURS[half_days[0].part][0], tzinfo=zone))
    event.add("dtend", datetime.combine(half_days[-1].day, HOURS[half_days[-1].part][1], tzinfo=zone))
    event.add("dtstamp", timezone.now())
    event.add("location", vText(f"{session.room.site}, {session.room.city} (salle {session.room.code})"))
    event.add("status", "CANCELLED" if method == "CANCEL" else "CONFIRMED")
    organizer = vCalAddress(f"mailto:{settings.DEFAULT_FROM_EMAIL.split('<')[-1].rstrip('>')}")
    organizer.params["cn"] = vText("Bascule")
    event["organizer"] = organizer
    event.add(
        "description",
        f"{len(half_days)} demi-journée(s) : "
        + ", ".join(str(h) for h in half_days)
        + f". Formateur : {session.trainer.person}.",
    )
    cal.add_component(event)
    return bytes(cal.to_ical())


@transaction.atomic
def publish(*, by: Actor, plan: TrainingPlan, notify: bool = True) -> int:
    """Publish the planned sessions: each trainee and trainer gets an invitation (.ics) after the commit."""
    require_ability(plan, by, "schedule", REGION_ONLY)
    sessions = list(Session.objects.filter(plan=plan, published=False, cancelled=False))
    for session in sessions:
        session.published = True
        session.sequence += 1
        save_historised(session, by=by, reason="Publiée")
    cancelled = list(
        Session.objects.filter(plan=plan, cancelled=True, published=True, seats__isnull=False).distinct()
    )
    if notify:
        transaction.on_commit(lambda: invite([*sessions, *cancelled]))
    return len(sessions)


def invite(sessions: Sequence[Session]) -> int:
    """One e-mail per person and session, with its iCalendar (a request, or a cancellation with the same UID)."""
    items: list[tuple[Session, str, str]] = []
    for session in (
        Session.objects.filter(pk__in=[s.pk for s in sessions])
        .select_related("course", "room", "trainer__person")
        .prefetch_related("seats__trainee")
    ):
        for seat in session.seats.all():
            items.append((session, seat.trainee.email, seat.trainee.name))
        items.append((session, session.trainer.person.email, str(session.trainer.person)))
    attachments: dict[Any, bytes] = {}

    def compose(item: tuple[Session, str, str]) -> Mail | str:
        session, email, name = item
        if not email:
            return f"{name} : aucune adresse de courriel."
        method = "CANCEL" if session.cancelled else "REQUEST"
        attachments[(session.pk, email)] = calendar(session, method=method)
        verb = "annulée" if session.cancelled else "prévue"
        body = (
            f"Bonjour {name},\n\nSession de formation {verb} : {session.course.code} — {session.course.title}, "
            f"{', '.join(session.half_days)}, {session.room.site} ({session.room.city}), salle {session.room.code}.\n"
            "L'invitation est jointe (fichier .ics) : ouvrez-la pour l'ajouter à votre agenda.\n\n"
            "Bascule — pilotage de la bascule\n"
        )
        return Mail(
            f"Bascule : formation {session.course.code} {verb}",
            body,
            [email],
            [("formation.ics", attachments[(session.pk, email)], f"text/calendar; method={method}")],
        )

    return send_each(items, compose, lambda item, error: None)


# --- attendance ---------------------------------------------------------------------------------------------
@transaction.atomic
def attendance_record(*, by: Actor, session: Session, present: Sequence[Any]) -> tuple[int, int]:
    """Mark who attended; absentees go back into the census (the course is in their needs again)."""
    require_ability(session.plan, by, "change", REGION_ONLY)
    if not session.published or session.cancelled:
        raise ValidationError("On ne relève la présence que d'une session publiée.")
    if timezone.localdate() < session.starts_on:
        raise ValidationError(
            f"La présence se relève à partir du premier jour de la session ({session.starts_on:%d/%m/%Y})."
        )
    seats = list(Seat.objects.select_for_update().filter(session=session))
    wanted = {str(x) for x in present}
    here = absent = 0
    for seat in seats:
        attended = str(seat.trainee_id) in wanted
        if seat.attended != attended:
            seat.attended = attended
            save_historised(seat, by=by, reason="Présent" if attended else "Absent")
        here += attended
        absent += not attended
    transaction.on_commit(lambda: workstream_sync(plan=session.plan))
    return here, absent


def workstream_sync(*, plan: TrainingPlan) -> Workstream | None:
    """The region's « Formation » workstream follows the plan: its progress is the share of the needs trained
    (attended), « en cours » from the first trained, « terminé » at 100 % (a blocked or abandoned one is left)."""
    from bascule.training.selectors import trained_share  # reads only

    workstream = (
        Workstream.objects.filter(template__programme=plan.programme, structure=plan.region)
        .filter(template__name__iexact="Formation")
        .first()
    )
    if workstream is None or workstream.status in {Status.BLOCKED, Status.ABANDONED}:
        return workstream
    needed, trained = trained_share(plan)
    percent = round(100 * trained / needed) if needed else 0
    status = (
        Status.DONE
        if needed and trained == needed
        else (Status.IN_PROGRESS if trained else workstream.status)
    )
    if (workstream.percent, workstream.status) == (percent, status):
        return workstream
    return workstream_update(
        by=SYSTEM, workstream=workstream, version=workstream.version, percent=percent, status=status
    )
