"""The training scheduler: a greedy first-fit plan (the baseline, and the solver's starting point), then OR-Tools
CP-SAT to minimise travel, the number of sessions and the imbalance of trainers' load, never breaking a hard rule.

Trainees who share a profile, a city, a go-live date and exemptions are one *group*: the model decides how many of a
group sit in each candidate session (integer), not who — then seats are handed to named trainees, earliest-finished
first, which the cumulative precedence constraints make always possible. A candidate session is a course, a room and
a first half-day where the room is free and at least one qualified trainer is available on every half-day; each
group only considers its nearest rooms. What cannot be scheduled is listed with its reason.
"""

from __future__ import annotations

import itertools
import math
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from bascule.training.check import _follows
from bascule.training.problem import AM, Course, Plan, Problem, Room, Session, Trainee, Unscheduled

NEAREST_ROOMS = 3
UNSCHEDULED_COST = 100_000  # per trainee-course left out: always worse than any travel
SESSION_COST = 150  # one more session costs as much as 150 km of travel
BALANCE_COST = 20  # per half-day between the busiest and the least busy trainer

Progress = Callable[[int, str], None]


@dataclass
class Group:
    key: tuple[str, str, date, frozenset[str]]
    trainees: list[Trainee]
    chain: list[Course]
    rooms: list[Room]  # nearest first

    @property
    def size(self) -> int:
        return len(self.trainees)

    def near(self, course: Course) -> list[Room]:
        """The rooms this group may go to for `course`: its nearest rooms that suit the course."""
        return [r for r in self.rooms if r.workstations or not course.workstations][:NEAREST_ROOMS]


@dataclass
class Candidate:
    index: int
    course: Course
    room: Room
    start: int  # index of the first half-day in the horizon
    end: int  # index of the last one
    trainers: list[str]
    capacity: int
    kept: Session | None = None


@dataclass
class Model:
    problem: Problem
    groups: list[Group]
    candidates: list[Candidate]
    by_course: dict[str, list[Candidate]] = field(default_factory=dict)
    kept_counts: dict[int, dict[int, int]] = field(default_factory=dict)  # kept candidate → group → trainees


def _groups(problem: Problem) -> list[Group]:
    found: dict[tuple[str, str, date, frozenset[str]], list[Trainee]] = defaultdict(list)
    for trainee in problem.trainees:
        found[(trainee.profile, trainee.city, trainee.go_live, trainee.exempt)].append(trainee)
    groups = []
    for key, members in sorted(found.items(), key=lambda item: (item[0][2], item[0][0], item[0][1])):
        chain = problem.needed(members[0])
        rooms = sorted(problem.rooms, key=lambda r: (problem.km(key[1], r.city), r.code))
        groups.append(Group(key, sorted(members, key=lambda t: t.id), chain, rooms))
    return groups


