"""The demo data is valid data: every object passes the same validation as the services apply."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError


@pytest.mark.django_db
def test_every_demo_object_passes_full_clean(demo):
    checked, invalid = 0, []
    for model in apps.get_models():
        if not model.__module__.startswith("bascule.") or model.__name__.startswith("Historical"):
            continue
        for obj in model._default_manager.all().iterator(chunk_size=500):
            checked += 1
            try:
                obj.full_clean()
            except ValidationError as exc:
                invalid.append(f"{model.__name__} {obj}: {exc.messages}")
    assert checked > 2000
    assert not invalid, invalid[:10]
