"""Every text input is bounded: models, forms, API serializers, importers — and an oversized one is refused at once."""

from __future__ import annotations

import importlib
import inspect

import pytest
from django import forms
from django.apps import apps
from django.db import models
from django.urls import reverse
from rest_framework.test import APIClient

from bascule.core.imports import IMPORTERS
from bascule.programmes.models import Action


def test_every_text_field_of_every_model_has_a_validated_maximum():
    for model in apps.get_models():
        if not model.__module__.startswith("bascule.") or model.__name__.startswith("Historical"):
            continue  # history rows copy what the business model validated
        for field in model._meta.concrete_fields:
            if isinstance(field, models.CharField | models.TextField):
                assert field.max_length, f"{model.__name__}.{field.name} has no maximum length"
                if isinstance(field, models.TextField):
                    assert any(
                        getattr(v, "limit_value", None) == field.max_length for v in field.validators
                    ), f"{model.__name__}.{field.name}: TextField max_length is not validated by full_clean()"


def _form_classes():
    for config in apps.get_app_configs():
        if not config.name.startswith("bascule."):
            continue
        try:
            module = importlib.import_module(f"{config.name}.forms")
        except ModuleNotFoundError:
            continue
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, forms.BaseForm) and cls.__module__ == module.__name__:
                yield cls


def test_every_text_field_of_every_form_is_bounded():
    checked = 0
    for cls in _form_classes():
        for name, field in cls.base_fields.items():
            if type(field) is forms.CharField or isinstance(field, forms.EmailField):
                assert field.max_length, f"{cls.__name__}.{name} has no max_length"
                checked += 1
    assert checked > 10


def test_every_writable_string_of_the_api_is_bounded(world):
    client = APIClient()
    client.force_login(world.national)
    schema = client.get(reverse("api:schema"), {"format": "json"}).json()
    checked = 0
    for name, component in schema["components"]["schemas"].items():
        if not name.endswith("Request"):
            continue
        for prop, spec in component.get("properties", {}).items():
            if spec.get("type") == "string" and "format" not in spec and "enum" not in spec:
                assert "maxLength" in spec, f"{name}.{prop} has no maxLength"
                checked += 1
    assert checked > 5


def test_every_importer_column_is_bounded():
    for importer in IMPORTERS.values():
        for column in importer.columns:
            assert 0 < column.max_length <= 10_000, (importer.name, column.key)


@pytest.mark.parametrize("field", ["deliverables_text", "title", "lead_text"])
def test_a_5_mb_text_is_refused_before_any_parsing(world, field, monkeypatch):
    """Refused by the serializer's bound, before the parsers or the database see it (the time it takes is measured
    in bench/bounds.py, not asserted here: a busy machine would make a timed test lie)."""
    from bascule.programmes import leads, services

    def must_not_run(*args, **kwargs):
        raise AssertionError("an oversized text reached a parser")

    monkeypatch.setattr(services, "parse_deadline", must_not_run)
    monkeypatch.setattr(services, "parse_lead", must_not_run)
    monkeypatch.setattr(leads, "parse_lead", must_not_run)
    action = Action.objects.get(code="2-1")
    client = APIClient()
    client.force_login(world.lead_bzh)
    response = client.patch(
        reverse("api:action-detail", args=[action.pk]),
        {field: "fin 2021 " * 580_000, "version": action.version},
        format="json",
    )
    assert response.status_code == 400 and field in response.json()
    assert "caractères" in str(response.json()[field])
    action.refresh_from_db()
    assert action.version == 1


def test_an_oversized_form_field_is_refused_with_a_french_message(world, client):
    action = Action.objects.get(code="2-1")
    client.force_login(world.lead_bzh)
    response = client.post(
        reverse("programmes:action_edit", args=[action.pk]),
        {
            "code": "2-1",
            "title": "x" * 2001,
            "lead_text": "",
            "deliverables_text": "",
            "version": action.version,
        },
    )
    assert response.status_code == 200 and "caractères" in response.content.decode()


def test_every_single_line_field_refuses_line_breaks_and_control_characters():
    """Issue 24: names and room sites took line breaks. Every CharField of every business model (and the
    account) is one line, refused by full_clean() — the path of forms, services and imports — in French."""
    from bascule.core.models import SINGLE_LINE, SingleLineFields

    checked = 0
    for model in apps.get_models():
        if not model.__module__.startswith("bascule.") or model.__name__.startswith("Historical"):
            continue
        if not issubclass(model, SingleLineFields):
            assert not any(
                isinstance(f, models.CharField) for f in model._meta.concrete_fields if f.editable
            ) or (
                model.__name__
                in {
                    "SnapshotAction",
                    "SnapshotWorkstream",
                    "OutgoingMail",
                    "TicketCounter",
                    "RunCentre",
                    "WorkerHeartbeat",
                    "PeriodicRun",
                    "SearchMiss",
                }
            ), f"{model.__name__} has single-line fields but no SingleLineFields"
            continue
        for field in model._meta.concrete_fields:
            if not isinstance(field, models.CharField) or not field.editable or field.choices:
                continue
            for bad in ("Jean\nDupont", "Site\r", "Salle\t2", "A\x00", "B\u2028C"):
                instance = model(**{field.attname: bad})
                with pytest.raises(Exception) as refused:
                    instance.clean_fields()
                messages = getattr(refused.value, "message_dict", {}).get(field.name, [])
                assert SINGLE_LINE in messages, f"{model.__name__}.{field.name} accepted {bad!r}"
            checked += 1
    assert checked > 50
