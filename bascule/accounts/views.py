"""Login, logout, password reset by e-mail, password change and "my account" (with the API token)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.views.decorators.http import require_GET, require_POST
from rest_framework.authtoken.models import Token

from bascule.accounts import forms
from bascule.accounts.models import User
from bascule.accounts.services import account_set_daily_digest, api_token_regenerate, api_token_revoke
from bascule.core.access import self_service
from bascule.core.registry import ACCOUNT_PANELS, panels_for


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    form_class = forms.LoginForm
    redirect_authenticated_user = True


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "accounts/password_reset.html"
    form_class = forms.PasswordResetForm
    email_template_name = "accounts/emails/password_reset.txt"
    subject_template_name = "accounts/emails/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_done")


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    form_class = forms.SetPasswordForm
    success_url = reverse_lazy("accounts:password_reset_complete")


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    form_class = forms.PasswordChangeForm
    success_url = reverse_lazy("accounts:account")

    def form_valid(self, form: Any) -> HttpResponse:
        messages.success(self.request, "Votre mot de passe a été modifié.")
        return super().form_valid(form)


def _account(request: HttpRequest) -> User:
    """The logged-in account (the login middleware already sent anonymous visitors to the login page)."""
    if not isinstance(request.user, User):
        raise PermissionDenied("Connectez-vous pour gérer votre compte.")
    return request.user


@require_GET
def account(request: HttpRequest) -> HttpResponse:
    panels = panels_for(ACCOUNT_PANELS, request.user)
    context = {"panels": panels, "token": Token.objects.filter(user=request.user).first()}  # type: ignore[misc]
    return render(request, "accounts/account.html", context)


@self_service
@require_POST
def daily_digest(request: HttpRequest) -> HttpResponse:
    enabled = request.POST.get("daily_digest") == "on"
    account_set_daily_digest(user=_account(request), enabled=enabled)
    messages.success(
        request,
        "Vous recevrez le résumé quotidien." if enabled else "Vous ne recevrez plus le résumé quotidien.",
    )
    return redirect("accounts:account")


@require_POST
def token_regenerate(request: HttpRequest) -> HttpResponse:
    api_token_regenerate(user=_account(request))
    messages.success(request, "Un nouveau jeton d'API a été créé ; l'ancien ne fonctionne plus.")
    return redirect("accounts:account")


@require_POST
def token_revoke(request: HttpRequest) -> HttpResponse:
    api_token_revoke(user=_account(request))
    messages.success(request, "Votre jeton d'API a été supprimé.")
    return redirect("accounts:account")
