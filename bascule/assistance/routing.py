"""Levels follow the organisation: who handles a ticket at each level, read from the referential's assignments.

- level 1: the nearest structure at or above the requester's that has a proximity referent, CFA or business referent
  (the region when none has);
- level 2: the structure serving the requester's for the ticket's domain (a service link « servie par »: the DDI's
  accounting centre for an accounting request; a support link when the domain is not given), read on the
  requester's structure, else the nearest above that has such links; without one, the region's support pole — the
  structure of the region whose agents hold the support pole role (the region itself when none has: its regional
  lead answers);
- level 3: the programme's owner structure (project team: CPU, CPI, national steering).
Four queries per ticket, whatever the depth of the tree (the ancestors are read from the materialised path).
"""

from __future__ import annotations

from bascule.assistance.models import LEVEL_ROLES
from bascule.organisation.models import Assignment, ServiceKind, Structure, StructureKind
from bascule.organisation.selectors import serving_structures
from bascule.programmes.models import Programme


def ancestor_paths(structure: Structure) -> list[str]:
    """The paths of the structure and of every structure above it, nearest first."""
    parts = structure.path.strip("/").split("/")
    return ["/" + "/".join(parts[:i]) + "/" for i in range(len(parts), 0, -1)]


def _region(structure: Structure, ancestors: dict[str, Structure]) -> Structure:
    for path in ancestor_paths(structure):
        candidate = ancestors.get(path)
        if candidate is not None and candidate.kind == StructureKind.REGION:
            return candidate
    return structure


def route(structure: Structure, programme: Programme, domain: str = "") -> dict[int, Structure]:
    """The handling structure of each level for a requester of `structure` (a request of `domain`)."""
    paths = ancestor_paths(structure)
    ancestors = {s.path: s for s in Structure.objects.filter(path__in=paths)}
    region = _region(structure, ancestors)
    holders = set(
        Assignment.objects.active()
        .filter(role__in=LEVEL_ROLES[1], structure__path__in=paths)
        .values_list("structure__path", flat=True)
    )
    level1 = next((ancestors[path] for path in paths if path in holders), region)
    serving = serving_structures(structure, domain or ServiceKind.SUPPORT)
    if serving:
        return {1: level1, 2: serving[0], 3: programme.owner}
    pole = (
        Assignment.objects.active()
        .filter(role__in=LEVEL_ROLES[2], structure__path__startswith=region.path)
        .select_related("structure")
        .order_by("structure__depth", "structure__code")
        .first()
    )
    return {1: level1, 2: pole.structure if pole else region, 3: programme.owner}
