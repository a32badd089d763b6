"""Every write of the support desk's tickets: intake (web, phone, mail), replies and notes, escalation with its
diagnosis, the answer coming back down through level 1, waiting and resuming, solving and closing, satisfaction,
anomalies, and the deadline watch (warn before, escalate after a breach).

Rules kept here, whatever the page, API, command or mail that asks:
- a ticket is routed at creation (routing.py) and its deadlines count in working hours (deadlines.py);
- escalation needs a diagnosis (an internal note) and tells level 1, which keeps following the ticket;
- an answer from level 2 or 3 goes down to level 1, which sends it to the requester;
- the requester's mail address never receives internal notes; every change is historised, and an update names the
  version its author saw.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from bascule.assistance import deadlines, search
from bascule.assistance.mailout import send_ticket_mail
from bascule.assistance.models import (
    LEVEL_ROLES,
    Anomaly,
    Attachment,
    Category,
    Channel,
    Level,
    MessageKind,
    Priority,
    Ticket,
    TicketCounter,
    TicketMessage,
    TicketStatus,
    handles_level,
)
from bascule.assistance.routing import route
from bascule.assistance.workstreams import workstream_list_text
from bascule.core.access import require_ability
from bascule.core.roles import EDITOR_ROLES
from bascule.core.system import SYSTEM, Actor
from bascule.core.writes import save_historised, update_versioned
from bascule.organisation.models import Assignment, Person, Structure
from bascule.programmes.models import Programme, WorkstreamTemplate

NOT_HANDLER = "Seul le niveau d'assistance qui traite ce ticket peut faire cela."
DIAGNOSIS_MIN = 15


def actor_name(by: Actor) -> str:
    if by is SYSTEM:
        return "Bascule"
    person = getattr(by, "person", None)
    return str(person or getattr(by, "email", "") or by)[:255]


def _now(now: datetime | None) -> datetime:
    return now or timezone.now()


def _next_number(now: datetime) -> str:
    year = timezone.localtime(now).year
    TicketCounter.objects.get_or_create(year=year)
    counter = TicketCounter.objects.select_for_update().get(year=year)
    counter.last += 1
    counter.save(update_fields=["last"])
    return f"{year}-{counter.last:06d}"


def handler_emails(structure: Structure, level: int) -> list[str]:
    """Who is told at a level: the holders of its roles on the structure, else the structure's editors."""
    rows = list(
        Assignment.objects.active()
        .filter(structure=structure, role__in=LEVEL_ROLES[level] + tuple(EDITOR_ROLES))
        .values_list("role", "person__email")
    )
    support = sorted({email for role, email in rows if role in LEVEL_ROLES[level]})
    return support or sorted({email for _, email in rows})


def add_message(
    ticket: Ticket,
    *,
    kind: str,
    body: str,
    by: Actor | None = None,
    author_name: str = "",
    from_email: str = "",
    html: str = "",
    message_id: str = "",
    at: datetime | None = None,
) -> TicketMessage:
    message = TicketMessage(
        created_at=at or timezone.now(),
        ticket=ticket,
        kind=kind,
        body=body.strip() or "(message vide)",
        html=html,
        author=None if by is None or by is SYSTEM else by,  # type: ignore[misc]
        author_name=(author_name or (actor_name(by) if by is not None else ""))[:255],
        from_email=from_email[:254],
        level=ticket.level,
        message_id=message_id[:998],
    )
    save_historised(message, by=by or SYSTEM)
    return message


def attachments_add(message: TicketMessage, files: Iterable[tuple[str, str, bytes]]) -> list[Attachment]:
    """Keep the files of a message (name, content type, content), each with its size."""
    kept = []
    for filename, content_type, content in files:
        attachment = Attachment(
            message=message, filename=filename, content_type=content_type, size=len(content)
        )
        attachment.file.save(filename, ContentFile(content), save=False)
        attachment.full_clean()
        attachment.save()  # kept as received, never changed: no history (see Attachment)
        kept.append(attachment)
    return kept


