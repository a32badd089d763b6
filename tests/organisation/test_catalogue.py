"""The role catalogue and the service links: ranks decide grants, scopes decide what an added role reads, a role in
use stays, a link is set by whoever edits both ends (matrices: every kind of user, inside and outside)."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from bascule.core.perimeter import compute_perimeter
from bascule.organisation import services
from bascule.organisation.grants import can_grant
from bascule.organisation.models import RoleDefinition, ServiceKind, ServiceLink, Structure
from bascule.organisation.ranks import role_label
from tests.factories import PersonFactory

USERS = ["national", "lead_bzh", "reader_bzh", "referent_29", "lead_nor", "nobody"]


def _role(world, code="correspondant-archives", rank=30, scope="subtree"):
    return services.role_create(
        by=world.national, code=code, name=code.replace("-", " "), rank=rank, scope=scope
    )


@pytest.mark.parametrize("who", USERS)
def test_only_national_steering_manages_the_catalogue(world, who):
    user = getattr(world, who)
    if who == "national":
        role = _role(world)
        assert role.get_abilities(user) == {"view": True, "change": True, "delete": True, "history": True}
    else:
        with pytest.raises(PermissionDenied):
            services.role_create(by=user, code="essai", name="Essai", rank=10)
        role = _role(world)
        abilities = role.get_abilities(user)
        assert not abilities["change"] and not abilities["delete"]
        assert abilities["view"] is abilities["history"] is (who != "nobody")
        with pytest.raises(PermissionDenied):
            services.role_update(by=user, role=role, version=role.version, name="x")
        with pytest.raises(PermissionDenied):
            services.role_delete(by=user, role=role)


@pytest.mark.parametrize(
    ("rank", "who", "where", "expected"),
    [
        (30, "national", "bretagne", True),
        (30, "national", "normandie", True),
        (30, "lead_bzh", "ddtm29", True),  # below its rank, in its region
        (30, "lead_bzh", "ddtm14", False),  # outside its region
        (79, "lead_bzh", "ddtm29", True),
        (80, "lead_bzh", "ddtm29", False),  # its own rank: never
        (95, "lead_bzh", "bretagne", False),
        (30, "referent_29", "ddtm29", False),  # other roles grant nothing
        (30, "reader_bzh", "ddtm29", False),
        (30, "nobody", "ddtm29", False),
    ],
)
def test_the_grant_matrix_follows_the_rank(world, rank, who, where, expected):
    role = _role(world, code=f"role-{rank}", rank=rank)
    everywhere = _role(world, code=f"partout-{rank}", rank=rank, scope="global")
    # Reading the whole organisation is given by national steering only (a regional lead would give more than it sees).
    assert can_grant(getattr(world, who), everywhere.code, getattr(world, where), world.person_bzh) is (
        expected and who == "national"
    )
    user = getattr(world, who)
    assert can_grant(user, role.code, getattr(world, where), world.person_bzh) is expected
    if expected:
        services.assignment_create(
            by=user,
            person=world.person_bzh,
            role=role.code,
            structure=getattr(world, where),
            start_date=date(2026, 1, 1),
        )
    else:
        with pytest.raises(PermissionDenied):
            services.assignment_create(
                by=user,
                person=world.person_bzh,
                role=role.code,
                structure=getattr(world, where),
                start_date=date(2026, 1, 1),
            )


@pytest.mark.parametrize(
    ("scope", "reads_ddtm29", "reads_finistere", "reads_normandie"),
    [("subtree", True, True, False), ("structure", False, True, False), ("global", True, True, True)],
)
def test_an_added_role_reads_its_scope_and_never_writes(
    world, scope, reads_ddtm29, reads_finistere, reads_normandie
):
    role = _role(world, scope=scope)
    user = world.nobody
    person = PersonFactory(structure=world.finistere, email="archives@test.gouv.fr", user=user)
    services.assignment_create(
        by=world.national,
        person=person,
        role=role.code,
        structure=world.finistere,
        start_date=date(2020, 1, 1),
    )
    perimeter = compute_perimeter(user)
    assert perimeter.can_read(world.ddtm29.path) is reads_ddtm29
    assert perimeter.can_read(world.finistere.path) is reads_finistere
    assert perimeter.can_read(world.normandie.path) is reads_normandie
    assert not perimeter.can_write(world.finistere.path) and not perimeter.global_write
    visible = set(Structure.objects.filter(perimeter.q("path")).values_list("code", flat=True))
    assert ("DDTM-29" in visible) is reads_ddtm29 and "D29" in visible


def test_a_role_in_use_is_not_removed_and_an_unknown_role_is_refused(world):
    role = _role(world)
    assert role_label(role.code) == "correspondant archives"
    services.assignment_create(
        by=world.national,
        person=world.person_bzh,
        role=role.code,
        structure=world.ddtm29,
        start_date=date(2026, 1, 1),
    )
    with pytest.raises(ValidationError, match="est attribué"):
        services.role_delete(by=world.national, role=role)
    other = _role(world, code="inutilise")
    services.role_delete(by=world.national, role=other)
    assert not RoleDefinition.objects.filter(code="inutilise").exists()
    with pytest.raises(PermissionDenied, match="pirate"):  # not in the catalogue: nobody grants it
        services.assignment_create(
            by=world.national,
            person=world.person_bzh,
            role="pirate",
            structure=world.ddtm29,
            start_date=date(2026, 1, 1),
        )
    with pytest.raises(ValidationError):
        services.role_create(by=world.national, code="regional_lead", name="x", rank=10)  # a built-in code
    with pytest.raises(ValidationError):
        services.role_create(by=world.national, code="trop-haut", name="x", rank=100)  # national's rank


@pytest.mark.parametrize(
    ("who", "client", "provider", "allowed"),
    [
        ("national", "ddtm29", "ddtm14", True),
        ("lead_bzh", "ddtm29", "finistere", True),  # both ends in its region
        ("lead_bzh", "ddtm29", "ddtm14", False),  # one end outside
        ("referent_29", "ddtm29", "finistere", True),
        ("referent_29", "ddtm29", "bretagne", False),
        ("reader_bzh", "ddtm29", "finistere", False),
        ("lead_nor", "ddtm29", "finistere", False),
        ("nobody", "ddtm29", "finistere", False),
    ],
)
def test_a_service_link_is_set_by_whoever_edits_both_ends(world, who, client, provider, allowed):
    user = getattr(world, who)
    args = {
        "client": getattr(world, client),
        "provider": getattr(world, provider),
        "kind": ServiceKind.ACCOUNTING,
    }
    if allowed:
        link = services.service_link_create(by=user, **args)
        assert link.get_abilities(user)["change"]
        assert link.history.count() == 1
    else:
        with pytest.raises(PermissionDenied):
            services.service_link_create(by=user, **args)
        link = services.service_link_create(by=world.national, **args)
        assert not link.get_abilities(user)["change"]
        with pytest.raises(PermissionDenied):
            services.service_link_update(by=user, link=link, version=link.version, note="x")
    assert link.get_abilities(world.reader_bzh)["view"] and not link.get_abilities(world.reader_bzh)["change"]
    assert ServiceLink.objects.visible_to(world.lead_nor).filter(pk=link.pk).exists() is (
        provider == "ddtm14"
    )
