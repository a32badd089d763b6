"""Pages of committees: thin, every write through the services, every object through its abilities."""

from __future__ import annotations

import re

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models.functions import Lower, Upper
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from bascule.committees import selectors, services
from bascule.committees.forms import (
    AgendaItemForm,
    AttendeesForm,
    CampaignForm,
    CompareForm,
    FollowUpForm,
    MeetingCreateForm,
    MeetingDecisionForm,
    MeetingForm,
    ReviewForm,
)
from bascule.committees.models import Campaign, Committee, Meeting, UpdateRequest
from bascule.core.access import get_visible_or_404, read_only_post, require_ability, require_user_ability
from bascule.core.exports import export_format, table_response
from bascule.core.fields import SEARCH_MAX
from bascule.core.forms import form_errors, run_service
from bascule.core.history import history_entries
from bascule.core.htmx import render_partial_or_full
from bascule.core.parsing import is_uuid
from bascule.core.services import taskrun_start
from bascule.organisation.models import Person, Structure
from bascule.organisation.selectors import visible_structure
from bascule.programmes.forms import ProgressForm
from bascule.programmes.models import Action, Decision, Status, Wave
from bascule.programmes.selectors import piloted_programmes
from bascule.programmes.services import progress_add

_MEETINGS = Meeting.objects.select_related("programme__owner", "structure")


@require_GET
def meeting_list(request: HttpRequest) -> HttpResponse:
    filters = selectors.MeetingFilters(
        programme=request.GET.get("programme", "")[:40],
        committee=request.GET.get("instance", "") if request.GET.get("instance") in Committee.values else "",
    )
    meetings = selectors.meeting_list(user=request.user, filters=filters)
    if fmt := export_format(request):
        rows = selectors.meeting_rows(meetings)
        return table_response(fmt, selectors.MEETING_COLUMNS, rows, filename_stem="comites", title="Comités")
    page = Paginator(meetings, 50).get_page(request.GET.get("page"))
    return render_partial_or_full(
        request,
        "committees/meeting_list.html",
        "committees/includes/meeting_table.html",
        {"page_obj": page, "committees": Committee.choices, "filters": filters},
    )


def meeting_create(request: HttpRequest) -> HttpResponse:
    require_user_ability(request.user, "committees.add_meeting")
    programmes, scopes = selectors.meeting_scopes(user=request.user)
    form = MeetingCreateForm(request.POST or None, programmes=programmes, scopes=scopes)
    if request.method == "POST" and form.is_valid():
        meeting = run_service(form, lambda: services.meeting_create(by=request.user, **form.values()))
        if meeting is not None:
            messages.success(request, f"La réunion « {meeting.title} » est créée.")
            return redirect("committees:meeting_detail", meeting_id=meeting.pk)
    return render(request, "committees/meeting_form.html", {"form": form, "meeting": None})


@require_GET
def meeting_detail(request: HttpRequest, meeting_id: str) -> HttpResponse:
    meeting = get_visible_or_404(_MEETINGS, request.user, pk=meeting_id)
    context = {
        "meeting": meeting,
        **selectors.meeting_page(user=request.user, meeting=meeting),
        "history": history_entries(meeting),
        "agenda_form": AgendaItemForm(
            workstreams=selectors.agenda_workstreams(user=request.user, meeting=meeting)
        ),
        "decision_form": MeetingDecisionForm(),
        "follow_up_form": FollowUpForm(),
        "attendees_form": AttendeesForm(),
        "compare_form": CompareForm(
            meetings=selectors.meetings_with_snapshot(user=request.user, meeting=meeting)
        ),
        "statuses": Status.choices,
    }
    return render(request, "committees/meeting_detail.html", context)


