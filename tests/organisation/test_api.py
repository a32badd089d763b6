"""JSON API: token login, pagination shape, filters, perimeter (404 outside), writes through the services."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from bascule.organisation.models import Structure


@pytest.fixture
def api():
    return APIClient()


def _token(api, username):
    response = api.post(
        "/api/v1/auth/token/", {"username": username, "password": "motdepasse-solide-42"}, format="json"
    )
    assert response.status_code == 200
    return response.json()["token"]


def test_token_authentication_and_pagination_shape(world, api):
    token = _token(api, "lead_bzh")
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    body = api.get("/api/v1/structures/", {"page_size": 2}).json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == 3 and len(body["results"]) == 2 and body["next"]
    item = body["results"][0]
    assert {"id", "code", "name", "kind", "parent", "region"} <= set(item)


def test_wrong_password_gives_400_not_a_token(world, api):
    response = api.post("/api/v1/auth/token/", {"username": "lead_bzh", "password": "faux"}, format="json")
    assert response.status_code in {400, 403}
    assert "token" not in response.json()


@pytest.mark.parametrize(
    ("user", "params", "codes"),
    [
        ("national", {"region": "53"}, {"R53", "D29", "DDTM-29"}),
        ("national", {"region": "R28"}, {"R28", "D14", "DDTM-14"}),
        ("national", {"kind": "department"}, {"D29", "D14"}),
        ("national", {"q": "calvados"}, {"D14", "DDTM-14"}),
        ("lead_bzh", {"region": "28"}, set()),
        ("lead_bzh", {}, {"R53", "D29", "DDTM-29"}),
    ],
)
def test_structure_filters_within_the_perimeter(world, api, user, params, codes):
    api.force_authenticate(getattr(world, user))
    body = api.get("/api/v1/structures/", {**params, "page_size": 500}).json()
    found = {item["code"] for item in body["results"]}
    if user == "national" and not params.get("kind") and not params.get("q"):
        assert codes <= found
    else:
        assert found == codes


def test_objects_outside_answer_404(world, api):
    api.force_authenticate(world.lead_bzh)
    assert api.get(f"/api/v1/structures/{world.ddtm14.pk}/").status_code == 404
    assert api.get(f"/api/v1/people/{world.person_nor.pk}/").status_code == 404
    assert api.get(f"/api/v1/assignments/{world.assignment_nor.pk}/").status_code == 404
    assert api.get(f"/api/v1/structures/{world.ddtm29.pk}/").status_code == 200
    people = api.get("/api/v1/people/", {"page_size": 500}).json()["results"]
    assert "agent.nor@test.gouv.fr" not in {p["email"] for p in people}


def test_create_and_update_with_optimistic_locking(world, api):
    api.force_authenticate(world.lead_bzh)
    created = api.post(
        "/api/v1/structures/",
        {
            "code": "POLE-53",
            "name": "Pôle de diffusion",
            "kind": "support_pole",
            "parent": str(world.bretagne.pk),
            "region": "53",
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    item = created.json()
    assert Structure.objects.get(code="POLE-53").path.startswith(world.bretagne.path)
    url = f"/api/v1/structures/{item['id']}/"
    ok = api.patch(url, {"name": "Pôle de diffusion Chorus", "version": item["version"]}, format="json")
    assert ok.status_code == 200 and ok.json()["version"] == item["version"] + 1
    stale = api.patch(url, {"name": "Écrasement", "version": item["version"]}, format="json")
    assert stale.status_code == 409 and "modifié par quelqu" in stale.json()["detail"]
    assert api.patch(url, {"name": "Sans version"}, format="json").status_code == 400


def test_writes_outside_the_perimeter_are_refused(world, api):
    api.force_authenticate(world.lead_bzh)
    response = api.post(
        "/api/v1/structures/",
        {"code": "X", "name": "X", "kind": "service", "parent": str(world.calvados.pk)},
        format="json",
    )
    assert response.status_code == 400  # the parent is not even visible
    api.force_authenticate(world.reader_bzh)
    response = api.post(
        "/api/v1/structures/",
        {"code": "Y", "name": "Y", "kind": "service", "parent": str(world.ddtm29.pk)},
        format="json",
    )
    assert response.status_code == 403
    assert (
        api.patch(
            f"/api/v1/structures/{world.ddtm29.pk}/", {"name": "Z", "version": 1}, format="json"
        ).status_code
        == 403
    )
    assert not Structure.objects.filter(code__in=["X", "Y"]).exists()


def test_session_auth_enforces_csrf(world):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(world.national)
    response = client.post(
        "/api/v1/structures/", {"code": "Z", "name": "Z", "kind": "service"}, format="json"
    )
    assert response.status_code == 403 and "CSRF" in response.json()["detail"]


def test_openapi_schema_and_docs(world, api):
    api.force_authenticate(world.lead_bzh)
    schema = api.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    assert "/api/v1/structures/" in schema.json()["paths"]
    assert api.get("/api/v1/docs/").status_code == 200


def test_list_query_count_is_constant(world, api, django_assert_max_num_queries):
    from tests.factories import make_structure

    api.force_authenticate(world.national)
    with django_assert_max_num_queries(8) as few:
        api.get("/api/v1/structures/", {"page_size": 500})
    for i in range(40):
        make_structure(f"N-{i}", parent=world.ddtm29, region="53")
    with django_assert_max_num_queries(len(few.captured_queries)):
        api.get("/api/v1/structures/", {"page_size": 500})


def test_creating_a_structure_without_parent_is_refused_or_done_never_500(world):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_login(world.lead_bzh)
    body = {"code": "RACINE-2", "name": "Racine", "kind": "state"}
    refused = client.post("/api/v1/structures/", body, format="json")
    assert refused.status_code == 403 and "pilotage national" in refused.json()["detail"]
    client.force_login(world.national)
    created = client.post("/api/v1/structures/", body, format="json")
    assert (
        created.status_code == 201
        and created.json()["parent"] is None
        and created.json()["parent_code"] is None
    )


def test_invalid_filters_answer_400_in_french(world):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_login(world.national)
    response = client.get("/api/v1/assignments/", {"role": "pirate"})
    assert response.status_code == 400 and "pirate" in str(response.json()["role"])
    assert client.get("/api/v1/assignments/", {"role": ""}).status_code == 200
    assert client.get("/api/v1/structures/", {"parent": "pas-un-uuid"}).status_code == 400
    assert client.get("/api/v1/actions/", {"late": "peut-être"}).status_code == 400
    assert (
        client.get("/api/v1/actions/", {"page_size": "null"}).status_code == 200
    )  # ignored: default page size
