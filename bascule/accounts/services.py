"""Writes on accounts: API tokens."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from rest_framework.authtoken.models import Token


@transaction.atomic
def api_token_regenerate(*, user: Any) -> Token:
    """A fresh token replaces the previous one (one token per user)."""
    Token.objects.filter(user=user).delete()
    return Token.objects.create(user=user)


def api_token_revoke(*, user: Any) -> None:
    Token.objects.filter(user=user).delete()
