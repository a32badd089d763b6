"""What training adds to a programme's set-up: its curriculum in the checklist and in a copy, and its plans'
dates among what moves with a wave's go-live (registered in apps.ready)."""

from __future__ import annotations

from datetime import timedelta

from simple_history.utils import bulk_update_with_history

from bascule.core.system import Actor, history_author
from bascule.programmes.models import Programme, Wave
from bascule.programmes.setup import ProgrammePart, copy_rows, register_programme_part
from bascule.programmes.wave_moves import (
    EXAMPLES,
    Consequence,
    WaveDependent,
    register_wave_dependent,
    shifted,
)
from bascule.training.models import Course, TrainingPlan

PLAN_DATES = ("starts_on", "ends_on", "census_closes_on", "takeover_on")


def _present(programme: Programme) -> str:
    count = Course.objects.filter(programme=programme).count()
    return f"{count} formation(s) au parcours" if count else ""


def _copy(source: Programme, target: Programme, by: Actor) -> str:
    courses = list(Course.objects.filter(programme=source).prefetch_related("prerequisites"))
    copies = copy_rows(courses, by=by, reason=f"Copie de {source.code}", programme=target)
    for course in courses:
        copies[course.pk].prerequisites.set([copies[p.pk] for p in course.prerequisites.all()])
    return f"{len(courses)} formations du parcours" if courses else ""


def _plans(wave: Wave) -> list[TrainingPlan]:
    return list(TrainingPlan.objects.filter(wave=wave).select_related("region").order_by("region__code"))


def _preview(wave: Wave, delta: timedelta) -> Consequence | None:
    plans = _plans(wave)
    if not plans:
        return None
    examples = [
        f"{p.region.name} : formations du {p.starts_on:%d/%m/%Y} au {p.ends_on:%d/%m/%Y} → "
        f"du {shifted(p.starts_on, delta):%d/%m/%Y} au {shifted(p.ends_on, delta):%d/%m/%Y}"
        for p in plans[:EXAMPLES]
    ]
    return Consequence(
        "Plans de formation (recensement, fenêtre de formation, jalon de reprise)", len(plans), examples
    )


def _apply(wave: Wave, delta: timedelta, by: Actor) -> int:
    plans = _plans(wave)
    for plan in plans:
        for name in PLAN_DATES:
            setattr(plan, name, shifted(getattr(plan, name), delta))
        plan.version += 1  # an editor holding the plan's page must reload it
    bulk_update_with_history(
        plans,
        TrainingPlan,
        [*PLAN_DATES, "version"],
        default_user=history_author(by),
        default_change_reason=f"Vague « {wave.name} » déplacée",
    )
    return len(plans)


def register() -> None:
    register_programme_part(ProgrammePart("training", "Parcours de formation", _present, _copy))
    register_wave_dependent(WaveDependent("training.plans", _preview, _apply))
