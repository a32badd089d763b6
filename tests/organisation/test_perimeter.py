"""Who sees and edits what: a permission matrix (role × action × perimeter)."""

from __future__ import annotations

from datetime import date

import pytest

from bascule.core.perimeter import compute_perimeter
from bascule.core.roles import Role
from bascule.organisation.models import Assignment, Person, Structure
from tests.factories import UserFactory, give_role

# (user, structure attribute, may view, may change)
MATRIX = [
    ("national", "ddtm29", True, True),
    ("national", "ddtm14", True, True),
    ("national", "ministry", True, True),
    ("lead_bzh", "bretagne", True, True),
    ("lead_bzh", "ddtm29", True, True),
    ("lead_bzh", "ddtm14", False, False),
    ("lead_bzh", "normandie", False, False),
    ("lead_bzh", "ministry", False, False),
    ("reader_bzh", "ddtm29", True, False),
    ("reader_bzh", "ddtm14", False, False),
    ("referent_29", "ddtm29", True, True),
    ("referent_29", "finistere", True, True),
    ("referent_29", "bretagne", False, False),
    ("lead_nor", "ddtm14", True, True),
    ("lead_nor", "ddtm29", False, False),
    ("nobody", "ddtm29", False, False),
]


@pytest.mark.parametrize(("user_name", "structure_name", "view", "change"), MATRIX)
def test_structure_abilities(world, user_name, structure_name, view, change):
    user = getattr(world, user_name)
    structure = getattr(world, structure_name)
    abilities = structure.get_abilities(user)
    assert abilities["view"] is view
    assert abilities["change"] is change
    assert Structure.objects.visible_to(user).filter(pk=structure.pk).exists() is view
    assert Structure.objects.editable_by(user).filter(pk=structure.pk).exists() is change


@pytest.mark.parametrize(
    ("user_name", "visible_emails"),
    [
        ("national", {"agent.bzh@test.gouv.fr", "agent.nor@test.gouv.fr"}),
        ("lead_bzh", {"agent.bzh@test.gouv.fr"}),
        ("reader_bzh", {"agent.bzh@test.gouv.fr"}),
        ("lead_nor", {"agent.nor@test.gouv.fr"}),
        ("nobody", set()),
    ],
)
def test_people_lists_only_contain_the_perimeter(world, user_name, visible_emails):
    user = getattr(world, user_name)
    emails = set(
        Person.objects.visible_to(user).filter(email__startswith="agent.").values_list("email", flat=True)
    )
    assert emails == visible_emails


def test_assignments_visible_through_structure_or_person(world):
    # A Normandy person assigned in Bretagne is seen by Bretagne through the assignment's structure.
    cross = Assignment.objects.create(
        person=world.person_nor, role=Role.TRAINER, structure=world.ddtm29, start_date=date(2024, 1, 1)
    )
    visible = set(Assignment.objects.visible_to(world.lead_bzh).values_list("pk", flat=True))
    assert cross.pk in visible
    assert world.assignment_bzh.pk in visible
    assert world.assignment_nor.pk not in visible


def test_ended_and_future_assignments_give_no_perimeter(world):
    user = UserFactory(username="former")
    give_role(user, Role.REGIONAL_LEAD, world.bretagne, start=date(2019, 1, 1), end=date(2020, 1, 1))
    assert compute_perimeter(user).is_empty
    future = UserFactory(username="future")
    give_role(future, Role.REGIONAL_LEAD, world.bretagne, start=date(2099, 9, 1))
    assert compute_perimeter(future).is_empty
    assert compute_perimeter(future, on=date(2099, 9, 1)).can_write(world.ddtm29.path)


def test_superuser_sees_everything(world):
    admin = UserFactory(username="root", is_superuser=True, is_staff=True)
    assert Structure.objects.visible_to(admin).count() == Structure.objects.count()


def test_perimeter_filter_is_one_query_whatever_the_number_of_roots(world, django_assert_num_queries):
    user = UserFactory(username="multi")
    for structure in (world.finistere, world.calvados, world.ddtm29):
        give_role(user, Role.READER, structure)
    with django_assert_num_queries(2):  # the perimeter, then the list
        codes = set(Structure.objects.visible_to(user).values_list("code", flat=True))
    assert codes == {"D29", "DDTM-29", "D14", "DDTM-14"}


def test_global_perimeter_filter_survives_being_combined(world):
    from django.db.models import Q

    from bascule.core.perimeter import perimeter_for

    condition = Q(code="nothing-matches") | perimeter_for(world.national).q("path")
    assert Structure.objects.filter(condition).count() == Structure.objects.count()