# --- intake ---------------------------------------------------------------------------------------------
def ticket_create(
    *,
    by: Actor,
    programme: Programme,
    subject: str,
    body: str,
    requester: Person | None = None,
    requester_email: str = "",
    requester_name: str = "",
    structure: Structure | None = None,
    channel: str = Channel.WEB,
    category: str = Category.QUESTION,
    domain: str = "",
    priority: str = Priority.NORMAL,
    workstream: WorkstreamTemplate | None = None,
    solved_on_phone: bool = False,
    html: str = "",
    message_id: str = "",
    now: datetime | None = None,
    parent: Ticket | None = None,
) -> Ticket:
    """Open a ticket routed to level 1 of the requester's structure (a person of the referential, or an address).

    Anyone opens a ticket for themselves; level-1 support (phone intake) for a requester it serves; mail intake
    as the system. « Solved on the phone » is counted as solved at level 1.
    """
    moment = _now(now)
    if requester is not None:
        structure = requester.structure
        requester_email = requester_email or requester.email
        requester_name = requester_name or str(requester)
    if structure is None:
        raise ValidationError({"structure": "Indiquez la structure du demandeur."})
    if not requester and not requester_email:
        raise ValidationError({"requester": "Indiquez le demandeur : une personne ou un courriel."})
    if workstream is not None and workstream.programme_id != programme.pk:
        raise ValidationError({"workstream": "Ce chantier appartient à un autre programme."})
    routes = route(structure, programme, domain)
    own = requester is not None and requester.user_id is not None and requester.user_id == by.pk
    if not (own or by is SYSTEM or handles_level(by, 1, routes[1].path)):
        raise PermissionDenied(
            "Seuls le demandeur et l'assistance de proximité de sa structure ouvrent ce ticket."
        )
    ticket = Ticket(
        programme=programme,
        workstream=workstream,
        structure=structure,
        requester=requester,
        requester_user_id=requester.user_id if requester else None,
        requester_email=requester_email.strip().lower(),
        requester_name=requester_name.strip()[:200],
        channel=channel,
        category=category,
        domain=domain,
        priority=priority,
        level=Level.PROXIMITY,
        level1_structure=routes[1],
        level2_structure=routes[2],
        handling_structure=routes[1],
        subject=subject.strip()[:255] or "(sans objet)",
        created_at=moment,
        parent=parent,  # a follow-up of a closed ticket (mail intake)
    )
    with transaction.atomic():
        ticket.number = _next_number(moment)
        if solved_on_phone:
            ticket.status = TicketStatus.SOLVED
            ticket.solved_on_phone = True
            ticket.solved_at = ticket.first_response_at = moment
            ticket.assignee = None if by is SYSTEM else by  # type: ignore[assignment]
        else:
            deadlines.set_level_deadlines(ticket, moment)
        save_historised(ticket, by=by)
        add_message(
            ticket,
            kind=MessageKind.INCOMING,
            body=body,
            html=html,
            author_name=requester_name or requester_email,
            from_email=requester_email,
            message_id=message_id,
            at=moment,
        )
        if solved_on_phone:
            add_message(
                ticket, kind=MessageKind.EVENT, body="Résolu au téléphone par le niveau 1.", by=by, at=moment
            )
        search.index_ticket(ticket)
    return ticket


def acknowledge(ticket: Ticket, *, suggestions: Iterable[Any] = (), now: datetime | None = None) -> str:
    """The acknowledgement mail of a new ticket (auto-replied): its number, its workstream — or the list to choose
    from when the subject named none —, and the articles that may already answer. Returns the error, if any."""
    lines = [
        "Bonjour,",
        "",
        f"Votre demande est enregistrée sous le numéro #{ticket.number} : gardez-le dans l'objet de vos réponses.",
        f"Elle est traitée par : {ticket.handling_structure.name} (assistance de proximité).",
    ]
    if ticket.workstream:
        lines.append(f"Chantier : {ticket.workstream}.")
    else:
        lines += [
            "",
            "L'objet de votre message ne nomme aucun chantier. Pour un traitement plus rapide, répondez en",
            "précisant l'un d'eux :",
            workstream_list_text(ticket.programme),
        ]
    found = list(suggestions)
    if found:
        lines += ["", "Ces réponses publiées peuvent déjà vous aider :"]
        lines += [f"- {article.question}" for article in found]
    lines += ["", "Ce message est envoyé automatiquement : merci de ne pas y répondre pour le seul accuser."]
    _, error = send_ticket_mail(
        ticket,
        kind="acknowledgement",
        to=[ticket.requester_email],
        subject=f"Accusé de réception : {ticket.subject}",
        body="\n".join(lines),
        automatic=True,
        auto_submitted="auto-replied",
        now=now,
    )
    return error


