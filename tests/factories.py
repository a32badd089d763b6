"""factory_boy factories; structures go through the service so their tree path is right."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import factory
from django.contrib.auth import get_user_model

from bascule.core.roles import Role
from bascule.organisation.models import Assignment, Person, Structure, StructureKind


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"agent{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@test.gouv.fr")
    password = factory.PostGenerationMethodCall("set_password", "motdepasse-solide-42")

    @factory.post_generation
    def saved(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create:
            self.save()


def make_structure(
    code: str, *, parent: Structure | None = None, kind: str = StructureKind.SERVICE, **fields: Any
) -> Structure:
    """A structure with its materialised path (as the service computes it), without perimeter checks."""
    obj = Structure(
        id=uuid.uuid4(),
        code=code,
        name=fields.pop("name", f"Structure {code}"),
        kind=kind,
        parent=parent,
        **fields,
    )
    obj.path = f"{parent.path if parent else '/'}{obj.id.hex}/"
    obj.depth = parent.depth + 1 if parent else 0
    obj.save()
    return obj


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person

    first_name = factory.Faker("first_name", locale="fr_FR")
    last_name = factory.Faker("last_name", locale="fr_FR")
    email = factory.Sequence(lambda n: f"personne{n}@test.gouv.fr")


def give_role(
    user: Any, role: str, structure: Structure, *, start: date = date(2020, 1, 1), end: date | None = None
) -> Assignment:
    """Link the user to a person (created if needed) who holds `role` on `structure`."""
    person = Person.objects.filter(user=user).first() or PersonFactory(user=user, structure=structure)
    return Assignment.objects.create(
        person=person, role=role, structure=structure, start_date=start, end_date=end
    )


__all__ = ["PersonFactory", "Role", "UserFactory", "give_role", "make_structure"]
