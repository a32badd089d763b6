"""Who sees what: a perimeter is a set of structure subtrees, read or read-write.

Structures carry a materialised path ("/<id>/<id>/…/"), so "in the perimeter" is a prefix test that the database
answers with an index, whatever the size of the tree. A user's perimeter comes from their active assignments;
national steering (and superusers) see and edit everything. It is computed once per request and cached on the user.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.db.models import Q
from django.utils import timezone

from bascule.core.registry import assignment_rows
from bascule.core.roles import EDITOR_ROLES, EVERYWHERE, GLOBAL_ROLES, STRUCTURE_ONLY, SUBTREE
from bascule.core.system import Actor

_CACHE_ATTRIBUTE = "_bascule_perimeter"


def _minimal(paths: set[str]) -> tuple[str, ...]:
    """Drop the paths already covered by a shorter one, so filters stay small."""
    kept: list[str] = []
    for path in sorted(paths, key=len):
        if not any(path.startswith(other) for other in kept):
            kept.append(path)
    return tuple(sorted(kept))


@dataclass(frozen=True)
class Perimeter:
    global_read: bool = False
    global_write: bool = False
    read_paths: tuple[str, ...] = ()
    write_paths: tuple[str, ...] = ()
    roles: frozenset[str] = field(default_factory=frozenset)
    # (role, minimal paths where the user holds it): what some rules need beyond read/write (e.g. grants).
    role_paths: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # Structures read alone, without their subtree (a role whose perimeter is « la structure seule »).
    read_exact: tuple[str, ...] = ()

    def paths_of(self, role: str) -> tuple[str, ...]:
        """The subtrees where the user holds `role` today."""
        return dict(self.role_paths).get(role, ())

    @property
    def can_write_somewhere(self) -> bool:
        """Whether the user may create things at all (some editor role, or national steering)."""
        return self.global_write or bool(self.write_paths)

    @property
    def is_empty(self) -> bool:
        return not (self.global_read or self.read_paths or self.read_exact)

    def can_read(self, path: str | None) -> bool:
        if self.global_read:
            return True
        if not path:
            return False
        return path in self.read_exact or any(path.startswith(prefix) for prefix in self.read_paths)

    def can_write(self, path: str | None) -> bool:
        if self.global_write:
            return True
        return bool(path) and any(path.startswith(prefix) for prefix in self.write_paths)  # type: ignore[union-attr]

    def q(self, path_lookup: str = "path", *, write: bool = False) -> Q:
        """A filter on a structure path (e.g. "structure__path") keeping what this perimeter covers."""
        if self.global_write if write else self.global_read:
            # Not an empty Q(): `Q(x) | Q()` would collapse to `Q(x)` and silently narrow a combined filter.
            return ~Q(pk__in=[])
        prefixes = self.write_paths if write else self.read_paths
        exact = () if write else self.read_exact
        if not prefixes and not exact:
            return Q(pk__in=[])
        condition = Q()
        for prefix in prefixes:
            condition |= Q(**{f"{path_lookup}__startswith": prefix})
        if exact:
            condition |= Q(**{f"{path_lookup}__in": exact})
        return condition


EMPTY = Perimeter()


def compute_perimeter(user: Actor, *, on: date | None = None) -> Perimeter:
    """The perimeter given by the user's active assignments on a date (today by default)."""
    if not user.is_authenticated or not user.is_active:
        return EMPTY
    if user.is_superuser:
        return Perimeter(global_read=True, global_write=True)
    rows = assignment_rows(user, on or timezone.localdate())
    roles = frozenset(role for role, _, _ in rows)
    by_role: dict[str, set[str]] = {}
    for role, path, _ in rows:
        by_role.setdefault(role, set()).add(path)
    role_paths = tuple(sorted((role, _minimal(paths)) for role, paths in by_role.items()))
    if roles & GLOBAL_ROLES:
        return Perimeter(global_read=True, global_write=True, roles=roles, role_paths=role_paths)
    read_paths = _minimal({path for _, path, scope in rows if scope == SUBTREE})
    exact = {path for _, path, scope in rows if scope == STRUCTURE_ONLY}
    write_paths = {path for role, path, _ in rows if role in EDITOR_ROLES}
    return Perimeter(
        global_read=any(scope == EVERYWHERE for _, _, scope in rows),
        read_paths=read_paths,
        read_exact=tuple(sorted(p for p in exact if not any(p.startswith(r) for r in read_paths))),
        write_paths=_minimal(write_paths),
        roles=roles,
        role_paths=role_paths,
    )


def perimeter_for(user: Actor) -> Perimeter:
    """The user's perimeter today, computed once per user object (i.e. once per request)."""
    cached = getattr(user, _CACHE_ATTRIBUTE, None)
    if cached is None:
        cached = compute_perimeter(user)
        if user.is_authenticated:
            setattr(user, _CACHE_ATTRIBUTE, cached)
    return cached


def forget_perimeter(user: Actor) -> None:
    """Drop the cached perimeter (after the user's own assignments changed)."""
    if hasattr(user, _CACHE_ATTRIBUTE):
        delattr(user, _CACHE_ATTRIBUTE)
    user.__dict__.pop("_bascule_user_abilities", None)  # page-level abilities derive from the perimeter
