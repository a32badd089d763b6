"""Demo sizing of the Chorus-like programme: one shared centre per region over the three waves (volumes growing as
services switch; two centres with an antenna), a what-if scenario, a five-year cost comparison, and the centres'
heads and deputies set to follow the leadership rule — except in Bretagne, whose deputy comes from the host ministry
(the staffing page flags it)."""

from __future__ import annotations

import random
from decimal import Decimal

from django.db import transaction

from bascule.core.roles import Role
from bascule.core.system import SYSTEM
from bascule.organisation import services as organisation
from bascule.organisation.models import Assignment, Structure, StructureKind
from bascule.programmes.models import Programme
from bascule.sizing import services
from bascule.sizing.models import CostCategory, Sizing

CODE = "CHORUS-MAP"
NAME = "Dimensionnement de référence"
RAMP = (Decimal("0.5"), Decimal("0.8"), Decimal("1"))  # share of the full volume processed after each wave


@transaction.atomic
def load_demo() -> list[str]:
    programme = Programme.objects.filter(code=CODE).first()
    if programme is None:
        return ["Dimensionnement de démonstration : pas de programme de démonstration, rien à faire."]
    if Sizing.objects.filter(programme=programme).exists():
        return ["Dimensionnement de démonstration déjà présent : conservé tel quel."]
    ministries = {s.code: s for s in Structure.objects.filter(kind=StructureKind.MINISTRY)}
    ecology, agriculture = ministries["MTECT"], ministries["MASA"]
    sizing = services.sizing_create(
        by=SYSTEM,
        programme=programme,
        name=NAME,
        description="Volumes 2026 des services des deux ministères, montée en charge à chaque vague.",
        ministry_a=ecology,
        host_a="DREAL",
        ministry_b=agriculture,
        host_b="DRAAF",
    )
    waves = list(programme.waves.order_by("golive_date"))
    rng = random.Random(2028)
    centres = list(Structure.objects.filter(kind=StructureKind.SHARED_CENTRE).order_by("code"))
    with_antenna = set(
        Structure.objects.filter(kind=StructureKind.ANTENNA, parent__in=centres).values_list(
            "parent_id", flat=True
        )
    )
    for centre in centres:
        full = {
            ecology: (rng.randrange(18_000, 42_000, 100), rng.randrange(3_000, 8_000, 50)),
            agriculture: (rng.randrange(5_000, 14_000, 100), rng.randrange(500, 2_500, 50)),
        }
        for wave, share in zip(waves, RAMP, strict=False):
            services.centre_input_set(
                by=SYSTEM,
                sizing=sizing,
                centre=centre,
                wave=wave,
                host="DREAL",
                antennas=1 if centre.pk in with_antenna else 0,
                volumes={m: (int(a * share), int(t * share)) for m, (a, t) in full.items()},
            )
        _leaders_follow_the_rule(centre, host=ecology, other=agriculture, broken=centre.region == "53")
    scenario = services.scenario_create(
        by=SYSTEM,
        sizing=sizing,
        name="Scénario dématérialisation",
        description="Factures et formulaires dématérialisés : +15 % de productivité ; volumes +5 %.",
        productivity_gain=Decimal("15"),
        volume_growth=Decimal("5"),
    )
    comparison = services.cost_comparison_create(
        by=SYSTEM,
        programme=programme,
        name="Parapheur électronique : seul ou mutualisé",
        description="Porter seul une solution de parapheur ou rejoindre la solution mutualisée, sur 5 ans.",
        first_year=2027,
        years=5,
    )
    lines = [
        (
            "Solution propre",
            CostCategory.INFRASTRUCTURE,
            "Serveurs et hébergement",
            False,
            2027,
            120_000,
            0,
            0,
        ),
        ("Solution propre", CostCategory.MAINTENANCE, "Maintenance applicative", True, 2028, 35_000, 0, 0),
        ("Solution propre", CostCategory.CONNECTORS, "Connecteurs Chorus", False, 2027, 40_000, 0, 0),
        ("Solution propre", CostCategory.STAFF, "Équipe projet", True, 2027, 0, 220, 600),
        ("Solution mutualisée", CostCategory.VOLUME, "Abonnement selon volumétrie", True, 2027, 48_000, 0, 0),
        ("Solution mutualisée", CostCategory.CONNECTORS, "Raccordement", False, 2027, 25_000, 0, 0),
        ("Solution mutualisée", CostCategory.STAFF, "Accompagnement", True, 2027, 0, 60, 600),
    ]
    for option, category, label, recurring, year, amount, days, daily in lines:
        services.cost_line_set(
            by=SYSTEM,
            comparison=comparison,
            option=option,
            label=label,
            category=category,
            recurring=recurring,
            from_year=year,
            amount=Decimal(amount),
            days=Decimal(days),
            daily_cost=Decimal(daily),
        )
    return [
        f"Dimensionnement de démonstration : {len(centres)} centres × {len(waves)} vagues, "
        f"scénario « {scenario.name} », comparaison « {comparison.name} »."
    ]


def _leaders_follow_the_rule(centre: Structure, *, host: Structure, other: Structure, broken: bool) -> None:
    """Heads from the host ministry, deputies from the other (Bretagne's deputy breaks the rule)."""
    for assignment in Assignment.objects.filter(
        structure=centre, role__in=[Role.CENTRE_HEAD, Role.CENTRE_DEPUTY]
    ).select_related("person"):
        wanted = host if assignment.role == Role.CENTRE_HEAD or broken else other
        person = assignment.person
        if person.ministry_of_origin_id != wanted.pk:
            organisation.person_update(
                by=SYSTEM, person=person, version=person.version, ministry_of_origin=wanted
            )
