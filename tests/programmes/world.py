"""What programme steering adds to the test world: a programme with the standard workstreams in both regions,
a national, a Breton and a Norman action, a committee decision and a deliverable deposited in each region."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.files.base import ContentFile

from bascule.programmes.models import InstanceItem
from bascule.programmes.services import workstreams_instantiate
from tests.programmes.factories import (
    ActionFactory,
    DecisionFactory,
    DeliverableDepositFactory,
    ProgrammeFactory,
)

ORDER = 10  # after organisation (the base world); modules that build on programmes come later


def extend_world(world: Any) -> None:
    national = world.national
    world.programme = ProgrammeFactory(
        by=national,
        code="CHORUS",
        name="Déploiement de Chorus",
        owner=world.national_office,
        standard_workstreams=True,
    )
    intermin = world.bretagne.parent
    workstreams_instantiate(by=national, programme=world.programme, root=intermin)
    world.action_national = ActionFactory(
        by=national,
        programme=world.programme,
        code="1-1",
        title="Action nationale",
        deliverables_text="fin 2021",
    )
    world.action_bzh = ActionFactory(
        by=national,
        programme=world.programme,
        code="2-1",
        title="Action bretonne",
        structure=world.bretagne,
        lead_text="DDTM-29, en lien avec D29",
        deliverables_text="T2 2024",
    )
    world.action_nor = ActionFactory(
        by=national,
        programme=world.programme,
        code="3-1",
        title="Action normande",
        structure=world.normandie,
        deliverables_text="2020",
    )
    world.decision = DecisionFactory(
        by=national, programme=world.programme, taken_on="2025-06-01", title="Lancer la vague 1"
    )
    for region in (world.bretagne, world.normandie):
        item = InstanceItem.objects.filter(workstream__structure=region, kind="deliverable").first()
        upload = ContentFile(b"inventaire", name=f"inventaire-{region.code}.csv")
        DeliverableDepositFactory(by=national, item=item, upload=upload)
    # Set-up objects (in Normandy where they have a place): a wave and a reference document.
    from bascule.programmes.services import wave_create
    from bascule.programmes.setup import document_deposit

    world.wave_nor = wave_create(
        by=national,
        programme=world.programme,
        name="Vague Normandie",
        golive_date=date(2027, 7, 1),
        structures=[world.normandie],
    )
    world.document = document_deposit(
        by=national,
        programme=world.programme,
        title="Note de cadrage",
        upload=ContentFile(b"note", name="note.pdf"),
    )