def build(problem: Problem) -> Model:
    """The candidate sessions every group could use (kept sessions included, as they are)."""
    horizon = problem.half_days
    index = {h: i for i, h in enumerate(horizon)}
    groups = _groups(problem)
    candidates: list[Candidate] = []
    for kept in problem.kept:
        course = problem.course(kept.course)
        room = next(r for r in problem.rooms if r.code == kept.room)
        slots = sorted(index[h] for h in kept.half_days if h in index)
        if len(slots) == len(kept.half_days):
            candidates.append(
                Candidate(
                    len(candidates),
                    course,
                    room,
                    slots[0],
                    slots[-1],
                    [kept.trainer],
                    min(course.capacity, room.capacity),
                    kept,
                )
            )
    for course in problem.courses:
        users = [g for g in groups if course in g.chain]
        if not users:
            continue
        latest = max(problem.deadline(g.trainees[0], course) for g in users)
        rooms = {r.code: r for g in users for r in g.near(course)}
        for room in sorted(rooms.values(), key=lambda r: r.code):
            if course.workstations and not room.workstations:
                continue
            span = course.duration_half_days
            for start in range(len(horizon) - span + 1):
                window = horizon[start : start + span]
                if window[-1].day > latest:
                    break
                if span % 2 == 0 and window[0].part != AM:
                    continue  # a whole number of days starts in the morning
                if any(h.day in room.unavailable for h in window):
                    continue
                if any(not _follows(a, b) for a, b in itertools.pairwise(window)):
                    continue
                trainers = [
                    t.id
                    for t in problem.trainers
                    if course.code in t.courses and all(h in t.available for h in window)
                ]
                if trainers:
                    candidates.append(
                        Candidate(
                            len(candidates),
                            course,
                            room,
                            start,
                            start + span - 1,
                            trainers,
                            min(course.capacity, room.capacity),
                        )
                    )
    by_course: dict[str, list[Candidate]] = defaultdict(list)
    for candidate in candidates:
        by_course[candidate.course.code].append(candidate)
    trainee_group = {t.id: gi for gi, g in enumerate(groups) for t in g.trainees}
    kept_counts: dict[int, dict[int, int]] = {}
    for c in candidates:
        if c.kept is not None:
            counts: dict[int, int] = defaultdict(int)
            for tid in c.kept.trainees:
                if tid in trainee_group:
                    counts[trainee_group[tid]] += 1
            kept_counts[c.index] = dict(counts)
    return Model(problem, groups, candidates, dict(by_course), kept_counts)


# --- the greedy first fit -------------------------------------------------------------------------------
@dataclass
class Draft:
    """Sessions being filled: who sits where (by group), and which trainer runs each."""

    seats: dict[int, dict[int, int]] = field(default_factory=dict)  # candidate → group → count
    trainer: dict[int, str] = field(default_factory=dict)
    left: list[tuple[int, str, int, str]] = field(default_factory=list)  # group, course, count, reason


def greedy(model: Model) -> Draft:
    """First fit: each group, course after course, into the earliest session with room (an open one first, else a
    new one in its nearest free room with a free trainer)."""
    problem = model.problem
    horizon = problem.half_days
    draft = Draft()
    room_busy: set[tuple[str, int]] = set()
    trainer_busy: set[tuple[str, int]] = set()
    for c in model.candidates:
        if c.kept is not None:
            _open(draft, c, c.trainers[0], room_busy, trainer_busy)
            draft.seats[c.index] = dict(model.kept_counts.get(c.index, {}))
    group_index = {id(g): i for i, g in enumerate(model.groups)}
    for group in sorted(model.groups, key=lambda g: (g.key[2], -g.size)):
        gi = group_index[id(group)]
        batches = [(group.size, -1)]  # (how many, index of the half-day they are free after)
        for course in group.chain:
            deadline = problem.deadline(group.trainees[0], course)
            near = {r.code: rank for rank, r in enumerate(group.near(course))}
            options = sorted(
                (
                    c
                    for c in model.by_course.get(course.code, [])
                    if c.room.code in near and horizon[c.end].day <= deadline
                ),
                key=lambda c: (c.start, near[c.room.code]),
            )
            next_batches: list[tuple[int, int]] = []
            for c in model.by_course.get(course.code, []):  # the published sessions keep their trainees
                seated = model.kept_counts.get(c.index, {}).get(gi, 0) if c.kept is not None else 0
                if seated:
                    next_batches.append((seated, c.end))
                    batches = _take(batches, seated)
            for count, ready in batches:
                while count > 0:
                    placed = False
                    for c in options:
                        if c.start <= ready:
                            continue
                        if c.index in draft.seats:
                            free = c.capacity - sum(draft.seats[c.index].values())
                            if c.kept is not None or free <= 0:
                                continue
                        else:
                            trainer = next(
                                (
                                    t
                                    for t in c.trainers
                                    if all((t, k) not in trainer_busy for k in range(c.start, c.end + 1))
                                ),
                                None,
                            )
                            if trainer is None or any(
                                (c.room.code, k) in room_busy for k in range(c.start, c.end + 1)
                            ):
                                continue
                            _open(draft, c, trainer, room_busy, trainer_busy)
                            free = c.capacity
                        taken = min(free, count)
                        draft.seats[c.index][gi] = draft.seats[c.index].get(gi, 0) + taken
                        next_batches.append((taken, c.end))
                        count -= taken
                        placed = True
                        break
                    if not placed:
                        draft.left.append((gi, course.code, count, explain(model, group, course)))
                        break
            batches = next_batches
            if not batches:
                for later in group.chain[group.chain.index(course) + 1 :]:
                    draft.left.append((gi, later.code, 0, ""))  # counted with the course before it
                break
    return draft


