"""The grant matrix: who may give (change, end) which role, where — as a table written independently of the code."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from bascule.core.roles import Role
from bascule.organisation import services
from bascule.organisation.grants import can_grant, grantable_roles
from bascule.organisation.models import Assignment, Person

ALL_ROLES = list(Role.values)


def expected(grantor: str, role: str, where: str) -> bool:
    """The matrix of docs/ARCHITECTURE.md, written out for the test world."""
    if where == "own":
        return False
    if grantor == "national":
        return True
    if grantor == "lead_bzh":
        return where == "inside" and role not in {Role.NATIONAL_STEERING, Role.REGIONAL_LEAD}
    return False


def _target(world, grantor: str, where: str) -> tuple[Person, object]:
    if where == "own":
        person = Person.objects.get(user=getattr(world, grantor))
        return person, person.structure
    if where == "inside":
        return world.person_bzh, world.ddtm29
    return world.person_nor, world.ddtm14


@pytest.mark.parametrize("where", ["inside", "outside", "own"])
@pytest.mark.parametrize("role", ALL_ROLES)
@pytest.mark.parametrize("grantor", ["national", "lead_bzh", "referent_29", "reader_bzh"])
def test_grant_matrix(world, grantor, role, where):
    user = getattr(world, grantor)
    person, structure = _target(world, grantor, where)
    assert can_grant(user, role, structure, person) is expected(grantor, role, where)
    if expected(grantor, role, where):
        assignment = services.assignment_create(
            by=user, person=person, role=role, structure=structure, start_date=date(2024, 9, 1)
        )
        ended = services.assignment_update(
            by=user, assignment=assignment, version=assignment.version, end_date=date(2025, 8, 31)
        )
        assert ended.history.count() == 2  # type: ignore[attr-defined]
    else:
        with pytest.raises(PermissionDenied):
            services.assignment_create(
                by=user, person=person, role=role, structure=structure, start_date=date(2024, 9, 1)
            )


def test_a_lead_cannot_change_an_assignment_into_one_it_may_not_give(world):
    assignment = services.assignment_create(
        by=world.lead_bzh,
        person=world.person_bzh,
        role=Role.READER,
        structure=world.ddtm29,
        start_date=date(2024, 9, 1),
    )
    for change in (
        {"role": Role.NATIONAL_STEERING},
        {"structure": world.ddtm14},
        {"role": Role.REGIONAL_LEAD},
    ):
        with pytest.raises(PermissionDenied):
            services.assignment_update(
                by=world.lead_bzh, assignment=assignment, version=assignment.version, **change
            )
    assignment.refresh_from_db()
    assert (assignment.role, assignment.structure) == (Role.READER, world.ddtm29)


def test_nobody_changes_their_own_assignments(world):
    own = Assignment.objects.get(person__user=world.lead_bzh)
    with pytest.raises(PermissionDenied):
        services.assignment_update(
            by=world.lead_bzh, assignment=own, version=own.version, end_date=date(2030, 1, 1)
        )
    national_own = Assignment.objects.get(person__user=world.national)
    assert not national_own.get_abilities(world.national)["change"]


def test_the_form_offers_only_grantable_roles(world, client):
    client.force_login(world.lead_bzh)
    html = client.get(reverse("organisation:assignment_create", args=[world.person_bzh.pk])).content.decode()
    assert 'value="reader"' in html and 'value="departmental_referent"' in html
    assert 'value="national_steering"' not in html and 'value="regional_lead"' not in html
    assert "DDTM-29" in html and "DDTM-14" not in html
    response = client.post(
        reverse("organisation:assignment_create", args=[world.person_bzh.pk]),
        {"role": "national_steering", "structure": world.bretagne.pk, "start_date": "2024-09-01"},
    )
    assert response.status_code == 200
    assert not Assignment.objects.filter(role=Role.NATIONAL_STEERING, structure=world.bretagne).exists()
    # Own person: no "add an assignment" at all.
    own = Person.objects.get(user=world.lead_bzh)
    assert client.get(reverse("organisation:assignment_create", args=[own.pk])).status_code == 403


def test_grantable_roles_by_grantor(world):
    assert grantable_roles(world.national) == ALL_ROLES
    assert set(grantable_roles(world.lead_bzh)) == set(ALL_ROLES) - {
        Role.NATIONAL_STEERING,
        Role.REGIONAL_LEAD,
    }
    assert grantable_roles(world.referent_29) == [] and grantable_roles(world.reader_bzh) == []


def test_account_page_shows_what_one_may_grant(world, client):
    client.force_login(world.lead_bzh)
    html = client.get(reverse("accounts:account")).content.decode()
    assert "Ce que vous pouvez attribuer" in html and "dans R53" in html and "Lecteur" in html
    client.force_login(world.reader_bzh)
    assert "aucun rôle" in client.get(reverse("accounts:account")).content.decode()


def test_a_lead_cannot_recode_or_move_its_own_region(world, client):
    client.force_login(world.lead_bzh)
    region = world.bretagne
    for change in ({"region": "28"}, {"parent": world.root}, {"code": "R53-BIS"}):
        with pytest.raises(PermissionDenied):
            services.structure_update(by=world.lead_bzh, structure=region, version=region.version, **change)
    # Inside its region, below its root, it may still rename and re-code a directorate.
    saved = services.structure_update(
        by=world.lead_bzh, structure=world.ddtm29, version=world.ddtm29.version, code="DDTM29"
    )
    assert saved.code == "DDTM29"
    # The form shows those fields locked on its own region.
    html = client.get(reverse("organisation:structure_edit", args=[region.pk])).content.decode()
    assert "modifiables par le niveau supérieur seulement" in html and "disabled" in html


def test_grant_log_lists_grants_for_national_steering_only(world, client):
    services.assignment_create(
        by=world.lead_bzh,
        person=world.person_bzh,
        role=Role.READER,
        structure=world.ddtm29,
        start_date=date(2024, 9, 1),
    )
    client.force_login(world.national)
    response = client.get(reverse("organisation:grant_log"), {"role": "reader"})
    html = response.content.decode()
    assert response.status_code == 200 and "Attribution" in html and "lead_bzh" in html
    export = client.get(reverse("organisation:grant_log"), {"export": "csv", "role": "reader"})
    assert "lead_bzh" in export.content.decode("utf-8-sig") and "Lecteur" in export.content.decode(
        "utf-8-sig"
    )
    client.force_login(world.lead_bzh)
    assert client.get(reverse("organisation:grant_log")).status_code == 404
