"""Pages: constant queries on lists, exports, forms with French errors, conflicts, history, htmx partials."""

from __future__ import annotations

import pytest
from django.urls import reverse

from bascule.core.spreadsheets import read_table
from bascule.organisation.models import Person, Structure, StructureKind
from tests.factories import PersonFactory, make_structure


def _grow(world, n):
    for i in range(n):
        s = make_structure(
            f"SVC-{i}", parent=world.finistere, kind=StructureKind.SERVICE, region="53", department="29"
        )
        PersonFactory(structure=s)


@pytest.mark.parametrize(
    ("url", "ceiling"),
    [
        (reverse("organisation:structure_list"), 12),
        (reverse("organisation:person_list"), 12),
        (reverse("organisation:structure_tree"), 12),
        (reverse("core:home"), 25),  # every module's panel (steering, committees, indicators), each constant
    ],
)
def test_lists_use_a_constant_number_of_queries(world, client, url, ceiling, django_assert_max_num_queries):
    client.force_login(world.lead_bzh)
    _grow(world, 3)
    with django_assert_max_num_queries(ceiling) as small:
        assert client.get(url).status_code == 200
    _grow_more = 40
    for i in range(_grow_more):
        s = make_structure(f"MORE-{i}", parent=world.ddtm29, region="53")
        PersonFactory(structure=s)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get(url).status_code == 200


def test_detail_pages_use_a_constant_number_of_queries(world, client, django_assert_max_num_queries):
    client.force_login(world.lead_bzh)
    url = reverse("organisation:structure_detail", args=[world.finistere.pk])
    with django_assert_max_num_queries(20) as small:
        client.get(url)
    _grow(world, 30)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get(url).status_code == 200


def test_list_filters_sort_and_only_show_the_perimeter(world, client):
    client.force_login(world.lead_bzh)
    html = client.get(reverse("organisation:structure_list"), {"q": "DDTM"}).content.decode()
    assert "DDTM-29" in html and "DDTM-14" not in html
    html = client.get(
        reverse("organisation:structure_list"), {"kind": "department", "tri": "-code"}
    ).content.decode()
    assert "D29" in html and "DDTM-29" not in html


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "ods"])
def test_exports_respect_filters_and_perimeter(world, client, fmt):
    client.force_login(world.lead_bzh)
    response = client.get(reverse("organisation:structure_list"), {"export": fmt, "state": "toutes"})
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith(f'.{fmt}"')
    table = read_table(response.content, f"x.{fmt}")
    codes = {row.cells[0] for row in table.rows}
    assert codes == {"R53", "D29", "DDTM-29"}
    people = read_table(client.get(reverse("organisation:person_list"), {"export": fmt}).content, f"p.{fmt}")
    emails = {row.cells[0] for row in people.rows}
    expected = set(Person.objects.visible_to(world.lead_bzh).values_list("email", flat=True))
    assert (
        emails == expected and "agent.bzh@test.gouv.fr" in emails and "agent.nor@test.gouv.fr" not in emails
    )


def test_htmx_requests_get_the_partial(world, client):
    client.force_login(world.lead_bzh)
    response = client.get(reverse("organisation:structure_list"), HTTP_HX_REQUEST="true")
    assert b"<html" not in response.content and b"DDTM-29" in response.content
    children = client.get(
        reverse("organisation:structure_children", args=[world.bretagne.pk]), HTTP_HX_REQUEST="true"
    )
    assert b"D29" in children.content


def test_edit_structure_then_history_shows_who_and_what(world, client):
    client.force_login(world.lead_bzh)
    url = reverse("organisation:structure_edit", args=[world.ddtm29.pk])
    form = {
        "code": "DDTM-29",
        "name": "DDTM du Finistère — Quimper",
        "kind": "departmental_directorate",
        "parent": world.finistere.pk,
        "region": "53",
        "department": "29",
        "version": world.ddtm29.version,
    }
    response = client.post(url, form)
    assert response.status_code == 302
    page = client.get(reverse("organisation:structure_detail", args=[world.ddtm29.pk])).content.decode()
    assert "DDTM du Finistère — Quimper" in page
    assert "Modification" in page and "lead_bzh" in page


