"""htmx helpers shared by every module's views."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def render_partial_or_full(
    request: HttpRequest, full: str, partial: str, context: dict[str, Any], **kwargs: Any
) -> HttpResponse:
    """The partial template for an htmx request (a filter form, a polling block), the full page otherwise.

    A boosted request (hx-boost: a normal link followed by htmx) wants the full page.
    """
    htmx = getattr(request, "htmx", None)
    template = partial if htmx and not htmx.boosted else full
    return render(request, template, context, **kwargs)
