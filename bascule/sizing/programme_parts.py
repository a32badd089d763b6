"""What sizing adds to a wave's move: its centre inputs follow the wave (they name it), shown in the preview."""

from __future__ import annotations

from datetime import timedelta

from bascule.core.system import Actor
from bascule.programmes.models import Wave
from bascule.programmes.wave_moves import EXAMPLES, Consequence, WaveDependent, register_wave_dependent
from bascule.sizing.models import CentreInput


def _preview(wave: Wave, delta: timedelta) -> Consequence | None:
    inputs = list(
        CentreInput.objects.filter(wave=wave)
        .select_related("centre", "sizing")
        .order_by("sizing__name", "centre__code")
    )
    if not inputs:
        return None
    examples = [f"{i.sizing.name} — {i.centre.code}" for i in inputs[:EXAMPLES]]
    return Consequence(
        "Données de dimensionnement des centres (vague de référence)", len(inputs), examples, moves=False
    )


def _apply(wave: Wave, delta: timedelta, by: Actor) -> int:
    return 0  # they name the wave: its new date is theirs, and staffing is read on it


def register() -> None:
    register_wave_dependent(WaveDependent("sizing.inputs", _preview, _apply))
