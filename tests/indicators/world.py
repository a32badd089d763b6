"""What indicators add to the test world: a weighted percentage measured by both departments, and a sum."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from bascule.indicators import services

ORDER = 30  # after programmes


def extend_world(world: Any) -> None:
    world.indicator = services.indicator_create(
        by=world.national,
        programme=world.programme,
        code="FORM",
        name="Agents formés",
        unit="%",
        aggregation="weighted",
        target_value=Decimal(90),
        target_date=date(2025, 12, 31),
        expected_kind="department",
    )
    for structure, by, value, coverage in (
        (world.finistere, world.referent_29, 80, 100),
        (world.calvados, world.lead_nor, 50, 300),
    ):
        services.measurement_record(
            by=by,
            indicator=world.indicator,
            structure=structure,
            measured_on=date(2025, 5, 31),
            value=Decimal(value),
            coverage=Decimal(coverage),
        )
