"""What training adds to the test world: a two-step curriculum, a plan in each region with its census, a room and a
trainer, both plans scheduled (not published)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone

from bascule.core.roles import Role
from bascule.organisation.models import Assignment
from bascule.programmes.services import wave_create
from bascule.training import preparation, services
from bascule.training.models import City

ORDER = 60  # after programmes


def extend_world(world: Any) -> None:
    national = world.national
    today = timezone.localdate()
    for name, lat, lon in (
        ("Quimper", "47.99601", "-4.10240"),
        ("Caen", "49.18290", "-0.37070"),
        ("Rennes", "48.11198", "-1.68186"),
    ):
        City.objects.get_or_create(name=name, defaults={"latitude": Decimal(lat), "longitude": Decimal(lon)})
    world.training_wave = wave_create(
        by=national,
        programme=world.programme,
        name="Vague formation",
        golive_date=today + timedelta(days=60),
        structures=[world.bretagne, world.normandie],
    )
    world.course1 = preparation.course_create(
        by=national,
        programme=world.programme,
        code="F1",
        title="Fondamentaux",
        step=1,
        duration_half_days=2,
        capacity=10,
        profiles=["gestionnaire", "valideur"],
    )
    world.course3 = preparation.course_create(
        by=national,
        programme=world.programme,
        code="F3",
        title="L'outil",
        step=3,
        duration_half_days=1,
        capacity=10,
        profiles=["gestionnaire"],
        workstations=True,
        prerequisites=[world.course1],
    )
    world.plans = {}
    for region, by, person, structure, city in (
        (world.bretagne, world.lead_bzh, world.person_bzh, world.ddtm29, "Quimper"),
        (world.normandie, world.lead_nor, world.person_nor, world.ddtm14, "Caen"),
    ):
        Assignment.objects.create(
            person=person, role=Role.TRAINER, structure=structure, start_date="2021-01-01"
        )
        plan = preparation.plan_create(
            by=by,
            programme=world.programme,
            region=region,
            wave=world.training_wave,
            starts_on=today + timedelta(days=7),
            ends_on=today + timedelta(days=27),
            census_closes_on=today + timedelta(days=5),
        )
        for n in range(3):
            preparation.trainee_add(
                by=by,
                plan=plan,
                structure=structure,
                profile="gestionnaire" if n else "valideur",
                city=city,
                name=f"Stagiaire {region.code}-{n}",
                email=f"stagiaire{n}.{region.code.lower()}@test.gouv.fr",
            )
        preparation.room_add(
            by=by,
            plan=plan,
            code=f"S-{region.code}",
            site="Cité administrative",
            city=city,
            capacity=10,
            workstations=True,
        )
        preparation.trainer_add(
            by=by,
            plan=plan,
            person=person,
            courses=[world.course1, world.course3],
            available=[str(h) for h in services.horizon(plan)],
            city=city,
        )
        world.plans[region.code] = plan
    world.plan_bzh, world.plan_nor = world.plans["R53"], world.plans["R28"]
    services.schedule(
        by=world.lead_nor, plan=world.plan_nor, seconds=60, work=1.0
    )  # the same plan everywhere
    services.schedule(by=world.lead_bzh, plan=world.plan_bzh, seconds=60, work=1.0)
    world.session_nor = world.plan_nor.sessions.order_by("starts_on").first()
