"""Pages of the support desk's tickets: thin, every write through the services, every read through the selectors.
The knowledge base, anomalies, mailboxes and service levels have their pages in `views_kb.py`."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from bascule.assistance import knowledge, selectors, services
from bascule.assistance.forms import (
    AnswerDownForm,
    EscalateForm,
    LinkAnomalyForm,
    NoteForm,
    PhoneIntakeForm,
    RateForm,
    ReplyForm,
    RequesterReplyForm,
    TicketFilterForm,
    TicketForm,
    VersionForm,
)
from bascule.assistance.models import Article, Attachment, Channel, Ticket
from bascule.core.access import get_visible_or_404, require_user_ability, self_service
from bascule.core.exports import export_format, table_response
from bascule.core.forms import form_errors, run_service
from bascule.core.history import history_entries
from bascule.core.htmx import render_partial_or_full
from bascule.organisation.models import Person

_TICKETS = Ticket.objects.select_related(
    "programme__owner",
    "workstream",
    "structure",
    "handling_structure",
    "level1_structure",
    "assignee__person",
    "requester",
    "anomaly",
    "parent",
)
EXPORT_HEADERS = [
    "Numéro",
    "Objet",
    "Programme",
    "Chantier",
    "Structure",
    "Demandeur",
    "Canal",
    "Catégorie",
    "Priorité",
    "État",
    "Niveau",
    "Traité par",
    "Créé le",
    "Résolution attendue avant",
    "Résolu le",
    "Hors délai",
]


def _export_rows(tickets: Any) -> Any:
    for t in tickets:
        yield [
            t.number,
            t.subject,
            t.programme.code,
            str(t.workstream or ""),
            t.structure.code,
            t.requester_name or t.requester_email,
            t.get_channel_display(),
            t.get_category_display(),
            t.get_priority_display(),
            t.get_status_display(),
            t.level,
            t.handling_structure.name,
            timezone.localtime(t.created_at).strftime("%d/%m/%Y %H:%M"),
            timezone.localtime(t.resolution_due).strftime("%d/%m/%Y %H:%M") if t.resolution_due else "",
            timezone.localtime(t.solved_at).strftime("%d/%m/%Y %H:%M") if t.solved_at else "",
            "oui" if t.first_response_breached or t.resolution_breached else "non",
        ]


@require_GET
def ticket_list(request: HttpRequest) -> HttpResponse:
    """Tickets in the perimeter (and one's own): filtered, searched, sorted, paginated, exported."""
    form = TicketFilterForm(request.GET or None, user=request.user)
    filters = selectors.TicketFilters(status="open")
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        filters = selectors.TicketFilters(
            status=data["etat"],
            level=data["niveau"],
            programme=data["programme"],
            workstream=data["chantier"],
            structure_code=data["structure"],
            mine=data["mes_tickets"],
            text=data["q"],
            order=data["tri"] or "-created_at",
        )
    tickets = selectors.ticket_list(user=request.user, filters=filters)
    if fmt := export_format(request):
        return table_response(
            fmt, EXPORT_HEADERS, _export_rows(tickets), filename_stem="tickets", title="Tickets"
        )
    page = Paginator(tickets, 25).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page_obj": page,
        "queue": selectors.queue(user=request.user)[:10] if not request.GET else [],
        "can_take_calls": selectors.can_take_calls(request.user),
    }
    return render_partial_or_full(
        request, "assistance/ticket_list.html", "assistance/_ticket_table.html", context
    )


def _own_person(request: HttpRequest) -> Person | None:
    return Person.objects.select_related("structure").filter(user_id=request.user.pk).first()  # type: ignore[misc]


