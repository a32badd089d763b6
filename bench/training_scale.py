"""Training at scale (issue 12): one region of 3,000 trainees, 4 profiles, 6 courses, 12 rooms, 25 trainers over
10 weeks. Prints, for the greedy first-fit baseline and for CP-SAT started from it (60 s limit): sessions, total
travel, what could not be scheduled, the solver's status, objective, best bound and optimality gap, and seconds —
each plan checked by the independent checker. No database: the scheduler works on plain data.

    .venv/bin/python bench/training_scale.py [--seconds 60] [--trainees 3000]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bascule.training.check import violations
from bascule.training.problem import Course, Problem, Room, Trainee, Trainer, working_half_days
from bascule.training.solver import plan_greedy, solve

CITIES = {
    "Rennes": (48.112, -1.682),
    "Saint-Brieuc": (48.514, -2.765),
    "Quimper": (47.996, -4.102),
    "Vannes": (47.658, -2.761),
    "Brest": (48.390, -4.486),
    "Lorient": (47.748, -3.370),
    "Saint-Malo": (48.649, -2.025),
    "Lannion": (48.732, -3.456),
    "Morlaix": (48.578, -3.828),
    "Pontivy": (48.068, -2.963),
    "Fougères": (48.352, -1.199),
    "Redon": (47.652, -2.084),
}
PROFILES = ("gestionnaire", "valideur", "référent", "consultation")


def region(trainees: int, seed: int = 12) -> Problem:
    rng = random.Random(seed)
    horizon = working_half_days(date(2027, 3, 1), date(2027, 5, 7))  # 10 weeks
    courses = [
        Course("F1", 1, 2, 20, PROFILES),
        Course("F2", 2, 1, 20, PROFILES[:3]),
        Course("F3-GEST", 3, 2, 16, ("gestionnaire",), workstations=True),
        Course("F3-VAL", 3, 1, 16, ("valideur",), workstations=True),
        Course("F3-REF", 3, 1, 16, ("référent",), workstations=True),
        Course("F3-CONS", 3, 1, 20, ("consultation",)),
    ]
    cities = list(CITIES)
    rooms = [
        Room(f"S{i:02}", cities[i % len(cities)], 20 if i % 3 else 16, workstations=i % 2 == 0)
        for i in range(12)
    ]
    trainers = [
        Trainer(
            f"T{i:02}",
            frozenset(c.code for c in courses if i % 3 or c.step < 3),
            frozenset(h for h in horizon if rng.random() < 0.85),
            cities[i % len(cities)],
        )
        for i in range(25)
    ]
    people = [
        Trainee(
            f"P{i:04}",
            rng.choices(PROFILES, weights=(25, 20, 15, 40))[0],
            rng.choice(cities),
            date(2027, 5, 10),
        )
        for i in range(trainees)
    ]
    return Problem(courses, rooms, trainers, people, horizon, CITIES, region="Bretagne")


def show(name: str, problem: Problem, plan, seconds: float) -> None:  # type: ignore[no-untyped-def]
    stats = plan.stats
    bound, objective = stats.get("best_bound"), stats.get("objective")
    gap = f"{100 * (objective - bound) / objective:.1f} %" if objective and bound is not None else "—"
    broken = violations(problem, plan)
    print(
        f"{name:8} sessions {stats['sessions']:5}  déplacements {stats['travel_km']:10.0f} km  non planifiés "
        f"{len(plan.unscheduled):4}  état {stats['solver_status']:9} objectif {objective}  borne {bound}  écart {gap}  "
        f"{seconds:6.1f} s  contrôle : {'aucune règle enfreinte' if not broken else f'{len(broken)} violation(s)'}"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--trainees", type=int, default=3000)
    args = parser.parse_args()
    began = time.perf_counter()
    problem = region(args.trainees)
    print(
        f"{len(problem.trainees)} stagiaires, {len(problem.courses)} cours, {len(problem.rooms)} salles, "
        f"{len(problem.trainers)} formateurs, {len(problem.half_days)} demi-journées ; préparation "
        f"{time.perf_counter() - began:.1f} s"
    )
    begin = time.perf_counter()
    greedy = plan_greedy(problem)
    show("glouton", problem, greedy, time.perf_counter() - begin)
    begin = time.perf_counter()
    best = solve(problem, seconds=args.seconds)
    show("CP-SAT", problem, best, time.perf_counter() - begin)


if __name__ == "__main__":
    main()
