"""What indicators add to a programme's set-up: the checklist line and the copy of their definitions."""

from __future__ import annotations

from bascule.core.system import Actor
from bascule.indicators.models import Indicator
from bascule.programmes.models import Programme
from bascule.programmes.setup import ProgrammePart, copy_rows, register_programme_part


def _present(programme: Programme) -> str:
    count = Indicator.objects.filter(programme=programme).count()
    return f"{count} indicateur(s)" if count else ""


def _copy(source: Programme, target: Programme, by: Actor) -> str:
    indicators = list(Indicator.objects.filter(programme=source))
    copy_rows(indicators, by=by, reason=f"Copie de {source.code}", programme=target)  # not their measurements
    return f"{len(indicators)} indicateurs (sans leurs mesures)" if indicators else ""


def register() -> None:
    register_programme_part(ProgrammePart("indicators", "Indicateurs", _present, _copy))