def incoming_add(
    ticket: Ticket,
    *,
    body: str,
    from_email: str,
    author_name: str = "",
    html: str = "",
    message_id: str = "",
    automatic: bool = False,
    by: Actor = SYSTEM,
    now: datetime | None = None,
) -> TicketMessage:
    """A message from the requester (or a participant) on an open ticket: the clock resumes if it was waiting."""
    moment = _now(now)
    with transaction.atomic():
        current = Ticket.objects.select_for_update().get(pk=ticket.pk)
        message = add_message(
            current,
            kind=MessageKind.AUTOMATIC if automatic else MessageKind.INCOMING,
            body=body,
            html=html,
            author_name=author_name or from_email,
            from_email=from_email,
            message_id=message_id,
            at=moment,
        )
        if not automatic and current.status in (TicketStatus.WAITING, TicketStatus.SOLVED):
            if current.status == TicketStatus.WAITING:
                deadlines.resume(current, moment)
            else:  # « not solved after all »: the ticket reopens at its level, with fresh deadlines
                current.solved_at = None
                deadlines.set_level_deadlines(current, moment)
            current.status = TicketStatus.ASSIGNED if current.assignee_id else TicketStatus.NEW
            current.version += 1
            save_historised(current, by=by, reason="Réponse du demandeur")
        search.index_ticket(current)
    return message


def requester_reply(*, by: Actor, ticket: Ticket, body: str, now: datetime | None = None) -> TicketMessage:
    """The requester answers from the web page."""
    require_ability(ticket, by, "requester_reply", "Seul le demandeur répond ici.")
    return incoming_add(
        ticket, body=body, from_email=ticket.requester_email, author_name=actor_name(by), by=by, now=now
    )


# --- handling -------------------------------------------------------------------------------------------
def _handler(ticket: Ticket, by: Actor, ability: str = "handle") -> None:
    require_ability(ticket, by, ability, NOT_HANDLER)


def ticket_take(*, by: Actor, ticket: Ticket, version: int) -> Ticket:
    """The agent takes the ticket at its level."""
    _handler(ticket, by)

    def assign(current: Ticket) -> None:
        current.assignee = None if by is SYSTEM else by  # type: ignore[assignment]
        if current.status == TicketStatus.NEW:
            current.status = TicketStatus.ASSIGNED

    with transaction.atomic():
        return update_versioned(ticket, by=by, version=version, changes={}, allowed=(), before_save=assign)


def ticket_reply(
    *,
    by: Actor,
    ticket: Ticket,
    version: int,
    body: str,
    then: str = TicketStatus.ASSIGNED,
    now: datetime | None = None,
) -> Ticket:
    """A public reply mailed to the requester by level 1; `then` is the state it leaves: assigned, waiting or
    solved. Levels 2 and 3 answer through level 1 (`ticket_answer_down`)."""
    _handler(ticket, by, "reply")
    if then not in (TicketStatus.ASSIGNED, TicketStatus.WAITING, TicketStatus.SOLVED):
        raise ValidationError(
            {"then": "Après une réponse, le ticket est pris en charge, en attente ou résolu."}
        )
    if not body.strip():
        raise ValidationError({"body": "La réponse est vide."})
    moment = _now(now)

    def apply(current: Ticket) -> None:
        if current.first_response_at is None:
            current.first_response_at = moment
            if current.first_response_due and moment > current.first_response_due:
                current.first_response_breached = True
        current.assignee_id = current.assignee_id or (None if by is SYSTEM else by.pk)
        current.status = then
        if then == TicketStatus.WAITING:
            current.waiting_since = moment
        if then == TicketStatus.SOLVED:
            _solve(current, moment)

    with transaction.atomic():
        current = update_versioned(ticket, by=by, version=version, changes={}, allowed=(), before_save=apply)
        message = add_message(current, kind=MessageKind.REPLY, body=body, by=by, at=moment)
        footer = ""
        if then == TicketStatus.SOLVED:
            footer = (
                "\n\n--\nVotre demande est considérée comme résolue. Si ce n'est pas le cas, répondez simplement à "
                "ce message : le ticket sera rouvert.\n"
                f"Cette réponse vous a-t-elle satisfait ? Donnez votre avis en un clic : {satisfaction_url(current)}"
            )
        message_id, error = send_ticket_mail(
            current,
            kind="reply",
            to=[current.requester_email],
            subject=current.subject,
            body=body.strip() + footer,
            automatic=False,
            now=moment,
        )
        TicketMessage.objects.filter(pk=message.pk).update(
            message_id=message_id, mail_sent_at=None if error else moment, mail_error=error
        )
        search.index_ticket(current)
    return current


def _solve(ticket: Ticket, moment: datetime) -> None:
    ticket.status = TicketStatus.SOLVED
    ticket.solved_at = moment
    ticket.waiting_since = None
    if ticket.resolution_due and moment > ticket.resolution_due:
        ticket.resolution_breached = True


