"""The dashboard page: filters in the query string, drill-down with ?dans=<structure>."""

from __future__ import annotations

from datetime import date

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from bascule.dashboard import selectors
from bascule.organisation.models import Structure
from bascule.organisation.selectors import visible_structure


def _root(request: HttpRequest) -> Structure | None:
    return visible_structure(user=request.user, pk=request.GET.get("dans", ""))


def _date(value: str) -> date | None:
    try:
        return date.fromisoformat(value[:10]) if value else None
    except ValueError:
        return None


@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    number = request.GET.get("chantier", "")
    filters = selectors.Filters(
        programme=request.GET.get("programme", "")[:40],
        wave=request.GET.get("vague", "")[:40],
        workstream=int(number) if number.isdigit() and len(number) < 4 else None,
        involving=request.GET.get("structure", "")[:100],
        since=request.GET.get("depuis", "")[:40],
        since_date=_date(request.GET.get("depuis_le", "")),
        as_of=request.GET.get("au", "")[:40],
    )
    context = selectors.dashboard(user=request.user, filters=filters, root=_root(request))
    return render(request, "dashboard/dashboard.html", {"board": context, "filters": filters})
