"""The sizing arithmetic, pure and exact (`Decimal`, never floats): no database, no Django.

For one centre at one wave (domain.md §8):
    acts of a ministry     = (mandats × coefficient + titres × weight) × (1 + volume growth)
    FTE of a ministry      = acts / (acts per agent × (1 + productivity gain)), then the rounding rule
    management             = per centre + per antenna × (antennas + extra antennas)
    total                  = Σ FTE + management
The rounding rule applies to each ministry's FTE ("none" keeps the hundredth, as shown, so that every total adds up
to the figures on the page); totals of a wave, a region or the nation are always recomputed from the centres' detail.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal, localcontext

HUNDREDTH = Decimal("0.01")
UNIT = Decimal("1")
ROUNDINGS = {
    "none": (HUNDREDTH, ROUND_HALF_UP),
    "nearest": (UNIT, ROUND_HALF_UP),
    "up": (UNIT, ROUND_CEILING),
    "down": (UNIT, ROUND_FLOOR),
}


@dataclass(frozen=True)
class Params:
    payment_coefficient: Decimal = Decimal("2.66")
    revenue_weight: Decimal = Decimal("1")
    acts_per_agent: Decimal = Decimal("3000")
    management_per_centre: Decimal = Decimal("2")
    management_per_antenna: Decimal = Decimal("2")
    rounding: str = "nearest"
    productivity_gain: Decimal = Decimal("0")  # percent
    volume_growth: Decimal = Decimal("0")  # percent
    extra_antennas: int = 0

    def __post_init__(self) -> None:
        if self.rounding not in ROUNDINGS:
            raise ValueError(f"Arrondi inconnu « {self.rounding} » : {', '.join(ROUNDINGS)}.")
        if self.acts_per_agent * (1 + self.productivity_gain / 100) <= 0:
            raise ValueError("Le nombre d'actes par agent doit rester positif.")


@dataclass(frozen=True)
class CentreWave:
    """The inputs of one centre at one wave (keys are codes, so the CLI needs no database)."""

    centre: str
    wave: str
    antennas: int
    volumes: Mapping[str, tuple[int, int]]  # ministry → (mandats, titres)
    region: str = ""
    host: str = ""
    host_ministry: str = ""


@dataclass
class Figures:
    acts_by_ministry: dict[str, Decimal] = field(default_factory=dict)
    fte_by_ministry: dict[str, Decimal] = field(default_factory=dict)
    management: Decimal = Decimal("0")
    antennas: int = 0

    @property
    def fte(self) -> Decimal:
        """Staff excluding management."""
        return sum(self.fte_by_ministry.values(), Decimal("0"))

    @property
    def total(self) -> Decimal:
        return self.fte + self.management

    def add(self, other: Figures) -> None:
        for ministry, acts in other.acts_by_ministry.items():
            self.acts_by_ministry[ministry] = self.acts_by_ministry.get(ministry, Decimal("0")) + acts
        for ministry, fte in other.fte_by_ministry.items():
            self.fte_by_ministry[ministry] = self.fte_by_ministry.get(ministry, Decimal("0")) + fte
        self.management += other.management
        self.antennas += other.antennas


def acts(params: Params, mandats: int, titres: int) -> Decimal:
    base = Decimal(mandats) * params.payment_coefficient + Decimal(titres) * params.revenue_weight
    return base * (1 + params.volume_growth / 100)


def fte(params: Params, acts_count: Decimal) -> Decimal:
    quantum, mode = ROUNDINGS[params.rounding]
    with localcontext() as context:
        context.prec = 50
        raw = acts_count / (params.acts_per_agent * (1 + params.productivity_gain / 100))
        return raw.quantize(quantum, rounding=mode)


def centre_figures(params: Params, inputs: CentreWave) -> Figures:
    figures = Figures(antennas=inputs.antennas + params.extra_antennas)
    for ministry, (mandats, titres) in sorted(inputs.volumes.items()):
        count = acts(params, mandats, titres)
        figures.acts_by_ministry[ministry] = count
        figures.fte_by_ministry[ministry] = fte(params, count)
    figures.management = params.management_per_centre + params.management_per_antenna * figures.antennas
    return figures


def totals(figures: Iterable[Figures]) -> Figures:
    """The sum of centres' figures (a wave, a region, the nation)."""
    total = Figures()
    for item in figures:
        total.add(item)
    return total


def as_json(figures: Figures) -> dict[str, object]:
    """Numbers as decimal strings (the CLI's and the API's form)."""
    return {
        "acts_by_ministry": {m: str(v) for m, v in sorted(figures.acts_by_ministry.items())},
        "fte_by_ministry": {m: str(v) for m, v in sorted(figures.fte_by_ministry.items())},
        "fte": str(figures.fte),
        "antennas": figures.antennas,
        "management": str(figures.management),
        "total": str(figures.total),
    }
