"""Reads of the organisation referential: lists with filters, the tree, pages, exports, summaries.

Every read starts from `visible_to(user)`; lists cost a constant number of queries whatever their size.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import connection
from django.db.models import Count, Max, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.utils import timezone

from bascule.core.access import perimeter_description, perimeter_tops
from bascule.core.parsing import is_uuid
from bascule.core.roles import SUBTREE, Role
from bascule.core.spreadsheets import normalise_label
from bascule.core.system import Actor
from bascule.organisation.geography import REGIONS
from bascule.organisation.grants import grant_scopes
from bascule.organisation.importers import PersonImporter, StructureImporter
from bascule.organisation.models import Assignment, Person, RoleDefinition, ServiceLink, Structure
from bascule.organisation.ranks import catalogue, role_choices

STRUCTURE_SORTS = {
    "code": "code",
    "-code": "-code",
    "nom": "name",
    "-nom": "-name",
    "type": "kind",
    "-type": "-kind",
    "region": "region",
    "-region": "-region",
    "arbre": "path",
}
PERSON_SORTS = {
    "nom": ("last_name", "first_name"),
    "-nom": ("-last_name", "-first_name"),
    "structure": ("structure__code",),
}

# Exports use the importers' columns, so that an export re-imports without loss.
STRUCTURE_COLUMNS = [column.label for column in StructureImporter.columns]
PERSON_COLUMNS = [column.label for column in PersonImporter.columns]


@dataclass(frozen=True)
class StructureFilters:
    q: str = ""
    kind: str = ""
    region: str = ""
    state: str = "actives"
    sort: str = "arbre"


def structure_list(*, user: Actor, filters: StructureFilters) -> QuerySet[Structure]:
    """The structures the user may see, filtered and sorted (one query, parent joined)."""
    qs = Structure.objects.visible_to(user).select_related("parent")
    if filters.q:
        qs = qs.filter(Q(code__icontains=filters.q) | Q(name__icontains=filters.q))
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.region:
        qs = qs.in_region(filters.region)
    if filters.state == "actives":
        qs = qs.active()
    elif filters.state == "dissoutes":
        qs = qs.filter(valid_to__lt=timezone.localdate())
    return qs.order_by(STRUCTURE_SORTS.get(filters.sort, "path"), "code")


def structure_rows(structures: QuerySet[Structure]) -> Iterator[list[Any]]:
    """Export rows in the import's column shape (a round trip loses nothing)."""
    for s in structures.iterator(chunk_size=2000):
        yield [
            s.code,
            s.name,
            s.get_kind_display(),
            s.parent.code if s.parent else "",
            s.region,
            s.department,
            s.valid_from,
            s.valid_to,
        ]


def visible_structure(*, user: Actor, pk: str | None) -> Structure | None:
    """The structure a query string names (`?dans=<id>`), if the user may see it; otherwise None, never an error."""
    return Structure.objects.visible_to(user).filter(pk=pk).first() if pk and is_uuid(pk) else None


def structure_tree_roots(*, user: Actor) -> QuerySet[Structure]:
    """The tops of the user's perimeter (the whole tree's roots for national steering)."""
    tops = perimeter_tops(user)
    qs = Structure.objects.annotate(child_count=Count("children"))
    if tops is None:
        return qs.filter(parent__isnull=True).order_by("code")
    return qs.filter(path__in=tops).order_by("code")


def structure_children(*, structure: Structure) -> QuerySet[Structure]:
    return structure.children.annotate(child_count=Count("children")).order_by("kind", "code")


def structure_page(*, user: Actor, structure: Structure) -> dict[str, Any]:
    """What a structure page shows: its ancestors, sub-structures, people and current assignments."""
    ancestor_ids = [part for part in structure.path.strip("/").split("/")[:-1] if part]
    ancestors = (
        Structure.objects.visible_to(user)
        .filter(path__in=["/" + "/".join(ancestor_ids[: i + 1]) + "/" for i in range(len(ancestor_ids))])
        .order_by("depth")
    )
    people = structure.people.select_related("ministry_of_origin").order_by("last_name", "first_name")
    assignments = (
        Assignment.objects.active()
        .filter(structure=structure)
        .select_related("person")
        .order_by("role", "person__last_name")
    )
    return {
        "ancestors": list(ancestors),
        "children": list(structure_children(structure=structure)),
        "people": list(people[:100]),
        "people_count": structure.people.count(),
        "descendant_count": Structure.objects.filter(path__startswith=structure.path).count() - 1,
        "assignments": list(assignments),
        "service_links": list(service_link_list(user=user, structure=structure)),
    }


