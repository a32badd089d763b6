"""The authentication forms of Django, rendered with the State design system (DSFR), every field bounded."""

from __future__ import annotations

import copy
from typing import TypeVar

from django import forms
from django.contrib.auth import forms as auth_forms
from django.core.validators import MaxLengthValidator
from dsfr.forms import DsfrBaseForm

F = TypeVar("F", bound=type[forms.Form])
PASSWORD_MAX = 4096  # a passphrase, never a payload


def bounded(form_class: F) -> F:
    """Give Django's unbounded password fields a maximum length (every text input is bounded)."""
    fields: dict[str, forms.Field] = form_class.base_fields  # type: ignore[attr-defined]
    for name, field in list(fields.items()):
        if isinstance(field, forms.CharField) and not field.max_length:
            field = copy.deepcopy(field)
            field.max_length = PASSWORD_MAX
            field.validators.append(MaxLengthValidator(PASSWORD_MAX))
            fields[name] = field
    return form_class


@bounded
class LoginForm(auth_forms.AuthenticationForm, DsfrBaseForm):
    username = auth_forms.UsernameField(
        label="Identifiant", max_length=150, widget=forms.TextInput(attrs={"autofocus": True})
    )


@bounded
class PasswordResetForm(auth_forms.PasswordResetForm, DsfrBaseForm):
    pass


@bounded
class SetPasswordForm(auth_forms.SetPasswordForm, DsfrBaseForm):
    pass


@bounded
class PasswordChangeForm(auth_forms.PasswordChangeForm, DsfrBaseForm):
    pass
