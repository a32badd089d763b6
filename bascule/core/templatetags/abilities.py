"""`{% ability obj "change" as can_change %}`: templates draw a link or a button only when the object allows it.

The same `get_abilities(user)` that guards the view decides, so no page offers what the view would refuse.
Abilities are computed once per object and user during a request (cached on the object).
"""

from __future__ import annotations

from typing import Any

from django import template

from bascule.core import registry
from bascule.core.system import Actor

register = template.Library()

_CACHE = "_bascule_abilities"


def abilities_of(obj: Any, user: Actor) -> dict[str, bool]:
    cache: dict[Any, dict[str, bool]] = obj.__dict__.setdefault(_CACHE, {})
    key = getattr(user, "pk", None)
    if key not in cache:
        cache[key] = obj.get_abilities(user)
    return cache[key]


@register.simple_tag(takes_context=True)
def ability(context: template.Context, obj: Any, name: str) -> bool:
    """Whether the request's user may do `name` on `obj` (False for a missing object or ability)."""
    request = context.get("request")
    if obj is None or request is None or not hasattr(obj, "get_abilities"):
        return False
    return bool(abilities_of(obj, request.user).get(name, False))


@register.simple_tag(takes_context=True)
def user_can(context: template.Context, name: str) -> bool:
    """`{% user_can "programmes.import_actions" as can_import %}`: a page-level ability of the request's user."""
    request = context.get("request")
    return request is not None and registry.user_can(request.user, name)
