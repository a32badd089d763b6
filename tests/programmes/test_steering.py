"""Workstreams per region, template changes offered to regions, action lists, pages and API, perimeters."""

from __future__ import annotations

import re
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
    assert set(item) >= {
        "id",
        "code",
        "title",
        "pain_point",
        "lead_text",
        "lead_structures",
        "partner_structures",
        "deliverables_text",
        "deadline",
        "status",
        "late",
        "updated_at",
    }


def test_action_list_filters_and_export(world, chorus, client):
    client.force_login(world.national)
    url = reverse("programmes:action_list")
    assert "Action normande" not in client.get(url, {"region": "53"}).content.decode()
    assert "Action bretonne" in client.get(url, {"involving": "D29"}).content.decode()
    # the search reads codes, titles and the lead as written
    by_lead = client.get(url, {"q": "en lien avec D29"}).content.decode()
    assert "Action bretonne" in by_lead and "Action normande" not in by_lead
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
        action_create(
            by=world.national,
            programme=chorus,
            code=f"9-{i}",
            title=f"Action {i}",
            structure=world.bretagne,
            lead_text="DDTM-29 et D29, avec MI",
            deliverables_text="mi-2022",
            progress="En cours",
            status=Status.IN_PROGRESS,
        )
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
        "lead_text": action.lead_text,
        "deliverables_text": "T3 2024",
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


def test_api_creates_actions_through_the_service(world, chorus):
    api = APIClient()
    api.force_authenticate(world.lead_bzh)
    payload = {
        "programme": "CHORUS",
        "structure": str(world.finistere.pk),
        "code": "29-1",
        "title": "Former les agents",
        "lead_text": "D29, avec DDTM-29",
        "deliverables_text": "d'ici fin 2027",
    }
    created = api.post("/api/v1/actions/", payload, format="json")
    assert created.status_code == 201, created.json()
    assert created.json()["deadline"]["end"] == "2027-12-31" and created.json()["partner_structures"] == [
        "DDTM-29"
    ]
    assert Action.objects.get(code="29-1").history.first().history_user == world.lead_bzh
    outside = api.post(
        "/api/v1/actions/", {**payload, "code": "14-1", "structure": str(world.calvados.pk)}, format="json"
    )
    assert outside.status_code == 400
    national = api.post("/api/v1/actions/", {**payload, "code": "N-1", "structure": None}, format="json")
    assert national.status_code == 403  # a national action needs rights on the programme
    duplicate = api.post("/api/v1/actions/", payload, format="json")
    assert duplicate.status_code == 400 and "déjà une action de ce numéro" in str(duplicate.json())


def test_region_page(world, chorus, client):
    client.force_login(world.lead_bzh)
    page = client.get(
        reverse("programmes:region_detail", args=[chorus.pk, world.bretagne.pk])
    ).content.decode()
    assert "Action bretonne" in page and "Reprise des données" in page
    assert (
        client.get(reverse("programmes:region_detail", args=[chorus.pk, world.normandie.pk])).status_code
        == 404
    )