@self_service
def ticket_create(request: HttpRequest) -> HttpResponse:
    """A user asks for help for themselves (their own request: any account linked to a person)."""
    person = _own_person(request)
    form = TicketForm(request.POST or None, user=request.user)
    if request.method == "POST" and person is None:
        form.add_error(
            None, "Votre compte n'est relié à aucune personne du référentiel : appelez votre référent."
        )
    elif request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        ticket = run_service(
            form,
            lambda: services.ticket_create(
                by=request.user,
                programme=data["programme"],
                subject=data["subject"],
                body=data["body"],
                requester=person,
                channel=Channel.WEB,
                category=data["category"],
                domain=data["domain"],
                workstream=data["workstream"],
            ),
        )
        if ticket is not None:
            messages.success(request, f"Demande enregistrée sous le numéro #{ticket.number}.")
            return redirect("assistance:ticket_detail", ticket_id=ticket.pk)
    return render(request, "assistance/ticket_form.html", {"form": form, "person": person})


def phone_intake(request: HttpRequest) -> HttpResponse:
    """One screen for a call: requester searched as you type, suggestions as the question is typed, and « solved on
    the phone » in one click (counted as solved at level 1)."""
    require_user_ability(request.user, "assistance.intake")
    form = PhoneIntakeForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        person = None
        if data["requester"]:
            person = (
                Person.objects.visible_to(request.user)
                .select_related("structure")
                .filter(pk=data["requester"])
                .first()
            )
            if person is None:
                form.add_error(None, "Cette personne n'est pas dans votre périmètre.")
        # A caller outside the referential belongs to the referent's own structure (their level 1).
        own = _own_person(request)
        structure = None if person is not None else (own.structure if own else None)
        if person is None and not data["requester_email"]:
            form.add_error(
                "requester_email", "Choisissez la personne qui appelle, ou saisissez son courriel."
            )
        solved = "resolu" in request.POST
        if solved and not data["answer"].strip():
            form.add_error(
                "answer", "Notez la réponse donnée au téléphone : elle nourrit la base de connaissances."
            )
        if not form.errors:
            body = data["body"] + (f"\n\nRéponse donnée au téléphone :\n{data['answer']}" if solved else "")
            ticket = run_service(
                form,
                lambda: services.ticket_create(
                    by=request.user,
                    programme=data["programme"],
                    subject=data["subject"],
                    body=body,
                    requester=person,
                    requester_email=data["requester_email"],
                    requester_name=data["requester_name"],
                    structure=structure,
                    channel=Channel.PHONE,
                    category=data["category"],
                    domain=data["domain"],
                    priority=data["priority"],
                    workstream=data["workstream"],
                    solved_on_phone=solved,
                ),
            )
            if ticket is not None:
                text = "résolu au téléphone" if solved else "enregistré au niveau 1"
                messages.success(request, f"Ticket #{ticket.number} {text}.")
                if solved:  # the referent is ready for the next call
                    return redirect("assistance:phone_intake")
                return redirect("assistance:ticket_detail", ticket_id=ticket.pk)
    return render(request, "assistance/phone_intake.html", {"form": form})


@require_GET
def people_search(request: HttpRequest) -> HttpResponse:
    """The requester search of the phone screen (htmx): people of the perimeter by name or e-mail."""
    require_user_ability(request.user, "assistance.intake")
    text = request.GET.get("personne", "").strip()[:100]
    people: list[Person] = []
    if len(text) >= 2:
        from django.db.models import Q

        people = list(
            Person.objects.visible_to(request.user)
            .filter(Q(last_name__icontains=text) | Q(first_name__icontains=text) | Q(email__icontains=text))
            .select_related("structure")[:10]
        )
    return render(request, "assistance/_people.html", {"people": people, "text": text})


@require_GET
def suggest(request: HttpRequest) -> HttpResponse:
    """Articles and similar open tickets for the question being typed (htmx)."""
    text = f"{request.GET.get('subject', '')} {request.GET.get('body', '')}".strip()[:1000]
    programme = None
    try:
        wanted = uuid.UUID(request.GET.get("programme", ""))
    except ValueError:
        wanted = None
    if wanted is not None:
        from bascule.programmes.models import Programme

        programme = Programme.objects.filter(pk=wanted).first()
    return render(
        request,
        "assistance/_suggestions.html",
        {
            "articles": selectors.suggest(programme=programme, text=text),
            "tickets": selectors.similar_open_tickets(user=request.user, programme=programme, text=text),
        },
    )


