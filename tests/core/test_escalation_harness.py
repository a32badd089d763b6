"""Escalation harness: nobody gains power they were not given, through any write path.

For every user of the test world (each role), the harness tries to grant every role, on structures inside and
outside its perimeter, to its own person and to others, through every write path it knows:
- the services that write assignments, people and structures;
- every page of the project (every URL pattern, as the access harness walks them), posting a payload that asks
  for a role, a structure, a parent, a region — with the right version, so that only permissions can refuse it;
- every API route (POST and PATCH with the same payload);
- every registered importer, with a file whose rows ask for every role on every target.
Then it asserts that the author's perimeter is no larger, that no ability of any existing object went from
no to yes, and that every assignment the author wrote is one the grant matrix allows.
No code per module: new routes and importers are covered as soon as they are registered.
"""

from __future__ import annotations

import contextlib
from datetime import date
from typing import Any

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import resolve, reverse
from rest_framework.test import APIClient

from bascule.core.imports import IMPORTERS
from bascule.core.locking import ConflictError
from bascule.core.models import TaskRun
from bascule.core.perimeter import Perimeter, compute_perimeter
from bascule.organisation import services
from bascule.organisation.grants import can_grant
from bascule.organisation.models import Assignment, Person, Structure
from bascule.organisation.ranks import catalogue, role_label
from tests.core.test_access_harness import ROUTES, SAMPLE_ARGS, SELF_SERVICE, Route
from tests.workbooks import example_csv

USERS = ["national", "lead_bzh", "reader_bzh", "referent_29", "lead_nor", "nobody"]
# A refusal is one of these; anything else (a TypeError from a changed signature…) fails the harness loudly.
REFUSALS = (PermissionDenied, ValidationError, ConflictError, ValueError)


def _fresh(user: Any) -> Any:
    return get_user_model().objects.get(pk=user.pk)  # no cached perimeter


def _scoped_objects() -> list[Any]:
    objects = []
    for model in apps.get_models():
        if model.__module__.startswith("bascule.") and hasattr(model, "get_abilities"):
            objects.extend(model._default_manager.all())
    return objects


def _abilities(user: Any, objects: list[Any]) -> dict[tuple[str, Any], dict[str, bool]]:
    fresh = _fresh(user)
    return {(type(o).__name__, o.pk): o.get_abilities(fresh) for o in objects}


def _covered(after: Perimeter, before: Perimeter) -> None:
    assert not after.global_read or before.global_read
    assert not after.global_write or before.global_write
    if not before.global_read:
        assert all(any(p.startswith(b) for b in before.read_paths) for p in after.read_paths)
    if not before.global_write:
        assert all(any(p.startswith(b) for b in before.write_paths) for p in after.write_paths)


def _own_roles(user: Any) -> set[tuple[str, Any]]:
    return set(Assignment.objects.active().filter(person__user=user).values_list("role", "structure_id"))


def _targets(world: Any) -> list[Structure]:
    return [world.root, world.bretagne, world.ddtm29, world.normandie, world.ddtm14]


def _payload(role: str, target: Structure, person: Person, version: int | None) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "role": role,
        "structure": str(target.pk),
        "person": str(person.pk),
        "parent": str(target.pk),
        "region": target.region or "28",
        "department": target.department or "14",
        "code": f"P-{role[:10]}",
        "name": "Pirate",
        "kind": "service",
        "first_name": "Pirate",
        "last_name": "Pirate",
        "email": "pirate@test.gouv.fr",
        "start_date": "2024-09-01",
        "end_date": "",
    }
    if version is not None:
        payload["version"] = version
    return payload


def _url_objects(route: Route, user: Any, own: Person) -> dict[str, Any] | None:
    """The URL's objects, among those the user sees; its own person and assignment where the route takes them."""
    kwargs: dict[str, Any] = {}
    for kwarg in route.kwargs:
        if kwarg in SAMPLE_ARGS:
            kwargs[kwarg] = SAMPLE_ARGS[kwarg]
            continue
        model = route.model_for(kwarg)
        if model is Person:
            kwargs[kwarg] = own
        elif model is Assignment:
            kwargs[kwarg] = own.assignments.first()
        elif model is TaskRun:
            return None
        else:
            kwargs[kwarg] = model.objects.visible_to(user).first()  # type: ignore[attr-defined]
        if kwargs[kwarg] is None:
            return None
    return kwargs


