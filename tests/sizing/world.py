"""What sizing adds to the test world: two ministries, a shared centre in each region (a head and a deputy in
Bretagne), two waves, the reference sizing with volumes for both centres, and a cost comparison."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from bascule.core.roles import Role
from bascule.organisation.models import Assignment, StructureKind
from bascule.programmes.services import wave_create
from bascule.sizing import services
from tests.factories import PersonFactory, make_structure

ORDER = 40  # after programmes


def extend_world(world: Any) -> None:
    national = world.national
    world.ecology = make_structure("MTECT", parent=world.root, kind=StructureKind.MINISTRY, name="Écologie")
    world.agriculture = make_structure(
        "MASA", parent=world.root, kind=StructureKind.MINISTRY, name="Agriculture"
    )
    world.centre_bzh = make_structure(
        "CPCM-53", parent=world.bretagne, kind=StructureKind.SHARED_CENTRE, name="CPCM Bretagne", region="53"
    )
    world.centre_nor = make_structure(
        "CPCM-28",
        parent=world.normandie,
        kind=StructureKind.SHARED_CENTRE,
        name="CPCM Normandie",
        region="28",
    )
    world.wave1 = wave_create(
        by=national, programme=world.programme, name="Vague 1", golive_date=date(2027, 1, 1), structures=[]
    )
    world.wave2 = wave_create(
        by=national, programme=world.programme, name="Vague 2", golive_date=date(2028, 1, 1), structures=[]
    )
    head = PersonFactory(
        structure=world.centre_bzh, email="chef.cpcm53@test.gouv.fr", ministry_of_origin=world.ecology
    )
    deputy = PersonFactory(
        structure=world.centre_bzh, email="adjoint.cpcm53@test.gouv.fr", ministry_of_origin=world.agriculture
    )
    for person, role in ((head, Role.CENTRE_HEAD), (deputy, Role.CENTRE_DEPUTY)):
        Assignment.objects.create(
            person=person, role=role, structure=world.centre_bzh, start_date="2026-09-01"
        )
    world.sizing = services.sizing_create(
        by=national,
        programme=world.programme,
        name="Référence",
        ministry_a=world.ecology,
        host_a="DREAL",
        ministry_b=world.agriculture,
        host_b="DRAAF",
    )
    # domain.md §8's worked example in Bretagne (one antenna), half of it in Normandy
    for centre, scale, antennas in ((world.centre_bzh, 1, 1), (world.centre_nor, 2, 0)):
        for wave in (world.wave1, world.wave2):
            services.centre_input_set(
                by=national,
                sizing=world.sizing,
                centre=centre,
                wave=wave,
                host="DREAL",
                antennas=antennas,
                volumes={
                    world.ecology: (30_000 // scale, 6_000 // scale),
                    world.agriculture: (9_000 // scale, 1_000 // scale),
                },
            )
    world.exception_nor = services.leadership_exception_set(
        by=national, centre=world.centre_nor, reason="Centre préfigurateur : encadrement provisoire"
    )
    world.costs = services.cost_comparison_create(
        by=national, programme=world.programme, name="Seul ou mutualisé", first_year=2027, years=5
    )
    world.cost_line, _ = services.cost_line_set(
        by=national,
        comparison=world.costs,
        option="Seul",
        label="Serveurs",
        category="infrastructure",
        recurring=False,
        from_year=2027,
        amount=Decimal(100_000),
    )