@dataclass(frozen=True)
class PersonFilters:
    q: str = ""
    structure: str = ""  # code, the whole subtree
    region: str = ""
    category: str = ""
    role: str = ""
    sort: str = "nom"


def person_list(*, user: Actor, filters: PersonFilters) -> QuerySet[Person]:
    qs = Person.objects.visible_to(user).select_related("structure")
    if filters.q:
        qs = qs.filter(
            Q(last_name__icontains=filters.q)
            | Q(first_name__icontains=filters.q)
            | Q(email__icontains=filters.q)
        )
    if filters.structure:
        root = Structure.objects.visible_to(user).filter(code__iexact=filters.structure).first()
        qs = qs.filter(structure__path__startswith=root.path) if root else qs.none()
    if filters.region:
        qs = qs.filter(structure__in=Structure.objects.in_region(filters.region))
    if filters.category:
        qs = qs.filter(category=filters.category)
    if filters.role:
        qs = qs.filter(assignments__in=Assignment.objects.active().filter(role=filters.role)).distinct()
    return qs.order_by(*PERSON_SORTS.get(filters.sort, PERSON_SORTS["nom"]))


def person_rows(people: QuerySet[Person]) -> Iterator[list[Any]]:
    """One row per assignment (a person without one: one row with empty assignment columns)."""
    people = people.select_related("structure", "ministry_of_origin").prefetch_related(
        Prefetch(
            "assignments", queryset=Assignment.objects.select_related("structure").order_by("start_date")
        )
    )
    for p in people:
        base = [
            p.email,
            p.first_name,
            p.last_name,
            p.structure.code,
            p.ministry_of_origin.code if p.ministry_of_origin else "",
            p.category,
            p.fte,
            p.phone,
        ]
        assignments = list(p.assignments.all())
        if not assignments:
            yield [*base, "", "", None, None]
        for a in assignments:
            yield [*base, a.get_role_display(), a.structure.code, a.start_date, a.end_date]


def person_page(*, person: Person) -> dict[str, Any]:
    assignments = person.assignments.select_related("structure", "person__structure").order_by("-start_date")
    return {"assignments": list(assignments)}


def home_summary(*, user: Actor) -> dict[str, Any]:
    """Counts of what the user sees and where they stand (constant queries)."""
    structures = Structure.objects.visible_to(user).active()
    by_region = structures.exclude(region="").values("region").annotate(total=Count("id")).order_by("region")
    return {
        "perimeter": perimeter_description(user),
        "structure_count": structures.count(),
        "person_count": Person.objects.visible_to(user).count(),
        "regions": [
            {"code": row["region"], "name": REGIONS.get(row["region"], row["region"]), "total": row["total"]}
            for row in by_region
        ],
        "roots": list(structure_tree_roots(user=user)[:20]),
    }


def account_summary(*, user: Actor) -> dict[str, Any]:
    """The user's person, roles, perimeter and what they may grant (the account page's panel)."""
    # An account has a pk; the system actor has none and no person (pk=None would match every unlinked person).
    person = (
        Person.objects.filter(user_id=user.pk).select_related("structure").first()
        if user.pk is not None
        else None
    )
    assignments = (
        list(Assignment.objects.filter(person=person).select_related("structure").order_by("-start_date"))
        if person
        else []
    )
    grants = []
    for roles, paths in grant_scopes(user):
        where = (
            "partout"
            if paths is None
            else "dans "
            + ", ".join(s.code for s in Structure.objects.filter(path__in=paths).order_by("code"))
        )
        grants.append({"roles": [r.label for r in catalogue(user) if r.code in roles], "where": where})
    return {
        "person": person,
        "assignments": assignments,
        "perimeter": perimeter_description(user),
        "grants": grants,
    }


def active_role_paths(user: Actor, day: date) -> list[tuple[str, str, str]]:
    """The (role, structure path, scope) of the user's active assignments on a day: the source of every perimeter.

    A built-in role reads its subtree (national steering: everything, by core.roles.GLOBAL_ROLES); an added role
    reads what its catalogue entry says (one query: the scope is read alongside).
    """
    if user.pk is None:
        return []
    scope = RoleDefinition.objects.filter(code=OuterRef("role")).values("scope")[:1]
    rows = (
        Assignment.objects.active(on=day)
        .filter(person__user_id=user.pk)
        .annotate(scope=Subquery(scope))
        .values_list("role", "structure__path", "scope")
    )
    return [(role, path, added or SUBTREE) for role, path, added in rows]


