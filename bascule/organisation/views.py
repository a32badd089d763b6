"""HTML pages of the organisation referential (DSFR + htmx). Thin: forms, selectors, services."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from bascule.core.access import get_visible_or_404, require_ability, require_user_ability
from bascule.core.exports import FORMATS, export_format, table_response
from bascule.core.forms import run_service
from bascule.core.history import history_entries
from bascule.core.htmx import render_partial_or_full
from bascule.core.imports import IMPORTERS
from bascule.core.services import taskrun_start
from bascule.organisation import selectors, services
from bascule.organisation.forms import (
    AssignmentForm,
    GrantLogFilterForm,
    ImportForm,
    PersonFilterForm,
    PersonForm,
    StructureFilterForm,
    StructureForm,
)
from bascule.organisation.models import Assignment, Person, Structure

PAGE_SIZE = 50


# --- structures -----------------------------------------------------------------------------------
@require_GET
def structure_list(request: HttpRequest) -> HttpResponse:
    form = StructureFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    filters = selectors.StructureFilters(
        q=data.get("q", ""),
        kind=data.get("kind", ""),
        region=data.get("region", ""),
        state=data.get("state") or "actives",
        sort=request.GET.get("tri", "arbre"),
    )
    structures = selectors.structure_list(user=request.user, filters=filters)
    if fmt := export_format(request):
        return table_response(
            fmt,
            selectors.STRUCTURE_COLUMNS,
            selectors.structure_rows(structures),
            filename_stem="structures",
            title="Structures",
        )
    page = Paginator(structures, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"form": form, "page_obj": page, "sort": filters.sort}
    return render_partial_or_full(
        request, "organisation/structure_list.html", "organisation/includes/structure_table.html", context
    )


@require_GET
def structure_tree(request: HttpRequest) -> HttpResponse:
    roots = selectors.structure_tree_roots(user=request.user)
    return render(request, "organisation/structure_tree.html", {"roots": roots})


@require_GET
def structure_children(request: HttpRequest, structure_id: str) -> HttpResponse:
    structure = get_visible_or_404(Structure.objects, request.user, pk=structure_id)
    children = selectors.structure_children(structure=structure)
    return render(
        request, "organisation/includes/tree_children.html", {"nodes": children, "parent": structure}
    )


@require_GET
def structure_detail(request: HttpRequest, structure_id: str) -> HttpResponse:
    structure = get_visible_or_404(Structure.objects.select_related("parent"), request.user, pk=structure_id)
    context: dict[str, Any] = {
        "structure": structure,
        "abilities": structure.get_abilities(request.user),
        "history": history_entries(structure),
        **selectors.structure_page(user=request.user, structure=structure),
    }
    return render(request, "organisation/structure_detail.html", context)


def structure_create(request: HttpRequest) -> HttpResponse:
    initial: dict[str, Any] = {}
    parent_id = request.GET.get("parent")
    if parent_id:
        parent = get_visible_or_404(Structure.objects, request.user, pk=parent_id)
        require_ability(parent, request.user, "add_child")
        initial = {"parent": parent, "region": parent.region, "department": parent.department}
    else:
        require_user_ability(request.user, "organisation.add_structure")
    form = StructureForm(request.POST or None, initial=initial, user=request.user)
    if request.method == "POST" and form.is_valid():
        structure = run_service(form, lambda: services.structure_create(by=request.user, **form.values()))
        if structure is not None:
            messages.success(request, f"La structure « {structure.code} » a été créée.")
            return redirect("organisation:structure_detail", structure_id=structure.pk)
    return render(request, "organisation/structure_form.html", {"form": form, "structure": None})


def structure_edit(request: HttpRequest, structure_id: str) -> HttpResponse:
    structure = get_visible_or_404(Structure.objects.select_related("parent"), request.user, pk=structure_id)
    require_ability(structure, request.user, "change")
    form = StructureForm(request.POST or None, instance=structure, user=request.user)
    if request.method == "POST" and form.is_valid():
        saved = run_service(
            form,
            lambda: services.structure_update(
                by=request.user, structure=structure, version=form.cleaned_data["version"], **form.values()
            ),
        )
        if saved is not None:
            messages.success(request, f"La structure « {saved.code} » a été modifiée.")
            return redirect("organisation:structure_detail", structure_id=saved.pk)
    return render(request, "organisation/structure_form.html", {"form": form, "structure": structure})


# --- people ---------------------------------------------------------------------------------------
@require_GET
def person_list(request: HttpRequest) -> HttpResponse:
    form = PersonFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    filters = selectors.PersonFilters(
        q=data.get("q", ""),
        structure=data.get("structure", ""),
        region=data.get("region", ""),
        category=data.get("category", ""),
        role=data.get("role", ""),
        sort=request.GET.get("tri", "nom"),
    )
    people = selectors.person_list(user=request.user, filters=filters)
    if fmt := export_format(request):
        return table_response(
            fmt,
            selectors.PERSON_COLUMNS,
            selectors.person_rows(people),
            filename_stem="personnes",
            title="Personnes",
        )
    page = Paginator(people, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"form": form, "page_obj": page, "sort": filters.sort}
    return render_partial_or_full(
        request, "organisation/person_list.html", "organisation/includes/person_table.html", context
    )


@require_GET
def person_detail(request: HttpRequest, person_id: str) -> HttpResponse:
    person = get_visible_or_404(
        Person.objects.select_related("structure", "ministry_of_origin", "user"), request.user, pk=person_id
    )
    context = {
        "person": person,
        "abilities": person.get_abilities(request.user),
        "history": history_entries(person),
        **selectors.person_page(person=person),
    }
    return render(request, "organisation/person_detail.html", context)


def person_create(request: HttpRequest) -> HttpResponse:
    initial: dict[str, Any] = {}
    if structure_id := request.GET.get("structure"):
        structure = get_visible_or_404(Structure.objects, request.user, pk=structure_id)
        require_ability(structure, request.user, "add_person")
        initial["structure"] = structure
    else:
        require_user_ability(request.user, "organisation.add_person")
    form = PersonForm(request.POST or None, initial=initial, user=request.user)
    if request.method == "POST" and form.is_valid():
        person = run_service(form, lambda: services.person_create(by=request.user, **form.values()))
        if person is not None:
            messages.success(request, f"{person} a été ajouté(e) au référentiel.")
            return redirect("organisation:person_detail", person_id=person.pk)
    return render(request, "organisation/person_form.html", {"form": form, "person": None})


def person_edit(request: HttpRequest, person_id: str) -> HttpResponse:
    person = get_visible_or_404(Person.objects.select_related("structure"), request.user, pk=person_id)
    require_ability(person, request.user, "change")
    form = PersonForm(request.POST or None, instance=person, user=request.user)
    if request.method == "POST" and form.is_valid():
        saved = run_service(
            form,
            lambda: services.person_update(
                by=request.user, person=person, version=form.cleaned_data["version"], **form.values()
            ),
        )
        if saved is not None:
            messages.success(request, f"La fiche de {saved} a été modifiée.")
            return redirect("organisation:person_detail", person_id=saved.pk)
    return render(request, "organisation/person_form.html", {"form": form, "person": person})


def assignment_create(request: HttpRequest, person_id: str) -> HttpResponse:
    person = get_visible_or_404(Person.objects.select_related("structure"), request.user, pk=person_id)
    require_ability(person, request.user, "add_assignment")
    form = AssignmentForm(request.POST or None, initial={"structure": person.structure}, user=request.user)
    if request.method == "POST" and form.is_valid():
        assignment = run_service(
            form, lambda: services.assignment_create(by=request.user, person=person, **form.values())
        )
        if assignment is not None:
            messages.success(request, "L'affectation a été enregistrée.")
            return redirect("organisation:person_detail", person_id=person.pk)
    return render(
        request, "organisation/assignment_form.html", {"form": form, "person": person, "assignment": None}
    )


def assignment_edit(request: HttpRequest, assignment_id: str) -> HttpResponse:
    assignment = get_visible_or_404(
        Assignment.objects.select_related("person__structure", "structure"), request.user, pk=assignment_id
    )
    require_ability(assignment, request.user, "change")
    form = AssignmentForm(request.POST or None, instance=assignment, user=request.user)
    if request.method == "POST" and form.is_valid():
        saved = run_service(
            form,
            lambda: services.assignment_update(
                by=request.user, assignment=assignment, version=form.cleaned_data["version"], **form.values()
            ),
        )
        if saved is not None:
            messages.success(request, "L'affectation a été modifiée.")
            return redirect("organisation:person_detail", person_id=assignment.person_id)
    context = {"form": form, "person": assignment.person, "assignment": assignment}
    return render(request, "organisation/assignment_form.html", context)


# --- imports --------------------------------------------------------------------------------------
def import_start(request: HttpRequest) -> HttpResponse:
    """Upload a file: its preview runs in the background and the user follows it on the run's page."""
    require_user_ability(request.user, "organisation.import")
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        importer = IMPORTERS[form.cleaned_data["importer"]]
        upload = form.cleaned_data["file"]
        run = taskrun_start(
            kind="import",
            label=f"Aperçu de l'import « {importer.label} » — {upload.name}",
            owner=request.user,
            params={"importer": importer.name, "mode": "preview", "filename": upload.name},
            input_file=upload,
        )
        return redirect("core:taskrun_detail", taskrun_id=run.pk)
    importers = [IMPORTERS["organisation.structures"], IMPORTERS["organisation.people"]]
    return render(request, "organisation/import.html", {"form": form, "importers": importers})


