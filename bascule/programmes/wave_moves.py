"""What moves with a wave's go-live date: each module registers its dependents (training plans, sizing inputs…);
programmes registers its own (the milestones and deliverables of the workstreams the wave covers).

`preview` says what would move, before anything is written; `apply` moves it (inside the caller's transaction,
so a failure anywhere moves nothing). Both receive the wave and the shift in days.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from bascule.core.system import Actor


@dataclass(frozen=True)
class Consequence:
    label: str  # « Jalons et livrables des chantiers »
    count: int
    examples: list[str] = field(
        default_factory=list
    )  # a few lines « Bretagne — Jalon X : 01/03/2027 → 15/03/2027 »
    moves: bool = True  # False: follows the wave by reference (nothing to write), shown for information


@dataclass(frozen=True)
class WaveDependent:
    name: str
    preview: Callable[[Any, timedelta], Consequence | None]
    apply: Callable[[Any, timedelta, Actor], int]


WAVE_DEPENDENTS: dict[str, WaveDependent] = {}
EXAMPLES = 5


def register_wave_dependent(dependent: WaveDependent) -> None:
    WAVE_DEPENDENTS[dependent.name] = dependent


def shifted(day: Any, delta: timedelta) -> Any:
    return None if day is None else day + delta
