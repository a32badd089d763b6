"""The training schedule as plain data, with no database: what the scheduler reads, what it writes, and the JSON
that `manage.py training_schedule --json` publishes so that anyone can check a schedule without the solver.

A half-day is a date and "AM" or "PM" (`2027-01-04/AM`). A session runs on consecutive half-days of the horizon
(working days only), in one room, with one trainer, for trainees who all need its course.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

AM, PM = "AM", "PM"


@dataclass(frozen=True, order=True)
class HalfDay:
    day: date
    part: str  # AM or PM

    def __str__(self) -> str:
        return f"{self.day.isoformat()}/{self.part}"

    @classmethod
    def parse(cls, text: str) -> HalfDay:
        day, _, part = text.partition("/")
        if part not in (AM, PM):
            raise ValueError(f"demi-journée illisible : « {text} » (attendu AAAA-MM-JJ/AM ou /PM).")
        return cls(date.fromisoformat(day), part)


def working_half_days(start: date, end: date, holidays: frozenset[date] = frozenset()) -> list[HalfDay]:
    """Every morning and afternoon of the working days from `start` to `end` (both included)."""
    out = []
    day = start
    while day <= end:
        if day.weekday() < 5 and day not in holidays:
            out += [HalfDay(day, AM), HalfDay(day, PM)]
        day += timedelta(days=1)
    return out


@dataclass(frozen=True)
class Course:
    code: str
    step: int  # 1 fundamentals, 2 complex commitments and environment, 3 the tool by profile
    duration_half_days: int
    capacity: int
    profiles: tuple[str, ...]
    prerequisites: tuple[str, ...] = ()
    workstations: bool = False  # needs a room equipped with workstations
    deadline: date | None = None  # e.g. step 1 before the data takeover workstream's milestone


@dataclass(frozen=True)
class Room:
    code: str
    city: str
    capacity: int
    workstations: bool = False
    unavailable: frozenset[date] = frozenset()


@dataclass(frozen=True)
class Trainer:
    id: str
    courses: frozenset[str]
    available: frozenset[HalfDay]
    city: str = ""


@dataclass(frozen=True)
class Trainee:
    id: str
    profile: str
    city: str
    go_live: date
    exempt: frozenset[str] = frozenset()


@dataclass
class Session:
    id: str
    course: str
    room: str
    trainer: str
    half_days: list[HalfDay]
    trainees: list[str] = field(default_factory=list)
    published: bool = False


@dataclass
class Unscheduled:
    trainee: str
    course: str
    reason: str


@dataclass
class Problem:
    courses: list[Course]
    rooms: list[Room]
    trainers: list[Trainer]
    trainees: list[Trainee]
    half_days: list[HalfDay]  # the horizon, in order
    coordinates: dict[str, tuple[float, float]] = field(default_factory=dict)  # city → (latitude, longitude)
    kept: list[Session] = field(default_factory=list)  # published sessions kept as they are when re-planning
    region: str = ""

    def course(self, code: str) -> Course:
        return next(c for c in self.courses if c.code == code)

    def needed(self, trainee: Trainee) -> list[Course]:
        """The courses a trainee takes, in the order they must be taken (step, then prerequisites, then code)."""
        wanted = [c for c in self.courses if trainee.profile in c.profiles and c.code not in trainee.exempt]
        ordered: list[Course] = []
        pending = sorted(wanted, key=lambda c: (c.step, c.code))
        while pending:  # prerequisites first among the trainee's own courses (a cycle keeps the step order)
            ready = next(
                (c for c in pending if not any(p in {w.code for w in pending} for p in c.prerequisites)),
                pending[0],
            )
            ordered.append(ready)
            pending.remove(ready)
        return ordered

    def deadline(self, trainee: Trainee, course: Course) -> date:
        """The last day a session of `course` may use for this trainee: before go-live (and the course's own date)."""
        last = trainee.go_live - timedelta(days=1)
        return min(last, course.deadline) if course.deadline else last

    def km(self, a: str, b: str) -> float:
        """Great-circle distance between two cities (0 for the same city, 0 when a city has no coordinates)."""
        if a == b or a not in self.coordinates or b not in self.coordinates:
            return 0.0
        (la1, lo1), (la2, lo2) = self.coordinates[a], self.coordinates[b]
        p1, p2 = math.radians(la1), math.radians(la2)
        dp, dl = p2 - p1, math.radians(lo2 - lo1)
        h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
        return round(2 * 6371 * math.asin(math.sqrt(h)), 1)


@dataclass
class Plan:
    sessions: list[Session]
    unscheduled: list[Unscheduled]
    stats: dict[str, Any] = field(default_factory=dict)


def to_json(problem: Problem, plan: Plan) -> dict[str, Any]:
    """The published schedule as JSON (the CLI's format): enough to check every constraint without the solver."""
    return {
        "region": problem.region,
        "courses": [
            {
                "code": c.code,
                "step": c.step,
                "duration_half_days": c.duration_half_days,
                "capacity": c.capacity,
                "profiles": list(c.profiles),
                "prerequisites": list(c.prerequisites),
                "workstations": c.workstations,
                "deadline": c.deadline.isoformat() if c.deadline else None,
            }
            for c in problem.courses
        ],
        "rooms": [
            {
                "code": r.code,
                "city": r.city,
                "capacity": r.capacity,
                "workstations": r.workstations,
                "unavailable": sorted(d.isoformat() for d in r.unavailable),
            }
            for r in problem.rooms
        ],
        "trainers": [
            {
                "id": t.id,
                "courses": sorted(t.courses),
                "available": [str(h) for h in sorted(t.available)],
                "city": t.city,
            }
            for t in problem.trainers
        ],
        "trainees": [
            {
                "id": t.id,
                "profile": t.profile,
                "city": t.city,
                "go_live": t.go_live.isoformat(),
                "exempt": sorted(t.exempt),
            }
            for t in problem.trainees
        ],
        "coordinates": {city: list(point) for city, point in sorted(problem.coordinates.items())},
        "sessions": [
            {
                "id": s.id,
                "course": s.course,
                "room": s.room,
                "trainer": s.trainer,
                "half_days": [str(h) for h in s.half_days],
                "trainees": list(s.trainees),
                "published": s.published,
            }
            for s in plan.sessions
        ],
        "unscheduled": [
            {"trainee": u.trainee, "course": u.course, "reason": u.reason} for u in plan.unscheduled
        ],
        "stats": plan.stats,
    }


def from_json(data: dict[str, Any]) -> tuple[Problem, Plan]:
    """Read back what `to_json` wrote (the checker and the tests use it)."""
    problem = Problem(
        courses=[
            Course(
                code=c["code"],
                step=int(c["step"]),
                duration_half_days=int(c["duration_half_days"]),
                capacity=int(c["capacity"]),
                profiles=tuple(c["profiles"]),
                prerequisites=tuple(c.get("prerequisites", ())),
                workstations=bool(c.get("workstations", False)),
                deadline=date.fromisoformat(c["deadline"]) if c.get("deadline") else None,
            )
            for c in data["courses"]
        ],
        rooms=[
            Room(
                code=r["code"],
                city=r["city"],
                capacity=int(r["capacity"]),
                workstations=bool(r.get("workstations", False)),
                unavailable=frozenset(date.fromisoformat(d) for d in r.get("unavailable", ())),
            )
            for r in data["rooms"]
        ],
        trainers=[
            Trainer(
                id=str(t["id"]),
                courses=frozenset(t["courses"]),
                available=frozenset(HalfDay.parse(h) for h in t["available"]),
                city=t.get("city", ""),
            )
            for t in data["trainers"]
        ],
        trainees=[
            Trainee(
                id=str(t["id"]),
                profile=t["profile"],
                city=t["city"],
                go_live=date.fromisoformat(t["go_live"]),
                exempt=frozenset(t.get("exempt", ())),
            )
            for t in data["trainees"]
        ],
        half_days=[],
        coordinates={city: (float(p[0]), float(p[1])) for city, p in data.get("coordinates", {}).items()},
        region=data.get("region", ""),
    )
    plan = Plan(
        sessions=[
            Session(
                id=str(s["id"]),
                course=s["course"],
                room=s["room"],
                trainer=str(s["trainer"]),
                half_days=[HalfDay.parse(h) for h in s["half_days"]],
                trainees=[str(t) for t in s["trainees"]],
                published=bool(s.get("published", False)),
            )
            for s in data["sessions"]
        ],
        unscheduled=[
            Unscheduled(str(u["trainee"]), u["course"], u["reason"]) for u in data.get("unscheduled", ())
        ],
        stats=dict(data.get("stats", {})),
    )
    return problem, plan


# --- dates as people type them (forms) ----------------------------------------------------------------------
_PARTS = {"matin": (AM,), "am": (AM,), "après-midi": (PM,), "apres-midi": (PM,), "pm": (PM,)}


def _day(text: str, line: int) -> date:
    text = text.strip()
    try:
        if "/" in text:
            d, m, y = (int(x) for x in text.split("/"))
            return date(y, m, d)
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"ligne {line} : date illisible « {text} » (attendu JJ/MM/AAAA).") from None