@require_GET
def meeting_state(request: HttpRequest, meeting_id: str) -> HttpResponse:
    """The actions as they stood at the meeting: the rows behind every figure of the dashboard "as of" it."""
    meeting = get_visible_or_404(_MEETINGS, request.user, pk=meeting_id)
    structure = visible_structure(user=request.user, pk=request.GET.get("dans", ""))
    number = request.GET.get("chantier", "")
    days = request.GET.get("a_jours", "")
    wave = request.GET.get("vague", "")
    filters = selectors.FrozenFilters(
        structure=structure,
        national=request.GET.get("national") == "on",
        own_level=request.GET.get("propre") == "on",
        wave=Wave.objects.filter(programme=meeting.programme, pk=wave).first() if is_uuid(wave) else None,
        workstream=int(number) if number.isdigit() and len(number) < 4 else None,
        status=request.GET.get("etat", "")[:20],
        late=request.GET.get("retard") == "on",
        soon_days=int(days) if days.isdigit() and len(days) < 4 else None,
        involving=request.GET.get("pilote", "")[:SEARCH_MAX],
    )
    rows = selectors.frozen_actions(user=request.user, meeting=meeting, filters=filters)
    if fmt := export_format(request):
        return table_response(
            fmt,
            selectors.FROZEN_COLUMNS,
            selectors.frozen_rows(rows),
            filename_stem=f"etat-{meeting.held_on:%Y-%m-%d}",
            title=f"État au {meeting.held_on:%d/%m/%Y}",
        )
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    context = {"meeting": meeting, "page_obj": page, "filters": filters, "statuses": Status.choices}
    return render_partial_or_full(
        request, "committees/meeting_state.html", "committees/includes/frozen_table.html", context
    )


def meeting_edit(request: HttpRequest, meeting_id: str) -> HttpResponse:
    meeting = get_visible_or_404(_MEETINGS, request.user, pk=meeting_id)
    require_ability(meeting, request.user, "change")
    form = MeetingForm(request.POST or None, instance=meeting)
    if request.method == "POST" and form.is_valid():
        saved = run_service(
            form,
            lambda: services.meeting_update(
                by=request.user, meeting=meeting, version=form.cleaned_data["version"], **form.values()
            ),
        )
        if saved is not None:
            messages.success(request, "La réunion est enregistrée.")
            return redirect("committees:meeting_detail", meeting_id=saved.pk)
    return render(request, "committees/meeting_form.html", {"form": form, "meeting": meeting})


_SPLIT = re.compile(r"[\s,;]+")


@require_POST
def meeting_attendees(request: HttpRequest, meeting_id: str) -> HttpResponse:
    meeting = get_visible_or_404(_MEETINGS, request.user, pk=meeting_id)
    require_ability(meeting, request.user, "change")
    form = AttendeesForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Participants non enregistrés : " + form_errors(form))
        return redirect("committees:meeting_detail", meeting_id=meeting.pk)
    emails = {e.lower() for e in _SPLIT.split(form.cleaned_data["people"]) if e}
    codes = {c.upper() for c in _SPLIT.split(form.cleaned_data["structures"]) if c}
    # Compared without case, as people type them (the database may compare case-sensitively).
    people = list(Person.objects.visible_to(request.user).annotate(key=Lower("email")).filter(key__in=emails))
    structures = list(
        Structure.objects.visible_to(request.user).annotate(key=Upper("code")).filter(key__in=codes)
    )
    unknown = sorted(emails - {p.email.lower() for p in people}) + sorted(
        codes - {s.code.upper() for s in structures}
    )
    if unknown:
        messages.error(
            request, "Inconnus dans votre périmètre : " + ", ".join(unknown[:20]) + ". Rien n'a changé."
        )
        return redirect("committees:meeting_detail", meeting_id=meeting.pk)
    services.meeting_set_attendees(by=request.user, meeting=meeting, people=people, structures=structures)
    messages.success(request, f"{len(people)} participant(s) et {len(structures)} structure(s) enregistrés.")
    return redirect("committees:meeting_detail", meeting_id=meeting.pk)


@require_POST
def agenda_item_add(request: HttpRequest, meeting_id: str) -> HttpResponse:
    meeting = get_visible_or_404(_MEETINGS, request.user, pk=meeting_id)
    require_ability(meeting, request.user, "add_agenda_item")
    form = AgendaItemForm(
        request.POST, workstreams=selectors.agenda_workstreams(user=request.user, meeting=meeting)
    )
    if form.is_valid():
        code = form.cleaned_data["action_code"].strip()
        action = None
        if code:
            action = (
                Action.objects.visible_to(request.user).filter(programme=meeting.programme, code=code).first()
            )
        if code and action is None:
            messages.error(request, f"Aucune action n° « {code} » de ce programme dans votre périmètre.")
        else:
            services.agenda_item_add(
                by=request.user,
                meeting=meeting,
                title=form.cleaned_data["title"],
                action=action,
                workstream=form.cleaned_data["workstream"],
            )
            messages.success(request, "Le point est ajouté à l'ordre du jour.")
    else:
        messages.error(request, "Point non ajouté : " + form_errors(form))
    return redirect("committees:meeting_detail", meeting_id=meeting.pk)