def ticket_note(*, by: Actor, ticket: Ticket, body: str) -> TicketMessage:
    """An internal note (never sent to the requester)."""
    require_ability(ticket, by, "note", NOT_HANDLER)
    if not body.strip():
        raise ValidationError({"body": "La note est vide."})
    with transaction.atomic():
        return add_message(ticket, kind=MessageKind.NOTE, body=body, by=by)


def ticket_escalate(
    *, by: Actor, ticket: Ticket, version: int, diagnosis: str, now: datetime | None = None
) -> Ticket:
    """Pass the ticket to the next level with a diagnosis; level 1 is told and keeps following it."""
    require_ability(ticket, by, "escalate", NOT_HANDLER)
    if len(diagnosis.strip()) < DIAGNOSIS_MIN:
        raise ValidationError(
            {"diagnosis": f"Une escalade s'accompagne d'un diagnostic (au moins {DIAGNOSIS_MIN} caractères)."}
        )
    return _escalate(ticket, by=by, version=version, diagnosis=diagnosis, moment=_now(now))


def _escalate(ticket: Ticket, *, by: Actor, version: int, diagnosis: str, moment: datetime) -> Ticket:
    routes = route(ticket.structure, ticket.programme, ticket.domain)

    def apply(current: Ticket) -> None:
        current.level += 1
        current.max_level = max(current.max_level, current.level)
        current.level2_structure = routes[2]
        current.handling_structure = routes[current.level]
        current.assignee = None
        current.status = TicketStatus.NEW
        current.waiting_since = None
        deadlines.set_level_deadlines(current, moment)

    with transaction.atomic():
        current = update_versioned(
            ticket, by=by, version=version, changes={}, allowed=(), before_save=apply, reason="Escalade"
        )
        add_message(current, kind=MessageKind.DIAGNOSIS, body=diagnosis, by=by, at=moment)
        label = Level(current.level).label
        send_ticket_mail(
            current,
            kind="escalation",
            to=handler_emails(current.handling_structure, current.level),
            cc=handler_emails(current.level1_structure, 1),
            subject=f"Escalade au {label.lower()} : {current.subject}",
            body=f"Le ticket #{current.number} est passé au {label.lower()} ({current.handling_structure.name}).\n\n"
            f"Diagnostic :\n{diagnosis.strip()}\n",
            automatic=True,
            now=moment,
        )
    return current


def ticket_answer_down(
    *, by: Actor, ticket: Ticket, version: int, body: str, now: datetime | None = None
) -> Ticket:
    """Level 2 or 3 answers: the answer goes back to level 1, which sends it to the requester."""
    require_ability(ticket, by, "answer_down", NOT_HANDLER)
    if not body.strip():
        raise ValidationError({"body": "La réponse est vide."})
    moment = _now(now)
    from_level = ticket.level

    def apply(current: Ticket) -> None:
        current.level = Level.PROXIMITY
        current.handling_structure = current.level1_structure
        current.status = TicketStatus.ASSIGNED if current.assignee_id else TicketStatus.NEW
        current.assignee = None
        deadlines.set_level_deadlines(current, moment)

    with transaction.atomic():
        current = update_versioned(
            ticket,
            by=by,
            version=version,
            changes={},
            allowed=(),
            before_save=apply,
            reason="Réponse à transmettre",
        )
        message = add_message(current, kind=MessageKind.ANSWER_DOWN, body=body, by=by, at=moment)
        TicketMessage.objects.filter(pk=message.pk).update(level=from_level)
        send_ticket_mail(
            current,
            kind="answer_down",
            to=handler_emails(current.level1_structure, 1),
            subject=f"Réponse du niveau {from_level} à transmettre : {current.subject}",
            body=f"Le niveau {from_level} a répondu au ticket #{current.number}. Transmettez la réponse au "
            f"demandeur depuis la page du ticket.\n\n{body.strip()}\n",
            automatic=True,
            now=moment,
        )
    return current


def ticket_close(*, by: Actor, ticket: Ticket, version: int, now: datetime | None = None) -> Ticket:
    """Close a ticket (handler, or the requester who is satisfied)."""
    if ticket.status == TicketStatus.CLOSED:
        raise ValidationError("Ce ticket est déjà clos.")
    require_ability(ticket, by, "close", NOT_HANDLER)
    moment = _now(now)

    def apply(current: Ticket) -> None:
        if current.status == TicketStatus.CLOSED:
            raise ValidationError("Ce ticket est déjà clos.")
        if current.status != TicketStatus.SOLVED:
            _solve(current, moment)
        current.status = TicketStatus.CLOSED
        current.closed_at = moment

    with transaction.atomic():
        return update_versioned(ticket, by=by, version=version, changes={}, allowed=(), before_save=apply)


