"""Writes around the tickets: anomalies (their changes told to every linked requester), a programme's service
levels, the mailboxes to poll, and the deadline watch (periodic: warn before, mark breaches, escalate after)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from bascule.assistance import deadlines
from bascule.assistance.mailout import send_ticket_mail
from bascule.assistance.models import (
    OPEN_STATUSES,
    Anomaly,
    Level,
    Mailbox,
    MessageKind,
    SupportPolicy,
    Ticket,
    TicketStatus,
    handles_level,
)
from bascule.assistance.services import _escalate, _now, add_message, handler_emails
from bascule.core.access import require_ability
from bascule.core.system import SYSTEM, Actor
from bascule.core.writes import save_historised, update_versioned
from bascule.programmes.models import Programme


# --- anomalies ------------------------------------------------------------------------------------------
def anomaly_create(*, by: Actor, programme: Programme, title: str, description: str = "") -> Anomaly:
    if not handles_level(by, 3, programme.owner.path):
        raise PermissionDenied("Les anomalies sont tenues par l'équipe projet (niveau 3).")
    anomaly = Anomaly(programme=programme, title=title.strip(), description=description.strip())
    with transaction.atomic():
        save_historised(anomaly, by=by)
    return anomaly


def anomaly_update(
    *, by: Actor, anomaly: Anomaly, version: int, now: datetime | None = None, **changes: Any
) -> Anomaly:
    """Change an anomaly; when its state changes, every requester of a linked ticket is told (one mail each)."""
    require_ability(anomaly, by, "change", "Les anomalies sont tenues par l'équipe projet (niveau 3).")
    before = anomaly.status
    with transaction.atomic():
        current = update_versioned(
            anomaly,
            by=by,
            version=version,
            changes=changes,
            allowed=("title", "description", "status", "reference"),
        )
        if current.status != before:
            for ticket in current.tickets.select_related("programme"):
                send_ticket_mail(
                    ticket,
                    kind="anomaly",
                    to=[ticket.requester_email],
                    subject=f"Anomalie « {current.title} » : {current.get_status_display().lower()}",
                    body=f"Bonjour,\n\nL'anomalie à l'origine de votre demande #{ticket.number} est désormais : "
                    f"{current.get_status_display().lower()}.\n\n{current.description}\n",
                    automatic=True,
                    now=now,
                )
                add_message(
                    ticket, kind=MessageKind.EVENT, body=f"Anomalie : {current.get_status_display()}.", by=by
                )
    return current


# --- policy ---------------------------------------------------------------------------------------------
POLICY_FIELDS = tuple(
    f.name
    for f in SupportPolicy._meta.concrete_fields
    if f.name not in {"id", "created_at", "updated_at", "version", "programme"}
)


def policy_save(*, by: Actor, programme: Programme, version: int | None, **changes: Any) -> SupportPolicy:
    """Create or change the programme's service levels (its owner structure decides)."""
    if "working_hours" in changes:
        deadlines.read_working_hours(changes["working_hours"])
    existing = SupportPolicy.objects.filter(programme=programme).first()
    if existing is None:
        policy = SupportPolicy(programme=programme, **changes)
        require_ability(policy, by, "change")
        with transaction.atomic():
            save_historised(policy, by=by)
        return policy
    require_ability(existing, by, "change")
    with transaction.atomic():
        return update_versioned(existing, by=by, version=version or 0, changes=changes, allowed=POLICY_FIELDS)


