"""The set-up pages: a wave from a spreadsheet of codes, a move previewed then confirmed, a removal refused with
what depends on it; abilities of a programme owned by a region (inside and outside)."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from bascule.core.exports import write_xlsx
from bascule.programmes import services
from bascule.programmes.models import Wave


def test_a_wave_from_a_spreadsheet_of_codes(world, client):
    client.force_login(world.national)
    sheet = write_xlsx(["Code", "Nom"], [["D29", "Finistère"], ["DDTM-29", "DDTM"]], title="Structures")
    response = client.post(
        reverse("programmes:wave_create", args=[world.programme.pk]),
        {
            "name": "Vague tableur",
            "golive_date": "2027-05-03",
            "budget_text": "354",
            "codes_file": SimpleUploadedFile("codes.xlsx", sheet),
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    wave = Wave.objects.get(name="Vague tableur")
    assert {s.code for s in wave.structures.all()} == {"D29", "DDTM-29"}
    unknown = write_xlsx(["Code"], [["D999"]], title="Structures")
    response = client.post(
        reverse("programmes:wave_create", args=[world.programme.pk]),
        {"name": "V2", "golive_date": "2027-05-03", "codes_file": SimpleUploadedFile("codes.xlsx", unknown)},
    )
    assert response.status_code == 200 and "D999" in response.content.decode()
    assert not Wave.objects.filter(name="V2").exists()


def test_a_move_is_previewed_then_confirmed(world, client):
    client.force_login(world.national)
    wave = world.wave_nor
    url = reverse("programmes:wave_move", args=[wave.pk])
    preview = client.post(url, {"golive_date": "2027-08-01", "version": wave.version})
    assert preview.status_code == 200 and "Confirmer le déplacement" in preview.content.decode()
    wave.refresh_from_db()
    assert wave.golive_date == date(2027, 7, 1)
    done = client.post(url, {"golive_date": "2027-08-01", "version": wave.version, "confirm": "on"})
    assert done.status_code == 302
    wave.refresh_from_db()
    assert wave.golive_date == date(2027, 8, 1) and wave.version == 2
    stale = client.post(url, {"golive_date": "2027-09-01", "version": 1, "confirm": "on"})
    assert stale.status_code == 200  # the version read is gone: said on the form, nothing moved
    wave.refresh_from_db()
    assert wave.golive_date == date(2027, 8, 1)


@pytest.mark.parametrize(
    ("who", "owner"),
    [
        ("national", True),
        ("lead_bzh", True),
        ("referent_29", False),
        ("reader_bzh", False),
        ("lead_nor", False),
    ],
)
def test_a_regional_programme_is_set_up_by_its_region(world, who, owner):
    programme = services.programme_create(
        by=world.lead_bzh, code="BZH-1", name="Breton", owner=world.bretagne
    )
    user = getattr(world, who)
    abilities = programme.get_abilities(user)
    assert {k: abilities[k] for k in ("change", "add_wave", "close", "add_document")} == dict.fromkeys(
        ("change", "add_wave", "close", "add_document"), owner
    )
    assert abilities["view"] is True  # programmes are seen by everyone with a perimeter
    wave = services.wave_create(
        by=world.lead_bzh, programme=programme, name="V", golive_date=date(2027, 1, 1)
    )
    assert wave.get_abilities(user)["move"] is owner