@require_POST
def decision_add(request: HttpRequest, meeting_id: str) -> HttpResponse:
    meeting = get_visible_or_404(_MEETINGS, request.user, pk=meeting_id)
    require_ability(meeting, request.user, "add_decision")
    form = MeetingDecisionForm(request.POST)
    if form.is_valid():
        data = dict(form.cleaned_data)
        code = data.pop("owner_code").strip()
        owner = Structure.objects.visible_to(request.user).filter(code__iexact=code).first() if code else None
        if code and owner is None:
            messages.error(
                request, f"Aucune structure « {code} » dans votre périmètre : décision non enregistrée."
            )
        else:
            services.meeting_decision_add(by=request.user, meeting=meeting, owner=owner, **data)
            messages.success(
                request, "La décision est enregistrée ; elle sera suivie aux prochaines réunions."
            )
    else:
        messages.error(request, "Décision non enregistrée : " + form_errors(form))
    return redirect("committees:meeting_detail", meeting_id=meeting.pk)


@require_POST
def decision_follow_up(request: HttpRequest, decision_id: str) -> HttpResponse:
    decision = get_visible_or_404(
        Decision.objects.select_related("programme__owner", "meeting__structure"),
        request.user,
        pk=decision_id,
    )
    require_ability(decision, request.user, "follow_up")
    form = FollowUpForm(request.POST)
    if form.is_valid():
        services.decision_follow_up(by=request.user, decision=decision, **form.cleaned_data)
        messages.success(request, f"Suivi de la décision « {decision.title} » enregistré.")
    else:
        messages.error(request, "Suivi non enregistré : " + form_errors(form))
    back = request.POST.get("meeting")
    meeting = Meeting.objects.visible_to(request.user).filter(pk=back).first() if back else None
    target = meeting or decision.meeting
    if target is not None:
        return redirect("committees:meeting_detail", meeting_id=target.pk)
    return redirect("programmes:programme_detail", programme_id=decision.programme_id)


@require_POST
def snapshot_take(request: HttpRequest, meeting_id: str) -> HttpResponse:
    meeting = get_visible_or_404(_MEETINGS, request.user, pk=meeting_id)
    require_ability(meeting, request.user, "snapshot")
    snapshot = services.snapshot_take(by=request.user, meeting=meeting)
    messages.success(request, f"État figé : {snapshot.action_count} action(s).")
    return redirect("committees:meeting_detail", meeting_id=meeting.pk)


@require_GET
def meeting_compare(request: HttpRequest, meeting_id: str) -> HttpResponse:
    meeting = get_visible_or_404(_MEETINGS, request.user, pk=meeting_id)
    others = selectors.meetings_with_snapshot(user=request.user, meeting=meeting)
    form = CompareForm(request.GET or None, meetings=others)
    comparison = None
    if form.is_valid() and hasattr(meeting, "snapshot"):
        other = next(m for m in others if str(m.pk) == form.cleaned_data["other"])
        comparison = selectors.compare_meetings(user=request.user, before=other, after=meeting)
        if fmt := export_format(request):
            rows = selectors.comparison_rows(comparison)
            return table_response(
                fmt,
                selectors.COMPARISON_COLUMNS,
                rows,
                filename_stem="comparaison-comites",
                title="Comparaison",
            )
    context = {"meeting": meeting, "form": form, "comparison": comparison}
    return render(request, "committees/meeting_compare.html", context)


# --- update campaigns --------------------------------------------------------------------------------
_CAMPAIGNS = Campaign.objects.select_related("programme__owner", "meeting")
_REQUESTS = UpdateRequest.objects.select_related("structure", "respondent", "campaign__programme__owner")


@require_GET
def campaign_list(request: HttpRequest) -> HttpResponse:
    context = {
        "campaigns": list(selectors.campaign_list(user=request.user)),
        "mine": list(selectors.my_requests(user=request.user)),
    }
    return render(request, "committees/campaign_list.html", context)


def campaign_create(request: HttpRequest) -> HttpResponse:
    require_user_ability(request.user, "committees.add_campaign")
    form = CampaignForm(request.POST or None, programmes=piloted_programmes(user=request.user))
    if request.method == "POST" and form.is_valid():
        campaign = run_service(form, lambda: services.campaign_create(by=request.user, **form.cleaned_data))
        if campaign is not None:
            messages.success(request, "La campagne est prête : vérifiez-la puis ouvrez-la.")
            return redirect("committees:campaign_detail", campaign_id=campaign.pk)
    return render(request, "committees/campaign_form.html", {"form": form})