# --- the deadline watch ---------------------------------------------------------------------------------
def deadlines_watch(now: datetime | None = None) -> str:
    """Warn the handling level before a deadline, mark breaches, escalate after one (when the policy says so)."""
    moment = _now(now)
    warned = escalated = breached = 0
    tickets = (
        Ticket.objects.filter(status__in=[TicketStatus.NEW, TicketStatus.ASSIGNED])
        .exclude(resolution_due__isnull=True)
        .select_related("programme__owner", "structure", "handling_structure")
    )
    saved = {p.programme_id: p for p in SupportPolicy.objects.all()}
    for ticket in tickets.iterator(chunk_size=500):
        policy = saved.get(ticket.programme_id) or SupportPolicy(programme=ticket.programme)
        due = deadlines.nearest_due(ticket)
        if due is None:
            continue
        if moment >= due:
            first = (
                ticket.first_response_at is None
                and ticket.first_response_due
                and moment > ticket.first_response_due
            )
            resolution = ticket.resolution_due and moment > ticket.resolution_due
            with transaction.atomic():
                current = Ticket.objects.select_for_update().get(pk=ticket.pk)
                if current.status not in OPEN_STATUSES or current.version != ticket.version:
                    continue  # changed meanwhile: the next pass looks again
                if (not first or current.first_response_breached) and (
                    not resolution or current.resolution_breached
                ):
                    continue  # already counted (level 3, or no escalation on breach)
                current.first_response_breached |= bool(first)
                current.resolution_breached |= bool(resolution)
                current.version += 1
                save_historised(current, by=SYSTEM, reason="Délai dépassé")
                breached += 1
                if policy.escalate_on_breach and current.level < Level.PROJECT:
                    what = "de première réponse" if first else "de résolution"
                    _escalate(
                        current,
                        by=SYSTEM,
                        version=current.version,
                        diagnosis=f"Escalade automatique : délai {what} du {Level(current.level).label.lower()} "
                        f"dépassé ({timezone.localtime(due):%d/%m/%Y %H:%M}).",
                        moment=moment,
                    )
                    escalated += 1
        elif ticket.warned_at is None and deadlines.should_warn(ticket, moment, policy):
            with transaction.atomic():
                updated = Ticket.objects.filter(pk=ticket.pk, warned_at__isnull=True).update(warned_at=moment)
                if not updated:
                    continue
                send_ticket_mail(
                    ticket,
                    kind="deadline_warning",
                    to=handler_emails(ticket.handling_structure, ticket.level),
                    subject=f"Échéance proche ({timezone.localtime(due):%d/%m %H:%M}) : {ticket.subject}",
                    body=f"Le ticket #{ticket.number} arrive à échéance le {timezone.localtime(due):%d/%m/%Y à %H:%M}.\n",
                    automatic=True,
                    now=moment,
                )
                warned += 1
    return f"{warned} avertissement(s), {breached} dépassement(s), {escalated} escalade(s)"


# --- mailboxes ------------------------------------------------------------------------------------------
MAILBOX_FIELDS = (
    "programme",
    "structure",
    "address",
    "host",
    "port",
    "use_ssl",
    "username",
    "password",
    "folder",
    "active",
)
MAILBOX_ONLY = (
    "Seuls les responsables de cette structure (ou le pilotage national) gèrent ses boîtes aux lettres."
)


def mailbox_create(*, by: Actor, **values: Any) -> Mailbox:
    """A mailbox to poll, for a structure the author edits."""
    mailbox = Mailbox(**{k: v for k, v in values.items() if k in MAILBOX_FIELDS})
    require_ability(mailbox, by, "change", MAILBOX_ONLY)
    with transaction.atomic():
        save_historised(mailbox, by=by)
    return mailbox


def mailbox_update(*, by: Actor, mailbox: Mailbox, version: int, **changes: Any) -> Mailbox:
    """Change a mailbox (an empty password keeps the saved one); moved only to a structure the author edits."""
    require_ability(mailbox, by, "change", MAILBOX_ONLY)
    if not changes.get("password"):
        changes.pop("password", None)

    def check(current: Mailbox) -> None:
        require_ability(current, by, "change", MAILBOX_ONLY)

    with transaction.atomic():
        return update_versioned(
            mailbox, by=by, version=version, changes=changes, allowed=MAILBOX_FIELDS, before_save=check
        )
