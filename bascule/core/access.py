"""Access checks that raise: one place turns "may not see" into 404 and "may not do" into 403."""

from __future__ import annotations

from typing import Any, Protocol

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.http import Http404

from bascule.core.perimeter import perimeter_for
from bascule.core.registry import user_can


class HasAbilities(Protocol):
    def get_abilities(self, user: Any) -> dict[str, bool]: ...


def get_visible_or_404(queryset: Any, user: Any, **lookup: Any) -> Any:
    """The object among those the user may see, or 404 (never 403: existence is not revealed).

    `queryset` is a manager or QuerySet whose model offers `visible_to(user)`.
    """
    try:
        return queryset.visible_to(user).get(**lookup)
    except (ObjectDoesNotExist, ValidationError, ValueError) as exc:
        raise Http404("Aucun élément ne correspond à cette adresse dans votre périmètre.") from exc


def require_ability(obj: HasAbilities, user: Any, ability: str, message: str = "") -> None:
    """Raise 403 when the user sees the object but may not perform `ability` on it (with `message`, in French)."""
    if not obj.get_abilities(user).get(ability, False):
        raise PermissionDenied(message or "Vous n'avez pas les droits nécessaires pour cette action.")


def can_write_somewhere(user: Any) -> bool:
    """Whether the user may create anything at all (an editor role somewhere, or national steering)."""
    return perimeter_for(user).can_write_somewhere


def require_user_ability(user: Any, name: str) -> None:
    """404 when the user lacks a page-level ability (the page is not offered to them, nor reachable)."""
    if not user_can(user, name):
        raise Http404("Cette page n'est pas disponible pour votre rôle.")
