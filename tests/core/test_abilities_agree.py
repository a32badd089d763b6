"""One source for every rule: for every scoped model and every role, `get_abilities(user)["view"]` is exactly
membership in `Model.objects.visible_to(user)` — the lists, the pages and the API cannot disagree."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model

from tests.conftest import World

SCOPED = sorted(
    (
        m
        for m in apps.get_models()
        if m.__module__.startswith("bascule.")
        and hasattr(m, "get_abilities")
        and hasattr(m._default_manager, "visible_to")
    ),
    key=lambda m: m.__name__,
)


def test_every_scoped_model_is_checked():
    names = {m.__name__ for m in SCOPED}
    assert {"Structure", "Person", "Assignment", "Programme", "Workstream", "Action"} <= names


@pytest.mark.parametrize("model", SCOPED, ids=lambda m: m.__name__)
@pytest.mark.parametrize("user_name", list(World.__dataclass_fields__)[-6:])
def test_view_ability_is_membership_of_visible_to(world, model, user_name):
    user = get_user_model().objects.get(pk=getattr(world, user_name).pk)
    visible = set(model._default_manager.visible_to(user).values_list("pk", flat=True))
    objects = list(model._default_manager.all())
    assert objects, f"the world holds no {model.__name__}"
    disagree = [str(o) for o in objects if o.get_abilities(user)["view"] != (o.pk in visible)]
    assert not disagree, f"{model.__name__} for {user_name}: {disagree[:5]}"