def _lines(text: str) -> list[tuple[int, str]]:
    return [(n, s.strip().lower()) for n, s in enumerate(text.splitlines(), start=1) if s.strip()]


def read_days(text: str, *, limit: int = 400) -> list[date]:
    """Dates typed one per line, or as ranges « 01/12/2026 au 05/12/2026 » (every calendar day of the range)."""
    days: set[date] = set()
    for line, item in _lines(text):
        first, sep, last = item.partition(" au ")
        start = _day(first, line)
        end = _day(last, line) if sep else start
        if end < start:
            raise ValueError(f"ligne {line} : la fin de la période précède son début.")
        while start <= end:
            days.add(start)
            start += timedelta(days=1)
            if len(days) > limit:
                raise ValueError(f"{limit} jours au plus.")
    return sorted(days)


def read_half_days(text: str, holidays: frozenset[date] = frozenset(), *, limit: int = 800) -> list[HalfDay]:
    """Half-days typed one per line: « 01/12/2026 » (the whole day), « 01/12/2026 matin », « 01/12/2026
    après-midi », a range of working days « 01/12/2026 au 12/12/2026 », or `2026-12-01/AM` as the API writes it."""
    found: set[HalfDay] = set()
    for line, item in _lines(text):
        if item.endswith(("/am", "/pm")):
            found.add(HalfDay(_day(item[:-3], line), item[-2:].upper()))
            continue
        first, sep, last = item.partition(" au ")
        if sep:
            start, end = _day(first, line), _day(last, line)
            if end < start:
                raise ValueError(f"ligne {line} : la fin de la période précède son début.")
            found |= set(working_half_days(start, end, holidays))
        else:
            words = first.split(maxsplit=1)
            parts = _PARTS.get(words[1]) if len(words) == 2 else (AM, PM)
            if parts is None:
                raise ValueError(f"ligne {line} : « {words[1]} » n'est ni « matin » ni « après-midi ».")
            day = _day(words[0], line)
            found |= {HalfDay(day, part) for part in parts}
        if len(found) > limit:
            raise ValueError(f"{limit} demi-journées au plus.")
    return sorted(found)


