"""Demo indicators of the Chorus-like programme, measured each month by the departments since June 2026 (some
departments late to answer), so that consolidation, answer rates and trends have something to show."""

from __future__ import annotations

import random
from datetime import date
from decimal import Decimal

from django.db import transaction

from bascule.core.system import SYSTEM
from bascule.indicators import services
from bascule.indicators.models import Indicator
from bascule.organisation.models import Structure, StructureKind
from bascule.programmes.models import Action, Programme

CODE = "CHORUS-MAP"
MONTHS = [date(2026, 6, 30), date(2026, 7, 31), date(2026, 8, 31), date(2026, 9, 30), date(2026, 10, 31)]


@transaction.atomic
def load_demo() -> list[str]:
    programme = Programme.objects.filter(code=CODE).first()
    if programme is None:
        return ["Indicateurs de démonstration : pas de programme de démonstration, rien à faire."]
    if Indicator.objects.filter(programme=programme).exists():
        return ["Indicateurs de démonstration déjà présents : conservés tels quels."]
    trained = services.indicator_create(
        by=SYSTEM,
        programme=programme,
        code="FORM",
        name="Agents formés à Chorus",
        description="Part des agents utilisateurs de Chorus ayant suivi les trois étapes de formation.",
        unit="%",
        aggregation="weighted",
        target_value=Decimal(95),
        target_date=date(2026, 12, 31),
        expected_kind=StructureKind.DEPARTMENT,
    )
    posts = services.indicator_create(
        by=SYSTEM,
        programme=programme,
        code="POSTES",
        name="Postes de travail installés",
        unit="postes",
        aggregation="sum",
        target_value=Decimal(4000),
        target_date=date(2026, 12, 31),
        expected_kind=StructureKind.DEPARTMENT,
    )
    rng = random.Random(95)
    count = 0
    for department in Structure.objects.filter(kind=StructureKind.DEPARTMENT).order_by("code"):
        agents = Decimal(rng.randrange(20, 120))
        progress = rng.uniform(5, 30)
        answers_from = rng.choice([0, 0, 0, 1, 2])  # some departments started answering later
        for number, day in enumerate(MONTHS):
            progress = min(100.0, progress + rng.uniform(5, 20))
            if number < answers_from:
                continue
            services.measurement_record(
                by=SYSTEM,
                indicator=trained,
                structure=department,
                measured_on=day,
                value=Decimal(round(progress, 1)).quantize(Decimal("0.1")),
                coverage=agents,
                source="Recensement",
            )
            services.measurement_record(
                by=SYSTEM,
                indicator=posts,
                structure=department,
                measured_on=day,
                value=Decimal(int(agents * Decimal(progress) / 100)),
                source="Inventaire",
            )
            count += 2
    # The training indicator measures the plan's training actions.
    training = list(
        Action.objects.filter(programme=programme, title__icontains="form")
        .order_by("code")
        .values_list("code", flat=True)[:6]
    )
    trained.refresh_from_db()
    services.indicator_link_actions(by=SYSTEM, indicator=trained, version=trained.version, codes=training)
    return [
        f"Indicateurs : 2 indicateurs, {count} mesures des départements, {len(training)} actions liées à la formation."
    ]
