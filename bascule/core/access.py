"""Access checks that raise: one place turns "may not see" into 404 and "may not do" into 403."""

from __future__ import annotations

from typing import Any, Protocol, TypeVar

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.http import Http404


class HasAbilities(Protocol):
    def get_abilities(self, user: Any) -> dict[str, bool]: ...


M = TypeVar("M", bound=models.Model)


def get_visible_or_404(queryset: models.QuerySet[M], user: Any, **lookup: Any) -> M:
    """The object among those the user may see, or 404 (never 403: existence is not revealed)."""
    try:
        return queryset.visible_to(user).get(**lookup)  # type: ignore[attr-defined, no-any-return]
    except (queryset.model.DoesNotExist, ValidationError, ValueError) as exc:
        raise Http404("Aucun élément ne correspond à cette adresse dans votre périmètre.") from exc


def require_ability(obj: HasAbilities, user: Any, ability: str) -> None:
    """Raise 403 when the user sees the object but may not perform `ability` on it."""
    if not obj.get_abilities(user).get(ability, False):
        raise PermissionDenied("Vous n'avez pas les droits nécessaires pour cette action.")
