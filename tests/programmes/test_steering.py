"""Workstreams per region, template changes offered to regions, action lists, pages and API, perimeters."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from bascule.programmes.models import Action, Programme, Status, Workstream
from bascule.programmes.services import (
    action_create,
    progress_add,
    template_add_item,
    workstreams_instantiate,
)


@pytest.fixture
def chorus(world):
    return Programme.objects.get(code="CHORUS")


def test_instancing_creates_seven_workstreams_per_region_with_the_lead_as_pilot(world, chorus):
    assert Workstream.objects.filter(template__programme=chorus, structure=world.bretagne).count() == 7
    ws = Workstream.objects.get(template__programme=chorus, template__number=3, structure=world.bretagne)
    assert ws.pilot.user == world.lead_bzh
    assert ws.items.count() == 4  # two milestones, two deliverables from the template
    assert (
        workstreams_instantiate(by=world.national, programme=chorus, root=world.root) == []
    )  # nothing twice


def test_template_change_reaches_regions_that_accept_and_divergence_shows_the_others(world, chorus, client):
    template = chorus.templates.get(number=3)
    template_add_item(
        by=world.national, template=template, kind="deliverable", name="Tableau de bord de la reprise"
    )
    client.force_login(world.lead_bzh)
    ws_bzh = Workstream.objects.get(template=template, structure=world.bretagne)
    page = client.get(reverse("programmes:workstream_detail", args=[ws_bzh.pk])).content.decode()
    assert "Le modèle national a évolué" in page and "Tableau de bord de la reprise" in page
    client.post(reverse("programmes:workstream_accept", args=[ws_bzh.pk]))
    ws_bzh.refresh_from_db()
    assert not ws_bzh.diverged and ws_bzh.items.filter(name="Tableau de bord de la reprise").exists()
    client.force_login(world.national)
    page = client.get(reverse("programmes:programme_detail", args=[chorus.pk])).content.decode()
    divergences = page.split('id="divergences"')[1]
    assert "Normandie — chantier 3" in divergences and "Bretagne — chantier 3" not in divergences


def test_prerequisite_not_met_is_shown(world, chorus, client):
    client.force_login(world.lead_bzh)
    ws = Workstream.objects.get(template__programme=chorus, template__number=2, structure=world.bretagne)
    assert (
        "Prérequis non atteint : chantier 1"
        in client.get(reverse("programmes:workstream_detail", args=[ws.pk])).content.decode()
    )


def test_regional_lead_sees_only_their_region_in_lists_matrix_and_api(world, chorus, client):
    client.force_login(world.lead_bzh)
    html = client.get(reverse("programmes:action_list")).content.decode()
    assert "Action bretonne" in html and "Action nationale" in html and "Action normande" not in html
    matrix = client.get(reverse("programmes:programme_detail", args=[chorus.pk])).content.decode()
    assert (
        "Bretagne" in matrix.split('id="matrice-chantiers"')[1]
        and "Normandie" not in matrix.split('id="matrice-chantiers"')[1]
    )
    api = APIClient()
    api.force_authenticate(world.lead_bzh)
    codes = {a["code"] for a in api.get("/api/v1/actions/").json()["results"]}
    assert codes == {"1-1", "2-1"}
    assert {w["region"] for w in api.get("/api/v1/workstreams/", {"page_size": 100}).json()["results"]} == {
        "53"
    }
    api.force_authenticate(world.national)
    assert {a["code"] for a in api.get("/api/v1/actions/").json()["results"]} == {"1-1", "2-1", "3-1"}


def test_late_filter_and_deadline_sort(world, chorus):
    api = APIClient()
    api.force_authenticate(world.national)
    late = {a["code"] for a in api.get("/api/v1/actions/", {"late": "true"}).json()["results"]}
    assert late == {"1-1", "2-1", "3-1"}  # "fin 2021", "T2 2024" and "2020" are all over by now
    progress_add(by=world.national, action=Action.objects.get(code="1-1"), status=Status.DONE, text="Fait")
    late = {
        a["code"]
        for a in api.get("/api/v1/actions/", {"late": "true", "programme": "CHORUS"}).json()["results"]
    }
    assert "1-1" not in late
    item = api.get("/api/v1/actions/", {"programme": "CHORUS", "region": "53"}).json()["results"][0]
    assert item["code"] == "2-1"
    assert item["deadline"] == {
        "text": "T2 2024",
        "start": "2024-04-01",
        "end": "2024-06-30",
        "precision": "quarter",
        "understood": True,
    }
    assert item["lead_structures"] == ["DDTM-29"] and item["partner_structures"] == ["D29"]
    assert set(item) >= {"id", "code", "title", "pain_point", "lead", "lead_structures", "partner_structures",
                         "deliverable", "deadline", "status", "late", "updated_at"}  # fmt: skip


def test_action_list_filters_and_export(world, chorus, client):
    client.force_login(world.national)
    url = reverse("programmes:action_list")
    assert "Action normande" not in client.get(url, {"region": "53"}).content.decode()
    assert "Action bretonne" in client.get(url, {"lead": "D29"}).content.decode()
    window = client.get(url, {"deadline_from": "2024-01-01", "deadline_to": "2024-12-31"}).content.decode()
    assert "Action bretonne" in window and "Action nationale" not in window
    sorted_html = client.get(url, {"tri": "echeance"}).content.decode()
    assert (
        sorted_html.index("Action normande")
        < sorted_html.index("Action nationale")
        < sorted_html.index("Action bretonne")
    )
    export = client.get(url, {"export": "csv", "programme": "CHORUS"})
    assert export.status_code == 200 and "Action bretonne" in export.content.decode("utf-8-sig")


def test_lists_use_a_constant_number_of_queries(world, chorus, client, django_assert_max_num_queries):
    client.force_login(world.national)
    urls = [
        reverse("programmes:action_list"),
        reverse("programmes:programme_detail", args=[chorus.pk]),
        "/api/v1/actions/",
    ]
    counts = {}
    for url in urls:
        with django_assert_max_num_queries(40) as ctx:
            assert client.get(url).status_code == 200
        counts[url] = len(ctx.captured_queries)
    for i in range(30):
        action_create(by=world.national, programme=chorus, code=f"9-{i}", title=f"Action {i}", structure=world.bretagne,
                      lead="DDTM-29 et D29, avec MI", deliverable="mi-2022", progress="En cours", status=Status.IN_PROGRESS)  # fmt: skip
    for url in urls:
        with django_assert_max_num_queries(counts[url]):
            assert client.get(url).status_code == 200


def test_concurrent_action_edits_never_silently_overwrite(world, chorus, client):
    client.force_login(world.lead_bzh)
    action = Action.objects.get(code="2-1")
    url = reverse("programmes:action_edit", args=[action.pk])
    form = {
        "code": "2-1",
        "title": "Action bretonne révisée",
        "lead": action.lead,
        "deliverable": "T3 2024",
        "version": action.version,
    }
    assert client.post(url, form).status_code == 302
    stale = client.post(url, {**form, "title": "Écrasement"})
    assert stale.status_code == 200 and "modifié par quelqu" in stale.content.decode()
    action.refresh_from_db()
    assert action.title == "Action bretonne révisée" and action.deadline_end == date(2024, 9, 30)
    api = APIClient()
    api.force_authenticate(world.lead_bzh)
    response = api.patch(f"/api/v1/actions/{action.pk}/", {"title": "API", "version": 1}, format="json")
    assert response.status_code == 409


def test_progress_notes_make_the_current_state(world, chorus, client):
    client.force_login(world.lead_bzh)
    action = Action.objects.get(code="2-1")
    client.post(
        reverse("programmes:progress_add", args=[action.pk]),
        {"on": "2024-03-01", "status": "blocked", "percent": "40", "text": "Attente DGFiP"},
    )
    client.post(
        reverse("programmes:progress_add", args=[action.pk]),
        {"on": "2024-02-01", "status": "in_progress", "text": "Ancien point"},
    )
    action.refresh_from_db()
    assert (action.status, action.percent, action.progress) == ("blocked", 40, "Attente DGFiP")
    page = client.get(reverse("programmes:action_detail", args=[action.pk])).content.decode()
    assert "Attente DGFiP" in page and "Ancien point" in page


def test_regional_lead_cannot_edit_national_actions(world, chorus, client):
    client.force_login(world.lead_bzh)
    national = Action.objects.get(code="1-1")
    assert client.get(reverse("programmes:action_edit", args=[national.pk])).status_code == 403
    assert (
        client.post(
            reverse("programmes:progress_add", args=[national.pk]), {"on": "2024-01-01", "status": "done"}
        ).status_code
        == 403
    )


def test_wave_filter(world, chorus, client):
    from bascule.programmes.services import wave_create

    wave = wave_create(
        by=world.national,
        programme=chorus,
        name="Vague 1",
        golive_date=date(2027, 1, 1),
        structures=[world.normandie],
    )
    client.force_login(world.national)
    html = client.get(reverse("programmes:action_list"), {"wave": str(wave.pk)}).content.decode()
    assert "Action normande" in html and "Action bretonne" not in html
