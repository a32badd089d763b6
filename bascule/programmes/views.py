"""HTML pages of programme steering (DSFR + htmx). Thin: forms, selectors, services."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from bascule.core.access import get_visible_or_404, read_only_post, require_ability, require_user_ability
from bascule.core.exports import export_format, table_response
from bascule.core.forms import form_errors, run_service
from bascule.core.history import history_entries
from bascule.core.htmx import render_partial_or_full
from bascule.core.parsing import is_uuid
from bascule.core.services import taskrun_start
from bascule.organisation.levels import instantiable_kinds
from bascule.organisation.models import Structure, StructureKind
from bascule.organisation.selectors import visible_structure
from bascule.programmes import selectors, services
from bascule.programmes.forms import (
    ActionCreateForm,
    ActionFilterForm,
    ActionForm,
    ActionPlanImportForm,
    DecisionForm,
    DepositForm,
    DocumentForm,
    ItemScheduleForm,
    ProgressForm,
    TemplateItemForm,
    WorkstreamForm,
)
from bascule.programmes.importers import ACTION_COLUMNS, export_rows
from bascule.programmes.models import (
    Action,
    Decision,
    DeliverableVersion,
    InstanceItem,
    Programme,
    Workstream,
    WorkstreamTemplate,
)
from bascule.programmes.timeline import build_timeline


@require_GET
def programme_list(request: HttpRequest) -> HttpResponse:
    if fmt := export_format(request):  # the set-up of every programme: one row per wave
        return table_response(
            fmt,
            selectors.SETUP_COLUMNS,
            selectors.setup_rows(user=request.user),
            filename_stem="programmes-vagues",
            title="Programmes et vagues",
        )
    return render(
        request, "programmes/programme_list.html", {"programmes": selectors.programme_list(user=request.user)}
    )


@require_GET
def programme_detail(request: HttpRequest, programme_id: str) -> HttpResponse:
    programme = get_visible_or_404(Programme.objects.select_related("owner"), request.user, pk=programme_id)
    context = {
        "programme": programme,
        "abilities": programme.get_abilities(request.user),
        "waves": programme.waves.prefetch_related("structures"),
        "checklist": selectors.setup_checklist(programme=programme),
        "documents": programme.documents.select_related("deposited_by"),
        "pilots": programme.pilots.all(),
        "document_form": DocumentForm(),
        "templates": programme.templates.prefetch_related("items", "prerequisites"),
        "matrix": selectors.workstream_matrix(user=request.user, programme=programme),
        "divergent": selectors.divergent_workstreams(user=request.user, programme=programme),
        "decisions": Decision.objects.visible_to(request.user).filter(programme=programme),
        "decision_form": DecisionForm(),
        "item_form": TemplateItemForm(),
        "instantiate_kinds": instantiable_kinds(request.user),
    }
    return render(request, "programmes/programme_detail.html", context)


@require_GET
def programme_timeline(request: HttpRequest, programme_id: str) -> HttpResponse:
    programme = get_visible_or_404(Programme.objects.select_related("owner"), request.user, pk=programme_id)
    timeline = build_timeline(user=request.user, programme=programme)
    return render(request, "programmes/timeline.html", {"programme": programme, "timeline": timeline})


@require_GET
def region_detail(request: HttpRequest, programme_id: str, structure_id: str) -> HttpResponse:
    programme = get_visible_or_404(Programme.objects.select_related("owner"), request.user, pk=programme_id)
    region = get_visible_or_404(Structure.objects, request.user, pk=structure_id)
    context = {
        "programme": programme,
        "region": region,
        **selectors.region_page(user=request.user, programme=programme, region=region),
    }
    return render(request, "programmes/region_detail.html", context)


@require_POST
def template_item_add(request: HttpRequest, workstreamtemplate_id: str) -> HttpResponse:
    """A new standard milestone or deliverable: offered to every region, which accepts it or not."""
    template = get_visible_or_404(
        WorkstreamTemplate.objects.select_related("programme__owner"), request.user, pk=workstreamtemplate_id
    )
    require_ability(template, request.user, "change")
    form = TemplateItemForm(request.POST)
    if form.is_valid():
        services.template_add_item(by=request.user, template=template, **form.cleaned_data)
        messages.success(
            request,
            f"« {form.cleaned_data['name']} » est proposé à chaque région du chantier {template.number}.",
        )
    else:
        messages.error(request, "Indiquez le type et l'intitulé de l'élément à ajouter.")
    return redirect("programmes:programme_detail", programme_id=template.programme_id)


@require_GET
def workstream_detail(request: HttpRequest, workstream_id: str) -> HttpResponse:
    workstream = get_visible_or_404(
        Workstream.objects.select_related("template__programme", "structure__parent", "pilot"),
        request.user,
        pk=workstream_id,
    )
    prerequisites = Workstream.objects.filter(
        structure=workstream.structure, template__in=workstream.template.prerequisites.all()
    ).select_related("template")
    context = {
        "workstream": workstream,
        "abilities": workstream.get_abilities(request.user),
        "items": workstream.items.prefetch_related("versions__deposited_by", "versions__validated_by"),
        "deposit_form": DepositForm(),
        "unmet": [p for p in prerequisites if p.status != "done"],
        "pending": workstream.template.items.filter(revision__gt=workstream.synced_revision),
        "actions": workstream.actions.all(),
        "history": history_entries(workstream),
        "form": WorkstreamForm(instance=workstream),
    }
    return render(request, "programmes/workstream_detail.html", context)


@read_only_post
@require_POST
def workstream_sheet(request: HttpRequest, workstream_id: str) -> HttpResponse:
    """Start the one-page « fiche chantier » (PDF) in the background; its page offers the download."""
    workstream = get_visible_or_404(
        Workstream.objects.select_related("template", "structure"), request.user, pk=workstream_id
    )
    run = taskrun_start(
        kind="programmes.workstream_sheet",
        label=f"Fiche chantier — {workstream.template.name} — {workstream.structure.code}",
        owner=request.user,
        params={"workstream": str(workstream.pk)},
    )
    return redirect("core:taskrun_detail", taskrun_id=run.pk)


@require_POST
def workstream_edit(request: HttpRequest, workstream_id: str) -> HttpResponse:
    workstream = get_visible_or_404(
        Workstream.objects.select_related("structure"), request.user, pk=workstream_id
    )
    require_ability(workstream, request.user, "change")
    form = WorkstreamForm(request.POST, instance=workstream)
    if form.is_valid():
        data = {k: form.cleaned_data[k] for k in ("status", "percent", "note")}
        saved = run_service(
            form,
            lambda: services.workstream_update(
                by=request.user, workstream=workstream, version=form.cleaned_data["version"], **data
            ),
        )
        if saved is not None:
            messages.success(request, "Le chantier a été mis à jour.")
            return redirect("programmes:workstream_detail", workstream_id=workstream.pk)
    for error in form.non_field_errors():
        messages.error(request, str(error))
    return redirect("programmes:workstream_detail", workstream_id=workstream.pk)


@require_POST
def workstream_accept(request: HttpRequest, workstream_id: str) -> HttpResponse:
    workstream = get_visible_or_404(
        Workstream.objects.select_related("structure", "template"), request.user, pk=workstream_id
    )
    require_ability(workstream, request.user, "change")
    count = services.workstream_accept_template(by=request.user, workstream=workstream)
    messages.success(request, f"Modèle national accepté : {count} élément(s) ajouté(s).")
    return redirect("programmes:workstream_detail", workstream_id=workstream.pk)


@require_GET
def action_list(request: HttpRequest) -> HttpResponse:
    programmes = list(Programme.objects.visible_to(request.user))
    form = ActionFilterForm(request.GET or None, programmes=programmes)
    data: dict[str, Any] = form.cleaned_data if form.is_valid() else {}
    within = None
    if dans := request.GET.get("dans", ""):
        # A subtree named by id (the dashboard's links); one the user may not see is not found.
        within = visible_structure(user=request.user, pk=dans)
        if within is None:
            raise Http404
    filters = selectors.ActionFilters(
        programme=data.get("programme") or "",
        within=within,
        own_level=within is not None and request.GET.get("propre") == "on",
        wave=data.get("wave") or "",
        region=data.get("region") or "",
        workstream=str(data.get("workstream") or ""),
        involving=data.get("involving") or "",
        status=data.get("status") or "",
        late=bool(data.get("late")),
        deadline_from=data.get("deadline_from"),
        deadline_to=data.get("deadline_to"),
        due_by=data.get("due_by"),
        q=data.get("q") or "",
        sort=request.GET.get("tri", "echeance"),
    )
    actions = selectors.action_list(user=request.user, filters=filters)
    if fmt := export_format(request):
        return table_response(
            fmt,
            [c.label for c in ACTION_COLUMNS],
            export_rows(actions),
            filename_stem="actions",
            title="Plan d'actions",
        )
    page = Paginator(selectors.with_structures(actions), 50).get_page(request.GET.get("page"))
    return render_partial_or_full(
        request,
        "programmes/action_list.html",
        "programmes/includes/action_table.html",
        {"form": form, "page_obj": page, "sort": filters.sort, "filters": filters},
    )


@require_GET
def action_detail(request: HttpRequest, action_id: str) -> HttpResponse:
    action = get_visible_or_404(
        Action.objects.select_related(
            "programme__owner",
            "pain_point",
            "structure",
            "workstream__template",
            "workstream__structure",
            "decision",
        ),
        request.user,
        pk=action_id,
    )
    context = {
        "action": action,
        "abilities": action.get_abilities(request.user),
        "notes": action.notes.select_related("author"),
        "history": history_entries(action),
        "leads": action.lead_structures.all(),
        "partners": action.partner_structures.all(),
        "progress_form": ProgressForm(initial={"status": action.status, "percent": action.percent}),
    }
    return render(request, "programmes/action_detail.html", context)


def action_edit(request: HttpRequest, action_id: str) -> HttpResponse:
    action = get_visible_or_404(
        Action.objects.select_related("programme__owner", "structure"), request.user, pk=action_id
    )
    require_ability(action, request.user, "change")
    form = ActionForm(request.POST or None, instance=action, user=request.user)
    if request.method == "POST" and form.is_valid():
        saved = run_service(
            form,
            lambda: services.action_update(
                by=request.user, action=action, version=form.cleaned_data["version"], **form.values()
            ),
        )
        if saved is not None:
            messages.success(request, f"L'action {saved.code} a été modifiée.")
            return redirect("programmes:action_detail", action_id=saved.pk)
    return render(request, "programmes/action_form.html", {"form": form, "action": action})


@require_POST
def progress_add(request: HttpRequest, action_id: str) -> HttpResponse:
    action = get_visible_or_404(
        Action.objects.select_related("programme__owner", "structure"), request.user, pk=action_id
    )
    require_ability(action, request.user, "add_progress")
    form = ProgressForm(request.POST)
    if form.is_valid():
        services.progress_add(by=request.user, action=action, **form.cleaned_data)
        messages.success(request, "Le point d'avancement a été ajouté.")
    else:
        messages.error(
            request,
            "Le point d'avancement n'a pas été enregistré : "
            + " ".join(f"{form.fields[k].label} : {' '.join(v)}" for k, v in form.errors.items()),
        )
    return redirect("programmes:action_detail", action_id=action.pk)


def action_import(request: HttpRequest) -> HttpResponse:
    require_user_ability(request.user, "programmes.import_actions")
    programmes = selectors.importable_programmes(user=request.user)
    form = ActionPlanImportForm(
        request.POST or None,
        request.FILES or None,
        programmes=Programme.objects.filter(pk__in=[p.pk for p in programmes]),
    )
    if request.method == "POST" and form.is_valid():
        upload, programme = form.cleaned_data["file"], form.cleaned_data["programme"]
        reference = form.cleaned_data["reference_date"]
        run = taskrun_start(
            kind="import",
            label=f"Aperçu de l'import du plan d'actions — {programme.code} — {upload.name}",
            owner=request.user,
            input_file=upload,
            params={
                "importer": "programmes.actions",
                "mode": "preview",
                "programme": str(programme.pk),
                "reference_date": reference.isoformat() if reference else None,
            },
        )
        return redirect("core:taskrun_detail", taskrun_id=run.pk)
    return render(request, "programmes/action_import.html", {"form": form, "columns": ACTION_COLUMNS})


@require_POST
def deliverable_deposit(request: HttpRequest, instanceitem_id: str) -> HttpResponse:
    item = get_visible_or_404(
        InstanceItem.objects.select_related("workstream__structure"), request.user, pk=instanceitem_id
    )
    require_ability(item, request.user, "deposit")
    form = DepositForm(request.POST, request.FILES)
    if form.is_valid():
        version = services.deliverable_deposit(
            by=request.user, item=item, upload=form.cleaned_data["file"], comment=form.cleaned_data["comment"]
        )
        messages.success(
            request, f"Version {version.number} de « {item.name} » déposée ; elle attend la validation."
        )
    else:
        messages.error(request, "Aucun document déposé : " + form_errors(form))
    return redirect("programmes:workstream_detail", workstream_id=item.workstream_id)


@require_POST
def item_schedule(request: HttpRequest, instanceitem_id: str) -> HttpResponse:
    """A milestone's or deliverable's due date, and when it was reached (the dates read are checked first)."""
    item = get_visible_or_404(
        InstanceItem.objects.select_related("workstream__structure"), request.user, pk=instanceitem_id
    )
    require_ability(item, request.user, "schedule")
    form = ItemScheduleForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.item_schedule(
                by=request.user,
                item=item,
                due_date=data["due_date"],
                done_on=data["done_on"],
                seen=(data["seen_due"], data["seen_done"]),
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, f"« {item.name} » : dates enregistrées.")
    else:
        messages.error(request, "Dates non enregistrées : " + form_errors(form))
    return redirect("programmes:workstream_detail", workstream_id=item.workstream_id)


@require_GET
def deliverable_download(request: HttpRequest, deliverableversion_id: str) -> FileResponse:
    version = get_visible_or_404(
        DeliverableVersion.objects.select_related("item__workstream__structure"),
        request.user,
        pk=deliverableversion_id,
    )
    return FileResponse(version.file.open("rb"), as_attachment=True, filename=version.filename)


@require_POST
def deliverable_validate(request: HttpRequest, deliverableversion_id: str) -> HttpResponse:
    version = get_visible_or_404(
        DeliverableVersion.objects.select_related("item__workstream__structure__parent"),
        request.user,
        pk=deliverableversion_id,
    )
    require_ability(version, request.user, "validate")
    accept = request.POST.get("decision") == "valider"
    services.deliverable_validate(
        by=request.user, version=version, accept=accept, comment=request.POST.get("comment", "")
    )
    messages.success(request, f"Version {version.number} {'validée' if accept else 'refusée'}.")
    return redirect("programmes:workstream_detail", workstream_id=version.item.workstream_id)


@require_POST
def decision_add(request: HttpRequest, programme_id: str) -> HttpResponse:
    programme = get_visible_or_404(Programme.objects.select_related("owner"), request.user, pk=programme_id)
    require_ability(programme, request.user, "change")
    form = DecisionForm(request.POST)
    if form.is_valid():
        services.decision_create(by=request.user, programme=programme, **form.cleaned_data)
        messages.success(request, "La décision a été enregistrée.")
    else:
        messages.error(
            request,
            "La décision n'a pas été enregistrée : " + form_errors(form),
        )
    return redirect("programmes:programme_detail", programme_id=programme.pk)


@require_POST
def programme_instantiate(request: HttpRequest, programme_id: str) -> HttpResponse:
    """Instance the programme's workstreams in every region (or department) the user may edit."""
    programme = get_visible_or_404(Programme.objects.select_related("owner"), request.user, pk=programme_id)
    kind = StructureKind.DEPARTMENT if request.POST.get("kind") == "department" else StructureKind.REGION
    created = len(services.workstreams_instantiate(by=request.user, programme=programme, kind=kind))
    messages.success(request, f"{created} chantier(s) instancié(s) ; ceux qui existaient sont conservés.")
    return redirect("programmes:programme_detail", programme_id=programme.pk)


def action_create(request: HttpRequest) -> HttpResponse:
    """A new action, national or in a region/department of the user's editable perimeter."""
    require_user_ability(request.user, "programmes.add_action")
    structures = (
        Structure.objects.editable_by(request.user)
        .filter(kind__in=[StructureKind.REGION, StructureKind.DEPARTMENT])
        .order_by("path")
    )
    decisions = Decision.objects.visible_to(request.user).select_related("programme").order_by("-taken_on")
    # "Créer une action" from a decision: the programme and the decision come filled in.
    answering = (
        decisions.filter(pk=request.GET["decision"]).first() if is_uuid(request.GET.get("decision")) else None
    )
    initial = {"decision": answering, "programme": answering.programme} if answering else {}
    form = ActionCreateForm(
        request.POST or None,
        programmes=Programme.objects.visible_to(request.user),
        structures=structures,
        decisions=decisions,
        initial=initial,
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        action = run_service(form, lambda: services.action_create(by=request.user, **data))
        if action is not None:
            messages.success(request, f"L'action {action.code} a été créée.")
            return redirect("programmes:action_detail", action_id=action.pk)
    return render(request, "programmes/action_create.html", {"form": form})
