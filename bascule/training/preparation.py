"""Writes that prepare training: a programme's curriculum (courses and their prerequisites), a region's plan and its
census (trainees, exemptions), rooms and trainers (courses they give, availability).

Curricula are the programme's pilots'; a region's plan, census, rooms and trainers are its regional lead's (whoever
edits the region). Every update names the version the editor saw (a concurrent edit is refused, never overwritten).
Scheduling, publishing and attendance are in `services.py`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from bascule.core.access import require_ability
from bascule.core.locking import lock_version
from bascule.core.roles import Role
from bascule.core.system import Actor
from bascule.core.writes import save_historised, update_versioned
from bascule.organisation.models import Assignment, Person, Structure
from bascule.programmes.models import Programme, Wave
from bascule.training import problem as p
from bascule.training.models import Course, Room, Trainee, Trainer, TrainingPlan

REGION_ONLY = "Le plan de formation d'une région se prépare par son responsable de déploiement."
PILOTS_ONLY = "Seuls les pilotes du programme définissent ses cours."
COURSE_FIELDS = (
    "code",
    "title",
    "step",
    "duration_half_days",
    "capacity",
    "profiles",
    "workstations",
    "before_takeover",
)
PLAN_FIELDS = ("starts_on", "ends_on", "census_closes_on", "takeover_on")
ROOM_FIELDS = ("code", "site", "city", "capacity", "workstations", "unavailable")
PROFILES_MAX, PROFILE_MAX = 20, 40


# --- curricula ----------------------------------------------------------------------------------------------
def _profiles(values: Sequence[str]) -> list[str]:
    profiles = list(dict.fromkeys(v.strip() for v in values if v.strip()))
    if not profiles:
        raise ValidationError({"profiles": "Indiquez au moins un profil concerné."})
    if len(profiles) > PROFILES_MAX or any(len(v) > PROFILE_MAX for v in profiles):
        raise ValidationError(
            {"profiles": f"{PROFILES_MAX} profils au plus, de {PROFILE_MAX} caractères au plus."}
        )
    return profiles


def _check_prerequisites(course: Course, prerequisites: Sequence[Course]) -> None:
    """Same programme, an earlier or the same step, and no loop (A before B before A)."""
    for other in prerequisites:
        if other.programme_id != course.programme_id or other.pk == course.pk:
            raise ValidationError(
                {"prerequisites": f"{other.code} ne peut pas être un prérequis de ce cours."}
            )
        if other.step > course.step:
            raise ValidationError(
                {
                    "prerequisites": f"{other.code} (étape {other.step}) ne peut précéder un cours d'étape {course.step}."
                }
            )
    edges = {
        c.pk: {x.pk for x in c.prerequisites.all()}
        for c in Course.objects.filter(programme_id=course.programme_id).prefetch_related("prerequisites")
    }
    edges[course.pk] = {x.pk for x in prerequisites}
    seen: set[Any] = set()
    todo = list(edges[course.pk])
    while todo:
        current = todo.pop()
        if current == course.pk:
            raise ValidationError({"prerequisites": "Ces prérequis forment une boucle."})
        if current not in seen:
            seen.add(current)
            todo.extend(edges.get(current, ()))


@transaction.atomic
def course_create(
    *, by: Actor, programme: Programme, prerequisites: Sequence[Course] = (), **fields: Any
) -> Course:
    require_ability(programme, by, "change", PILOTS_ONLY)
    if "profiles" in fields:
        fields["profiles"] = _profiles(fields["profiles"])
    course = Course(programme=programme, **fields)
    _check_prerequisites(course, prerequisites)
    save_historised(course, by=by, reason="Création")
    if prerequisites:
        course.prerequisites.set(prerequisites)
    return course


@transaction.atomic
def course_update(
    *, by: Actor, course: Course, version: int, prerequisites: Sequence[Course] = (), **changes: Any
) -> Course:
    require_ability(course, by, "change", PILOTS_ONLY)
    if "profiles" in changes:
        changes["profiles"] = _profiles(changes["profiles"])
    current = update_versioned(
        course,
        by=by,
        version=version,
        changes=changes,
        allowed=COURSE_FIELDS,
        before_save=lambda c: _check_prerequisites(c, prerequisites),
    )
    current.prerequisites.set(prerequisites)
    return current


# --- plans --------------------------------------------------------------------------------------------------
def _check_dates(plan: TrainingPlan) -> None:
    golive = plan.wave.golive_date
    errors: dict[str, str] = {}
    if plan.starts_on and plan.starts_on >= golive:
        errors["starts_on"] = f"Les formations commencent avant la bascule de la vague ({golive:%d/%m/%Y})."
    if plan.ends_on and plan.starts_on and plan.ends_on < plan.starts_on:
        errors["ends_on"] = "La fin des formations précède leur début."
    if plan.census_closes_on and plan.census_closes_on >= golive:
        errors["census_closes_on"] = "Le recensement se clôt avant la bascule."
    if plan.takeover_on and plan.takeover_on > golive:
        errors["takeover_on"] = "Le jalon de reprise des données précède la bascule."
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def plan_create(
    *, by: Actor, programme: Programme, region: Structure, wave: Wave, **fields: Any
) -> TrainingPlan:
    if wave.programme_id != programme.pk:
        raise ValidationError({"wave": "Cette vague n'est pas de ce programme."})
    plan = TrainingPlan(programme=programme, region=region, wave=wave, **fields)
    require_ability(plan, by, "change", REGION_ONLY)
    _check_dates(plan)
    save_historised(plan, by=by, reason="Création")
    return plan


def plan_update(*, by: Actor, plan: TrainingPlan, version: int, **changes: Any) -> TrainingPlan:
    require_ability(plan, by, "change", REGION_ONLY)
    with transaction.atomic():
        return update_versioned(
            plan, by=by, version=version, changes=changes, allowed=PLAN_FIELDS, before_save=_check_dates
        )


# --- census -------------------------------------------------------------------------------------------------
def _check_trainee(plan: TrainingPlan, structure: Structure, exempt: Sequence[Course], reason: str) -> None:
    if not structure.path.startswith(plan.region.path):
        raise ValidationError({"structure": "Le stagiaire doit appartenir à une structure de la région."})
    if any(c.programme_id != plan.programme_id for c in exempt):
        raise ValidationError({"exempt": "Une dispense porte sur un cours de ce programme."})
    if exempt and not reason.strip():
        raise ValidationError({"exemption_reason": "Une dispense se motive."})


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
    if timezone.localdate() > plan.census_closes_on:
        raise ValidationError(f"Le recensement est clos depuis le {plan.census_closes_on:%d/%m/%Y}.")
    _check_trainee(plan, structure, exempt, exemption_reason)
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
    version: int,
    structure: Structure,
    profile: str,
    city: str,
    exempt: Sequence[Course] = (),
    exemption_reason: str = "",
) -> Trainee:
    """Profile, city, structure and exemptions (with their reason) of a trainee; the next planning follows."""
    require_ability(trainee, by, "change", REGION_ONLY)
    current = lock_version(Trainee, trainee.pk, version)
    _check_trainee(current.plan, structure, exempt, exemption_reason)
    current.structure, current.profile, current.city = structure, profile.strip(), city.strip()
    current.exemption_reason = exemption_reason.strip() if exempt else ""
    save_historised(current, by=by, reason="Recensement mis à jour")
    current.exempt.set(exempt)
    return current


# --- rooms and trainers -------------------------------------------------------------------------------------
def _unavailable(values: Sequence[Any]) -> list[str]:
    try:
        return sorted(
            {(v if isinstance(v, date) else date.fromisoformat(str(v))).isoformat() for v in values}
        )
    except ValueError as exc:
        raise ValidationError({"unavailable": f"Date illisible : {exc}"}) from exc


@transaction.atomic
def room_add(*, by: Actor, plan: TrainingPlan, **fields: Any) -> Room:
    require_ability(plan, by, "change", REGION_ONLY)
    fields["unavailable"] = _unavailable(fields.get("unavailable", ()))
    room = Room(plan=plan, **fields)
    save_historised(room, by=by, reason="Salle ajoutée")
    return room


@transaction.atomic
def room_update(*, by: Actor, room: Room, version: int, **changes: Any) -> Room:
    """A room's capacity, equipment or unavailable dates; the next planning (and the checker) reads them."""
    require_ability(room, by, "change", REGION_ONLY)
    if "unavailable" in changes:
        changes["unavailable"] = _unavailable(changes["unavailable"])
    return update_versioned(room, by=by, version=version, changes=changes, allowed=ROOM_FIELDS)