def test_concurrent_edits_never_silently_overwrite(world, client):
    client.force_login(world.lead_bzh)
    url = reverse("organisation:structure_edit", args=[world.ddtm29.pk])
    base = {
        "code": "DDTM-29",
        "kind": "departmental_directorate",
        "parent": world.finistere.pk,
        "region": "53",
        "department": "29",
        "version": world.ddtm29.version,
    }
    assert client.post(url, {**base, "name": "Première modification"}).status_code == 302
    response = client.post(url, {**base, "name": "Seconde modification, sur une version périmée"})
    assert response.status_code == 200
    assert "modifié par quelqu" in response.content.decode()
    world.ddtm29.refresh_from_db()
    assert world.ddtm29.name == "Première modification"


def test_forms_reject_cycles_and_bad_dates_in_french(world, client):
    client.force_login(world.national)
    url = reverse("organisation:structure_edit", args=[world.finistere.pk])
    form = {
        "code": "D29",
        "name": "Finistère",
        "kind": "department",
        "parent": world.ddtm29.pk,
        "region": "53",
        "department": "29",
        "version": world.finistere.version,
        "valid_from": "2025-05-01",
        "valid_to": "2025-01-01",
    }
    html = client.post(url, form).content.decode()
    assert "Sélectionnez un choix valide" in html  # its own subtree is not offered as a parent
    assert "fin de validité précède" in html
    world.finistere.refresh_from_db()
    assert world.finistere.parent == world.bretagne


def test_service_refuses_cycles_even_without_the_form(world):
    from django.core.exceptions import ValidationError

    from bascule.organisation.services import structure_update

    with pytest.raises(ValidationError, match="sous-structures"):
        structure_update(
            by=world.national, structure=world.bretagne, version=world.bretagne.version, parent=world.ddtm29
        )


def test_create_structure_and_person_and_assignment(world, client):
    client.force_login(world.lead_bzh)
    response = client.post(
        reverse("organisation:structure_create"),
        {
            "code": "CPCM-53",
            "name": "CPCM Bretagne",
            "kind": "shared_centre",
            "parent": world.bretagne.pk,
            "region": "53",
        },
    )
    assert response.status_code == 302
    centre = Structure.objects.get(code="CPCM-53")
    assert centre.path.startswith(world.bretagne.path)
    response = client.post(
        reverse("organisation:person_create"),
        {
            "first_name": "Gwenaëlle",
            "last_name": "Riou",
            "email": "G.Riou@test.gouv.fr",
            "structure": centre.pk,
            "fte": "1",
        },
    )
    assert response.status_code == 302
    person = centre.people.get()
    assert person.email == "g.riou@test.gouv.fr"
    response = client.post(
        reverse("organisation:assignment_create", args=[person.pk]),
        {"role": "centre_head", "structure": centre.pk, "start_date": "2025-09-01"},
    )
    assert response.status_code == 302 and person.assignments.get().role == "centre_head"
    # Outside the perimeter: not even offered.
    response = client.post(
        reverse("organisation:structure_create"),
        {"code": "X", "name": "X", "kind": "service", "parent": world.calvados.pk},
    )
    assert response.status_code == 200 and not Structure.objects.filter(code="X").exists()


@pytest.mark.django_db(transaction=True)  # the worker commits and may reconnect, as in production
def test_import_from_the_ui_shows_a_preview(world, client, django_capture_on_commit_callbacks):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.conftest import run_worker

    client.force_login(world.lead_bzh)
    upload = SimpleUploadedFile(
        "s.csv", "Code;Nom;Type;Rattachement\nSGCD-29;SGC-D;sgcd;D29\n".encode("cp1252")
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("organisation:import"), {"importer": "organisation.structures", "file": upload}
        )
    assert response.status_code == 302
    run_worker()
    page = client.get(response["Location"]).content.decode()
    assert "Aperçu : rien n'a encore été enregistré" in page and "SGCD-29" in page
    with django_capture_on_commit_callbacks(execute=True):
        applied = client.post(response["Location"] + "appliquer/")
    run_worker()
    assert "Import appliqué" in client.get(applied["Location"]).content.decode()
    assert Structure.objects.filter(code="SGCD-29").exists()
