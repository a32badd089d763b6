"""Every write on the organisation referential: typed, keyword-only, atomic, historised, perimeter-checked."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from bascule.core.locking import lock_version
from bascule.core.perimeter import forget_perimeter, perimeter_for
from bascule.organisation.models import Assignment, Person, Structure

STRUCTURE_FIELDS = ("code", "name", "kind", "parent", "region", "department", "valid_from", "valid_to")
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


def _check_parent_writable(by: Any, parent: Structure | None) -> None:
    perimeter = perimeter_for(by)
    if parent is None:
        if not perimeter.global_write:
            raise PermissionDenied("Seul le pilotage national peut créer une structure sans rattachement.")
    elif not perimeter.can_write(parent.path):
        raise PermissionDenied(f"La structure de rattachement « {parent.code} » est hors de votre périmètre.")


def _save(obj: Any, by: Any, reason: str = "") -> None:
    obj.full_clean()
    obj._history_user = by
    if reason:
        obj._change_reason = reason
    obj.save()


@transaction.atomic
def structure_create(
    *,
    by: Any,
    code: str,
    name: str,
    kind: str,
    parent: Structure | None,
    region: str = "",
    department: str = "",
    valid_from: date | None = None,
    valid_to: date | None = None,
    reason: str = "",
) -> Structure:
    """Create a structure under a parent the author may edit (no parent: national steering only)."""
    _check_parent_writable(by, parent)
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
    _save(structure, by, reason)
    return structure


@transaction.atomic
def structure_update(
    *, by: Any, structure: Structure, version: int, reason: str = "", **changes: Any
) -> Structure:
    """Change a structure the author may edit; moving it moves its subtree and may not create a cycle."""
    unknown = set(changes) - set(STRUCTURE_FIELDS)
    if unknown:
        raise TypeError(f"Unknown structure fields: {sorted(unknown)}")
    if not perimeter_for(by).can_write(structure.path):
        raise PermissionDenied("Cette structure est hors de votre périmètre de modification.")
    current = lock_version(Structure, structure.pk, version)
    old_path = current.path
    new_parent = changes.get("parent", current.parent)
    moved = "parent" in changes and (new_parent.pk if new_parent else None) != current.parent_id
    if moved:
        if new_parent is not None and new_parent.path.startswith(old_path):
            raise ValidationError(
                {
                    "parent": "Une structure ne peut pas être rattachée à elle-même ni à l'une de ses sous-structures."
                }
            )
        _check_parent_writable(by, new_parent)
    for field, value in changes.items():
        setattr(current, field, value.strip() if isinstance(value, str) else value)
    if moved:
        current.path, current.depth = _path_for(current, new_parent)
    _save(current, by, reason)
    if moved:
        descendants = list(Structure.objects.filter(path__startswith=old_path).exclude(pk=current.pk))
        for descendant in descendants:
            descendant.path = current.path + descendant.path[len(old_path) :]
            descendant.depth = descendant.path.count("/") - 2
        Structure.objects.bulk_update(descendants, ["path", "depth"], batch_size=500)
    return current


def _check_person_structures(by: Any, structure: Structure) -> None:
    if not perimeter_for(by).can_write(structure.path):
        raise PermissionDenied(
            f"La structure « {structure.code} » est hors de votre périmètre de modification."
        )


@transaction.atomic
def person_create(
    *,
    by: Any,
    first_name: str,
    last_name: str,
    email: str,
    structure: Structure,
    phone: str = "",
    ministry_of_origin: Structure | None = None,
    category: str = "",
    fte: Decimal = Decimal("1"),
    user: Any = None,
) -> Person:
    """Create a person in a structure the author may edit."""
    _check_person_structures(by, structure)
    person = Person(
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        email=email.strip().lower(),
        phone=phone.strip(),
        structure=structure,
        ministry_of_origin=ministry_of_origin,
        category=category,
        fte=fte,
        user=user,
    )
    _save(person, by)
    return person


@transaction.atomic
def person_update(*, by: Any, person: Person, version: int, **changes: Any) -> Person:
    """Change a person the author may edit; moving them needs the right on both structures."""
    unknown = set(changes) - set(PERSON_FIELDS)
    if unknown:
        raise TypeError(f"Unknown person fields: {sorted(unknown)}")
    _check_person_structures(by, person.structure)
    current = lock_version(Person, person.pk, version)
    if "structure" in changes and changes["structure"].pk != current.structure_id:
        _check_person_structures(by, changes["structure"])
    for field, value in changes.items():
        if field == "email":
            value = value.strip().lower()
        setattr(current, field, value.strip() if isinstance(value, str) else value)
    _save(current, by)
    return current


@transaction.atomic
def assignment_create(
    *,
    by: Any,
    person: Person,
    role: str,
    structure: Structure,
    start_date: date,
    end_date: date | None = None,
) -> Assignment:
    """Give a person a role in a structure the author may edit, from a date (until another, optionally)."""
    _check_person_structures(by, structure)
    assignment = Assignment(
        person=person, role=role, structure=structure, start_date=start_date, end_date=end_date
    )
    _save(assignment, by)
    if person.user_id:
        forget_perimeter(person.user)
    return assignment


@transaction.atomic
def assignment_update(*, by: Any, assignment: Assignment, version: int, **changes: Any) -> Assignment:
    """Change an assignment (typically its end date) in a structure the author may edit."""
    unknown = set(changes) - set(ASSIGNMENT_FIELDS)
    if unknown:
        raise TypeError(f"Unknown assignment fields: {sorted(unknown)}")
    _check_person_structures(by, assignment.structure)
    current = lock_version(Assignment, assignment.pk, version)
    if "structure" in changes and changes["structure"].pk != current.structure_id:
        _check_person_structures(by, changes["structure"])
    for field, value in changes.items():
        setattr(current, field, value)
    _save(current, by)
    return current
