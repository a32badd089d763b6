"""Write harness: every write route (page and API) tried by every demo account (one per role), on an object inside
its perimeter and one outside; the answer expected is read from `get_abilities`.

No per-module code: a route is every named URL pattern, its objects are its `<model>_id` arguments (the access
harness's conventions), and the right it needs is the one its view asks (`require_ability`,
`require_user_ability`, the API's `AbilityPermission`), recorded while it answers. For each try:
- an object the account may not see answers 404, and nothing is written;
- when a right it asked was refused, the answer is a refusal (403/404, or the routes' listed redirects) and
  nothing is written — never a form that reads the payload first;
- a route that writes must have asked a right that was granted (a write that asks nothing is a missing check).
Each account's number of refusals tried is printed; the harness asserts it walked every write route.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.urls import reverse
from rest_framework.test import APIClient

from bascule.core import access
from bascule.core import api as core_api
from bascule.core.models import TaskRun
from bascule.organisation.demo import all_demo_accounts
from tests.core.test_access_harness import (
    PUBLIC,
    REDIRECTING_REFUSALS,
    ROUTES,
    SAMPLE_ARGS,
    SELF_SERVICE,
    Route,
)

WRITES = ("INSERT", "UPDATE", "DELETE")
# Tables written by any request, whoever asks (the session, login throttling): not business data.
TECHNICAL = ("django_session", "axes_", "django_admin_log", "core_searchmiss", "assistance_searchmiss")
REFUSED = {403, 404, 405}


@dataclass
class _Request:
    checks: list[tuple[str, Any, str, bool]] = field(default_factory=list)  # (what, pk, right, granted)
    writes: list[str] = field(default_factory=list)

    def write(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        head = sql.lstrip()[:60].upper()
        if head.startswith(WRITES) and not any(t in sql.lower()[:80] for t in TECHNICAL):
            self.writes.append(sql[:80])
        return execute(sql, params, many, context)


@contextmanager
def _recorded() -> Iterator[_Request]:
    """The rights a request asked (and their answers) and the business writes it made."""
    request = _Request()
    require_ability, require_user_ability = access.require_ability, access.require_user_ability
    has_permission = core_api.AbilityPermission.has_permission
    has_object_permission = core_api.AbilityPermission.has_object_permission

    def asked_ability(obj: Any, user: Any, ability: str, message: str = "") -> None:
        granted = bool(obj.get_abilities(user).get(ability, False))
        request.checks.append((type(obj).__name__, obj.pk, ability, granted))
        require_ability(obj, user, ability, message)

    def asked_user_ability(user: Any, name: str) -> None:
        request.checks.append(("user", None, name, access.user_can(user, name)))
        require_user_ability(user, name)

    def permission(self: Any, req: Any, view: Any) -> bool:
        granted = has_permission(self, req, view)
        if view.action == "create" and getattr(view, "create_ability", ""):
            request.checks.append(("user", None, view.create_ability, granted))
        return granted

    def object_permission(self: Any, req: Any, view: Any, obj: Any) -> bool:
        granted = has_object_permission(self, req, view, obj)
        ability = {**core_api.ACTION_ABILITIES, **getattr(view, "action_abilities", {})}.get(
            view.action, "view"
        )
        request.checks.append((type(obj).__name__, obj.pk, ability, granted))
        return granted

    # Modules import the two functions by name: every module's reference is replaced while the request runs.
    patched = [
        (module, name, original)
        for module in list(sys.modules.values())
        if getattr(module, "__name__", "").startswith("bascule.")
        for name, original, spy in (
            ("require_ability", require_ability, asked_ability),
            ("require_user_ability", require_user_ability, asked_user_ability),
        )
        if getattr(module, name, None) is original
    ]
    spies = {"require_ability": asked_ability, "require_user_ability": asked_user_ability}
    for module, name, _ in patched:
        setattr(module, name, spies[name])
    core_api.AbilityPermission.has_permission = permission  # type: ignore[method-assign]
    core_api.AbilityPermission.has_object_permission = object_permission  # type: ignore[method-assign]
    try:
        with connection.execute_wrapper(request.write):
            yield request
    finally:
        for module, name, original in patched:
            setattr(module, name, original)
        core_api.AbilityPermission.has_permission = has_permission  # type: ignore[method-assign]
        core_api.AbilityPermission.has_object_permission = has_object_permission  # type: ignore[method-assign]


def _write_routes() -> list[Route]:
    return [
        r
        for r in ROUTES
        if r.name not in SELF_SERVICE | PUBLIC
        and not r.name.startswith(("accounts:", "api:schema", "api:docs", "api:redoc", "api:token"))
        and not getattr(r.view, "bascule_public", False)
        and not getattr(r.view, "bascule_self_service", False)
    ]


def _lacking(obj: Any, user: Any) -> int:
    return sum(not granted for granted in obj.get_abilities(user).values())


def _objects(route: Route, user: Any) -> list[tuple[str, dict[str, Any]]]:
    """The route's objects for this user: inside (the visible one the user may do least with), outside (hidden)."""
    inside: dict[str, Any] = {}
    outside: dict[str, Any] = {}
    for kwarg in route.kwargs:
        if kwarg in SAMPLE_ARGS:
            inside[kwarg] = outside[kwarg] = SAMPLE_ARGS[kwarg]
            continue
        model = route.model_for(kwarg)
        if model is TaskRun:
            return []  # a user's own runs: the core's tests
        visible = list(model.objects.visible_to(user).order_by("pk")[:15])  # type: ignore[attr-defined]
        hidden = (
            model.objects.exclude(pk__in=model.objects.visible_to(user).values("pk")).order_by("pk").first()
        )  # type: ignore[attr-defined]
        inside[kwarg] = min(visible, key=lambda o: -_lacking(o, user)) if visible else None
        outside[kwarg] = hidden
    found = [("dedans", inside)] if all(v is not None for v in inside.values()) else []
    if (
        route.kwargs
        and any(v is not None for v in outside.values())
        and all(v is not None for v in outside.values())
    ):
        found.append(("dehors", outside))
    return found