def regional_lead(structure: Structure) -> Person | None:
    """The person who is regional deployment lead of a structure today (None if nobody is)."""
    assignment = (
        Assignment.objects.active()
        .filter(structure=structure, role=Role.REGIONAL_LEAD)
        .select_related("person")
        .order_by("start_date")
        .first()
    )
    return assignment.person if assignment else None


def steering_contact(structure: Structure) -> Person | None:
    """Whom steering asks about a structure: its regional lead or departmental referent, else the nearest one above."""
    parts = [p for p in structure.path.strip("/").split("/") if p]
    paths = ["/" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts))]
    assignment = (
        Assignment.objects.active()
        .filter(structure__path__in=paths, role__in=[Role.REGIONAL_LEAD, Role.DEPARTMENTAL_REFERENT])
        .select_related("person")
        .order_by("-structure__depth", "start_date")
        .first()
    )
    return assignment.person if assignment else None


def steering_contacts(structures: Iterable[Structure]) -> dict[Any, Person | None]:
    """`steering_contact` of many structures in one query (instancing a programme for a hundred departments)."""
    chains = {}
    for structure in structures:
        parts = [p for p in structure.path.strip("/").split("/") if p]
        chains[structure.pk] = ["/" + "/".join(parts[:i]) + "/" for i in range(len(parts), 0, -1)]
    every_path = {path for chain in chains.values() for path in chain}
    found: dict[str, Person] = {}
    for assignment in (
        Assignment.objects.active()
        .filter(structure__path__in=every_path, role__in=[Role.REGIONAL_LEAD, Role.DEPARTMENTAL_REFERENT])
        .select_related("person", "structure")
        .order_by("-start_date")  # the earliest is kept
    ):
        found[assignment.structure.path] = assignment.person
    return {pk: next((found[p] for p in chain if p in found), None) for pk, chain in chains.items()}


GRANT_LOG_COLUMNS = ["Date", "Par", "Opération", "Personne", "Rôle", "Structure", "Début", "Fin"]
_GRANT_KINDS = {"+": "Attribution", "~": "Modification", "-": "Suppression"}


@dataclass(frozen=True)
class GrantLogFilters:
    q: str = ""  # person or author name
    role: str = ""
    structure: str = ""  # code, with its subtree


def grant_log(*, filters: GrantLogFilters) -> QuerySet[Any]:
    """Every grant, change and end of a role (the history of assignments), newest first: who gave what to whom."""
    history: Any = Assignment.history  # type: ignore[attr-defined]
    qs = history.select_related("history_user", "person", "structure").order_by(
        "-history_date", "-history_id"
    )
    if filters.q:
        words = Q(person__last_name__icontains=filters.q) | Q(person__first_name__icontains=filters.q)
        qs = qs.filter(words | Q(history_user__username__icontains=filters.q))
    if filters.role:
        qs = qs.filter(role=filters.role)
    if filters.structure:
        root = Structure.objects.filter(code=filters.structure).first()
        qs = qs.filter(structure__path__startswith=root.path) if root else qs.none()
    return qs  # type: ignore[no-any-return]


def grant_operation(record: Any) -> str:
    if record.history_change_reason:
        return str(record.history_change_reason)
    return _GRANT_KINDS.get(record.history_type, record.history_type)


def grant_log_rows(records: Any) -> Iterator[list[Any]]:
    labels = dict(role_choices())
    for r in records.iterator(chunk_size=2000):
        who = (r.history_user.get_full_name() or r.history_user.username) if r.history_user else "Système"
        yield [
            timezone.localtime(r.history_date).strftime("%d/%m/%Y %H:%M"),
            who,
            grant_operation(r),
            str(r.person) if r.person else "",
            labels.get(r.role, r.role),
            r.structure.code if r.structure else "",
            r.start_date,
            r.end_date,
        ]


# --- recognising structures in free text ---------------------------------------------------------------
class StructureIndex:
    """Structures by normalised code and by normalised (unambiguous) name, for reading texts such as leads."""

    def __init__(self, rows: Iterable[tuple[Any, str, str]] = (), *, using: str = "default") -> None:
        self.by_key: dict[str, Structure] = {}
        names: dict[str, list[Structure]] = {}
        for pk, code, name in rows:
            # As loaded by `.only("id", "code", "name")`: linkable, and any other field is read on demand.
            structure = Structure.from_db(using, ["id", "code", "name"], [pk, code, name])
            self.by_key[normalise_label(code)] = structure
            names.setdefault(normalise_label(name), []).append(structure)
        for key, found in names.items():
            if len(found) == 1:  # an ambiguous name is not a recognition
                self.by_key.setdefault(key, found[0])

    def find(self, token: str) -> Structure | None:
        return self.by_key.get(normalise_label(token))


