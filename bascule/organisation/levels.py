"""The levels of the organisation (regions, departments) at which a user edits structures."""

from __future__ import annotations

import contextlib

from bascule.core.system import Actor
from bascule.organisation.models import Structure, StructureKind


def instantiable_kinds(user: Actor) -> tuple[str, ...]:
    """The levels (region, department) at which the user edits at least one structure: where instancing a
    programme's workstreams can create some (read once per user object, i.e. per request)."""
    cached: tuple[str, ...] | None = getattr(user, "_bascule_instantiable_kinds", None)
    if cached is None:
        levels = (StructureKind.REGION, StructureKind.DEPARTMENT)
        found = set(
            Structure.objects.editable_by(user)
            .filter(kind__in=levels)
            .values_list("kind", flat=True)
            .distinct()
        )
        cached = tuple(str(kind) for kind in levels if kind in found)
        with contextlib.suppress(AttributeError):  # the system actor keeps nothing
            user._bascule_instantiable_kinds = cached  # type: ignore[attr-defined]
    return cached
