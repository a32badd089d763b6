"""Walk EVERY URL pattern of the project (pages and API) and check nobody gets in where they should not.

No per-view code: later modules are covered as soon as their URLs are included, provided they follow the
conventions below (the test fails, naming the pattern, when one does not):
- an object in a URL is named `<model>_id` (e.g. `structure_id`, `taskrun_id`), or `pk` in a DRF router route;
  its model must offer `objects.visible_to(user)`; the world fixture must hold one instance outside Bretagne;
- other URL arguments get a sample value from SAMPLE_ARGS.

Checks, for every pattern:
1. anonymous: pages redirect to the login page, the API answers 401/403; only PUBLIC patterns answer 200, and
   pages marked `core.access.public_page` (a secret in the URL) answer 200 or, for a wrong secret, 404;
2. a Bretagne user asking for an object of Normandy (or national) gets 404, in GET and POST;
3. a Bretagne reader (read-only role) writes nothing: any POST is refused (403/404/405) before a form is read, and
   no history row appears.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.apps import apps
from django.db import models
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from rest_framework.test import APIClient

from bascule.core.models import TaskRun

PUBLIC = {
    "healthz",
    "accounts:login",
    "accounts:password_reset",
    "accounts:password_reset_done",
    "accounts:password_reset_confirm",
    "accounts:password_reset_complete",
    "set_language",
}
# Personal pages every logged-in user may post to (their own account), whatever their role.
SELF_SERVICE = {
    "accounts:logout",
    "accounts:password_change",
    "accounts:token_regenerate",
    "accounts:token_revoke",
    "set_language",
    "api:token",
}
# Routes that answer a refused POST with a redirect and a message (their object is the user's own).
REDIRECTING_REFUSALS = {"core:taskrun_apply"}
SAMPLE_ARGS = {"importer": "structures", "fmt": "csv", "format": "json", "uidb64": "MQ", "token": "abc-def"}


@dataclass
class Route:
    name: str
    kwargs: tuple[str, ...]
    view: Any
    is_api: bool

    def model_for(self, kwarg: str) -> type[models.Model]:
        if kwarg == "pk":
            view_class = getattr(self.view, "cls", None)
            model = getattr(view_class, "model", None) or getattr(
                getattr(view_class, "queryset", None), "model", None
            )
            assert model is not None, f"{self.name}: a DRF route with `pk` needs a viewset with `model`"
            return model
        assert kwarg.endswith("_id"), (
            f"{self.name}: URL argument `{kwarg}` must be `<model>_id` or in SAMPLE_ARGS"
        )
        wanted = kwarg[: -len("_id")]
        matches = [
            m
            for m in apps.get_models()
            if m._meta.model_name == wanted and m.__module__.startswith("bascule.")
        ]
        assert len(matches) == 1, f"{self.name}: no single bascule model named `{wanted}`"
        return matches[0]


def _walk(patterns: list[Any], namespace: str = "", api: bool = False) -> Iterator[Route]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            ns = entry.namespace or ""
            full = f"{namespace}:{ns}" if namespace and ns else (ns or namespace)
            yield from _walk(entry.url_patterns, full, api or str(entry.pattern).startswith("api/"))
        elif isinstance(entry, URLPattern) and entry.name:
            if "format" in entry.pattern.regex.groupindex:
                continue  # DRF's `.json` suffix variants repeat the same views
            name = f"{namespace}:{entry.name}" if namespace else entry.name
            yield Route(name, tuple(entry.pattern.regex.groupindex), entry.callback, api)


ROUTES = sorted(
    {r.name: r for r in _walk(get_resolver().url_patterns) if not r.name.startswith("admin:")}.values(),
    key=lambda r: r.name,
)


def _outside_instance(model: type[models.Model], world: Any) -> models.Model:
    """An instance of `model` the Bretagne users may not see (created by the world or here)."""
    if model is TaskRun:
        return TaskRun.objects.create(kind="import", label="Import de Normandie", owner=world.lead_nor)
    if getattr(model, "visible_to_everyone_in_a_perimeter", False):
        return model.objects.first()  # type: ignore[attr-defined, no-any-return]
    hidden = model.objects.exclude(pk__in=model.objects.visible_to(world.lead_bzh).values("pk"))  # type: ignore[attr-defined]
    instance = hidden.first()
    assert instance is not None, f"the world fixture needs a {model.__name__} outside Bretagne"
    return instance


def _url(route: Route, world: Any, *, outside: bool) -> str:
    kwargs: dict[str, Any] = {}
    for kwarg in route.kwargs:
        if kwarg in SAMPLE_ARGS:
            kwargs[kwarg] = SAMPLE_ARGS[kwarg]
        elif outside:
            kwargs[kwarg] = _outside_instance(route.model_for(kwarg), world).pk
        else:
            kwargs[kwarg] = uuid.uuid4()
    return reverse(route.name, kwargs=kwargs)


def _history_rows() -> int:
    return sum(m.objects.count() for m in apps.get_models() if m.__name__.startswith("Historical"))


def test_every_route_is_covered():
    names = {route.name for route in ROUTES}
    assert {"organisation:structure_detail", "api:structure-detail", "core:taskrun_detail"} <= names
    for route in ROUTES:
        for kwarg in route.kwargs:
            if kwarg not in SAMPLE_ARGS:
                route.model_for(kwarg)  # fails loudly for a route outside the conventions


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.name)
def test_anonymous_is_sent_to_login(route, world, client):
    url = _url(route, world, outside=True)
    response = client.get(url)
    if route.name in PUBLIC:
        assert response.status_code in {200, 302, 405}
    elif getattr(
        route.view, "bascule_public", False
    ):  # core.access.public_page: a secret in the URL is the key
        assert response.status_code in {200, 404}, url  # the sample secret is wrong: nothing opens
    elif route.is_api and route.name not in {"api:schema", "api:docs", "api:redoc"}:
        assert response.status_code in {401, 403, 405}, url
    elif route.is_api:
        assert response.status_code in {401, 403}, url  # the documentation is not public either
    else:
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("accounts:login")), url


def _perimeter_scoped(route: Route) -> bool:
    """Whether some object of the route is hidden outside the perimeter (programmes are seen by everyone)."""
    return any(
        not getattr(route.model_for(kwarg), "visible_to_everyone_in_a_perimeter", False)
        for kwarg in route.kwargs
        if kwarg not in SAMPLE_ARGS
    )


@pytest.mark.parametrize("route", [r for r in ROUTES if _perimeter_scoped(r)], ids=lambda r: r.name)
@pytest.mark.parametrize("user_name", ["lead_bzh", "reader_bzh", "referent_29"])
def test_objects_outside_the_perimeter_answer_404(route, user_name, world):
    client = APIClient()
    client.force_login(getattr(world, user_name))
    url = _url(route, world, outside=True)
    assert client.get(url).status_code in {404, 405}, url
    before = _history_rows()
    assert client.post(url, {}).status_code in {404, 405}, url
    assert client.patch(url, {}, format="json").status_code in {404, 405}, url
    assert _history_rows() == before


@pytest.mark.parametrize(
    "route",
    [
        r
        for r in ROUTES
        if r.name not in SELF_SERVICE | PUBLIC and not getattr(r.view, "bascule_self_service", False)
    ],
    ids=lambda r: r.name,
)
def test_readers_write_nothing_in_their_own_perimeter(route, world):
    client = APIClient()
    client.force_login(world.reader_bzh)
    kwargs: dict[str, Any] = {}
    for kwarg in route.kwargs:
        if kwarg in SAMPLE_ARGS:
            kwargs[kwarg] = SAMPLE_ARGS[kwarg]
        else:
            model = route.model_for(kwarg)
            if model is TaskRun:
                kwargs[kwarg] = TaskRun.objects.create(kind="import", label="x", owner=world.reader_bzh).pk
            else:
                kwargs[kwarg] = model.objects.visible_to(world.reader_bzh).first().pk  # type: ignore[attr-defined]
    url = reverse(route.name, kwargs=kwargs)
    before = _history_rows()
    payload = {
        "code": "PIRATE",
        "name": "Pirate",
        "kind": "service",
        "parent": str(world.ddtm29.pk),
        "version": 1,
    }
    response = client.post(url, payload, format="json" if route.is_api else None)
    # Refused before any form is read: a reader's POST never reaches a form that could reject it for another
    # reason (which would hide a missing permission check). Only the self-service "apply my import" redirects,
    # with a message and nothing queued.
    # Views marked `read_only_post` (a report for the reader) may answer with their redirect: they write no
    # business data, which the history check below still proves.
    read_only = getattr(route.view, "bascule_read_only_post", False)
    allowed = {403, 404, 405} | ({302} if route.name in REDIRECTING_REFUSALS or read_only else set())
    assert response.status_code in allowed, (url, response.status_code)
    if response.status_code == 302:
        assert not TaskRun.objects.filter(params__mode="apply").exists()
    assert _history_rows() == before
