"""Pages of the role catalogue and of the service links between structures. Thin: forms, selectors, services."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from bascule.core.access import get_visible_or_404, require_ability, require_user_ability
from bascule.core.exports import export_format, table_response
from bascule.core.forms import form_errors, run_service
from bascule.core.history import history_entries
from bascule.organisation import selectors, services
from bascule.organisation.forms import ContractForm, RoleForm, ServiceLinkForm
from bascule.organisation.models import ContractVersion, RoleDefinition, ServiceLink, Structure


# --- the role catalogue -------------------------------------------------------------------------------
@require_GET
def role_list(request: HttpRequest) -> HttpResponse:
    context = selectors.role_catalogue_page(user=request.user)
    if fmt := export_format(request):
        return table_response(
            fmt,
            selectors.ROLE_COLUMNS,
            selectors.role_rows(context["roles"]),
            filename_stem="roles",
            title="Catalogue des rôles",
        )
    return render(request, "organisation/role_list.html", context)


def role_create(request: HttpRequest) -> HttpResponse:
    require_user_ability(request.user, "organisation.manage_roles")
    form = RoleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        role = run_service(form, lambda: services.role_create(by=request.user, **form.values()))
        if role is not None:
            messages.success(request, f"Le rôle « {role.name} » est ajouté au catalogue.")
            return redirect("organisation:role_list")
    return render(request, "organisation/role_form.html", {"form": form, "role": None})


def role_edit(request: HttpRequest, roledefinition_id: str) -> HttpResponse:
    role = get_visible_or_404(RoleDefinition.objects, request.user, pk=roledefinition_id)
    require_ability(role, request.user, "change")
    form = RoleForm(request.POST or None, instance=role)
    if request.method == "POST" and form.is_valid():
        saved = run_service(
            form,
            lambda: services.role_update(
                by=request.user, role=role, version=form.cleaned_data["version"], **form.values()
            ),
        )
        if saved is not None:
            messages.success(request, f"Le rôle « {saved.name} » est modifié.")
            return redirect("organisation:role_list")
    context = {"form": form, "role": role, "history": history_entries(role)}
    return render(request, "organisation/role_form.html", context)


@require_POST
def role_delete(request: HttpRequest, roledefinition_id: str) -> HttpResponse:
    role = get_visible_or_404(RoleDefinition.objects, request.user, pk=roledefinition_id)
    require_ability(role, request.user, "delete")
    try:
        services.role_delete(by=request.user, role=role)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
    else:
        messages.success(request, f"Le rôle « {role.name} » est retiré du catalogue.")
    return redirect("organisation:role_list")


# --- service links ------------------------------------------------------------------------------------
@require_GET
def service_link_list(request: HttpRequest) -> HttpResponse:
    links = selectors.service_link_list(user=request.user)
    if fmt := export_format(request):
        return table_response(
            fmt,
            selectors.SERVICE_LINK_COLUMNS,
            selectors.service_link_rows(links),
            filename_stem="liens-de-service",
            title="Liens de service",
        )
    return render(request, "organisation/service_link_list.html", {"links": links})


def service_link_create(request: HttpRequest) -> HttpResponse:
    require_user_ability(request.user, "organisation.add_structure")  # some structure to edit
    initial = {}
    if client := request.GET.get("servie"):
        initial["client"] = get_visible_or_404(Structure.objects, request.user, pk=client)
    form = ServiceLinkForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        link = run_service(form, lambda: services.service_link_create(by=request.user, **form.values()))
        if link is not None:
            messages.success(request, f"Lien enregistré : {link}.")
            return redirect("organisation:service_link_detail", servicelink_id=link.pk)
    return render(request, "organisation/service_link_form.html", {"form": form, "link": None})


@require_GET
def service_link_detail(request: HttpRequest, servicelink_id: str) -> HttpResponse:
    link = get_visible_or_404(
        ServiceLink.objects.select_related("client", "provider"), request.user, pk=servicelink_id
    )
    context = {
        "link": link,
        "abilities": link.get_abilities(request.user),
        "contracts": link.contracts.select_related("deposited_by"),
        "contract_form": ContractForm(),
        "history": history_entries(link),
    }
    return render(request, "organisation/service_link_detail.html", context)


def service_link_edit(request: HttpRequest, servicelink_id: str) -> HttpResponse:
    link = get_visible_or_404(
        ServiceLink.objects.select_related("client", "provider"), request.user, pk=servicelink_id
    )
    require_ability(link, request.user, "change")
    form = ServiceLinkForm(request.POST or None, instance=link, user=request.user)
    if request.method == "POST" and form.is_valid():
        saved = run_service(
            form,
            lambda: services.service_link_update(
                by=request.user, link=link, version=form.cleaned_data["version"], **form.values()
            ),
        )
        if saved is not None:
            messages.success(request, "Le lien de service est modifié.")
            return redirect("organisation:service_link_detail", servicelink_id=link.pk)
    return render(request, "organisation/service_link_form.html", {"form": form, "link": link})


@require_POST
def contract_deposit(request: HttpRequest, servicelink_id: str) -> HttpResponse:
    link = get_visible_or_404(
        ServiceLink.objects.select_related("client", "provider"), request.user, pk=servicelink_id
    )
    require_ability(link, request.user, "add_contract")
    form = ContractForm(request.POST, request.FILES)
    if form.is_valid():
        version = services.contract_deposit(
            by=request.user,
            link=link,
            upload=form.cleaned_data["upload"],
            comment=form.cleaned_data["comment"],
        )
        messages.success(request, f"Version {version.number} du contrat de service déposée.")
    else:
        messages.error(request, "Aucun contrat déposé : " + form_errors(form))
    return redirect("organisation:service_link_detail", servicelink_id=link.pk)


@require_GET
def contract_download(request: HttpRequest, contractversion_id: str) -> FileResponse:
    version = get_visible_or_404(
        ContractVersion.objects.select_related("link__client", "link__provider"),
        request.user,
        pk=contractversion_id,
    )
    return FileResponse(version.file.open("rb"), as_attachment=True, filename=version.filename)
