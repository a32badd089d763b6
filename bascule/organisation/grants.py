"""Who may grant which role, where: the grant matrix, the one rule behind every write of an assignment.

| the author holds        | may grant (create, change, end)                          | on                          |
|-------------------------|----------------------------------------------------------|-----------------------------|
| Pilotage national       | every role                                               | every structure             |
| Responsable déploiement | every role of a lower rank than its own (not national    | the subtree of the region   |
| régional                | steering, not regional lead, no added role of rank ≥ 80, | where it is regional lead   |
|                         | none reading the whole organisation)                     |                             |
| any other role          | nothing                                                  |                             |

And for everyone: nobody creates, changes or ends an assignment of their own person. A change must be allowed
both for the assignment as it is and as it becomes (role, structure). Superusers and the system actor count as
national steering. The matrix is shown to each user on their account page ("Ce que vous pouvez attribuer") and
written in docs/ARCHITECTURE.md; services, forms, the people import and the API all ask `can_grant`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Q

from bascule.core.access import holds_global_role, role_paths
from bascule.core.roles import EVERYWHERE, Role
from bascule.core.system import Actor
from bascule.organisation.ranks import BUILTIN_RANKS, catalogue, role_label


@dataclass(frozen=True)
class GrantRule:
    grantor: str
    below_rank: int | None  # the roles of a rank strictly lower; None: every role of the catalogue
    anywhere: bool  # False: only inside the subtrees where the grantor holds its role


GRANT_MATRIX: tuple[GrantRule, ...] = (
    GrantRule(Role.NATIONAL_STEERING, None, anywhere=True),
    GrantRule(Role.REGIONAL_LEAD, BUILTIN_RANKS[Role.REGIONAL_LEAD], anywhere=False),
)


def _roles_of(rule: GrantRule, user: Actor) -> frozenset[str]:
    """The roles a rule gives: those of a lower rank; a grantor limited to its subtrees never gives a role that
    reads the whole organisation (it would give more than it sees)."""
    return frozenset(
        r.code
        for r in catalogue(user)
        if rule.below_rank is None or (r.rank < rule.below_rank and (rule.anywhere or r.scope != EVERYWHERE))
    )


def grant_scopes(user: Actor) -> list[tuple[frozenset[str], tuple[str, ...] | None]]:
    """(roles the user may grant, subtree paths where — None: anywhere), one item per rule that applies."""
    if holds_global_role(user):
        return [(_roles_of(GRANT_MATRIX[0], user), None)]
    scopes = []
    for rule in GRANT_MATRIX[1:]:
        paths = role_paths(user, rule.grantor)
        if paths:
            scopes.append((_roles_of(rule, user), None if rule.anywhere else paths))
    return scopes


def grantable_roles(user: Actor) -> list[str]:
    """The roles the user may grant somewhere, in the order of the catalogue."""
    allowed: set[str] = set()
    for roles, _ in grant_scopes(user):
        allowed |= roles
    return [r.code for r in catalogue(user) if r.code in allowed]


def is_own_person(user: Actor, person: Any) -> bool:
    return person is not None and person.user_id is not None and person.user_id == getattr(user, "pk", None)


def can_grant(user: Actor, role: str, structure: Any, person: Any = None) -> bool:
    """Whether `user` may give (change, end) `role` on `structure` to `person`."""
    if is_own_person(user, person):
        return False
    for roles, paths in grant_scopes(user):
        if role in roles and (paths is None or any(structure.path.startswith(p) for p in paths)):
            return True
    return False


def grant_refusal(user: Actor, role: str, structure: Any, person: Any = None) -> str:
    """Why `can_grant` says no, in French (for forms, imports and the API)."""
    label = role_label(role)
    if is_own_person(user, person):
        return "Personne ne peut attribuer, modifier ni clore ses propres rôles."
    if role not in grantable_roles(user):
        return f"Vous ne pouvez pas attribuer le rôle « {label} »."
    return f"Vous ne pouvez pas attribuer le rôle « {label} » sur la structure « {structure.code} » (hors de votre région)."


def grantable_structures_q(user: Actor, path_lookup: str = "path") -> Q:
    """A filter on structures where the user may grant at least one role."""
    scopes = grant_scopes(user)
    if not scopes:
        return Q(pk__in=[])
    if any(paths is None for _, paths in scopes):
        return ~Q(pk__in=[])
    condition = Q(pk__in=[])
    for _, paths in scopes:
        for prefix in paths or ():
            condition |= Q(**{f"{path_lookup}__startswith": prefix})
    return condition


def may_see_grant_log(user: Actor) -> bool:
    """National steering (and the system): reads "Droits attribués", creates structures without a parent."""
    return holds_global_role(user)
