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


class VersionedModelForm(forms.ModelForm):  # type: ignore[type-arg]
    """A ModelForm that carries the version the editor loaded (hidden) and gives the service its values.

    On creation there is no version; on edit the service refuses a write based on a version that changed since.
    `values()` returns the fields of `Meta.fields` (the entity's one field list, declared by its service).
    """

    version = version_field()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance._state.adding:
            del self.fields["version"]
        else:
            self.fields["version"].initial = self.instance.version

    def values(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self._meta.fields or ()}


def form_errors(form: forms.BaseForm) -> str:
    """A form's errors in one sentence, for the message shown after a redirect."""
    return " ".join(" ".join(str(e) for e in errors) for errors in form.errors.values())


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


class UploadField(forms.FileField):
    """A file upload refused at the form when empty or larger than BASCULE_IMPORT_MAX_BYTES (French message)."""

    def __init__(self, *, spreadsheet: bool = True, max_bytes: int | None = None, **kwargs: Any) -> None:
        self.max_bytes = max_bytes  # None: BASCULE_IMPORT_MAX_BYTES
        if spreadsheet:
            kwargs.setdefault("widget", forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,.ods,.xls"}))
        kwargs.setdefault("max_length", 255)  # the file's name
        super().__init__(**kwargs)

    def clean(self, data: Any, initial: Any = None) -> Any:
        from django.conf import settings

        upload = super().clean(data, initial)
        limit = self.max_bytes or settings.BASCULE_IMPORT_MAX_BYTES
        if upload is not None and upload.size > limit:
            raise forms.ValidationError(f"Le fichier dépasse {limit // (1024 * 1024)} Mo : découpez-le.")
        if upload is not None and upload.size == 0:
            raise forms.ValidationError("Le fichier est vide.")
        return upload