def ticket_reopen(*, by: Actor, ticket: Ticket, version: int, now: datetime | None = None) -> Ticket:
    require_ability(ticket, by, "reopen", NOT_HANDLER)
    moment = _now(now)

    def apply(current: Ticket) -> None:
        current.status = TicketStatus.ASSIGNED
        current.solved_at = None
        deadlines.set_level_deadlines(current, moment)

    with transaction.atomic():
        return update_versioned(ticket, by=by, version=version, changes={}, allowed=(), before_save=apply)


def ticket_rate(*, by: Actor, ticket: Ticket, score: int) -> Ticket:
    """The requester's one-question satisfaction survey (1 to 5) after resolution."""
    require_ability(ticket, by, "rate", "Seul le demandeur note la réponse reçue, une fois.")
    if score not in range(1, 6):
        raise ValidationError({"score": "La satisfaction se note de 1 à 5."})
    with transaction.atomic():
        current = Ticket.objects.select_for_update().get(pk=ticket.pk)
        if current.satisfaction is not None:
            raise PermissionDenied(SATISFACTION_REFUSED)
        current.satisfaction = score
        current.version += 1
        save_historised(current, by=by, reason="Satisfaction")
    return current


_SATISFACTION = signing.Signer(salt="assistance.satisfaction")
SATISFACTION_REFUSED = "Ce lien d'avis n'est pas valide, ou l'avis a déjà été donné."


def satisfaction_token(ticket: Ticket) -> str:
    """The signed key of a ticket's one-question survey, mailed with the answer that solves it."""
    return _SATISFACTION.sign(ticket.pk.hex)


def satisfaction_url(ticket: Ticket) -> str:
    return settings.BASCULE_SITE_URL.rstrip("/") + reverse(
        "assistance:satisfaction", args=[satisfaction_token(ticket)]
    )


def ticket_from_satisfaction_token(token: str) -> Ticket:
    """The solved ticket a survey link opens, not yet rated; PermissionDenied (in French) otherwise."""
    try:
        ticket = Ticket.objects.get(pk=_SATISFACTION.unsign(token[:200]))
    except (signing.BadSignature, ValueError, ValidationError, Ticket.DoesNotExist):
        raise PermissionDenied(SATISFACTION_REFUSED) from None
    if ticket.status not in (TicketStatus.SOLVED, TicketStatus.CLOSED) or ticket.satisfaction is not None:
        raise PermissionDenied(SATISFACTION_REFUSED)
    return ticket


def ticket_rate_by_link(*, token: str, score: int) -> Ticket:
    """The requester's answer to the survey through the link of the solving mail (no account needed): once."""
    if score not in range(1, 6):
        raise ValidationError({"score": "La satisfaction se note de 1 à 5."})
    with transaction.atomic():
        ticket = ticket_from_satisfaction_token(token)
        current = Ticket.objects.select_for_update().get(pk=ticket.pk)
        if current.satisfaction is not None:
            raise PermissionDenied(SATISFACTION_REFUSED)
        current.satisfaction = score
        current.version += 1
        save_historised(current, by=SYSTEM, reason="Satisfaction (lien du courriel)")
    return current


def ticket_update(*, by: Actor, ticket: Ticket, version: int, **changes: Any) -> Ticket:
    """Category, priority and workstream, set by the level that handles the ticket."""
    _handler(ticket, by)
    workstream = changes.get("workstream")
    if workstream is not None and workstream.programme_id != ticket.programme_id:
        raise ValidationError({"workstream": "Ce chantier appartient à un autre programme."})
    with transaction.atomic():
        return update_versioned(
            ticket, by=by, version=version, changes=changes, allowed=("category", "priority", "workstream")
        )


def ticket_link_anomaly(*, by: Actor, ticket: Ticket, version: int, anomaly: Anomaly | None) -> Ticket:
    require_ability(ticket, by, "link_anomaly", "Les anomalies sont tenues par l'équipe projet (niveau 3).")
    if anomaly is not None and anomaly.programme_id != ticket.programme_id:
        raise ValidationError({"anomaly": "Cette anomalie est celle d'un autre programme."})
    with transaction.atomic():
        return update_versioned(
            ticket, by=by, version=version, changes={"anomaly": anomaly}, allowed=("anomaly",)
        )