def _take(batches: list[tuple[int, int]], count: int) -> list[tuple[int, int]]:
    """The batches left once `count` trainees (the earliest ready) are accounted for elsewhere."""
    left = []
    for size, ready in sorted(batches, key=lambda b: b[1]):
        used = min(size, count)
        count -= used
        if size - used:
            left.append((size - used, ready))
    return left


def _open(draft: Draft, c: Candidate, trainer: str, room_busy: set, trainer_busy: set) -> None:  # type: ignore[type-arg]
    draft.seats[c.index] = {}
    draft.trainer[c.index] = trainer
    for k in range(c.start, c.end + 1):
        room_busy.add((c.room.code, k))
        trainer_busy.add((trainer, k))


def explain(model: Model, group: Group, course: Course) -> str:
    """Why a course could not be given to (part of) a group, in French: trainers, rooms or time."""
    problem = model.problem
    deadline = problem.deadline(group.trainees[0], course)
    region = f" en {problem.region}" if problem.region else ""
    qualified = [t for t in problem.trainers if course.code in t.courses]
    if not qualified:
        return f"aucun formateur ne donne le cours {course.code}{region}."
    days = sum(1 for t in qualified for h in t.available if h.day <= deadline)
    demand = sum(g.size for g in model.groups if course in g.chain)
    needed = math.ceil(demand / max(course.capacity, 1)) * course.duration_half_days
    if days < needed:
        return (
            f"pas assez de jours de formateur{region} avant le {deadline:%d/%m/%Y} pour {course.code} : "
            f"{days} demi-journées disponibles pour {needed} nécessaires."
        )
    if course.workstations and not any(r.workstations for r in group.rooms):
        return f"aucune salle équipée de postes{region} pour {course.code}."
    return (
        f"plus de créneau libre (salles et formateurs déjà pris) pour {course.code} avant le {deadline:%d/%m/%Y}, "
        "les cours qui le précèdent compris."
    )


