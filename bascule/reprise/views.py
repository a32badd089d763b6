"""Pages of the data takeover: thin, every write through the services, every figure from the selectors."""

from __future__ import annotations

import io
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from bascule.core.access import get_visible_or_404, require_ability, require_user_ability
from bascule.core.exports import FORMATS, export_format, table_response, write_csv_frame
from bascule.core.forms import form_errors, run_service
from bascule.core.history import history_entries
from bascule.core.htmx import render_partial_or_full
from bascule.core.registry import user_can
from bascule.reprise import selectors, services
from bascule.reprise.engine import RULES, euros
from bascule.reprise.forms import AnomalyFilterForm, MappingCreateForm, MappingForm, RekeyForm, RunForm
from bascule.reprise.models import HeaderMapping, Rekey, TakeoverRun

_RUNS = TakeoverRun.objects.select_related("structure", "header_mapping")
PAGE_SIZE = 50
XLSX_MAX_ROWS = 1_000_000  # a sheet holds 1,048,576 rows: beyond, the CSV export holds everything


@require_GET
def run_list(request: HttpRequest) -> HttpResponse:
    runs = selectors.run_list(user=request.user)
    page = Paginator(runs, 25).get_page(request.GET.get("page"))
    return render(
        request,
        "reprise/run_list.html",
        {
            "page_obj": page,
            "can_create": user_can(request.user, "reprise.add_run"),
            "can_map": user_can(request.user, "reprise.add_mapping"),
            "mappings": HeaderMapping.objects.visible_to(request.user).select_related("structure"),
        },
    )


def run_create(request: HttpRequest) -> HttpResponse:
    require_user_ability(request.user, "reprise.add_run")
    form = RunForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        run = run_service(
            form,
            lambda: services.run_create(
                by=request.user,
                structure=data["structure"],
                kind=data["kind"],
                commitments=data["commitments"],
                third_parties=data["third_parties"],
                target=data["target"],
                reference=data["reference"],
                mappings=data["mappings"],
                header_mapping=data["header_mapping"],
                cutoff=data["cutoff"],
            ),
        )
        if run is not None:
            messages.success(request, "Exécution lancée : l'avancement s'affiche ci-dessous.")
            return redirect("reprise:run_detail", takeoverrun_id=run.pk)
    return render(request, "reprise/run_form.html", {"form": form})


@require_GET
def run_detail(request: HttpRequest, takeoverrun_id: str) -> HttpResponse:
    run = get_visible_or_404(_RUNS, request.user, pk=takeoverrun_id)
    summary = run.summary or {}
    context = {
        "run": run,
        "summary": summary,
        "rules": [
            (code, severity, label, (summary.get("anomalies_by_rule") or {}).get(code, 0))
            for code, (severity, label) in RULES.items()
        ],
        "centres": list(run.centres.all()) if run.status == TakeoverRun.Status.SUCCEEDED else [],
        # the user's own task of this run, whose restart the page offers when its worker died
        "task": selectors.run_task(run=run, user=request.user)
        if run.status == TakeoverRun.Status.FAILED
        else None,
    }
    response = render_partial_or_full(request, "reprise/run_detail.html", "reprise/_run_status.html", context)
    if run.is_finished and getattr(request, "htmx", None):
        response["HX-Refresh"] = (
            "true"  # the polling saw the end: the whole page (per-centre table) is drawn once
        )
    return response


def _filters(request: HttpRequest) -> tuple[AnomalyFilterForm, selectors.AnomalyFilters]:
    form = AnomalyFilterForm(request.GET or None)
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        return form, selectors.AnomalyFilters(
            rule=data["regle"],
            severity=data["gravite"],
            centre=data["centre"],
            tiers=data["tiers"],
            text=data["texte"],
        )
    return form, selectors.AnomalyFilters()


