"""The authentication forms of Django, rendered with the State design system (DSFR)."""

from django import forms
from django.contrib.auth import forms as auth_forms
from dsfr.forms import DsfrBaseForm


class LoginForm(auth_forms.AuthenticationForm, DsfrBaseForm):
    username = auth_forms.UsernameField(
        label="Identifiant", widget=forms.TextInput(attrs={"autofocus": True})
    )


class PasswordResetForm(auth_forms.PasswordResetForm, DsfrBaseForm):
    pass


class SetPasswordForm(auth_forms.SetPasswordForm, DsfrBaseForm):
    pass


class PasswordChangeForm(auth_forms.PasswordChangeForm, DsfrBaseForm):
    pass