# --- CP-SAT -------------------------------------------------------------------------------------------
def solve(
    problem: Problem,
    *,
    seconds: float = 60.0,
    progress: Progress | None = None,
    workers: int = 2,
    work: float | None = None,
) -> Plan:
    """The schedule: greedy first, then CP-SAT from it (hint) within `seconds`; both checked by the caller.

    `work` bounds the search by CP-SAT's deterministic time instead (one worker, a fixed seed): the same plan on
    every machine, however fast — the demo's and the tests' plans never depend on what a clock allowed.
    """
    from ortools.sat.python import cp_model

    began = time.perf_counter()
    say = progress or (lambda percent, text: None)
    say(5, "Préparation des sessions possibles")
    model = build(problem)
    first = greedy(model)
    say(20, f"{len(model.candidates)} sessions possibles ; premier plan glouton établi")
    horizon = problem.half_days
    cp = cp_model.CpModel()
    run: dict[int, cp_model.IntVar] = {}
    by: dict[tuple[int, str], cp_model.IntVar] = {}
    seats: dict[tuple[int, int], cp_model.IntVar] = {}
    room_at: dict[tuple[str, int], list[cp_model.IntVar]] = defaultdict(list)
    trainer_at: dict[tuple[str, int], list[cp_model.IntVar]] = defaultdict(list)
    load: dict[str, list[tuple[cp_model.IntVar, int]]] = defaultdict(list)
    for c in model.candidates:
        y = cp.new_bool_var(f"y{c.index}")
        run[c.index] = y
        choices = []
        for t in c.trainers:
            x = cp.new_bool_var(f"x{c.index}_{t}")
            by[(c.index, t)] = x
            choices.append(x)
            load[t].append((x, c.end - c.start + 1))
            for k in range(c.start, c.end + 1):
                trainer_at[(t, k)].append(x)
        cp.add(sum(choices) == y)
        for k in range(c.start, c.end + 1):
            room_at[(c.room.code, k)].append(y)
        if c.kept is not None:
            cp.add(y == 1)
    for bools in [*room_at.values(), *trainer_at.values()]:
        if len(bools) > 1:
            cp.add_at_most_one(bools)
    unscheduled: dict[tuple[int, str], cp_model.IntVar] = {}
    travel = []
    kept_counts = model.kept_counts
    for gi, group in enumerate(model.groups):
        previous: list[tuple[Candidate, cp_model.IntVar]] | None = None
        for course in group.chain:
            near = {r.code for r in group.near(course)}
            deadline = problem.deadline(group.trainees[0], course)
            mine = []
            for c in model.by_course.get(course.code, []):
                if c.kept is None and (c.room.code not in near or horizon[c.end].day > deadline):
                    continue
                if c.kept is not None and gi not in kept_counts.get(c.index, {}):
                    continue
                n = cp.new_int_var(0, min(c.capacity, group.size), f"n{c.index}_{gi}")
                if c.kept is not None:
                    cp.add(n == kept_counts[c.index][gi])
                seats[(c.index, gi)] = n
                mine.append((c, n))
                km = round(problem.km(group.key[1], c.room.city))
                if km:
                    travel.append(n * km)
            u = cp.new_int_var(0, group.size, f"u{gi}_{course.code}")
            unscheduled[(gi, course.code)] = u
            cp.add(sum(n for _, n in mine) + u == group.size)
            if previous is not None:  # nobody starts this course before finishing the one before it
                starts = sorted({c.start for c, _ in mine})
                for k in starts:
                    cp.add(
                        sum(n for c, n in mine if c.start <= k) <= sum(n for c, n in previous if c.end < k)
                    )
            previous = mine
    for c in model.candidates:
        members = [n for (ci, _), n in seats.items() if ci == c.index]
        cp.add(sum(members) <= c.capacity * run[c.index])
        cp.add(sum(members) >= run[c.index])  # no empty session
    loads = []
    for person in problem.trainers:
        total = cp.new_int_var(0, len(horizon), f"load_{person.id}")
        cp.add(total == sum(x * d for x, d in load.get(person.id, [])))
        loads.append(total)
    spread = cp.new_int_var(0, len(horizon), "spread")
    if loads:
        busiest, idlest = cp.new_int_var(0, len(horizon), "max"), cp.new_int_var(0, len(horizon), "min")
        cp.add_max_equality(busiest, loads)
        cp.add_min_equality(idlest, loads)
        cp.add(spread == busiest - idlest)
    cp.minimize(
        UNSCHEDULED_COST * sum(unscheduled.values())
        + SESSION_COST * sum(run.values())
        + sum(travel)
        + BALANCE_COST * spread
    )
    # Start from the greedy plan.
    for c in model.candidates:
        used = c.index in first.seats
        cp.add_hint(run[c.index], int(used))
        for t in c.trainers:
            cp.add_hint(by[(c.index, t)], int(used and first.trainer.get(c.index) == t))
    for (ci, gi), n in seats.items():
        cp.add_hint(n, first.seats.get(ci, {}).get(gi, 0))
    say(30, "Optimisation (CP-SAT)")
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(1.0, seconds - (time.perf_counter() - began))
    if work is not None:
        solver.parameters.max_deterministic_time = work
        workers = 1
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = 7
    status = solver.solve(cp)
    say(85, "Attribution des places")
    stats: dict[str, object] = {
        "solver_status": solver.status_name(status),
        "candidates": len(model.candidates),
    }
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        draft = Draft(
            seats={
                c.index: {
                    gi: solver.value(n) for (ci, gi), n in seats.items() if ci == c.index and solver.value(n)
                }
                for c in model.candidates
                if solver.value(run[c.index])
            },
            trainer={
                c.index: next(t for t in c.trainers if solver.value(by[(c.index, t)]))
                for c in model.candidates
                if solver.value(run[c.index])
            },
        )
        stats.update(objective=solver.objective_value, best_bound=solver.best_objective_bound)
    else:  # no better plan found in time: the greedy one (always feasible) is published
        draft = first
        stats.update(objective=None, best_bound=None)
    plan = assign(model, draft)
    stats.update(
        sessions=len(plan.sessions),
        travel_km=travel_km(problem, plan),
        seconds=round(time.perf_counter() - began, 2),
    )
    plan.stats = stats
    say(100, "Planning établi")
    return plan


