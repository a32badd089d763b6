"""The role catalogue: the built-in roles (core.roles.Role) with their ranks, and the roles national steering added
(`RoleDefinition`). The rank decides who grants a role (organisation/grants.py); the scope, what it reads.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass

from django.apps import apps

from bascule.core.roles import EVERYWHERE, SCOPE_CHOICES, SUBTREE, Role
from bascule.core.system import Actor

BUILTIN_RANKS: dict[str, int] = {
    Role.NATIONAL_STEERING: 100,
    Role.REGIONAL_LEAD: 80,
    Role.DEPARTMENTAL_REFERENT: 60,
    Role.CENTRE_HEAD: 60,
    Role.CENTRE_DEPUTY: 50,
    Role.CPU: 40,
    Role.CPI: 40,
    Role.BUSINESS_REFERENT: 30,
    Role.SERVICE_AGENT: 30,
    Role.PROXIMITY_REFERENT: 30,
    Role.SUPPORT_POLE_AGENT: 30,
    Role.TRAINER: 20,
    Role.READER: 10,
}
MAX_ADDED_RANK = 99  # below national steering
_SCOPES = dict(SCOPE_CHOICES)


@dataclass(frozen=True)
class CatalogueRole:
    code: str
    label: str
    rank: int
    scope: str
    builtin: bool
    description: str = ""

    @property
    def scope_label(self) -> str:
        return _SCOPES.get(self.scope, self.scope)


BUILTIN: tuple[CatalogueRole, ...] = tuple(
    CatalogueRole(
        code=str(role),
        label=str(role.label),
        rank=BUILTIN_RANKS[role],
        scope=EVERYWHERE if role == Role.NATIONAL_STEERING else SUBTREE,
        builtin=True,
    )
    for role in Role
)


def added_roles() -> list[CatalogueRole]:
    """The roles added to the catalogue, read from the database (one query)."""
    model = apps.get_model("organisation", "RoleDefinition")
    return [
        CatalogueRole(
            code=r.code, label=r.name, rank=r.rank, scope=r.scope, builtin=False, description=r.description
        )
        for r in model.objects.all()
    ]


def catalogue(user: Actor | None = None) -> list[CatalogueRole]:
    """Every role: the built-in ones in their order, then the added ones, highest rank first (read once per user
    object, i.e. per request, when a user is given)."""
    cached: list[CatalogueRole] | None = getattr(user, "_bascule_role_catalogue", None) if user else None
    if cached is None:
        cached = [*BUILTIN, *added_roles()]
        if user is not None:
            with contextlib.suppress(AttributeError):  # the system actor keeps nothing
                user._bascule_role_catalogue = cached  # type: ignore[union-attr,attr-defined]
    return cached


# Labels of added roles for display (assignment lists), kept a few seconds per process: a label, never a right.
_LABELS: dict[str, str] = {}
_LABELS_READ_AT = 0.0
_LABELS_TTL = 30.0


def forget_labels() -> None:
    global _LABELS_READ_AT
    _LABELS.clear()
    _LABELS_READ_AT = 0.0


def role_label(code: str) -> str:
    """The French name of a role code (built-in or added); the code itself if the catalogue lacks it."""
    global _LABELS_READ_AT
    if code in Role.values:
        return str(Role(code).label)
    if code not in _LABELS or time.monotonic() - _LABELS_READ_AT > _LABELS_TTL:
        model = apps.get_model("organisation", "RoleDefinition")
        _LABELS.clear()
        _LABELS.update(model.objects.values_list("code", "name"))
        _LABELS_READ_AT = time.monotonic()
    return _LABELS.get(code, code)


def role_choices(user: Actor | None = None) -> list[tuple[str, str]]:
    return [(r.code, r.label) for r in catalogue(user)]