@require_GET
def ticket_detail(request: HttpRequest, ticket_id: str) -> HttpResponse:
    ticket = get_visible_or_404(_TICKETS, request.user, pk=ticket_id)
    context = selectors.ticket_page(ticket=ticket, user=request.user)
    abilities = context["abilities"]
    version = {"version": ticket.version}
    pending = context["pending_answer"]
    # One page, several forms: each has its own ids (their fields share names such as « body »).
    context.update(
        reply_form=ReplyForm(
            initial={**version, "body": pending.body if pending else ""}, auto_id="repondre_%s"
        ),
        note_form=NoteForm(auto_id="note_%s"),
        escalate_form=EscalateForm(initial=version, auto_id="escalade_%s"),
        answer_form=AnswerDownForm(initial=version, auto_id="niveau1_%s"),
        version_form=VersionForm(initial=version, auto_id=False),
        requester_form=RequesterReplyForm(auto_id="demandeur_%s"),
        rate_form=RateForm(auto_id="avis_%s"),
        anomaly_form=LinkAnomalyForm(
            initial={"version": ticket.version, "anomaly": ticket.anomaly_id},
            programme=ticket.programme,
            auto_id="anomalie_%s",
        )
        if abilities["link_anomaly"]
        else None,
        suggestions=selectors.suggestions_for(ticket)
        if abilities["requester_reply"] and ticket.is_open
        else [],
        history=history_entries(ticket) if context["support"] else [],
    )
    return render(request, "assistance/ticket_detail.html", context)


def _guard(request: HttpRequest, ticket_id: str, *abilities: str) -> Ticket:
    """The ticket, or 404; 403 before any form is read when the user may do none of `abilities` on it."""
    ticket = get_visible_or_404(_TICKETS, request.user, pk=ticket_id)
    granted = ticket.get_abilities(request.user)
    if not any(granted.get(name) for name in abilities):
        raise PermissionDenied(services.NOT_HANDLER)
    return ticket


TicketCall = Callable[[HttpRequest, Ticket, dict[str, Any]], Any]


def _ticket_action(
    abilities: tuple[str, ...], form_class: type[forms.Form], call: TicketCall, done: str
) -> Any:
    """A POST-only page running one ticket service from its form; the outcome is a message on the ticket page."""

    @require_POST
    def view(request: HttpRequest, ticket_id: str) -> HttpResponse:
        ticket = _guard(request, ticket_id, *abilities)
        extra: dict[str, Any] = {"programme": ticket.programme} if form_class is LinkAnomalyForm else {}
        form = form_class(request.POST, **extra)
        if (
            form.is_valid()
            and run_service(form, lambda: call(request, ticket, form.cleaned_data)) is not None
        ):
            messages.success(request, done)
        else:
            messages.error(request, form_errors(form))
        return redirect("assistance:ticket_detail", ticket_id=ticket.pk)

    return view