def plan_greedy(problem: Problem) -> Plan:
    """The baseline: first fit only."""
    began = time.perf_counter()
    model = build(problem)
    plan = assign(model, greedy(model))
    plan.stats = {
        "solver_status": "GREEDY",
        "sessions": len(plan.sessions),
        "travel_km": travel_km(problem, plan),
        "objective": None,
        "best_bound": None,
        "seconds": round(time.perf_counter() - began, 2),
    }
    return plan


def assign(model: Model, draft: Draft) -> Plan:
    """Hand the seats of each group to named trainees, course after course, earliest finished first."""
    problem = model.problem
    horizon = problem.half_days
    sessions: dict[int, Session] = {}
    for ci, trainer in sorted(draft.trainer.items()):
        c = model.candidates[ci]
        if c.kept is not None:
            sessions[ci] = Session(
                c.kept.id,
                c.course.code,
                c.room.code,
                c.kept.trainer,
                list(c.kept.half_days),
                [],
                published=True,
            )
        else:
            sessions[ci] = Session(
                f"{problem.region or 'S'}-{c.course.code}-{c.room.code}-{horizon[c.start]}".replace("/", "-"),
                c.course.code,
                c.room.code,
                trainer,
                horizon[c.start : c.end + 1],
            )
    unscheduled: list[Unscheduled] = []
    reasons = {(gi, code): reason for gi, code, _, reason in draft.left if reason}
    for gi, group in enumerate(model.groups):
        ready = {t.id: -1 for t in group.trainees}  # the half-day each trainee is free after
        waiting = [t.id for t in group.trainees]
        for course in group.chain:
            options = sorted(
                (
                    model.candidates[ci]
                    for ci, by_group in draft.seats.items()
                    if by_group.get(gi) and model.candidates[ci].course.code == course.code
                ),
                key=lambda c: c.start,
            )
            placed: list[str] = []
            for c in options:
                count = draft.seats[c.index][gi]
                if c.kept is not None:
                    chosen = [
                        t for t in c.kept.trainees if t in ready and t in waiting and ready[t] < c.start
                    ]
                else:
                    free = sorted((t for t in waiting if ready[t] < c.start), key=lambda t: (ready[t], t))
                    chosen = free[:count]
                for t in chosen:
                    sessions[c.index].trainees.append(t)
                    ready[t] = c.end
                    waiting.remove(t)
                    placed.append(t)
            for t in waiting:
                reason = reasons.get((gi, course.code)) or explain(model, group, course)
                unscheduled.append(Unscheduled(t, course.code, reason))
                for later in group.chain[group.chain.index(course) + 1 :]:
                    unscheduled.append(
                        Unscheduled(
                            t, later.code, f"le cours {course.code} qui le précède n'a pas pu être planifié."
                        )
                    )
            waiting = placed
            if not waiting:
                break
    kept = [s for s in sessions.values() if s.published or s.trainees]
    return Plan(sorted(kept, key=lambda s: (s.half_days[0], s.room)), unscheduled)


def travel_km(problem: Problem, plan: Plan) -> float:
    """Total distance from each trainee's city to the room's, one trip per session."""
    city = {t.id: t.city for t in problem.trainees}
    rooms = {r.code: r.city for r in problem.rooms}
    return round(
        sum(problem.km(city[t], rooms[s.room]) for s in plan.sessions for t in s.trainees if t in city), 1
    )
