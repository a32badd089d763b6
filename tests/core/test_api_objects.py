"""Every object of the API carries the requester's abilities on it (the same `get_abilities` the pages ask), and
a write naming a field that would not be saved answers 400 — a client never believes it saved.

No per-module code: every router list of the API is walked (a new viewset is covered once registered).
"""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from bascule.organisation.models import Structure
from bascule.programmes.models import Action
from tests.core.test_access_harness import ROUTES

LISTS = [r for r in ROUTES if r.is_api and r.name.endswith("-list")]


def test_every_api_list_is_walked():
    assert len(LISTS) >= 19, [r.name for r in LISTS]


@pytest.mark.parametrize("user", ["national", "lead_bzh", "reader_bzh"])
def test_each_object_says_what_its_reader_may_do(world, user):
    api = APIClient()
    actor = getattr(world, user)
    api.force_authenticate(actor)
    checked = 0
    for route in LISTS:
        model = route.view.cls.model
        body = api.get(reverse(route.name), {"page_size": 5}).json()
        for item in body["results"]:
            obj = model.objects.get(pk=item["id"])
            assert item["abilities"] == obj.get_abilities(actor), (route.name, item["id"])
            checked += 1
        detail = route.name.replace("-list", "-detail")
        if body["results"]:
            one = api.get(reverse(detail, kwargs={"pk": body["results"][0]["id"]})).json()
            assert one["abilities"] == body["results"][0]["abilities"], detail
    assert checked >= 19  # every list has at least one object in the world for these users


def test_a_misspelt_field_in_a_patch_is_refused_not_ignored(world):
    api = APIClient()
    api.force_authenticate(world.lead_bzh)
    action = Action.objects.get(pk=world.action_bzh.pk)
    url = f"/api/v1/actions/{action.pk}/"
    response = api.patch(url, {"titel": "Faute de frappe", "version": action.version}, format="json")
    assert response.status_code == 400
    assert "titel" in response.json() and "inconnu" in response.json()["titel"][0]
    response = api.patch(url, {"abilities": {"change": True}, "version": action.version}, format="json")
    assert response.status_code == 400 and "lecture seule" in response.json()["abilities"][0]
    action.refresh_from_db()
    assert action.version == world.action_bzh.version
    # The same request, spelt right, saves.
    response = api.patch(url, {"title": "Bien écrit", "version": action.version}, format="json")
    assert response.status_code == 200 and response.json()["title"] == "Bien écrit"


def test_a_field_the_service_does_not_take_is_refused(world):
    api = APIClient()
    api.force_authenticate(world.lead_bzh)
    structure = Structure.objects.get(pk=world.finistere.pk)
    response = api.patch(
        f"/api/v1/structures/{structure.pk}/",
        {"nom": "Finistère", "version": structure.version},
        format="json",
    )
    assert response.status_code == 400 and "nom" in response.json()


def test_a_creation_with_an_unknown_field_is_refused(world):
    api = APIClient()
    api.force_authenticate(world.lead_bzh)
    before = Action.objects.count()
    response = api.post(
        "/api/v1/actions/",
        {"programme": world.action_bzh.programme.code, "title": "Nouvelle", "echeance": "2027-01-01"},
        format="json",
    )
    assert response.status_code == 400 and "echeance" in response.json()
    assert Action.objects.count() == before


def test_the_browsable_api_forms_token_is_not_an_unknown_field(world):
    api = APIClient()
    api.force_authenticate(world.lead_bzh)
    action = Action.objects.get(pk=world.action_bzh.pk)
    response = api.patch(
        f"/api/v1/actions/{action.pk}/",
        {"title": "Depuis le formulaire", "version": action.version, "csrfmiddlewaretoken": "x"},
        format="multipart",
    )
    assert response.status_code == 200, response.content
