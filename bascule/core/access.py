"""Core's ability helpers: the only place (with `perimeter.py`) that reads a user's perimeter.

Models build `get_abilities(user)` and `visible_to(user)` from these helpers; everything else asks the objects
(`require_ability`, `get_visible_or_404`, the `{% ability %}` tag, `core.api.AbilityPermission`). The raising
helpers turn "may not see" into 404 and "may not do" into 403.
"""

from __future__ import annotations

from typing import Any, Protocol

from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404

from bascule.core.perimeter import perimeter_for
from bascule.core.registry import user_can
from bascule.core.roles import GLOBAL_ROLES
from bascule.core.system import Actor


class HasAbilities(Protocol):
    def get_abilities(self, user: Actor) -> dict[str, bool]: ...


def get_visible_or_404(queryset: Any, user: Actor, **lookup: Any) -> Any:
    """The object among those the user may see, or 404 (never 403: existence is not revealed).

    `queryset` is a manager or QuerySet whose model offers `visible_to(user)`.
    """
    try:
        return queryset.visible_to(user).get(**lookup)
    except (ObjectDoesNotExist, ValidationError, ValueError) as exc:
        raise Http404("Aucun élément ne correspond à cette adresse dans votre périmètre.") from exc


def require_ability(obj: HasAbilities, user: Actor, ability: str, message: str = "") -> None:
    """Raise 403 when the user sees the object but may not perform `ability` on it (with `message`, in French)."""
    if not obj.get_abilities(user).get(ability, False):
        raise PermissionDenied(message or "Vous n'avez pas les droits nécessaires pour cette action.")


def can_write_somewhere(user: Actor) -> bool:
    """Whether the user may create anything at all (an editor role somewhere, or national steering)."""
    return perimeter_for(user).can_write_somewhere


# --- what models build their abilities and visibility from ---------------------------------------------
def has_perimeter(user: Actor) -> bool:
    """Whether the user sees anything at all (what programme-wide objects require)."""
    return not perimeter_for(user).is_empty


def can_read_path(user: Actor, path: str | None) -> bool:
    """Whether a structure path (its subtree root) is inside the user's read perimeter."""
    return perimeter_for(user).can_read(path)


def can_write_path(user: Actor, path: str | None) -> bool:
    """Whether a structure path is inside the user's write perimeter."""
    return perimeter_for(user).can_write(path)


def writes_everywhere(user: Actor) -> bool:
    """National steering and the system: write access to the whole tree."""
    return perimeter_for(user).global_write


def visible_q(user: Actor, path_lookup: str = "path") -> Q:
    """A filter keeping the rows whose structure path (`path_lookup`) the user may read."""
    return perimeter_for(user).q(path_lookup)


def editable_q(user: Actor, path_lookup: str = "path") -> Q:
    """A filter keeping the rows whose structure path the user may write."""
    return perimeter_for(user).q(path_lookup, write=True)


def held_roles(user: Actor) -> frozenset[str]:
    """The roles of the user's active assignments today."""
    return perimeter_for(user).roles


def role_paths(user: Actor, role: str) -> tuple[str, ...]:
    """The subtrees where the user holds `role` today."""
    return perimeter_for(user).paths_of(role)


def holds_global_role(user: Actor) -> bool:
    """National steering (a global role), or the system / a superuser (global write without a role)."""
    perimeter = perimeter_for(user)
    return bool(perimeter.roles & GLOBAL_ROLES) or (perimeter.global_write and not perimeter.roles)


def perimeter_tops(user: Actor) -> tuple[str, ...] | None:
    """The roots of the subtrees the user reads (None: the whole tree)."""
    perimeter = perimeter_for(user)
    return None if perimeter.global_read else perimeter.read_paths + perimeter.read_exact


def perimeter_description(user: Actor) -> dict[str, Any]:
    """What the home and account pages say of the perimeter: everywhere, nothing, or how many subtrees."""
    perimeter = perimeter_for(user)
    return {
        "everywhere": perimeter.global_read,
        "empty": perimeter.is_empty,
        "subtrees": len(perimeter.read_paths) + len(perimeter.read_exact),
        "read_only": not perimeter.global_write and not perimeter.write_paths,
    }


def read_only_post(view: Any) -> Any:
    """Mark a view whose POST writes no business data: it only starts a document for the user (a report).

    Readers may use it; the access harness accepts its redirect and still checks that no history row appears.
    """
    view.bascule_read_only_post = True
    return view


def self_service(view: Any) -> Any:
    """Mark a view that only changes the user's own account (a preference): every logged-in user may POST to it."""
    view.bascule_self_service = True
    return view


def public_page(view: Any) -> Any:
    """Mark a page that answers without login because a secret in its URL is its only key (an answer link).

    The view itself must check that secret and open nothing else; the access harness lets it answer anonymous
    visitors (200, or 404 for a wrong secret) instead of sending them to the login page.
    """
    view = login_not_required(view)
    view.bascule_public = True
    return view


def require_user_ability(user: Actor, name: str) -> None:
    """404 when the user lacks a page-level ability (the page is not offered to them, nor reachable)."""
    if not user_can(user, name):
        raise Http404("Cette page n'est pas disponible pour votre rôle.")
