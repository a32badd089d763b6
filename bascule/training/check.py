"""Check a schedule against every hard constraint, independently of the solver (it reads only the published data).

`violations(problem, plan)` lists, in French, every broken rule: a room, trainer or trainee in two places at once, a
room too small or unavailable or without workstations, a trainer unavailable or not qualified, a session on
half-days that do not follow each other, a trainee in a course they do not need, a course taken before its
prerequisite or after go-live, a needed course neither scheduled nor explained.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from datetime import timedelta

from bascule.training.problem import AM, PM, HalfDay, Plan, Problem


def _follows(a: HalfDay, b: HalfDay) -> bool:
    """b is the half-day right after a (a morning's afternoon; an afternoon's next working morning)."""
    if a.part == AM:
        return b == HalfDay(a.day, PM)
    gap = (b.day - a.day).days
    return (
        b.part == AM
        and 1 <= gap <= 4
        and all((a.day + timedelta(days=i)).weekday() >= 5 for i in range(1, gap))
    )


def violations(problem: Problem, plan: Plan) -> list[str]:
    found: list[str] = []
    courses = {c.code: c for c in problem.courses}
    rooms = {r.code: r for r in problem.rooms}
    trainers = {t.id: t for t in problem.trainers}
    trainees = {t.id: t for t in problem.trainees}
    room_use: dict[tuple[str, HalfDay], str] = {}
    trainer_use: dict[tuple[str, HalfDay], str] = {}
    trainee_use: dict[tuple[str, HalfDay], str] = {}
    taken: dict[tuple[str, str], list[tuple[HalfDay, HalfDay]]] = defaultdict(
        list
    )  # (trainee, course) → spans
    for s in plan.sessions:
        course, room, trainer = courses.get(s.course), rooms.get(s.room), trainers.get(s.trainer)
        if course is None or room is None or trainer is None:
            found.append(f"Session {s.id} : cours, salle ou formateur inconnu.")
            continue
        days = sorted(s.half_days)
        if len(days) != course.duration_half_days or len(set(days)) != len(days):
            found.append(
                f"Session {s.id} : {len(days)} demi-journées pour un cours de {course.duration_half_days}."
            )
        if any(not _follows(a, b) for a, b in itertools.pairwise(days)):
            found.append(f"Session {s.id} : ses demi-journées ne se suivent pas.")
        if not s.trainees:
            found.append(f"Session {s.id} : aucun stagiaire.")
        if len(s.trainees) > min(course.capacity, room.capacity):
            found.append(
                f"Session {s.id} : {len(s.trainees)} stagiaires pour {min(course.capacity, room.capacity)} places."
            )
        if course.workstations and not room.workstations:
            found.append(f"Session {s.id} : le cours {course.code} demande une salle équipée de postes.")
        if s.course not in trainer.courses:
            found.append(f"Session {s.id} : le formateur {trainer.id} ne donne pas {course.code}.")
        for h in days:
            if h.day in room.unavailable:
                found.append(f"Session {s.id} : salle {room.code} indisponible le {h.day:%d/%m/%Y}.")
            if h not in trainer.available:
                found.append(f"Session {s.id} : formateur {trainer.id} indisponible le {h}.")
            for key, use, what in (
                ((room.code, h), room_use, "salle"),
                ((trainer.id, h), trainer_use, "formateur"),
            ):
                if key in use:
                    found.append(
                        f"{what.capitalize()} {key[0]} dans deux sessions le {h} ({use[key]}, {s.id})."
                    )
                use[key] = s.id
        for tid in s.trainees:
            trainee = trainees.get(tid)
            if trainee is None:
                found.append(f"Session {s.id} : stagiaire inconnu {tid}.")
                continue
            if trainee.profile not in course.profiles or course.code in trainee.exempt:
                found.append(f"Session {s.id} : {tid} n'a pas à suivre {course.code}.")
            if days and days[-1].day > problem.deadline(trainee, course):
                found.append(
                    f"Session {s.id} : {tid} la suit après sa date limite ({problem.deadline(trainee, course):%d/%m/%Y})."
                )
            for h in days:
                if (tid, h) in trainee_use:
                    found.append(f"Stagiaire {tid} dans deux sessions le {h}.")
                trainee_use[(tid, h)] = s.id
            if days:
                taken[(tid, course.code)].append((days[0], days[-1]))
    explained = {(u.trainee, u.course) for u in plan.unscheduled}
    for u in plan.unscheduled:
        if not u.reason.strip():
            found.append(f"{u.trainee} / {u.course} : non planifié sans raison.")
    for trainee in problem.trainees:
        previous_end: HalfDay | None = None
        previous_missing = False
        for course in problem.needed(trainee):
            spans = taken.get((trainee.id, course.code), [])
            if len(spans) > 1:
                found.append(f"{trainee.id} suit {course.code} {len(spans)} fois.")
            if not spans:
                if (trainee.id, course.code) not in explained:
                    found.append(f"{trainee.id} : {course.code} ni planifié ni expliqué.")
                previous_missing = True
                continue
            start, end = spans[0]
            if previous_missing:
                found.append(f"{trainee.id} suit {course.code} sans avoir suivi le cours qui le précède.")
            if previous_end is not None and not previous_end < start:
                found.append(f"{trainee.id} suit {course.code} avant d'avoir fini le cours qui le précède.")
            previous_end = end
    return found
