"""Writes of training's schedule: planning (the solver's plan written as sessions and seats), changing a session
by hand (checked by the same checker), publishing with invitations (iCalendar), attendance.

Preparing (curricula, plans, census, rooms, trainers) is in `preparation.py`. A region's schedule and attendance
are its regional lead's (whoever edits the region). Invitations leave after the commit, one per person and session:
a request (its SEQUENCE grows with each change), or a cancellation with the same UID — for everyone when a session
is cancelled, for one trainee when their seat is released.
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
from bascule.core.locking import lock_version
from bascule.core.mail import Mail, send_each
from bascule.core.system import SYSTEM, Actor
from bascule.core.writes import save_historised
from bascule.programmes.models import Status, Workstream
from bascule.programmes.services import workstream_update
from bascule.training import problem as p
from bascule.training.check import violations
from bascule.training.models import City, Course, Room, Seat, Session, Trainee, Trainer, TrainingPlan
from bascule.training.preparation import REGION_ONLY
from bascule.training.selectors import holidays, horizon, takeover_date, trained_share
from bascule.training.solver import Progress, solve

__all__ = ["holidays", "horizon"]  # reads, in selectors; importable here as before

RELEASED = (
    "votre absence au cours {missed} impose de le suivre à nouveau avant celui-ci : "
    "une nouvelle session vous sera proposée au prochain planning."
)
HOURS = {p.AM: (time(9, 0), time(12, 30)), p.PM: (time(13, 30), time(17, 0))}


# --- the problem as the solver reads it -------------------------------------------------------------------
def problem_for(plan: TrainingPlan, *, keep_published: bool = True) -> p.Problem:
    """The plan as plain data: its courses, rooms, trainers, census (go-live of its wave) and published sessions."""
    courses = list(Course.objects.filter(programme=plan.programme).prefetch_related("prerequisites"))
    trainees = list(Trainee.objects.filter(plan=plan).prefetch_related("exempt"))
    trainers = list(Trainer.objects.filter(plan=plan).select_related("person").prefetch_related("courses"))
    rooms = list(Room.objects.filter(plan=plan))
    cities = {c.name: (float(c.latitude), float(c.longitude)) for c in City.objects.all()}
    takeover, _source = takeover_date(plan=plan)
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
                deadline=takeover - timedelta(days=1) if c.before_takeover and takeover else None,
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
    work: float | None = None,
) -> p.Plan:
    """Plan (or re-plan) the region: unpublished sessions are replaced; published ones are kept unless asked."""
    require_ability(plan, by, "schedule", REGION_ONLY)
    problem = problem_for(plan, keep_published=keep_published)
    result = solve(problem, seconds=seconds, progress=progress, work=work)
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
            session.version += 1
            save_historised(session, by=by, reason="Annulée par le nouveau planning")
        stale.filter(published=False).delete()
        released: list[tuple[Session, list[Trainee]]] = []
        for s in result.sessions:
            if s.published:  # a kept session: seats released by the plan go (an absence stays recorded)
                gone = Seat.objects.filter(session_id=s.id, attended__isnull=True).exclude(
                    trainee_id__in=s.trainees
                )
                people = [seat.trainee for seat in gone.select_related("trainee")]
                if people:
                    gone.delete()
                    kept = Session.objects.select_for_update().get(pk=s.id)
                    kept.sequence += 1  # the event changed: its next message outranks the former ones
                    kept.version += 1
                    save_historised(kept, by=by, reason=f"{len(people)} place(s) libérée(s)")
                    released.append((kept, people))
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
        if released:
            transaction.on_commit(lambda: _tell_released(plan, released))
    return result


def _tell_released(plan: TrainingPlan, released: list[tuple[Session, list[Trainee]]]) -> int:
    """Each trainee whose later seat was released is told (a cancellation of that event, for them only)."""
    missed = dict(
        Seat.objects.filter(session__plan=plan, attended=False).values_list(
            "trainee_id", "session__course__code"
        )
    )
    return _send(
        [
            (session, t.email, t.name, "CANCEL", RELEASED.format(missed=missed.get(t.pk, "précédent")))
            for session, people in released
            for t in people
        ]
    )


# --- a session changed by hand --------------------------------------------------------------------------------
def current_plan(plan: TrainingPlan) -> p.Plan:
    """The plan's sessions as they stand (cancelled ones aside; an absentee's seat no longer counts)."""
    sessions = (
        Session.objects.filter(plan=plan, cancelled=False)
        .select_related("course", "room")
        .prefetch_related("seats")
    )
    return p.Plan(
        sessions=[
            p.Session(
                id=str(s.pk),
                course=s.course.code,
                room=s.room.code,
                trainer=str(s.trainer_id),
                half_days=[p.HalfDay.parse(h) for h in s.half_days],
                trainees=[str(seat.trainee_id) for seat in s.seats.all() if seat.attended is not False],
                published=s.published,
            )
            for s in sessions
        ],
        unscheduled=[p.Unscheduled(u["trainee"], u["course"], u["reason"]) for u in plan.unscheduled],
    )


@transaction.atomic
def session_update(
    *, by: Actor, session: Session, version: int, room: Room, trainer: Trainer, start: p.HalfDay
) -> Session:
    """Move a session (room, trainer, first half-day) by hand. The change is checked by the same independent
    checker as a computed schedule (only what it would newly break is refused); a published session's trainees
    and trainer get the updated invitation (same UID, next SEQUENCE), a replaced trainer a cancellation."""
    require_ability(session, by, "change", REGION_ONLY)
    current = lock_version(Session, session.pk, version)
    plan = TrainingPlan.objects.select_related("programme", "region", "wave").get(pk=current.plan_id)
    if current.cancelled:
        raise ValidationError("Cette session est annulée.")
    if current.published and current.starts_on <= timezone.localdate():
        raise ValidationError("Une session commencée ne se modifie plus : relevez la présence.")
    if room.plan_id != plan.pk or trainer.plan_id != plan.pk:
        raise ValidationError("La salle et le formateur sont ceux de ce plan de formation.")
    problem = problem_for(plan, keep_published=False)
    if start not in problem.half_days:
        raise ValidationError(
            {"start": f"Le {start.day:%d/%m/%Y} n'est pas un jour ouvré de la période de formation."}
        )
    duration = current.course.duration_half_days
    first = problem.half_days.index(start)
    days = problem.half_days[first : first + duration]
    if len(days) < duration:
        raise ValidationError({"start": "La session finirait après la période de formation."})
    if days[0].day <= timezone.localdate():
        raise ValidationError({"start": "Une session se déplace vers un jour à venir."})
    before = current_plan(plan)
    after = p.Plan(
        sessions=[
            p.Session(s.id, s.course, room.code, str(trainer.pk), days, s.trainees, s.published)
            if s.id == str(current.pk)
            else s
            for s in before.sessions
        ],
        unscheduled=before.unscheduled,
    )
    known = set(violations(problem, before))
    broken = [v for v in violations(problem, after) if v not in known]
    if broken:
        raise ValidationError("Ce changement enfreint une règle : " + " ; ".join(broken[:5]))
    replaced = current.trainer if current.trainer_id != trainer.pk else None
    current.room, current.trainer = room, trainer
    current.half_days, current.starts_on = [str(h) for h in days], days[0].day
    if current.published:
        current.sequence += 1
    save_historised(current, by=by, reason="Session modifiée")
    if current.published:
        transaction.on_commit(lambda: invite([current]))
        if replaced is not None:
            person = replaced.person
            transaction.on_commit(
                lambda: _send(
                    [
                        (
                            current,
                            person.email,
                            str(person),
                            "CANCEL",
                            "un autre formateur donne cette session.",
                        )
                    ]
                )
            )
    return current


# --- invitations --------------------------------------------------------------------------------------------
def calendar(session: Session, *, method: str = "REQUEST", attendee: tuple[str, str] | None = None) -> bytes:
    """The session as an iCalendar event (same UID across updates, SEQUENCE growing), for one attendee."""
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
    if attendee is not None:
        guest = vCalAddress(f"mailto:{attendee[0]}")
        guest.params["cn"] = vText(attendee[1])
        guest.params["role"] = vText("REQ-PARTICIPANT")
        event.add("attendee", guest)
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
        session.version += 1
        save_historised(session, by=by, reason="Publiée")
    cancelled = list(
        Session.objects.filter(plan=plan, cancelled=True, published=True, seats__isnull=False).distinct()
    )
    if notify:
        transaction.on_commit(lambda: invite([*sessions, *cancelled]))
    return len(sessions)


def invite(sessions: Sequence[Session]) -> int:
    """One e-mail per person and session, with its iCalendar (a request, or a cancellation with the same UID)."""
    items: list[Notice] = []
    for session in (
        Session.objects.filter(pk__in=[s.pk for s in sessions])
        .select_related("course", "room", "trainer__person")
        .prefetch_related("seats__trainee")
    ):
        method = "CANCEL" if session.cancelled else "REQUEST"
        for seat in session.seats.all():
            items.append((session, seat.trainee.email, seat.trainee.name, method, ""))
        items.append((session, session.trainer.person.email, str(session.trainer.person), method, ""))
    return _send(items)


Notice = tuple[Session, str, str, str, str]  # session, e-mail, name, REQUEST or CANCEL, why (for one person)


def _send(items: Sequence[Notice]) -> int:
    def compose(item: Notice) -> Mail | str:
        session, email, name, method, why = item
        if not email:
            return f"{name} : aucune adresse de courriel."
        if method == "CANCEL":
            verb = "annulée pour vous" if why else "annulée"
        else:
            verb = "modifiée" if session.sequence > 1 else "prévue"
        body = (
            f"Bonjour {name},\n\nSession de formation {verb} : {session.course.code} — {session.course.title}, "
            f"{', '.join(session.half_days)}, {session.room.site} ({session.room.city}), salle {session.room.code}.\n"
            + (f"Motif : {why}\n" if why else "")
            + "L'invitation est jointe (fichier .ics) : ouvrez-la pour mettre à jour votre agenda.\n\n"
            "Bascule — pilotage de la bascule\n"
        )
        ics = calendar(session, method=method, attendee=(email, name))
        return Mail(
            f"Bascule : formation {session.course.code} {verb}",
            body,
            [email],
            [("formation.ics", ics, f"text/calendar; method={method}")],
        )

    return send_each(list(items), compose, lambda item, error: None)


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
