"""Pages of sizing: thin, every write through the services, every figure from the selectors."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from bascule.core.access import get_visible_or_404, read_only_post, require_ability, require_user_ability
from bascule.core.charts import bar_chart_svg
from bascule.core.exports import export_format, table_response
from bascule.core.forms import form_errors, run_service
from bascule.core.history import history_entries
from bascule.core.parsing import is_uuid
from bascule.core.services import taskrun_start
from bascule.organisation.models import Structure
from bascule.organisation.selectors import visible_structure
from bascule.programmes.models import Wave
from bascule.programmes.selectors import piloted_programmes
from bascule.sizing import selectors, services
from bascule.sizing.forms import (
    CentreInputForm,
    CostComparisonForm,
    CostImportForm,
    CostLineForm,
    ExceptionForm,
    ScenarioForm,
    SizingForm,
    SizingImportForm,
)
from bascule.sizing.importers import COLUMNS, COST_COLUMNS
from bascule.sizing.models import CostComparison, CostLine, LeadershipException, Sizing

_SIZINGS = Sizing.objects.select_related("programme__owner", "ministry_a", "ministry_b", "based_on")
_COMPARISONS = CostComparison.objects.select_related("programme__owner")


@require_GET
def sizing_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "sizing/sizing_list.html",
        {
            "sizings": list(selectors.sizing_list(user=request.user)),
            "comparisons": list(
                CostComparison.objects.visible_to(request.user).select_related("programme").order_by("name")
            ),
        },
    )


def sizing_create(request: HttpRequest) -> HttpResponse:
    require_user_ability(request.user, "sizing.add_sizing")
    form = SizingForm(request.POST or None, programmes=piloted_programmes(user=request.user))
    if request.method == "POST" and form.is_valid():
        programme = form.cleaned_data["programme"]
        sizing = run_service(
            form, lambda: services.sizing_create(by=request.user, programme=programme, **form.values())
        )
        if sizing is not None:
            messages.success(
                request, f"Le dimensionnement « {sizing.name} » est créé : importez ses volumes."
            )
            return redirect("sizing:sizing_detail", sizing_id=sizing.pk)
    return render(request, "sizing/sizing_form.html", {"form": form})


@require_GET
def sizing_detail(request: HttpRequest, sizing_id: str) -> HttpResponse:
    """The national table (an official annex's shape): per centre and wave, FTE per ministry, management, total."""
    sizing = get_visible_or_404(_SIZINGS, request.user, pk=sizing_id)
    within = None
    if dans := request.GET.get("dans", ""):
        within = visible_structure(user=request.user, pk=dans)
        if within is None:
            raise Http404
    table = selectors.sizing_table(user=request.user, sizing=sizing, within=within)
    if fmt := export_format(request):
        headers, rows = selectors.table_export(table)
        return table_response(
            fmt,
            headers,
            rows,
            filename_stem=f"dimensionnement-{sizing.programme.code}",
            title=sizing.name[:31],
        )
    others = selectors.sizing_siblings(user=request.user, sizing=sizing)
    return render(
        request,
        "sizing/sizing_detail.html",
        {
            "sizing": sizing,
            "table": table,
            "within": within,
            "others": others,
            "chart": bar_chart_svg(table.trajectory(), title="Effectif total à chaque vague (ETP)"),
            "history": history_entries(sizing, limit=10),
        },
    )


@read_only_post
@require_POST
def sizing_annex(request: HttpRequest, sizing_id: str) -> HttpResponse:
    """Start the PDF annex in the background; its page offers the download."""
    sizing = get_visible_or_404(_SIZINGS, request.user, pk=sizing_id)
    run = taskrun_start(
        kind="sizing.annex",
        label=f"Annexe de dimensionnement — {sizing.programme.code} — {sizing.name}",
        owner=request.user,
        params={"sizing": str(sizing.pk)},
    )
    return redirect("core:taskrun_detail", taskrun_id=run.pk)


def sizing_edit(request: HttpRequest, sizing_id: str) -> HttpResponse:
    sizing = get_visible_or_404(_SIZINGS, request.user, pk=sizing_id)
    require_ability(sizing, request.user, "change")
    form = SizingForm(request.POST or None, instance=sizing)
    if request.method == "POST" and form.is_valid():
        saved = run_service(
            form,
            lambda: services.sizing_update(
                by=request.user, sizing=sizing, version=form.cleaned_data["version"], **form.values()
            ),
        )
        if saved is not None:
            messages.success(request, "Paramètres enregistrés : les effectifs sont recalculés.")
            return redirect("sizing:sizing_detail", sizing_id=sizing.pk)
    return render(request, "sizing/sizing_form.html", {"form": form, "sizing": sizing})


def scenario_create(request: HttpRequest, sizing_id: str) -> HttpResponse:
    sizing = get_visible_or_404(_SIZINGS, request.user, pk=sizing_id)
    require_ability(sizing, request.user, "change")
    form = ScenarioForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        scenario = run_service(
            form,
            lambda: services.scenario_create(
                by=request.user, sizing=sizing, name=form.cleaned_data["name"], **form.levers()
            ),
        )
        if scenario is not None:
            messages.success(request, f"Scénario « {scenario.name} » créé à partir de « {sizing.name} ».")
            return redirect(_compare_url(sizing, scenario))
    return render(request, "sizing/scenario_form.html", {"form": form, "sizing": sizing})


def _compare_url(left: Sizing, right: Sizing) -> str:
    return reverse("sizing:sizing_compare", args=[left.pk]) + f"?avec={right.pk}"


@require_GET
def sizing_compare(request: HttpRequest, sizing_id: str) -> HttpResponse:
    left = get_visible_or_404(_SIZINGS, request.user, pk=sizing_id)
    other = request.GET.get("avec", "")
    right = (
        _SIZINGS.visible_to(request.user).filter(pk=other, programme=left.programme).first()
        if is_uuid(other)
        else None
    )
    choices = selectors.sizing_siblings(user=request.user, sizing=left)
    context: dict[str, Any] = {"left": left, "right": right, "choices": choices}
    if right is not None:
        context.update(selectors.compare(user=request.user, left=left, right=right))
    return render(request, "sizing/sizing_compare.html", context)


def sizing_centre(request: HttpRequest, sizing_id: str, structure_id: str) -> HttpResponse:
    """One centre: its figures at each wave, its trajectory, its staffing gap; volumes entered here."""
    sizing = get_visible_or_404(_SIZINGS, request.user, pk=sizing_id)
    centre = get_visible_or_404(Structure.objects, request.user, pk=structure_id)
    form = CentreInputForm(request.POST or None, sizing=sizing)
    if request.method == "POST":
        require_ability(centre, request.user, "change")
        if form.is_valid():
            data = form.cleaned_data
            changed = run_service(
                form,
                lambda: services.centre_input_set(
                    by=request.user,
                    sizing=sizing,
                    centre=centre,
                    wave=data["wave"],
                    host=data["host"],
                    antennas=data["antennas"],
                    volumes={
                        sizing.ministry_a: (data["mandats_a"], data["titres_a"]),
                        sizing.ministry_b: (data["mandats_b"], data["titres_b"]),
                    },
                ),
            )
            if changed is not None:
                messages.success(request, "Volumes enregistrés." if changed else "Rien n'a changé.")
                return redirect("sizing:sizing_centre", sizing_id=sizing.pk, structure_id=centre.pk)
    waves = selectors.centre_waves(user=request.user, sizing=sizing, centre=centre)
    staffing = []
    for row, _ in waves:
        staffing += selectors.staffing(user=request.user, sizing=sizing, wave=row.wave, within=centre)
    exception = LeadershipException.objects.filter(centre=centre).first()
    return render(
        request,
        "sizing/centre_detail.html",
        {
            "sizing": sizing,
            "centre": centre,
            "waves": waves,
            "ministries": [sizing.ministry_a.code, sizing.ministry_b.code],
            "staffing": staffing,
            "form": form,
            "exception": exception,
            "exception_form": ExceptionForm(initial={"reason": exception.reason if exception else ""}),
            "chart": bar_chart_svg(
                [(row.wave.name, float(figures.total)) for row, figures in waves],
                title=f"Trajectoire de {centre.code} : effectif total à chaque vague (ETP)",
            ),
            "gap_chart": bar_chart_svg(
                [(f"{s.wave.name} — cible", float(s.target.total)) for s in staffing]
                + [(f"{s.wave.name} — affectés", float(s.actual)) for s in staffing],
                title=f"{centre.code} : cible et affectés à chaque vague (ETP)",
            ),
        },
    )


@require_POST
def centre_exception(request: HttpRequest, sizing_id: str, structure_id: str) -> HttpResponse:
    sizing = get_visible_or_404(_SIZINGS, request.user, pk=sizing_id)
    centre = get_visible_or_404(Structure.objects, request.user, pk=structure_id)
    require_ability(centre, request.user, "change")
    form = ExceptionForm(request.POST)
    if form.is_valid():
        saved = run_service(
            form,
            lambda: services.leadership_exception_set(
                by=request.user, centre=centre, reason=form.cleaned_data["reason"]
            ),
        )
        if not form.errors:
            messages.success(
                request, "Exception enregistrée." if saved else "Aucune exception : la règle s'applique."
            )
    if form.errors:
        messages.error(request, "Exception non enregistrée : " + form_errors(form))
    return redirect("sizing:sizing_centre", sizing_id=sizing.pk, structure_id=centre.pk)


@require_GET
def sizing_staffing(request: HttpRequest, sizing_id: str) -> HttpResponse:
    """Target vs actual at a wave for every centre, vacancies, and the leadership rule."""
    sizing = get_visible_or_404(_SIZINGS, request.user, pk=sizing_id)
    waves = list(
        Wave.objects.filter(programme=sizing.programme, sizing_inputs__sizing=sizing)
        .distinct()
        .order_by("golive_date")
    )
    chosen = request.GET.get("vague", "")
    wave = next((w for w in waves if str(w.pk) == chosen), waves[0] if waves else None)
    rows = selectors.staffing(user=request.user, sizing=sizing, wave=wave) if wave else []
    if fmt := export_format(request):
        headers = [
            "Centre",
            "Cible (ETP)",
            "Affectés (ETP)",
            "Écart",
            "Postes vacants",
            "Règle d'encadrement",
        ]
        body = [
            [
                r.centre.code,
                r.target.total,
                r.actual,
                r.gap,
                r.vacancies,
                " ".join(r.broken) or ("Exception : " + r.exception if r.exception else "respectée"),
            ]
            for r in rows
        ]
        return table_response(
            fmt, headers, body, filename_stem=f"effectifs-{sizing.programme.code}", title="Effectifs"
        )
    chart = bar_chart_svg(
        [(r.centre.code, float(r.vacancies)) for r in rows],
        title="Postes à pourvoir par centre (ETP, cible moins affectés)",
    )
    return render(
        request,
        "sizing/staffing.html",
        {
            "chart": chart,
            "sizing": sizing,
            "waves": waves,
            "wave": wave,
            "rows": rows,
            "ministries": [sizing.ministry_a.code, sizing.ministry_b.code],
        },
    )


def sizing_import(request: HttpRequest, sizing_id: str) -> HttpResponse:
    sizing = get_visible_or_404(_SIZINGS, request.user, pk=sizing_id)
    require_ability(sizing, request.user, "add_input")
    form = SizingImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        run = taskrun_start(
            kind="import",
            label=f"Aperçu de l'import des volumes — {sizing.name} — {upload.name}",
            owner=request.user,
            input_file=upload,
            params={"importer": "sizing.inputs", "mode": "preview", "sizing": str(sizing.pk)},
        )
        return redirect("core:taskrun_detail", taskrun_id=run.pk)
    return render(
        request, "sizing/import.html", {"form": form, "sizing": sizing, "columns": COLUMNS, "what": "volumes"}
    )


# --- cost comparisons -------------------------------------------------------------------------------------------
def cost_create(request: HttpRequest) -> HttpResponse:
    require_user_ability(request.user, "sizing.add_sizing")
    form = CostComparisonForm(request.POST or None, programmes=piloted_programmes(user=request.user))
    if request.method == "POST" and form.is_valid():
        programme = form.cleaned_data["programme"]
        comparison = run_service(
            form,
            lambda: services.cost_comparison_create(by=request.user, programme=programme, **form.values()),
        )
        if comparison is not None:
            messages.success(
                request, f"Comparaison « {comparison.name} » créée : ajoutez les coûts de chaque option."
            )
            return redirect("sizing:cost_detail", costcomparison_id=comparison.pk)
    return render(request, "sizing/cost_form.html", {"form": form})


def cost_detail(request: HttpRequest, costcomparison_id: str) -> HttpResponse:
    comparison = get_visible_or_404(_COMPARISONS, request.user, pk=costcomparison_id)
    form = CostLineForm(request.POST or None, initial={"from_year": comparison.first_year})
    if request.method == "POST":
        require_ability(comparison, request.user, "change")
        if form.is_valid():
            data = form.cleaned_data
            result = run_service(
                form,
                lambda: services.cost_line_set(
                    by=request.user,
                    comparison=comparison,
                    option=data["option"],
                    label=data["label"],
                    **form.values(),
                ),
            )
            if result is not None:
                messages.success(request, "Ligne enregistrée." if result[1] else "Rien n'a changé.")
                return redirect("sizing:cost_detail", costcomparison_id=comparison.pk)
    table = selectors.cost_table(comparison)
    if fmt := export_format(request):
        headers, rows = selectors.cost_export(table)
        return table_response(fmt, headers, rows, filename_stem="couts", title=comparison.name[:31])
    chart = bar_chart_svg(
        [(o.name, float(o.total)) for o in table["options"]],
        title=f"Coût total sur {comparison.years} ans par option (€)",
    )
    return render(
        request,
        "sizing/cost_detail.html",
        {**table, "form": form, "chart": chart, "history": history_entries(comparison, limit=5)},
    )


@require_POST
def cost_line_delete(request: HttpRequest, costcomparison_id: str, costline_id: str) -> HttpResponse:
    comparison = get_visible_or_404(_COMPARISONS, request.user, pk=costcomparison_id)
    require_ability(comparison, request.user, "change")
    line = CostLine.objects.filter(comparison=comparison, pk=costline_id).first()
    if line is None:
        raise Http404
    services.cost_line_delete(by=request.user, line=line)
    messages.success(request, f"Ligne « {line.label} » supprimée.")
    return redirect("sizing:cost_detail", costcomparison_id=comparison.pk)


def cost_import(request: HttpRequest, costcomparison_id: str) -> HttpResponse:
    comparison = get_visible_or_404(_COMPARISONS, request.user, pk=costcomparison_id)
    require_ability(comparison, request.user, "change")
    form = CostImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        run = taskrun_start(
            kind="import",
            label=f"Aperçu de l'import des coûts — {comparison.name} — {upload.name}",
            owner=request.user,
            input_file=upload,
            params={"importer": "sizing.costs", "mode": "preview", "comparison": str(comparison.pk)},
        )
        return redirect("core:taskrun_detail", taskrun_id=run.pk)
    return render(
        request,
        "sizing/import.html",
        {"form": form, "comparison": comparison, "columns": COST_COLUMNS, "what": "coûts"},
    )
