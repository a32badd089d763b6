"""What the support desk adds to a programme's set-up: its support policy in the checklist and in a copy."""

from __future__ import annotations

from bascule.assistance.models import SupportPolicy
from bascule.core.system import Actor
from bascule.programmes.models import Programme
from bascule.programmes.setup import ProgrammePart, copy_rows, register_programme_part


def _present(programme: Programme) -> str:
    return "délais et plafonds définis" if SupportPolicy.objects.filter(programme=programme).exists() else ""


def _copy(source: Programme, target: Programme, by: Actor) -> str:
    policies = list(SupportPolicy.objects.filter(programme=source))
    copy_rows(policies, by=by, reason=f"Copie de {source.code}", programme=target)
    return "la politique de support" if policies else ""


def register() -> None:
    register_programme_part(ProgrammePart("support", "Politique de support", _present, _copy))