ticket_take = _ticket_action(
    ("handle",),
    VersionForm,
    lambda r, t, d: services.ticket_take(by=r.user, ticket=t, version=d["version"]),
    "Ticket pris en charge.",
)
ticket_reply = _ticket_action(
    ("reply",),
    ReplyForm,
    lambda r, t, d: services.ticket_reply(
        by=r.user, ticket=t, version=d["version"], body=d["body"], then=d["then"]
    ),
    "Réponse envoyée au demandeur.",
)
ticket_note = _ticket_action(
    ("note",),
    NoteForm,
    lambda r, t, d: services.ticket_note(by=r.user, ticket=t, body=d["body"]),
    "Note ajoutée.",
)
ticket_escalate = _ticket_action(
    ("escalate",),
    EscalateForm,
    lambda r, t, d: services.ticket_escalate(
        by=r.user, ticket=t, version=d["version"], diagnosis=d["diagnosis"]
    ),
    "Ticket escaladé au niveau supérieur ; le niveau 1 en est informé.",
)
ticket_answer_down = _ticket_action(
    ("answer_down",),
    AnswerDownForm,
    lambda r, t, d: services.ticket_answer_down(by=r.user, ticket=t, version=d["version"], body=d["body"]),
    "Réponse transmise au niveau 1, qui la communiquera au demandeur.",
)
ticket_close = _ticket_action(
    ("close",),
    VersionForm,
    lambda r, t, d: services.ticket_close(by=r.user, ticket=t, version=d["version"]),
    "Ticket clos.",
)
ticket_reopen = _ticket_action(
    ("reopen",),
    VersionForm,
    lambda r, t, d: services.ticket_reopen(by=r.user, ticket=t, version=d["version"]),
    "Ticket rouvert.",
)
ticket_requester_reply = _ticket_action(
    ("requester_reply",),
    RequesterReplyForm,
    lambda r, t, d: services.requester_reply(by=r.user, ticket=t, body=d["body"]),
    "Réponse ajoutée.",
)
ticket_rate = _ticket_action(
    ("rate",),
    RateForm,
    lambda r, t, d: services.ticket_rate(by=r.user, ticket=t, score=d["score"]),
    "Merci pour votre avis.",
)
ticket_link_anomaly = _ticket_action(
    ("link_anomaly",),
    LinkAnomalyForm,
    lambda r, t, d: services.ticket_link_anomaly(
        by=r.user, ticket=t, version=d["version"], anomaly=d["anomaly"]
    ),
    "Anomalie liée au ticket.",
)


@require_POST
def ticket_to_article(request: HttpRequest, ticket_id: str) -> HttpResponse:
    """« Turn into an article »: an anonymised draft, opened for review."""
    ticket = _guard(request, ticket_id, "to_article")
    try:
        article = knowledge.article_from_ticket(by=request.user, ticket=ticket)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
        return redirect("assistance:ticket_detail", ticket_id=ticket.pk)
    messages.success(request, "Brouillon d'article créé (anonymisé) : relisez-le avant publication.")
    return redirect("assistance:article_edit", article_id=article.pk)


@require_POST
def ticket_article_useful(request: HttpRequest, ticket_id: str, article_id: str) -> HttpResponse:
    """« This answered my question »: the requester's ticket is closed by the article, which counts one more use."""
    ticket = _guard(request, ticket_id, "requester_reply")
    article = get_visible_or_404(Article.objects.all(), request.user, pk=article_id)
    knowledge.article_useful(by=request.user, article=article, ticket=ticket)
    messages.success(request, "Merci : votre demande est close, l'article a répondu à votre question.")
    return redirect("assistance:ticket_detail", ticket_id=ticket.pk)


@require_GET
def attachment_download(request: HttpRequest, attachment_id: str) -> FileResponse:
    attachment = get_visible_or_404(
        Attachment.objects.select_related("message__ticket"), request.user, pk=attachment_id
    )
    if not attachment.get_abilities(request.user)["view"]:
        from django.http import Http404

        raise Http404("Pièce jointe introuvable.")
    return FileResponse(attachment.file.open("rb"), as_attachment=True, filename=attachment.filename)


@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    from bascule.programmes.models import Programme

    programme = None
    if request.GET.get("programme"):
        programme = (
            Programme.objects.visible_to(request.user).filter(code=request.GET["programme"][:40]).first()
        )
    group = request.GET.get("par", "region")
    data = selectors.dashboard(user=request.user, programme=programme, group=group)
    if fmt := export_format(request):
        headers = [
            data["group_label"],
            "Tickets",
            "Ouverts",
            "Résolus au niveau 1 (%)",
            "Escalade (%)",
            "Dans les délais (%)",
            "Satisfaction",
        ]
        rows = (
            [
                r["label"],
                r["total"],
                r["open"],
                r["solved_level1"],
                r["escalation"],
                r["compliance"],
                r["satisfaction"],
            ]
            for r in data["rows"]
        )
        return table_response(
            fmt, headers, rows, filename_stem="assistance-tableau-de-bord", title="Assistance"
        )
    programmes = Programme.objects.visible_to(request.user).order_by("code")
    return render(
        request, "assistance/dashboard.html", {**data, "programme": programme, "programmes": programmes}
    )