def test_deliverables_are_versioned_documents_validated_by_the_level_above(world, chorus, client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from bascule.programmes.models import DeliverableVersion, InstanceItem

    item = InstanceItem.objects.filter(workstream__structure=world.bretagne, kind="deliverable").first()
    client.force_login(world.lead_bzh)
    upload = SimpleUploadedFile("inventaire-v2.csv", b"EJ;montant\n1;10\n")
    client.post(reverse("programmes:deliverable_deposit", args=[item.pk]), {"file": upload})
    versions = list(item.versions.order_by("number"))
    assert [v.number for v in versions] == [1, 2] and versions[1].deposited_by == world.lead_bzh
    download = client.get(reverse("programmes:deliverable_download", args=[versions[1].pk]))
    assert b"".join(download.streaming_content) == b"EJ;montant\n1;10\n"
    # The region cannot validate its own deliverable; national steering (the level above) can.
    assert (
        client.post(
            reverse("programmes:deliverable_validate", args=[versions[1].pk]), {"decision": "valider"}
        ).status_code
        == 403
    )
    client.force_login(world.national)
    client.post(
        reverse("programmes:deliverable_validate", args=[versions[1].pk]),
        {"decision": "valider", "comment": "Conforme"},
    )
    versions[1].refresh_from_db()
    item.refresh_from_db()
    assert (
        versions[1].validation == DeliverableVersion.Validation.VALIDATED
        and versions[1].validated_by == world.national
    )
    assert item.done_on is not None
    assert versions[1].history.count() == 2  # deposit, then validation
    client.force_login(world.lead_nor)
    assert client.get(reverse("programmes:deliverable_download", args=[versions[1].pk])).status_code == 404


def test_decisions_and_actions_that_stem_from_them(world, chorus, client):
    decision = chorus.decisions.get()
    client.force_login(world.national)
    client.post(
        reverse("programmes:decision_add", args=[chorus.pk]),
        {"committee": "cotech", "taken_on": "2025-09-01", "title": "Reporter la reprise"},
    )
    assert chorus.decisions.count() == 2
    action = Action.objects.get(code="1-1")
    form = {
        "code": "1-1",
        "title": action.title,
        "lead_text": "",
        "deliverables_text": action.deliverables_text,
        "decision": decision.pk,
        "version": action.version,
    }
    assert client.post(reverse("programmes:action_edit", args=[action.pk]), form).status_code == 302
    assert (
        "Lancer la vague 1"
        in client.get(reverse("programmes:action_detail", args=[action.pk])).content.decode()
    )
    client.force_login(world.lead_bzh)
    assert (
        client.post(
            reverse("programmes:decision_add", args=[chorus.pk]),
            {"committee": "copil", "taken_on": "2025-09-01", "title": "X"},
        ).status_code
        == 403
    )


def test_timeline_places_golives_milestones_and_actions(world, chorus, client):
    from bascule.programmes.models import InstanceItem
    from bascule.programmes.services import wave_create

    wave_create(
        by=world.national,
        programme=chorus,
        name="Vague 1",
        golive_date=date(2027, 1, 1),
        structures=[world.bretagne],
    )
    InstanceItem.objects.filter(workstream__structure=world.bretagne, workstream__template__number=3).update(
        due_date=date(2026, 10, 1)
    )
    client.force_login(world.lead_bzh)
    page = client.get(reverse("programmes:programme_timeline", args=[chorus.pk])).content.decode()
    assert "Vague 1 : bascule le 01/01/2027" in page
    assert "Chantier 3. Reprise des données" in page
    assert "2-1 — Action bretonne (Bretagne) : du 01/04/2024 au 30/06/2024" in page and "(en retard)" in page
    assert "Action normande" not in page  # outside the perimeter
    assert (
        'style="left: 0.0%' in page or 'style="left: 0%' in page or re.search(r'style="left: \d+\.\d+%', page)
    )
    assert not re.search(r'style="left: \d+,\d+%', page)  # never a French decimal comma in CSS


def test_instancing_from_the_programme_page(world, client):
    from bascule.programmes.services import programme_create

    programme = programme_create(
        by=world.national, code="NEW", name="Nouveau", owner=world.national_office, standard_workstreams=True
    )
    client.force_login(world.referent_29)  # a departmental referent instances in their department only
    client.post(reverse("programmes:programme_instantiate", args=[programme.pk]), {"kind": "department"})
    assert set(
        Workstream.objects.filter(template__programme=programme).values_list("structure__code", flat=True)
    ) == {"D29"}
    client.force_login(world.national)
    client.post(reverse("programmes:programme_instantiate", args=[programme.pk]), {"kind": "region"})
    instances = Workstream.objects.filter(template__programme=programme)
    assert (
        instances.filter(structure=world.bretagne).count() == 7
        and instances.filter(structure=world.normandie).count() == 7
    )
    client.force_login(world.reader_bzh)
    assert (
        client.post(
            reverse("programmes:programme_instantiate", args=[programme.pk]), {"kind": "region"}
        ).status_code
        == 403
    )


def test_create_an_action_from_the_page(world, chorus, client):
    client.force_login(world.lead_bzh)
    url = reverse("programmes:action_create")
    form = {
        "programme": chorus.pk,
        "structure": world.bretagne.pk,
        "code": "53-9",
        "title": "Réunir les référents",
        "lead_text": "R53, avec D29",
        "deliverables_text": "Réunion mi-mars 2027",
    }
    response = client.post(url, form)
    assert response.status_code == 302
    action = Action.objects.get(code="53-9")
    assert action.deadline_end == date(2027, 3, 20) and [s.code for s in action.partner_structures.all()] == [
        "D29"
    ]
    national = client.post(url, {**form, "code": "N-9", "structure": ""})
    assert national.status_code == 200 and "hors de votre périmètre" in national.content.decode()
    outside = client.post(url, {**form, "code": "14-9", "structure": world.calvados.pk})
    assert outside.status_code == 200 and not Action.objects.filter(code="14-9").exists()
    client.force_login(world.reader_bzh)
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("today", [date(2019, 6, 1), date(2021, 1, 1), date(2022, 1, 1), date(2030, 1, 1)])
def test_late_is_one_rule_in_sql_and_in_python(world, today):
    """`Action.objects.late()` (SQL) and `Action.is_late_on` (Python) agree on every status and deadline."""
    programme = Programme.objects.get(code="CHORUS")
    cases = [("fin 2020", s) for s in Status.values] + [
        ("T2 2024", Status.IN_PROGRESS),
        ("à définir", Status.BLOCKED),
        ("à compter de 2020", Status.NOT_STARTED),
        ("", Status.IN_PROGRESS),
    ]
    for number, (deadline, status) in enumerate(cases):
        action = action_create(
            by=world.national,
            programme=programme,
            code=f"L-{number}",
            title="Retard ?",
            deliverables_text=deadline,
            status=status,
            reference_date=date(2020, 1, 1),
        )
        assert action.status == status
    in_sql = set(Action.objects.late(today).values_list("pk", flat=True))
    in_python = {a.pk for a in Action.objects.all() if a.is_late_on(today)}
    assert in_sql == in_python
    if today == date(2022, 1, 1):
        assert len(in_sql) >= 3  # the not finished "fin 2020" ones, at least
