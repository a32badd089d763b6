"""Pages that set a programme up: create, edit, close, reopen, copy, reference documents; waves (create, edit,
move with a preview of what follows, remove) and instancing for a wave. Thin: forms, selectors, services."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from bascule.core.access import get_visible_or_404, require_ability, require_user_ability
from bascule.core.forms import form_errors, run_service
from bascule.core.history import history_entries
from bascule.core.locking import ConflictError
from bascule.programmes import services, setup
from bascule.programmes.forms import DocumentForm, ProgrammeCopyForm, ProgrammeForm, WaveForm, WaveMoveForm
from bascule.programmes.models import Programme, ProgrammeDocument, Wave


def _refusal(exc: Exception) -> str:
    return " ".join(getattr(exc, "messages", None) or [str(exc)])


def programme_create(request: HttpRequest) -> HttpResponse:
    require_user_ability(request.user, "programmes.add_programme")
    form = ProgrammeForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        programme = run_service(
            form,
            lambda: services.programme_create(
                by=request.user,
                standard_workstreams=form.cleaned_data["standard_workstreams"],
                **form.values(),
            ),
        )
        if programme is not None:
            messages.success(
                request, f"Le programme {programme.code} est créé : complétez sa liste de mise en place."
            )
            return redirect("programmes:programme_detail", programme_id=programme.pk)
    return render(request, "programmes/programme_form.html", {"form": form, "programme": None})


def programme_edit(request: HttpRequest, programme_id: str) -> HttpResponse:
    programme = get_visible_or_404(Programme.objects.select_related("owner"), request.user, pk=programme_id)
    require_ability(programme, request.user, "change")
    form = ProgrammeForm(request.POST or None, instance=programme, user=request.user)
    if request.method == "POST" and form.is_valid():
        values = form.values()
        saved = run_service(
            form,
            lambda: setup.programme_update(
                by=request.user, programme=programme, version=form.cleaned_data["version"], **values
            ),
        )
        if saved is not None:
            messages.success(request, f"Le programme {saved.code} est modifié.")
            return redirect("programmes:programme_detail", programme_id=saved.pk)
    context = {"form": form, "programme": programme, "history": history_entries(programme)}
    return render(request, "programmes/programme_form.html", context)


@require_POST
def programme_close(request: HttpRequest, programme_id: str) -> HttpResponse:
    programme = get_visible_or_404(Programme.objects.select_related("owner"), request.user, pk=programme_id)
    reopen = "rouvrir" in request.POST
    require_ability(programme, request.user, "reopen" if reopen else "close")
    version = int(request.POST.get("version") or 0)
    try:
        if reopen:
            setup.programme_reopen(by=request.user, programme=programme, version=version)
            messages.success(request, f"Le programme {programme.code} est rouvert.")
        else:
            setup.programme_close(by=request.user, programme=programme, version=version)
            messages.success(request, f"Le programme {programme.code} est clos : il reste consultable.")
    except (ValidationError, PermissionDenied, ConflictError) as exc:
        messages.error(request, _refusal(exc))
    return redirect("programmes:programme_detail", programme_id=programme.pk)


def programme_copy(request: HttpRequest, programme_id: str) -> HttpResponse:
    source = get_visible_or_404(Programme.objects.select_related("owner"), request.user, pk=programme_id)
    require_ability(source, request.user, "copy")
    form = ProgrammeCopyForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        done = run_service(
            form, lambda: setup.programme_copy(by=request.user, source=source, **form.cleaned_data)
        )
        if done is not None:
            target, copied = done
            messages.success(
                request, f"Le programme {target.code} reprend de {source.code} : " + ", ".join(copied) + "."
            )
            return redirect("programmes:programme_detail", programme_id=target.pk)
    return render(request, "programmes/programme_copy.html", {"form": form, "source": source})


@require_POST
def document_deposit(request: HttpRequest, programme_id: str) -> HttpResponse:
    programme = get_visible_or_404(Programme.objects.select_related("owner"), request.user, pk=programme_id)
    require_ability(programme, request.user, "add_document")
    form = DocumentForm(request.POST, request.FILES)
    if form.is_valid():
        document = setup.document_deposit(
            by=request.user,
            programme=programme,
            title=form.cleaned_data["title"],
            upload=form.cleaned_data["upload"],
            comment=form.cleaned_data["comment"],
        )
        messages.success(request, f"« {document.title} » déposé (version {document.number}).")
    else:
        messages.error(request, "Aucun document déposé : " + form_errors(form))
    return redirect("programmes:programme_detail", programme_id=programme.pk)


@require_GET
def document_download(request: HttpRequest, programmedocument_id: str) -> FileResponse:
    document = get_visible_or_404(ProgrammeDocument.objects, request.user, pk=programmedocument_id)
    return FileResponse(document.file.open("rb"), as_attachment=True, filename=document.filename)


# --- waves ------------------------------------------------------------------------------------------------
def _wave_structures(form: WaveForm, user: Any) -> list[Any] | None:
    """The structures picked in the tree, pasted or read as codes (a spreadsheet's « Code » column), or « every
    structure of these kinds below »."""
    data = form.cleaned_data
    chosen = list(data.get("structures") or [])
    codes = data["codes"].replace(";", "\n").splitlines() if data.get("codes") else []
    if upload := data.get("codes_file"):
        try:
            codes += setup.codes_from_spreadsheet(upload.read(), upload.name)
        except ValidationError as exc:
            form.add_error("codes_file", " ".join(exc.messages))
            return None
    if codes:
        found, missing = setup.structures_from_codes(by=user, codes=codes)
        if missing:
            form.add_error("codes", "Codes inconnus ou hors de votre périmètre : " + ", ".join(missing[:20]))
            return None
        chosen += found
    if data.get("kinds"):
        if not data.get("below"):
            form.add_error("below", "Choisissez sous quelles structures prendre ces types.")
            return None
        chosen += setup.structures_of_kinds(by=user, kinds=data["kinds"], below=data["below"])
    return list({s.pk: s for s in chosen}.values())


def wave_create(request: HttpRequest, programme_id: str) -> HttpResponse:
    programme = get_visible_or_404(Programme.objects.select_related("owner"), request.user, pk=programme_id)
    require_ability(programme, request.user, "add_wave")
    form = WaveForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        structures = _wave_structures(form, request.user)
        if structures is not None:
            wave = run_service(
                form,
                lambda: services.wave_create(
                    by=request.user,
                    programme=programme,
                    structures=structures,
                    budget_programmes=setup.parse_budget_codes(form.cleaned_data["budget_text"]),
                    **form.values(),
                ),
            )
            if wave is not None:
                messages.success(request, f"« {wave} » est créée ({len(structures)} structures).")
                return redirect("programmes:programme_detail", programme_id=programme.pk)
    return render(request, "programmes/wave_form.html", {"form": form, "programme": programme, "wave": None})


def wave_edit(request: HttpRequest, wave_id: str) -> HttpResponse:
    wave = get_visible_or_404(Wave.objects.select_related("programme__owner"), request.user, pk=wave_id)
    require_ability(wave, request.user, "change")
    form = WaveForm(request.POST or None, request.FILES or None, instance=wave, user=request.user)
    if request.method == "POST" and form.is_valid():
        structures = _wave_structures(form, request.user)
        if structures is not None:
            saved = run_service(
                form,
                lambda: setup.wave_update(
                    by=request.user,
                    wave=wave,
                    version=form.cleaned_data["version"],
                    structures=structures,
                    budget_programmes=setup.parse_budget_codes(form.cleaned_data["budget_text"]),
                    **form.values(),
                ),
            )
            if saved is not None:
                messages.success(request, f"« {saved} » est modifiée.")
                return redirect("programmes:programme_detail", programme_id=wave.programme_id)
    context = {"form": form, "programme": wave.programme, "wave": wave, "history": history_entries(wave)}
    return render(request, "programmes/wave_form.html", context)


def wave_move(request: HttpRequest, wave_id: str) -> HttpResponse:
    """First the consequences of the new date (nothing written), then, confirmed, everything moved at once."""
    wave = get_visible_or_404(Wave.objects.select_related("programme__owner"), request.user, pk=wave_id)
    require_ability(wave, request.user, "move")
    form = WaveMoveForm(
        request.POST or None, initial={"version": wave.version, "golive_date": wave.golive_date}
    )
    consequences = None
    if request.method == "POST" and form.is_valid():
        new_date = form.cleaned_data["golive_date"]
        if form.cleaned_data["confirm"]:
            done = run_service(
                form,
                lambda: setup.wave_move(
                    by=request.user, wave=wave, version=form.cleaned_data["version"], golive_date=new_date
                ),
            )
            if done is not None:
                saved, moved = done
                messages.success(
                    request,
                    f"« {saved} » déplacée ; {sum(moved.values())} éléments dépendants déplacés avec elle.",
                )
                return redirect("programmes:programme_detail", programme_id=wave.programme_id)
        else:
            consequences = setup.wave_move_preview(by=request.user, wave=wave, golive_date=new_date)
    context = {"form": form, "wave": wave, "programme": wave.programme, "consequences": consequences}
    return render(request, "programmes/wave_move.html", context)


@require_POST
def wave_delete(request: HttpRequest, wave_id: str) -> HttpResponse:
    wave = get_visible_or_404(Wave.objects.select_related("programme__owner"), request.user, pk=wave_id)
    require_ability(wave, request.user, "delete")
    try:
        setup.wave_delete(by=request.user, wave=wave)
    except ValidationError as exc:
        messages.error(request, _refusal(exc))
    else:
        messages.success(request, f"La vague « {wave.name} » est supprimée.")
    return redirect("programmes:programme_detail", programme_id=wave.programme_id)


@require_POST
def wave_instantiate(request: HttpRequest, wave_id: str) -> HttpResponse:
    """Instance the workstreams in the wave's regions and departments the user edits (a second time: nothing new)."""
    wave = get_visible_or_404(Wave.objects.select_related("programme__owner"), request.user, pk=wave_id)
    require_ability(wave.programme, request.user, "instantiate")
    try:
        created = services.workstreams_instantiate(by=request.user, programme=wave.programme, wave=wave)
    except PermissionDenied as exc:
        messages.error(request, _refusal(exc))
    else:
        messages.success(
            request, f"{len(created)} chantiers créés pour « {wave.name} » (les existants sont conservés)."
        )
    return redirect("programmes:programme_detail", programme_id=wave.programme_id)