def catalogue_roles() -> list[str]:
    """Every role of the catalogue, the built-in ones and those the world added (read when the walk starts)."""
    return [r.code for r in catalogue()]


def _attempt(service: Any, **kwargs: Any) -> None:
    with contextlib.suppress(*REFUSALS):
        service(**kwargs)


def _try_services(world: Any, user: Any, own: Person) -> None:
    people = [own, world.person_bzh, world.person_nor]
    existing = list(Assignment.objects.filter(person__in=people))  # (not those this loop creates: quadratic)
    for role in catalogue_roles():
        for target in _targets(world):
            for person in people:
                _attempt(
                    services.assignment_create,
                    by=user,
                    person=person,
                    role=role,
                    structure=target,
                    start_date=date(2024, 9, 1),
                )
            for assignment in existing:
                assignment.refresh_from_db()
                _attempt(
                    services.assignment_update,
                    by=user,
                    assignment=assignment,
                    version=assignment.version,
                    role=role,
                    structure=target,
                )
    for structure in Structure.objects.all():
        for target in _targets(world):
            _attempt(
                services.structure_update,
                by=user,
                structure=structure,
                version=structure.version,
                parent=target,
            )
    for person in people:
        for target in _targets(world):
            _attempt(services.person_update, by=user, person=person, version=person.version, structure=target)


def _try_routes(world: Any, user: Any, own: Person) -> str:
    client = APIClient()
    client.force_login(user)
    posted = powered = 0
    for route in ROUTES:
        if route.name in SELF_SERVICE or route.name.startswith("accounts:"):
            continue
        kwargs = _url_objects(route, user, own)
        if kwargs is None:
            continue
        url = reverse(route.name, kwargs={k: getattr(v, "pk", v) for k, v in kwargs.items()})
        version = next((v.version for v in kwargs.values() if hasattr(v, "version")), None)
        first = _payload(catalogue_roles()[0], world.root, own, version)
        if route.is_api:
            probe = client.post(url, first, format="json")
            fields = _serializer_fields(route, url)
        else:
            with _reads() as read:
                probe = client.post(url, first)
            fields = None if "*" in read else frozenset(read)
        if probe.status_code == 405 and not route.is_api:
            continue
        posted += 1
        if fields is not None and not fields & POWER_FIELDS:
            continue  # reads no role, structure, parent, person, perimeter or level: nothing to escalate with
        roles = catalogue_roles() if fields is None or "role" in fields else catalogue_roles()[:1]
        powered += 1
        for role in roles:
            for target in (world.root, world.bretagne, world.normandie):
                body = _payload(role, target, own, version)
                if route.is_api:
                    client.post(url, body, format="json")
                    client.patch(url, body, format="json")
                else:
                    client.post(url, body)
    # Every write route of the URLconf the user reaches is posted to (those left out: read-only or self-service).
    assert posted >= 40 or not Person.objects.filter(user=user, assignments__isnull=False).exists(), posted
    return f"{posted} routes d'écriture essayées, {powered} lisant un rôle, une structure ou un niveau"


# What a payload could gain power through: a role, where it applies (structure, parent, region, department,
# code), whom (person), a perimeter or a support level.
POWER_FIELDS = frozenset(
    {"role", "structure", "parent", "person", "region", "department", "code", "perimeter", "level", "kind"}
)


@contextlib.contextmanager
def _reads() -> Any:
    """The keys a page's view reads from the posted data (its forms read each field by name); "*" when it reads
    them all (iterates, copies), so that the payloads cannot be chosen."""
    from django.http import QueryDict
    from django.utils.datastructures import MultiValueDict

    read: set[str] = set()
    by_name = {
        name: getattr(MultiValueDict, name) for name in ("__getitem__", "get", "getlist", "__contains__")
    }
    everything = {
        name: getattr(MultiValueDict, name) for name in ("__iter__", "items", "lists", "dict", "copy")
    }

    def named(original: Any) -> Any:
        def spy(self: Any, key: Any, *args: Any, **kwargs: Any) -> Any:
            if isinstance(self, QueryDict) and not self._mutable:  # read, not filled while the body is parsed
                read.add(str(key))
            return original(self, key, *args, **kwargs)

        return spy

    def whole(original: Any) -> Any:
        def spy(self: Any, *args: Any, **kwargs: Any) -> Any:
            if isinstance(self, QueryDict) and not self._mutable:
                read.add("*")
            return original(self, *args, **kwargs)

        return spy

    own_methods = {name: MultiValueDict.__dict__.get(name) for name in {**by_name, **everything}}
    for name, original in by_name.items():
        setattr(MultiValueDict, name, named(original))
    for name, original in everything.items():
        setattr(MultiValueDict, name, whole(original))
    try:
        yield read
    finally:
        for name, original in own_methods.items():
            if original is None:
                delattr(MultiValueDict, name)  # inherited from dict: the subclass gets no copy of it
            else:
                setattr(MultiValueDict, name, original)


