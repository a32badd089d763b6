"""Mail the desk sends: threaded on the ticket, recognisable as ours, capped when automatic.

Every message carries a Message-ID naming the ticket, `References` / `In-Reply-To` to the requester's last message,
the ticket number in the subject (« [#2026-000123] … ») and `X-Bascule-Ticket` (so that a copy coming back is
recognised and never answered: no mail loops). Notifications carry `Auto-Submitted: auto-generated` (RFC 3834),
acknowledgements `auto-replied`. Automatic mail is capped per recipient and per ticket over 24 hours (the
programme's policy); a person's reply is never capped. Each attempt is recorded (`OutgoingMail`), sent or not.
"""

from __future__ import annotations

import smtplib
import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.utils import timezone

from bascule.assistance.deadlines import policy_for
from bascule.assistance.mailparse import OWN_HEADER
from bascule.assistance.models import MessageKind, OutgoingMail, Ticket

MAIL_DOMAIN_DEFAULT = "bascule.localhost"


def mail_domain() -> str:
    sender = settings.DEFAULT_FROM_EMAIL
    return sender.rsplit("@", 1)[-1].strip(" >") or MAIL_DOMAIN_DEFAULT


def new_message_id(ticket: Ticket) -> str:
    return f"<ticket-{ticket.number}.{uuid.uuid4().hex[:16]}@{mail_domain()}>"


def subject_for(ticket: Ticket, text: str = "") -> str:
    return f"[#{ticket.number}] {text or ticket.subject}"[:255]


def thread_ids(ticket: Ticket) -> list[str]:
    """The Message-IDs of the ticket's conversation, oldest first (the last requester message ends the list)."""
    ids = list(
        ticket.messages.exclude(message_id="")
        .filter(kind__in=[MessageKind.INCOMING, MessageKind.REPLY])
        .order_by("created_at")
        .values_list("message_id", flat=True)
    )
    return ids[-10:]


def _over_cap(ticket: Ticket, recipient: str, now: datetime) -> str:
    policy = policy_for(ticket)
    since = now - timedelta(hours=24)
    automatic = OutgoingMail.objects.filter(automatic=True, sent_at__gte=since, error="")
    if automatic.filter(recipient=recipient).count() >= policy.mail_cap_per_recipient:
        return f"plafond de {policy.mail_cap_per_recipient} courriels automatiques par jour pour {recipient} atteint"
    if automatic.filter(ticket=ticket).count() >= policy.mail_cap_per_ticket:
        return (
            f"plafond de {policy.mail_cap_per_ticket} courriels automatiques par jour pour ce ticket atteint"
        )
    return ""


def send_ticket_mail(
    ticket: Ticket,
    *,
    kind: str,
    to: list[str],
    subject: str,
    body: str,
    automatic: bool,
    auto_submitted: str = "auto-generated",
    cc: list[str] | None = None,
    now: datetime | None = None,
) -> tuple[str, str]:
    """Send one mail about the ticket; return (Message-ID, "" or why it did not leave). Never raises."""
    moment = now or timezone.now()
    recipients = sorted({address.lower() for address in to if address})
    copies = sorted({address.lower() for address in (cc or []) if address} - set(recipients))
    message_id = new_message_id(ticket)
    if not recipients:
        return message_id, "aucun destinataire"
    error = _over_cap(ticket, recipients[0], moment) if automatic else ""
    if not error:
        references = thread_ids(ticket)
        headers = {"Message-ID": message_id, OWN_HEADER: ticket.number}
        if references:
            headers["References"] = " ".join(references)
            headers["In-Reply-To"] = references[-1]
        if automatic:
            headers["Auto-Submitted"] = auto_submitted
            headers["X-Auto-Response-Suppress"] = "All"
        try:
            EmailMessage(
                subject_for(ticket, subject),
                body,
                to=recipients,
                cc=copies,
                headers=headers,
                connection=get_connection(),
            ).send()
        except (OSError, smtplib.SMTPException) as exc:
            error = f"serveur de messagerie : {exc}"
    for recipient in recipients + copies:
        OutgoingMail.objects.create(
            ticket=ticket,
            recipient=recipient,
            kind=kind,
            automatic=automatic,
            message_id=message_id,
            sent_at=moment,
            error=error[:500],
        )
    return message_id, error[:500]
