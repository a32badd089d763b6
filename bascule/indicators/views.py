"""Pages of indicators: thin, every write through the services."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from bascule.core.access import get_visible_or_404, require_ability, require_user_ability
from bascule.core.exports import export_format, table_response
from bascule.core.forms import form_errors, run_service
from bascule.core.history import history_entries
from bascule.indicators import selectors, services
from bascule.indicators.forms import IndicatorEditForm, IndicatorForm, LinkedActionsForm, MeasurementForm
from bascule.indicators.models import Indicator
from bascule.organisation.models import Structure
from bascule.organisation.selectors import visible_structure
from bascule.programmes.selectors import piloted_programmes

_INDICATORS = Indicator.objects.select_related("programme__owner")


@require_GET
def indicator_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "indicators/indicator_list.html",
        {"indicators": list(selectors.indicator_list(user=request.user))},
    )


def indicator_create(request: HttpRequest) -> HttpResponse:
    require_user_ability(request.user, "indicators.add_indicator")
    form = IndicatorForm(request.POST or None, programmes=piloted_programmes(user=request.user))
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        programme = data.pop("programme")
        indicator = run_service(
            form, lambda: services.indicator_create(by=request.user, programme=programme, **data)
        )
        if indicator is not None:
            messages.success(request, f"L'indicateur « {indicator.code} » est défini.")
            return redirect("indicators:indicator_detail", indicator_id=indicator.pk)
    return render(request, "indicators/indicator_form.html", {"form": form})


def indicator_edit(request: HttpRequest, indicator_id: str) -> HttpResponse:
    indicator = get_visible_or_404(_INDICATORS, request.user, pk=indicator_id)
    require_ability(indicator, request.user, "change")
    form = IndicatorEditForm(request.POST or None, instance=indicator)
    if request.method == "POST" and form.is_valid():
        saved = run_service(
            form,
            lambda: services.indicator_update(
                by=request.user, indicator=indicator, version=form.cleaned_data["version"], **form.values()
            ),
        )
        if saved is not None:
            messages.success(request, f"L'indicateur « {saved.code} » est enregistré.")
            return redirect("indicators:indicator_detail", indicator_id=saved.pk)
    return render(request, "indicators/indicator_form.html", {"form": form, "indicator": indicator})


@require_POST
def indicator_actions(request: HttpRequest, indicator_id: str) -> HttpResponse:
    indicator = get_visible_or_404(_INDICATORS, request.user, pk=indicator_id)
    require_ability(indicator, request.user, "change")
    form = LinkedActionsForm(request.POST)
    if form.is_valid():
        saved = run_service(
            form,
            lambda: services.indicator_link_actions(
                by=request.user,
                indicator=indicator,
                version=form.cleaned_data["version"],
                codes=form.codes_list(),
            ),
        )
        if saved is not None:
            messages.success(request, "Les actions liées sont enregistrées.")
            return redirect("indicators:indicator_detail", indicator_id=indicator.pk)
    messages.error(request, "Actions liées non enregistrées : " + form_errors(form))
    return redirect("indicators:indicator_detail", indicator_id=indicator.pk)


def _root(request: HttpRequest) -> Structure | None:
    return visible_structure(user=request.user, pk=request.GET.get("dans", ""))


@require_GET
def indicator_detail(request: HttpRequest, indicator_id: str) -> HttpResponse:
    indicator = get_visible_or_404(_INDICATORS, request.user, pk=indicator_id)
    root = _root(request)
    measurements = selectors.recent_measurements(user=request.user, indicator=indicator, root=root)
    if fmt := export_format(request):
        rows = selectors.measurement_rows(measurements)
        return table_response(
            fmt,
            selectors.MEASUREMENT_COLUMNS,
            rows,
            filename_stem=f"mesures-{indicator.code}",
            title="Mesures",
        )
    today = timezone.localdate()
    panel = selectors.indicator_panel(
        user=request.user, indicator=indicator, root=root, on=today, months=12, size=(560, 220)
    )
    structures = (
        Structure.objects.editable_by(request.user).filter(kind=indicator.expected_kind).order_by("code")
    )
    context = {
        "indicator": indicator,
        "root": root,
        "consolidation": panel["consolidation"],
        "points": panel["points"],
        "chart": panel["chart"],
        "measurements": list(measurements[:50]),
        "form": MeasurementForm(structures=structures, initial={"measured_on": today}),
        "linked": selectors.linked_actions(user=request.user, indicator=indicator),
        "actions_form": LinkedActionsForm(
            initial={
                "version": indicator.version,
                "codes": ", ".join(indicator.actions.order_by("code").values_list("code", flat=True)),
            }
        ),
        "history": history_entries(indicator),
    }
    return render(request, "indicators/indicator_detail.html", context)


@require_POST
def measurement_add(request: HttpRequest, indicator_id: str) -> HttpResponse:
    indicator = get_visible_or_404(_INDICATORS, request.user, pk=indicator_id)
    require_ability(indicator, request.user, "add_measurement")
    form = MeasurementForm(request.POST, structures=Structure.objects.editable_by(request.user))
    if form.is_valid():
        saved = run_service(
            form,
            lambda: services.measurement_record(by=request.user, indicator=indicator, **form.cleaned_data),
        )
        if saved is not None:
            messages.success(request, f"Mesure de {saved.structure.code} enregistrée.")
            return redirect("indicators:indicator_detail", indicator_id=indicator.pk)
    messages.error(request, "Mesure non enregistrée : " + form_errors(form))
    return redirect("indicators:indicator_detail", indicator_id=indicator.pk)