def half_days_text(half_days: list[HalfDay]) -> str:
    """The inverse of `read_half_days`: whole days run together as ranges, lone half-days named."""
    by_day: dict[date, set[str]] = {}
    for h in half_days:
        by_day.setdefault(h.day, set()).add(h.part)
    lines: list[str] = []
    run: list[date] = []

    def flush() -> None:
        if run:
            lines.append(
                f"{run[0]:%d/%m/%Y}" if len(run) == 1 else f"{run[0]:%d/%m/%Y} au {run[-1]:%d/%m/%Y}"
            )
            run.clear()

    for day in sorted(by_day):
        parts = by_day[day]
        if parts == {AM, PM}:
            # a run continues over a weekend only (a range is read back as every working day in it)
            if run and any(
                (run[-1] + timedelta(days=i)).weekday() < 5 for i in range(1, (day - run[-1]).days)
            ):
                flush()
            run.append(day)
        else:
            flush()
            lines.append(f"{day:%d/%m/%Y} {'matin' if AM in parts else 'après-midi'}")
    flush()
    return "\n".join(lines)


def days_text(days: list[date]) -> str:
    """The inverse of `read_days`: consecutive dates as ranges."""
    lines: list[str] = []
    ordered = sorted(set(days))
    start = 0
    for i in range(1, len(ordered) + 1):
        if i == len(ordered) or (ordered[i] - ordered[i - 1]).days != 1:
            first, last = ordered[start], ordered[i - 1]
            lines.append(f"{first:%d/%m/%Y}" if first == last else f"{first:%d/%m/%Y} au {last:%d/%m/%Y}")
            start = i
    return "\n".join(lines)
