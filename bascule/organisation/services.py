"""Every write on the organisation referential: typed, keyword-only, atomic, historised, ability-checked.

Each service asks the object's `get_abilities` (creation: the parent's) and, for assignments, the grant matrix
(`bascule.organisation.grants`): the forms, the imports and the API reach the same refusals.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from bascule.core.access import require_ability
from bascule.core.perimeter import forget_perimeter
from bascule.core.registry import user_can
from bascule.core.roles import SUBTREE
from bascule.core.system import Actor, history_author
from bascule.core.writes import check_fields, deposit_version, save_historised, update_versioned
from bascule.organisation.grants import can_grant, grant_refusal
from bascule.organisation.models import (
    Assignment,
    ContractVersion,
    Person,
    RoleDefinition,
    ServiceLink,
    Structure,
)
from bascule.organisation.ranks import forget_labels

STRUCTURE_FIELDS = ("code", "name", "kind", "parent", "region", "department", "valid_from", "valid_to")
# Fields that move power (who is in which perimeter, which region a structure counts in): the level above decides.
STRUCTURE_POSITION_FIELDS = ("code", "parent", "region", "department")
PERSON_FIELDS = (
    "first_name",
    "last_name",
    "email",
    "phone",
    "structure",
    "ministry_of_origin",
    "category",
    "fte",
)
ASSIGNMENT_FIELDS = ("role", "structure", "start_date", "end_date")


def _path_for(structure: Structure, parent: Structure | None) -> tuple[str, int]:
    if parent is None:
        return f"/{structure.pk.hex}/", 0
    return f"{parent.path}{structure.pk.hex}/", parent.depth + 1


def _require_parent(by: Actor, parent: Structure | None) -> None:
    """A structure is created (or moved) under a parent the author may add children to."""
    if parent is None:
        if not user_can(by, "organisation.add_root_structure"):
            raise PermissionDenied("Seul le pilotage national peut créer une structure sans rattachement.")
    elif not parent.get_abilities(by)["add_child"]:
        raise PermissionDenied(f"La structure de rattachement « {parent.code} » est hors de votre périmètre.")


@transaction.atomic
def structure_create(
    *,
    by: Actor,
    code: str,
    name: str,
    kind: str,
    parent: Structure | None = None,
    region: str = "",
    department: str = "",
    valid_from: date | None = None,
    valid_to: date | None = None,
    reason: str = "",
) -> Structure:
    """Create a structure under a parent the author may edit (no parent: national steering only)."""
    _require_parent(by, parent)
    structure = Structure(
        code=code.strip(),
        name=name.strip(),
        kind=kind,
        parent=parent,
        region=region,
        department=department,
        valid_from=valid_from,
        valid_to=valid_to,
    )
    structure.path, structure.depth = _path_for(structure, parent)
    save_historised(structure, by=by, reason=reason)
    return structure


@transaction.atomic
def structure_update(
    *, by: Actor, structure: Structure, version: int, reason: str = "", **changes: Any
) -> Structure:
    """Change a structure the author may edit; its code, parent and region/department only from the level above.

    Moving it moves its subtree and may not create a cycle.
    """
    check_fields(changes, STRUCTURE_FIELDS, "structure")
    require_ability(structure, by, "change")
    old_path = structure.path
    moved = False

    def check_position(current: Structure) -> None:
        nonlocal moved
        original = Structure.objects.get(pk=current.pk)
        repositioned = [
            f
            for f in STRUCTURE_POSITION_FIELDS
            if getattr(current, f"{f}_id" if f == "parent" else f)
            != getattr(original, f"{f}_id" if f == "parent" else f)
        ]
        if repositioned and not original.get_abilities(by)["reposition"]:
            raise PermissionDenied(
                "Le code, le rattachement, la région et le département de cette structure relèvent du niveau "
                "supérieur : vous ne pouvez pas les modifier."
            )
        moved = "parent" in repositioned
        if moved:
            new_parent = current.parent
            if new_parent is not None and new_parent.path.startswith(old_path):
                raise ValidationError(
                    {
                        "parent": "Une structure ne peut pas être rattachée à elle-même ni à l'une de ses sous-structures."
                    }
                )
            _require_parent(by, new_parent)
            current.path, current.depth = _path_for(current, new_parent)

    current = update_versioned(
        structure,
        by=by,
        version=version,
        changes=changes,
        allowed=STRUCTURE_FIELDS,
        reason=reason,
        before_save=check_position,
    )
    if moved:
        descendants = list(Structure.objects.filter(path__startswith=old_path).exclude(pk=current.pk))
        for descendant in descendants:
            descendant.path = current.path + descendant.path[len(old_path) :]
            descendant.depth = descendant.path.count("/") - 2
        Structure.objects.bulk_update(descendants, ["path", "depth"], batch_size=500)
    return current


@transaction.atomic
def person_create(
    *,
    by: Actor,
    first_name: str,
    last_name: str,
    email: str,
    structure: Structure,
    phone: str = "",
    ministry_of_origin: Structure | None = None,
    category: str = "",
    fte: Decimal = Decimal("1"),
) -> Person:
    """Create a person in a structure the author may edit (accounts are linked by administrators, not here)."""
    require_ability(structure, by, "add_person")
    person = Person(
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        email=email.strip().lower(),
        phone=phone.strip(),
        structure=structure,
        ministry_of_origin=ministry_of_origin,
        category=category,
        fte=fte,
    )
    save_historised(person, by=by)
    return person


@transaction.atomic
def person_update(*, by: Actor, person: Person, version: int, **changes: Any) -> Person:
    """Change a person the author may edit; moving them needs the right on both structures."""
    require_ability(person, by, "change")
    if "email" in changes:
        changes["email"] = changes["email"].strip().lower()
    if "structure" in changes and changes["structure"].pk != person.structure_id:
        require_ability(changes["structure"], by, "add_person")
    return update_versioned(person, by=by, version=version, changes=changes, allowed=PERSON_FIELDS)


def _require_grant(by: Actor, role: str, structure: Structure, person: Person) -> None:
    if not can_grant(by, role, structure, person):
        raise PermissionDenied(grant_refusal(by, role, structure, person))


@transaction.atomic
def assignment_create(
    *,
    by: Actor,
    person: Person,
    role: str,
    structure: Structure,
    start_date: date,
    end_date: date | None = None,
) -> Assignment:
    """Give a person a role in a structure, from a date (until another, optionally): the grant matrix decides."""
    require_ability(person, by, "view")
    _require_grant(by, role, structure, person)
    assignment = Assignment(
        person=person, role=role, structure=structure, start_date=start_date, end_date=end_date
    )
    save_historised(assignment, by=by, reason="Attribution")
    if person.user is not None:
        forget_perimeter(person.user)
    return assignment


@transaction.atomic
def assignment_update(*, by: Actor, assignment: Assignment, version: int, **changes: Any) -> Assignment:
    """Change or end an assignment: the author must be able to grant it as it is and as it becomes."""
    require_ability(assignment, by, "change")

    def check_grant(current: Assignment) -> None:
        _require_grant(by, current.role, current.structure, current.person)

    reason = "Fin d'attribution" if changes.get("end_date") else "Modification d'attribution"
    saved = update_versioned(
        assignment,
        by=by,
        version=version,
        changes=changes,
        allowed=ASSIGNMENT_FIELDS,
        reason=reason,
        before_save=check_grant,
    )
    if saved.person.user is not None:
        forget_perimeter(saved.person.user)
    return saved


# --- the role catalogue -------------------------------------------------------------------------------
ROLE_FIELDS = ("name", "description", "rank", "scope")


def _require_catalogue(by: Actor) -> None:
    if not user_can(by, "organisation.manage_roles"):
        raise PermissionDenied("Seul le pilotage national modifie le catalogue des rôles.")


@transaction.atomic
def role_create(
    *, by: Actor, code: str, name: str, rank: int, scope: str = SUBTREE, description: str = ""
) -> RoleDefinition:
    """Add a role to the catalogue (national steering): it reads its scope, it is granted as its rank allows."""
    _require_catalogue(by)
    role = RoleDefinition(
        code=code.strip().lower(), name=name.strip(), rank=rank, scope=scope, description=description
    )
    save_historised(role, by=by, reason="Ajout au catalogue")
    forget_labels()
    return role


@transaction.atomic
def role_update(*, by: Actor, role: RoleDefinition, version: int, **changes: Any) -> RoleDefinition:
    """Rename, describe, re-rank or re-scope an added role (its code stays: assignments carry it)."""
    require_ability(role, by, "change", "Seul le pilotage national modifie le catalogue des rôles.")
    saved = update_versioned(role, by=by, version=version, changes=changes, allowed=ROLE_FIELDS)
    forget_labels()
    return saved


@transaction.atomic
def role_delete(*, by: Actor, role: RoleDefinition) -> None:
    """Remove an added role nobody holds or held (its assignments keep its code: it stays while one exists)."""
    require_ability(role, by, "delete", "Seul le pilotage national modifie le catalogue des rôles.")
    held = Assignment.objects.filter(role=role.code).count()
    if held:
        raise ValidationError(
            f"Le rôle « {role.name} » est attribué ({held} affectation{'s' if held > 1 else ''}, "
            "en cours ou passées) : il ne peut pas être retiré du catalogue."
        )
    role._history_user = history_author(by)  # type: ignore[attr-defined]
    role._change_reason = "Retrait du catalogue"  # type: ignore[attr-defined]
    role.delete()
    forget_labels()


# --- service links ------------------------------------------------------------------------------------
SERVICE_LINK_FIELDS = ("kind", "start_date", "end_date", "contract_state", "contract_review_on", "note")


@transaction.atomic
def service_link_create(
    *, by: Actor, client: Structure, provider: Structure, kind: str, **fields: Any
) -> ServiceLink:
    """« `client` est servie par `provider` » for one kind of service: set by whoever edits both structures."""
    check_fields(fields, SERVICE_LINK_FIELDS, "ServiceLink")
    require_ability(client, by, "change", f"La structure « {client.code} » est hors de votre périmètre.")
    require_ability(provider, by, "change", f"La structure « {provider.code} » est hors de votre périmètre.")
    link = ServiceLink(client=client, provider=provider, kind=kind, **fields)
    save_historised(link, by=by)
    return link


@transaction.atomic
def service_link_update(*, by: Actor, link: ServiceLink, version: int, **changes: Any) -> ServiceLink:
    require_ability(link, by, "change", "Ce lien de service est hors de votre périmètre de modification.")
    return update_versioned(link, by=by, version=version, changes=changes, allowed=SERVICE_LINK_FIELDS)


@transaction.atomic
def contract_deposit(*, by: Actor, link: ServiceLink, upload: Any, comment: str = "") -> ContractVersion:
    """A new version of the link's service contract (the earlier ones are kept)."""
    require_ability(
        link, by, "add_contract", "Ce lien de service est hors de votre périmètre de modification."
    )
    return deposit_version(  # type: ignore[no-any-return]
        ContractVersion(link=link, comment=comment),
        by=by,
        upload=upload,
        lock=ServiceLink.objects.filter(pk=link.pk),
        siblings=link.contracts.all(),
        default_name="contrat",
    )
