"""What the catalogue and the service links add to the test world: a role added by national steering, and in
Normandy a DDTM served by its department for accounting, with a signed contract deposited."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.files.base import ContentFile

from bascule.organisation import services
from bascule.organisation.models import ServiceKind

ORDER = 6  # right after core, before programmes


def extend_world(world: Any) -> None:
    world.role_added = services.role_create(
        by=world.national, code="correspondant-archives", name="Correspondant archives", rank=30
    )
    world.link_nor = services.service_link_create(
        by=world.national,
        client=world.ddtm14,
        provider=world.calvados,
        kind=ServiceKind.ACCOUNTING,
        start_date=date(2026, 1, 1),
    )
    world.contract_nor = services.contract_deposit(
        by=world.national, link=world.link_nor, upload=ContentFile(b"contrat", name="contrat-nor.pdf")
    )
    world.link_bzh = services.service_link_create(
        by=world.national, client=world.ddtm29, provider=world.finistere, kind=ServiceKind.PAYROLL
    )
    world.contract_bzh = services.contract_deposit(
        by=world.national, link=world.link_bzh, upload=ContentFile(b"contrat", name="contrat-bzh.pdf")
    )