def _available(values: Sequence[Any]) -> list[str]:
    try:
        return sorted({str(v if isinstance(v, p.HalfDay) else p.HalfDay.parse(str(v))) for v in values})
    except ValueError as exc:
        raise ValidationError({"available": str(exc)}) from exc


def trainer_candidates(plan: TrainingPlan) -> QuerySet[Person]:
    """People who may train in this plan: the « Formateur » role today, in the region or the programme's team."""
    return Person.objects.filter(
        pk__in=Assignment.objects.active()
        .filter(role=Role.TRAINER)
        .filter(
            Q(structure__path__startswith=plan.region.path)
            | Q(structure__path__startswith=plan.programme.owner.path)
        )
        .values("person_id")
    )


def _check_trainer(plan: TrainingPlan, person: Person, courses: Sequence[Course]) -> None:
    if not trainer_candidates(plan).filter(pk=person.pk).exists():
        raise ValidationError(
            {"person": "Le formateur a le rôle « Formateur » dans la région ou dans l'équipe du programme."}
        )
    if any(c.programme_id != plan.programme_id for c in courses):
        raise ValidationError({"courses": "Un formateur donne des cours de ce programme."})
    if not courses:
        raise ValidationError({"courses": "Indiquez au moins un cours que ce formateur donne."})


@transaction.atomic
def trainer_add(
    *,
    by: Actor,
    plan: TrainingPlan,
    person: Person,
    courses: Sequence[Course],
    available: Sequence[Any],
    city: str = "",
) -> Trainer:
    require_ability(plan, by, "change", REGION_ONLY)
    _check_trainer(plan, person, courses)
    trainer = Trainer(plan=plan, person=person, available=_available(available), city=city.strip())
    save_historised(trainer, by=by, reason="Formateur ajouté")
    trainer.courses.set(courses)
    return trainer


@transaction.atomic
def trainer_update(
    *,
    by: Actor,
    trainer: Trainer,
    version: int,
    courses: Sequence[Course],
    available: Sequence[Any],
    city: str = "",
) -> Trainer:
    """The courses a trainer gives, their availability and home site; sessions already planned keep them until
    the next planning (a published session that no longer fits is reported on the plan's page)."""
    require_ability(trainer, by, "change", REGION_ONLY)
    current = lock_version(Trainer, trainer.pk, version)
    _check_trainer(current.plan, current.person, courses)
    current.available, current.city = _available(available), city.strip()
    save_historised(current, by=by, reason="Disponibilités mises à jour")
    current.courses.set(courses)
    return current
