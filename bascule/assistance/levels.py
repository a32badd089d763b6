"""Who answers support tickets at each level: the roles of levels 1, 2 and 3 (besides the editors of the handling
structure). Shared by the tickets (`models`) and the knowledge base (`knowledge_models`)."""

from __future__ import annotations

from bascule.core.access import can_write_path, role_paths
from bascule.core.roles import Role
from bascule.core.system import Actor

# Who answers at each level, besides the editors of the handling structure (and national steering).
LEVEL_ROLES: dict[int, tuple[str, ...]] = {
    1: (Role.PROXIMITY_REFERENT, Role.BUSINESS_REFERENT),
    2: (Role.SUPPORT_POLE_AGENT,),
    3: (Role.CPU, Role.CPI),
}
SUPPORT_ROLES = frozenset(role for roles in LEVEL_ROLES.values() for role in roles)


def handles_level(user: Actor, level: int, path: str | None) -> bool:
    """Whether the user answers tickets of `level` handled by the structure at `path`."""
    if not path:
        return False
    if can_write_path(user, path):
        return True
    return any(path.startswith(prefix) for role in LEVEL_ROLES[level] for prefix in role_paths(user, role))