def _payload(objects: dict[str, Any]) -> dict[str, Any]:
    version = next((v.version for v in objects.values() if hasattr(v, "version")), 1)
    return {"name": "Essai", "title": "Essai", "code": "ESSAI-1", "body": "Essai", "version": version}


@pytest.mark.parametrize("username", all_demo_accounts())
def test_every_write_is_refused_to_whom_lacks_its_right(demo, username, record_property):
    user = get_user_model().objects.get(username=username)
    client = APIClient()
    client.force_login(user)
    tried = refused = 0
    faults: list[str] = []
    for route in _write_routes():
        for where, objects in _objects(route, user) or ([("sans objet", {})] if not route.kwargs else []):
            hidden = any(
                hasattr(o, "get_abilities") and not o.get_abilities(user).get("view", False)
                for o in objects.values()
            ) or (where == "dehors")
            url = reverse(route.name, kwargs={k: getattr(v, "pk", v) for k, v in objects.items()})
            with _recorded() as request:
                if route.is_api:
                    answers = [
                        client.post(url, _payload(objects), format="json").status_code,
                        client.patch(url, _payload(objects), format="json").status_code,
                    ]
                else:
                    answers = [client.post(url, _payload(objects)).status_code]
            if all(a == 405 for a in answers):
                continue  # reads only
            tried += 1
            label = f"{route.name} ({where})"
            denied = [c for c in request.checks if not c[3]]
            if hidden:
                if not set(answers) <= {404, 405}:
                    faults.append(f"{label}: objet hors périmètre, réponse {answers}")
            elif denied:
                refused += 1
                allowed = REFUSED | ({302} if route.name in REDIRECTING_REFUSALS else set())
                if not set(answers) <= allowed:
                    faults.append(f"{label}: droit {denied[0][2]} refusé, réponse {answers}")
            elif (
                request.writes
                and not request.checks
                and not getattr(route.view, "bascule_read_only_post", False)
            ):
                # (a read-only POST — a report for whoever reads — writes only the reader's own task run)
                faults.append(f"{label}: écrit sans demander aucun droit ({request.writes[0]})")
            if (hidden or denied) and request.writes:
                faults.append(f"{label}: refusé mais a écrit ({request.writes[0]})")
    record_property(
        "harnais", f"écritures — {username} : {tried} essais, dont {refused} refus de droit vérifiés"
    )
    assert tried > 50, tried
    assert not faults, "\n".join(faults[:40])


def test_every_write_route_is_walked():
    # The routes left out, each for a reason: login and password pages, the user's own settings, the pages opened
    # by a secret link, the API's documentation (the access harness covers them all).
    left = {r.name for r in ROUTES if not r.name.startswith("admin:")} - {r.name for r in _write_routes()}
    assert all(
        name in SELF_SERVICE | PUBLIC or name.startswith(("accounts:", "api:")) or name in PUBLIC_PAGES
        for name in left
    ), sorted(left)


PUBLIC_PAGES = {
    r.name
    for r in ROUTES
    if getattr(r.view, "bascule_public", False) or getattr(r.view, "bascule_self_service", False)
}
