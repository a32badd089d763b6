"""Form helpers shared by every module: DSFR date inputs, the hidden version, running a service from a form."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError

from bascule.core.locking import ConflictError

T = TypeVar("T")


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


def model_max_length(model: Any, field: str) -> int:
    """The maximum length of a model's text field (forms and serializers declare the same bound)."""
    return int(model._meta.get_field(field).max_length)


def version_field() -> forms.IntegerField:
    """The version the editor loaded; the service refuses the write if it changed meanwhile."""
    return forms.IntegerField(widget=forms.HiddenInput, min_value=1)


def run_service(form: forms.BaseForm, action: Callable[[], T]) -> T | None:
    """Call a service; turn its refusals (conflict, invalid value, out of perimeter) into form errors."""
    try:
        return action()
    except ConflictError as exc:
        form.add_error(None, str(exc))
    except PermissionDenied as exc:
        form.add_error(None, str(exc) or "Vous n'avez pas les droits nécessaires pour cette action.")
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            for field, errors in exc.error_dict.items():
                target = field if field in form.fields else None
                for error in errors:
                    form.add_error(None if field == NON_FIELD_ERRORS else target, error)
        else:
            form.add_error(None, exc)
    return None