@require_GET
def run_anomalies(request: HttpRequest, takeoverrun_id: str) -> HttpResponse:
    """Every anomaly and parser rejection of a run, filtered (rule, severity, centre, third party, text), exported."""
    run = get_visible_or_404(_RUNS, request.user, pk=takeoverrun_id)
    form, filters = _filters(request)
    if fmt := export_format(request):
        frame = selectors.anomaly_rows(run=run, filters=filters)
        stem = f"anomalies-{run.structure.code}"
        if fmt == "csv":
            content = write_csv_frame(frame.rename(selectors.ANOMALY_HEADERS, strict=False))
            response = HttpResponse(content, content_type=FORMATS["csv"])
            response["Content-Disposition"] = f'attachment; filename="{stem}-{timezone.localdate()}.csv"'
            return response
        rows = frame.head(XLSX_MAX_ROWS).iter_rows() if frame.height else iter(())
        headers = [selectors.ANOMALY_HEADERS[c] for c in frame.columns] or list(
            selectors.ANOMALY_HEADERS.values()
        )
        return table_response(fmt, headers, rows, filename_stem=stem, title="Anomalies")
    try:
        number = max(1, int(request.GET.get("page", 1)))
    except ValueError:
        number = 1
    page = selectors.anomalies(run=run, filters=filters, offset=(number - 1) * PAGE_SIZE, limit=PAGE_SIZE)
    pages = max(1, -(-page.total // PAGE_SIZE))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "reprise/anomalies.html",
        {
            "run": run,
            "form": form,
            "page": page,
            "number": min(number, pages),
            "pages": pages,
            "query": query.urlencode(),
        },
    )


@require_GET
def run_report(request: HttpRequest, takeoverrun_id: str) -> HttpResponse:
    """The reconciliation report: « aucune perte » or every difference; as a page, XLSX (?export=xlsx) or PDF."""
    run = get_visible_or_404(_RUNS, request.user, pk=takeoverrun_id)
    context = {"run": run, **selectors.report(run=run), "generated_at": timezone.localtime()}
    stem = f"rapprochement-{run.structure.code}-{timezone.localdate()}"
    if request.GET.get("export") == "xlsx":
        response = HttpResponse(_report_workbook(run, context), content_type=FORMATS["xlsx"])
        response["Content-Disposition"] = f'attachment; filename="{stem}.xlsx"'
        return response
    if request.GET.get("export") == "pdf":
        from weasyprint import HTML  # Pango is loaded only by the processes that write documents

        pdf = HTML(string=render_to_string("reprise/report_pdf.html", context)).write_pdf()
        response = HttpResponse(pdf, content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{stem}.pdf"'
        return response
    return render(request, "reprise/report.html", context)


def _report_workbook(run: TakeoverRun, context: dict[str, Any]) -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    summary = context["summary"]
    sheet = book.create_sheet("Synthèse")
    verdict = summary.get("no_loss")
    sheet.append(["Structure", str(run.structure)])
    sheet.append(["Exécution", run.get_kind_display(), str(run.pk)])
    sheet.append(
        [
            "Verdict",
            "Aucune perte" if verdict else ("Écarts constatés" if verdict is False else "Sans ré-extraction"),
        ]
    )
    for key in (
        "rows_in_file",
        "rows_read",
        "rows_rejected_by_parser",
        "in_scope",
        "excluded_zero_balance",
        "blocked",
    ):
        sheet.append([key, summary.get(key)])
    for key, value in (summary.get("reconciliation") or {}).items():
        sheet.append([key, value])
    for key, value in (summary.get("totals") or {}).items():
        sheet.append([f"total {key}", value])
    for name, sha in ((k, v.get("sha256")) for k, v in (summary.get("inputs") or {}).items()):
        sheet.append([f"SHA-256 {name}", sha])
    centres = book.create_sheet("Par centre")
    centres.append(
        [
            "Centre financier",
            "Lignes source",
            "Reste source",
            "Lignes reprises",
            "Reste repris",
            "Lignes exclues",
            "Reste exclu",
            "Lignes bloquées",
            "Reste bloqué",
            "Lignes cible",
            "Reste cible",
        ]
    )
    for c in context["centres"]:
        centres.append(
            [
                c.centre,
                c.source_lines,
                euros(c.source_remaining),
                c.in_scope_lines,
                euros(c.in_scope_remaining),
                c.excluded_lines,
                euros(c.excluded_remaining),
                c.blocked_lines,
                euros(c.blocked_remaining),
                c.target_lines,
                euros(c.target_remaining) if c.target_remaining is not None else "",
            ]
        )
    gaps = book.create_sheet("Écarts")
    gaps.append(list(selectors.DIFFERENCE_HEADERS.values()))
    for row in selectors.differences(run=run).head(XLSX_MAX_ROWS).iter_rows():
        gaps.append(list(row))
    for level, title in (
        ("programme", "Programmes"),
        ("siren", "Tiers (SIREN)"),
        ("engagement", "Engagements"),
    ):
        frame = selectors.controls(run=run, level=level)
        sheet = book.create_sheet(title)
        sheet.append(frame.columns)
        for row in frame.head(XLSX_MAX_ROWS).iter_rows():
            sheet.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@require_GET
def run_rekeys(request: HttpRequest, takeoverrun_id: str) -> HttpResponse:
    run = get_visible_or_404(_RUNS, request.user, pk=takeoverrun_id)
    items = selectors.rekeys(run=run)
    if fmt := export_format(request):
        rows = (
            [
                r.centre,
                r.ej,
                r.poste,
                r.line,
                euros(r.remaining),
                r.reason,
                "oui" if r.done else "non",
                r.done_by,
                r.done_at,
                r.target_number,
                r.comment,
            ]
            for r in items.iterator()
        )
        headers = [
            "Centre financier",
            "N° EJ",
            "N° poste EJ",
            "Ligne source",
            "Reste à payer",
            "Motif",
            "Ressaisie",
            "Par",
            "Le",
            "N° dans la cible",
            "Commentaire",
        ]
        return table_response(
            fmt, headers, rows, filename_stem=f"ressaisie-{run.structure.code}", title="Ressaisie"
        )
    page = Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "reprise/rekeys.html",
        {"run": run, "page_obj": page, "can_rekey": run.get_abilities(request.user)["rekey"]},
    )


@require_POST
def rekey_mark(request: HttpRequest, rekey_id: str) -> HttpResponse:
    rekey = get_visible_or_404(Rekey.objects.select_related("run__structure"), request.user, pk=rekey_id)
    require_ability(rekey, request.user, "change", services.STRUCTURE_ONLY)
    form = RekeyForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        done = run_service(
            form,
            lambda: services.rekey_mark(
                by=request.user,
                rekey=rekey,
                version=data["version"],
                done=data["done"],
                target_number=data["target_number"],
                comment=data["comment"],
            ),
        )
        if done is not None:
            messages.success(
                request, f"{rekey} : {'ressaisie enregistrée' if data['done'] else 'remise à ressaisir'}."
            )
            return redirect("reprise:run_rekeys", takeoverrun_id=rekey.run_id)
    messages.error(request, form_errors(form))
    return redirect("reprise:run_rekeys", takeoverrun_id=rekey.run_id)


@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    return render(request, "reprise/dashboard.html", selectors.dashboard(user=request.user))


def mapping_create(request: HttpRequest) -> HttpResponse:
    require_user_ability(request.user, "reprise.add_mapping")
    form = MappingCreateForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        mapping = run_service(form, lambda: services.mapping_create(by=request.user, **form.values()))
        if mapping is not None:
            return redirect("reprise:run_list")
    return render(
        request,
        "reprise/form.html",
        {"form": form, "title": "Nouvelle correspondance d'en-têtes", "back": "reprise:run_list"},
    )


def mapping_edit(request: HttpRequest, headermapping_id: str) -> HttpResponse:
    mapping = get_visible_or_404(
        HeaderMapping.objects.select_related("structure"), request.user, pk=headermapping_id
    )
    require_ability(mapping, request.user, "change", services.STRUCTURE_ONLY)
    form = MappingForm(request.POST or None, instance=mapping)
    if request.method == "POST" and form.is_valid():
        done = run_service(
            form,
            lambda: services.mapping_update(
                by=request.user, mapping=mapping, version=form.cleaned_data["version"], **form.values()
            ),
        )
        if done is not None:
            return redirect("reprise:run_list")
    return render(
        request,
        "reprise/form.html",
        {
            "form": form,
            "title": f"Correspondance « {mapping} »",
            "back": "reprise:run_list",
            "history": history_entries(mapping, limit=10),
        },
    )
