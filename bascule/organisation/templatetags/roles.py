"""{{ code|role_label }}: a role's French name, built-in or added to the catalogue (history rows included)."""

from django import template

from bascule.organisation.ranks import role_label as _role_label

register = template.Library()


@register.filter
def role_label(code: str) -> str:
    return _role_label(str(code))
