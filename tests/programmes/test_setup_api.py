"""The set-up through the API: programmes and waves created and changed by the same services, a wave moved with
its preview first, the role catalogue and the service links (refusals as the pages have them)."""

from __future__ import annotations

from datetime import date

import pytest
from rest_framework.test import APIClient

from bascule.organisation import services
from bascule.organisation.models import RoleDefinition, ServiceLink
from bascule.programmes.models import Programme, Wave


@pytest.fixture
def api():
    return APIClient()


def test_programme_and_waves_through_the_api(world, api):
    api.force_authenticate(world.national)
    created = api.post(
        "/api/v1/programmes/",
        {"code": "DEMAT-79", "name": "Dématérialisation 79", "owner": str(world.national_office.pk)},
        format="json",
    )
    assert created.status_code == 201, created.json()
    programme = Programme.objects.get(code="DEMAT-79")
    assert created.json()["abilities"]["add_wave"] is True
    wave = api.post(
        "/api/v1/waves/",
        {
            "programme": str(programme.pk),
            "name": "V1",
            "golive_date": "2027-03-01",
            "budget_programmes": ["354"],
            "structures": [str(world.finistere.pk)],
        },
        format="json",
    )
    assert wave.status_code == 201, wave.json()
    wave_id = wave.json()["id"]
    refused = api.post(
        "/api/v1/waves/",
        {
            "programme": str(programme.pk),
            "name": "V2",
            "golive_date": "2027-01-01",
            "budget_programmes": ["35x"],
        },
        format="json",
    )
    assert refused.status_code == 400 and "budget_programmes" in refused.json()
    preview = api.post(
        f"/api/v1/waves/{wave_id}/move/", {"golive_date": "2027-04-01", "version": 1}, format="json"
    )
    assert preview.status_code == 200 and preview.json()["moved"] is False
    assert Wave.objects.get(pk=wave_id).golive_date.isoformat() == "2027-03-01"
    moved = api.post(
        f"/api/v1/waves/{wave_id}/move/",
        {"golive_date": "2027-04-01", "version": 1, "confirm": True},
        format="json",
    )
    assert moved.status_code == 200 and moved.json()["wave"]["golive_date"] == "2027-04-01"
    stale = api.patch(f"/api/v1/waves/{wave_id}/", {"name": "V1 bis", "version": 1}, format="json")
    assert stale.status_code == 409
    assert api.delete(f"/api/v1/waves/{wave_id}/").status_code == 204


@pytest.mark.parametrize("who", ["lead_bzh", "reader_bzh", "referent_29"])
def test_the_api_refuses_what_the_pages_refuse(world, api, who):
    api.force_authenticate(getattr(world, who))
    wave = world.wave_nor
    assert (
        api.patch(
            f"/api/v1/waves/{wave.pk}/", {"name": "x", "version": wave.version}, format="json"
        ).status_code
        == 403
    )
    answer = api.post(
        f"/api/v1/waves/{wave.pk}/move/",
        {"golive_date": "2030-01-01", "version": wave.version, "confirm": True},
        format="json",
    )
    assert answer.status_code == 403
    assert api.post(
        "/api/v1/roles/", {"code": "pirate", "name": "Pirate", "rank": 99}, format="json"
    ).status_code in {403, 404}
    assert not RoleDefinition.objects.filter(code="pirate").exists()
    link = services.service_link_create(
        by=world.national, client=world.ddtm14, provider=world.calvados, kind="payroll"
    )
    assert api.get(f"/api/v1/service-links/{link.pk}/").status_code == 404  # Normandy: not seen from Bretagne


def test_roles_and_service_links_through_the_api(world, api):
    api.force_authenticate(world.national)
    role = api.post(
        "/api/v1/roles/", {"code": "prefigurateur-rh", "name": "Préfigurateur RH", "rank": 40}, format="json"
    )
    assert role.status_code == 201, role.json()
    in_use = services.role_create(by=world.national, code="correspondant-archives", name="Archives", rank=30)
    services.assignment_create(
        by=world.national,
        person=world.person_bzh,
        role=in_use.code,
        structure=world.ddtm29,
        start_date=date(2026, 1, 1),
    )
    refused = api.delete(f"/api/v1/roles/{in_use.pk}/")
    assert refused.status_code == 400 and "attribué" in str(refused.json())
    link = api.post(
        "/api/v1/service-links/",
        {"client": str(world.ddtm29.pk), "provider": str(world.bretagne.pk), "kind": "support"},
        format="json",
    )
    assert link.status_code == 201, link.json()
    assert ServiceLink.objects.filter(client=world.ddtm29, provider=world.bretagne, kind="support").exists()
    listed = api.get("/api/v1/service-links/", {"structure": str(world.ddtm29.pk)}).json()
    assert {row["provider_code"] for row in listed["results"]} == {"R53"}