@require_GET
def campaign_detail(request: HttpRequest, campaign_id: str) -> HttpResponse:
    campaign = get_visible_or_404(_CAMPAIGNS, request.user, pk=campaign_id)
    context = {
        "campaign": campaign,
        **selectors.campaign_page(user=request.user, campaign=campaign),
        "review_form": ReviewForm(),
        "history": history_entries(campaign),
    }
    return render(request, "committees/campaign_detail.html", context)


@require_POST
def campaign_open(request: HttpRequest, campaign_id: str) -> HttpResponse:
    campaign = get_visible_or_404(_CAMPAIGNS, request.user, pk=campaign_id)
    require_ability(campaign, request.user, "open")
    try:
        services.campaign_open(by=request.user, campaign=campaign)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        failed = campaign.requests.exclude(mail_error="").count()
        note = f" ; {failed} courriel(s) non parti(s), voir le tableau" if failed else ""
        messages.success(request, f"Campagne ouverte : {campaign.requests.count()} demande(s){note}.")
    return redirect("committees:campaign_detail", campaign_id=campaign.pk)


@require_POST
def campaign_close(request: HttpRequest, campaign_id: str) -> HttpResponse:
    campaign = get_visible_or_404(_CAMPAIGNS, request.user, pk=campaign_id)
    require_ability(campaign, request.user, "close")
    services.campaign_close(by=request.user, campaign=campaign)
    messages.success(request, "La campagne est close.")
    return redirect("committees:campaign_detail", campaign_id=campaign.pk)


@require_GET
def request_detail(request: HttpRequest, updaterequest_id: str) -> HttpResponse:
    update = get_visible_or_404(_REQUESTS, request.user, pk=updaterequest_id)
    context = {
        "update": update,
        **selectors.request_page(user=request.user, request=update),
        "progress_form": ProgressForm(initial={"on": timezone.localdate()}),
    }
    return render(request, "committees/request_detail.html", context)


@require_POST
def request_progress(request: HttpRequest, updaterequest_id: str) -> HttpResponse:
    """A progress note on one of the request's actions, written by programme steering's own service."""
    update = get_visible_or_404(_REQUESTS, request.user, pk=updaterequest_id)
    require_ability(update, request.user, "answer")
    wanted = request.POST.get("action")
    action = update.actions.filter(pk=wanted).first() if is_uuid(wanted) else None
    if action is None:
        messages.error(request, "Cette action ne fait pas partie de la demande.")
        return redirect("committees:request_detail", updaterequest_id=update.pk)
    form = ProgressForm(request.POST)
    if form.is_valid():
        progress_add(by=request.user, action=action, **form.cleaned_data)
        messages.success(request, f"Avancement de l'action {action.code} enregistré.")
    else:
        messages.error(request, f"Action {action.code} non mise à jour : " + form_errors(form))
    return redirect("committees:request_detail", updaterequest_id=update.pk)


@require_POST
def request_answer(request: HttpRequest, updaterequest_id: str) -> HttpResponse:
    update = get_visible_or_404(_REQUESTS, request.user, pk=updaterequest_id)
    require_ability(update, request.user, "answer")
    services.request_answer(by=request.user, request=update)
    messages.success(request, "Merci : votre mise à jour est transmise au pilotage national.")
    return redirect("committees:request_detail", updaterequest_id=update.pk)


@require_POST
def request_review(request: HttpRequest, updaterequest_id: str) -> HttpResponse:
    update = get_visible_or_404(_REQUESTS, request.user, pk=updaterequest_id)
    require_ability(update, request.user, "review")
    form = ReviewForm(request.POST)
    if form.is_valid():
        accept = form.cleaned_data["accept"] == "1"
        try:
            services.request_review(
                by=request.user, request=update, accept=accept, comment=form.cleaned_data["comment"]
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(
                request, f"{update.structure.code} : réponse {'validée' if accept else 'renvoyée'}."
            )
    else:
        messages.error(request, "Avis non enregistré : " + form_errors(form))
    return redirect("committees:campaign_detail", campaign_id=update.campaign_id)


@read_only_post
@require_POST
def meeting_report(request: HttpRequest, meeting_id: str) -> HttpResponse:
    """Start the committee report (PDF or ODT) in the background; its page offers the download when done."""
    meeting = get_visible_or_404(_MEETINGS, request.user, pk=meeting_id)
    fmt = "odt" if request.POST.get("format") == "odt" else "pdf"
    run = taskrun_start(
        kind="committees.report",
        label=f"Relevé ({fmt.upper()}) — {meeting}",
        owner=request.user,
        params={"meeting": str(meeting.pk), "format": fmt},
    )
    return redirect("core:taskrun_detail", taskrun_id=run.pk)