_index_cache: dict[str, Any] = {}
_index_lock = threading.Lock()


def structure_index() -> StructureIndex:
    """The index of the whole referential, rebuilt only when a structure was added, removed or changed.

    One small aggregate query per call checks freshness (count and last change); the index itself (one query over
    id, code and name) is shared by the requests and imports of the process until then. Its structures carry only
    their id, code and name: enough to link them, never to be saved.
    """
    stamp = Structure.objects.aggregate(count=Count("id"), last=Max("updated_at"))
    key = f"{connection.alias}:{connection.settings_dict.get('NAME')}:{stamp['count']}:{stamp['last']}"
    with _index_lock:
        if _index_cache.get("key") != key:
            _index_cache["index"] = StructureIndex(
                Structure.objects.values_list("id", "code", "name"), using=connection.alias
            )
            _index_cache["key"] = key
        index: StructureIndex = _index_cache["index"]
    return index


# --- the role catalogue and the service links -----------------------------------------------------------
ROLE_COLUMNS = ["Code", "Rôle", "Rang", "Périmètre", "Intégré", "Affectations en cours", "Description"]


def role_catalogue_page(*, user: Actor) -> dict[str, Any]:
    """Every role with its rank, scope and active holders (two queries), and the added roles' objects."""
    held = dict(Assignment.objects.active().values("role").annotate(n=Count("id")).values_list("role", "n"))
    added = {r.code: r for r in RoleDefinition.objects.visible_to(user)}
    roles = [
        {"role": r, "held": held.get(r.code, 0), "definition": added.get(r.code)}
        for r in catalogue(user)
        if r.builtin or r.code in added
    ]
    return {"roles": roles, "grantable": set(grant_scopes_roles(user))}


def grant_scopes_roles(user: Actor) -> list[str]:
    roles: set[str] = set()
    for granted, _ in grant_scopes(user):
        roles |= granted
    return sorted(roles)


def role_rows(roles: Iterable[dict[str, Any]]) -> Iterator[list[Any]]:
    for row in roles:
        r = row["role"]
        yield [
            r.code,
            r.label,
            r.rank,
            r.scope_label,
            "oui" if r.builtin else "non",
            row["held"],
            r.description,
        ]


SERVICE_LINK_COLUMNS = [
    "Structure servie",
    "Structure prestataire",
    "Nature",
    "Du",
    "Au",
    "Contrat",
    "À revoir le",
    "Versions du contrat",
]


def service_link_list(*, user: Actor, structure: Structure | None = None) -> QuerySet[ServiceLink]:
    """The links the user sees (one query, whatever their number), or those of one structure (both ways)."""
    qs = ServiceLink.objects.visible_to(user).select_related("client", "provider")
    if structure is not None:
        qs = qs.filter(Q(client=structure) | Q(provider=structure))
    return qs.annotate(contract_count=Count("contracts")).order_by("client__code", "kind", "provider__code")


def service_link_rows(links: Iterable[ServiceLink]) -> Iterator[list[Any]]:
    for link in links:
        yield [
            link.client.code,
            link.provider.code,
            link.get_kind_display(),
            link.start_date,
            link.end_date,
            link.get_contract_state_display(),
            link.contract_review_on,
            getattr(link, "contract_count", 0),
        ]


def serving_structures(structure: Structure, kind: str, *, on: date | None = None) -> list[Structure]:
    """Who serves `structure` for `kind` today: its own links, else the nearest structure above that has some."""
    parts = [p for p in structure.path.strip("/").split("/") if p]
    paths = ["/" + "/".join(parts[:i]) + "/" for i in range(len(parts), 0, -1)]
    links = (
        ServiceLink.objects.active(on)
        .filter(kind=kind, client__path__in=paths)
        .select_related("client", "provider")
        .order_by("provider__code")
    )
    by_client: dict[str, list[Structure]] = {}
    for link in links:
        by_client.setdefault(link.client.path, []).append(link.provider)
    return next((by_client[p] for p in paths if p in by_client), [])
