"""Demo training plan for Bretagne: five courses over three steps and four profiles, the region's agents as the
census (profile by role, city of their department), four rooms and four trainers; planned by the solver over ten
weeks that started three weeks ago, published, and the attendance of the sessions already held recorded (one
absentee back in the census)."""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from bascule.core.system import SYSTEM
from bascule.organisation.models import Person, Structure
from bascule.programmes.models import Programme, Wave
from bascule.training import preparation, services
from bascule.training.models import City, Course, Session, TrainingPlan

CODE = "CHORUS-MAP"
CITIES = {  # prefecture of each Breton department, and Brest
    "Rennes": ("48.11198", "-1.68186"),
    "Saint-Brieuc": ("48.51418", "-2.76502"),
    "Quimper": ("47.99601", "-4.10240"),
    "Vannes": ("47.65801", "-2.76085"),
    "Brest": ("48.39040", "-4.48608"),
    "Lorient": ("47.74806", "-3.37028"),
}
DEPARTMENT_CITY = {"22": "Saint-Brieuc", "29": "Quimper", "35": "Rennes", "56": "Vannes"}
PROFILES = ("gestionnaire", "valideur", "référent métier", "consultation")
COURSES = [  # code, title, step, half-days, capacity, profiles, workstations, before takeover
    (
        "F1",
        "Fondamentaux : LOLF, les trois comptabilités, la reprise des données",
        1,
        2,
        16,
        PROFILES,
        False,
        True,
    ),
    (
        "F2",
        "Engagements juridiques complexes et environnement du système",
        2,
        2,
        14,
        PROFILES[:3],
        False,
        False,
    ),
    (
        "F3-GEST",
        "L'outil : saisie des engagements et des services faits",
        3,
        2,
        12,
        ("gestionnaire",),
        True,
        False,
    ),
    ("F3-VAL", "L'outil : validation et circuits", 3, 1, 12, ("valideur", "référent métier"), True, False),
    ("F3-CONS", "L'outil : consultation et restitutions", 3, 1, 14, ("consultation",), True, False),
]


@transaction.atomic
def load_demo() -> list[str]:
    programme = Programme.objects.filter(code=CODE).first()
    region = Structure.objects.filter(code="R53").first()
    if programme is None or region is None:
        return [
            "Formation de démonstration : pas de programme ou de Bretagne de démonstration, rien à faire."
        ]
    if TrainingPlan.objects.filter(programme=programme).exists():
        return ["Formation de démonstration déjà présente : conservée telle quelle."]
    today = timezone.localdate()
    wave = (
        Wave.objects.filter(
            programme=programme, structures=region, golive_date__gt=today + timedelta(days=60)
        )
        .order_by("golive_date")
        .first()
    )
    if wave is None:
        return ["Formation de démonstration : aucune vague à venir pour la Bretagne."]
    for name, (lat, lon) in CITIES.items():
        City.objects.get_or_create(name=name, defaults={"latitude": Decimal(lat), "longitude": Decimal(lon)})
    courses: dict[str, Course] = {}
    for code, title, step, duration, capacity, profiles, workstations, before in COURSES:
        courses[code] = preparation.course_create(
            by=SYSTEM,
            programme=programme,
            code=code,
            title=title,
            step=step,
            duration_half_days=duration,
            capacity=capacity,
            profiles=list(profiles),
            workstations=workstations,
            before_takeover=before,
            prerequisites=[c for c in courses.values() if c.step < step],
        )
    start = today - timedelta(days=21)
    plan = preparation.plan_create(
        by=SYSTEM,
        programme=programme,
        region=region,
        wave=wave,
        starts_on=start,
        ends_on=start + timedelta(days=69),
        census_closes_on=start + timedelta(days=7),
        takeover_on=start + timedelta(days=42),
    )
    rng = random.Random(53)
    people = list(
        Person.objects.filter(structure__path__startswith=region.path)
        .select_related("structure")
        .order_by("last_name", "first_name")
    )
    trainers = list(
        preparation.trainer_candidates(plan)
        .filter(structure__path__startswith=region.path)
        .order_by("last_name", "first_name")[:4]
    )
    census = [person for person in people if person not in trainers]
    census_start = plan.census_closes_on
    # the census was taken while it was open
    TrainingPlan.objects.filter(pk=plan.pk).update(census_closes_on=today)
    plan.refresh_from_db()
    for index, person in enumerate(census):
        city = DEPARTMENT_CITY.get(person.structure.department, "Rennes")
        preparation.trainee_add(
            by=SYSTEM,
            plan=plan,
            person=person,
            structure=person.structure,
            profile=PROFILES[index % len(PROFILES)],
            city=city,
        )
    TrainingPlan.objects.filter(pk=plan.pk).update(census_closes_on=census_start)
    plan.refresh_from_db()
    for code, site, city, capacity, workstations in (
        ("RNS-1", "Cité administrative", "Rennes", 16, True),
        ("QMP-1", "Préfecture du Finistère", "Quimper", 14, True),
        ("VNS-1", "Direction départementale", "Vannes", 16, False),
        ("SBR-1", "Centre de formation", "Saint-Brieuc", 12, True),
    ):
        preparation.room_add(
            by=SYSTEM,
            plan=plan,
            code=code,
            site=site,
            city=city,
            capacity=capacity,
            workstations=workstations,
        )
    horizon = services.horizon(plan)
    for index, person in enumerate(trainers):
        given = [courses["F1"], courses["F2"]] if index % 2 else list(courses.values())
        available = [str(h) for h in horizon if rng.random() < 0.8]
        preparation.trainer_add(
            by=SYSTEM,
            plan=plan,
            person=person,
            courses=given,
            available=available,
            city=DEPARTMENT_CITY.get(person.structure.department, "Rennes"),
        )
    # A bounded amount of solver work, not of time: the same demo plan on every machine (setting, short in tests).
    result = services.schedule(by=SYSTEM, plan=plan, seconds=120, work=settings.BASCULE_DEMO_SOLVER_WORK)
    services.publish(by=SYSTEM, plan=plan, notify=False)
    held = list(
        Session.objects.filter(plan=plan, starts_on__lt=today)
        .select_related("course")
        .prefetch_related("seats")
        .order_by("starts_on", "pk")
    )
    # one absentee, back in the census: in the last course of their curriculum held so far
    full = [s for s in held if len(s.seats.all()) > 1]  # (whatever plan the solver found in its time)
    missed = next((s for s in reversed(full) if s.course.step == 3), full[-1] if full else None)
    absent = 0
    for session in held:
        present = [s.trainee_id for s in session.seats.all()]
        if session == missed and len(present) > 1:
            present = present[1:]
            absent += 1
        services.attendance_record(by=SYSTEM, session=session, present=present)
    return [
        f"Formation de démonstration en Bretagne ({wave.name}) : {len(census)} stagiaires, {len(courses)} cours, "
        f"4 salles, 4 formateurs ; {result.stats['sessions']} sessions planifiées ({result.stats['solver_status']}, "
        f"{result.stats['travel_km']} km), {len(result.unscheduled)} besoin(s) non planifié(s) ; présence relevée "
        f"pour {len(held)} session(s) passée(s), {absent} absent à replanifier."
    ]