@require_GET
def import_template(request: HttpRequest, importer: str, fmt: str) -> HttpResponse:
    """An empty file with the expected columns, to fill in."""
    importer_cls = IMPORTERS.get(f"organisation.{importer}")
    if importer_cls is None or fmt not in FORMATS:
        raise Http404
    headers = [column.label for column in importer_cls.columns]
    return table_response(fmt, headers, [], filename_stem=f"modele-{importer}", title=importer_cls.label)


# --- grants ---------------------------------------------------------------------------------------
@require_GET
def grant_log(request: HttpRequest) -> HttpResponse:
    """ "Droits attribués": who gave which role to whom, when (national steering only; 404 for others)."""
    require_user_ability(request.user, "organisation.grant_log")
    form = GrantLogFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    filters = selectors.GrantLogFilters(
        q=data.get("q", ""), role=data.get("role", ""), structure=data.get("structure", "")
    )
    records = selectors.grant_log(filters=filters)
    if fmt := export_format(request):
        return table_response(
            fmt,
            selectors.GRANT_LOG_COLUMNS,
            selectors.grant_log_rows(records),
            filename_stem="droits-attribues",
            title="Droits attribués",
        )
    page = Paginator(records, PAGE_SIZE).get_page(request.GET.get("page"))
    for record in page:
        record.operation = selectors.grant_operation(record)
    context = {"form": form, "page_obj": page}
    return render_partial_or_full(
        request, "organisation/grant_log.html", "organisation/includes/grant_table.html", context
    )
