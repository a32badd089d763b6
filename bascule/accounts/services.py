"""Writes on accounts: API tokens, the daily digest preference."""

from __future__ import annotations

from django.db import transaction
from rest_framework.authtoken.models import Token

from bascule.accounts.models import User


@transaction.atomic
def api_token_regenerate(*, user: User) -> Token:
    """A fresh token replaces the previous one (one token per user)."""
    Token.objects.filter(user=user).delete()
    return Token.objects.create(user=user)


def api_token_revoke(*, user: User) -> None:
    Token.objects.filter(user=user).delete()


def account_set_daily_digest(*, user: User, enabled: bool) -> User:
    """The user's own choice to receive (or not) the daily steering digest."""
    user.daily_digest = enabled
    user.save(update_fields=["daily_digest"])
    return user