def _serializer_fields(route: Route, url: str) -> frozenset[str] | None:
    """The fields an API route reads: its serializer's; None when they cannot be known (every payload is sent)."""
    from rest_framework.generics import GenericAPIView

    match = resolve(url)
    viewset = getattr(match.func, "cls", None)
    if (
        viewset is None
        or getattr(viewset, "get_serializer_class", None) is not GenericAPIView.get_serializer_class
    ):
        return None  # a serializer chosen per request: do not guess
    serializer = getattr(match.func, "initkwargs", {}).get("serializer_class") or viewset.serializer_class
    if serializer is None:
        return None
    try:
        return frozenset(serializer().fields)
    except Exception:  # a serializer that needs its context: do not guess
        return None


def _try_imports(world: Any, user: Any, own: Person) -> str:
    """Every importer's own columns, filled with the row it accepts from national steering (its example), then
    asking through the columns that carry power for every role, on every target, for the user and others."""
    emails = [own.email, world.person_bzh.email, world.person_nor.email]
    tried = 0
    for importer_cls in IMPORTERS.values():
        params = importer_cls.example_params(user=user)
        if params is None:
            continue
        example = importer_cls.from_params(user=world.national, params=params).example_row()
        assert example, f"{importer_cls.name}: no example row to fill its columns"
        importer = importer_cls.from_params(user=user, params=params)
        keys = {column.key for column in importer.columns}
        rows = []
        for role in catalogue_roles():
            for target in _targets(world):
                for email in emails:
                    power = {
                        "email": email,
                        "structure": target.code,
                        "structure_code": target.code,
                        "role": role_label(role),
                        "assignment_structure": target.code,
                        "parent": target.code,
                        "centre": target.code if len(rows) % 2 else example.get("centre", ""),
                        "region": target.region or "",
                    }
                    rows.append({**example, **{k: v for k, v in power.items() if k in keys and k in example}})
        tried += 1
        try:
            importer.apply(importer.read(example_csv(importer, rows), "escalade.csv"))
        except Exception as exc:  # a refusal of the whole file is fine; the assertions below decide
            assert "Traceback" not in str(exc)
    assert tried or user.username == "nobody", "no importer was tried"
    return f"{tried} importeurs sur {len(IMPORTERS)}, chacun avec ses colonnes remplies"


@pytest.mark.parametrize("path", ["services", "routes", "imports"])
@pytest.mark.parametrize("user_name", USERS)
def test_nobody_gains_power(world, user_name, path, record_property):
    user = getattr(world, user_name)
    own = Person.objects.filter(user=user).first() or Person.objects.create(
        first_name="Sans",
        last_name="Rôle",
        email=f"{user_name}@test.gouv.fr",
        structure=world.ddtm29,
        user=user,
    )
    objects = _scoped_objects()
    perimeter_before = compute_perimeter(_fresh(user))
    abilities_before = _abilities(user, objects)
    own_roles_before = _own_roles(user)
    history_before = set(Assignment.history.values_list("history_id", flat=True))  # type: ignore[attr-defined]

    tried = {"services": _try_services, "routes": _try_routes, "imports": _try_imports}[path](
        world, _fresh(user), own
    )
    if tried:
        record_property("harnais", f"escalade — {user_name} ({path}) : {tried}")

    fresh = _fresh(user)
    _covered(compute_perimeter(fresh), perimeter_before)
    for key, after in _abilities(user, objects).items():
        before = abilities_before[key]
        gained = [name for name, allowed in after.items() if allowed and not before.get(name, False)]
        assert not gained, f"{user_name} gained {gained} on {key} through {path}"
    written = Assignment.history.exclude(history_id__in=history_before).filter(history_user=user)  # type: ignore[attr-defined]
    for record in written.select_related("person", "structure"):
        assert can_grant(fresh, record.role, record.structure, record.person), (
            f"{user_name} gave {record.role} on {record.structure.code} to {record.person} through {path}"
        )
    assert _own_roles(user) <= own_roles_before, f"{user_name} changed its own roles through {path}"
