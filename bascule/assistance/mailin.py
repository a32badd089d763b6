"""Mail intake: each mailbox is read over IMAP, each message once, whatever happens in between.

A poll reads the UIDs above the last one processed (`Mailbox.last_uid`, reset when the server's UIDVALIDITY
changes). Each message is then handled in its own transaction, which records it (`InboundMail`, raw message kept,
Message-ID unique), creates or threads its ticket and moves `last_uid` on: a crash or a disconnection mid-poll loses
nothing and the next poll neither skips nor doubles a message (a Message-ID already recorded is passed over).

Threading: In-Reply-To / References first; then the ticket number in the subject, trusted only when the sender is the
requester or a participant; a reply to a closed ticket opens a new ticket linked to it. Automatic mail (RFC 3834,
out-of-office, bounces, lists) is attached to its ticket but never answered; our own notifications coming back are
recognised and ignored (no loops).
"""

from __future__ import annotations

import imaplib
import logging
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from imap_tools import MailBox, MailBoxUnencrypted
from imap_tools.errors import MailboxLoginError, UnexpectedCommandStatusError

from bascule.assistance import services
from bascule.assistance.mailparse import ParsedMail, parse
from bascule.assistance.models import (
    Channel,
    InboundMail,
    InboundOutcome,
    Mailbox,
    OutgoingMail,
    Ticket,
    TicketMessage,
    TicketStatus,
)
from bascule.assistance.workstreams import detect
from bascule.core.system import SYSTEM
from bascule.organisation.models import Person

logger = logging.getLogger("bascule.assistance.mail")
FETCH_BATCH = 100
UID_IN_FETCH = re.compile(rb"UID (\d+)")


@dataclass
class PollResult:
    mailbox: str
    read: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    duplicates: int = 0
    error: str = ""

    def line(self) -> str:
        counts = ", ".join(
            f"{InboundOutcome(k).label.lower()} : {v}" for k, v in sorted(self.outcomes.items())
        )
        text = f"{self.mailbox} : {self.read} message(s) lu(s)"
        text += f" ({counts})" if counts else ""
        text += f", {self.duplicates} déjà traité(s)" if self.duplicates else ""
        return text + (f" — interrompu : {self.error}" if self.error else "")


def _connect(mailbox: Mailbox) -> Any:
    cls = MailBox if mailbox.use_ssl else MailBoxUnencrypted
    client = cls(mailbox.host, mailbox.port, timeout=30)
    return client.login(mailbox.username, mailbox.password, initial_folder=mailbox.folder)


def _participants(ticket: Ticket) -> set[str]:
    addresses = set(ticket.messages.exclude(from_email="").values_list("from_email", flat=True))
    addresses |= set(ticket.outgoing.values_list("recipient", flat=True))
    return {a.lower() for a in addresses} | {ticket.requester_email.lower()}


def find_thread(parsed: ParsedMail) -> Ticket | None:
    """The ticket a message answers: by its references, else by the number in its subject from a participant."""
    if parsed.in_reply_to:
        ids = parsed.in_reply_to[-50:]
        ticket_id = (
            TicketMessage.objects.filter(message_id__in=ids).values_list("ticket_id", flat=True).first()
            or OutgoingMail.objects.filter(message_id__in=ids).values_list("ticket_id", flat=True).first()
        )
        if ticket_id:
            return Ticket.objects.select_related("programme", "structure").get(pk=ticket_id)
    number = parsed.ticket_number()
    if number:
        ticket = Ticket.objects.select_related("programme", "structure").filter(number=number).first()
        # A number alone is easy to forge: trusted only from the requester or someone already in the conversation.
        if ticket is not None and parsed.from_email in _participants(ticket):
            return ticket
    return None


def _body(parsed: ParsedMail) -> str:
    """The message's text, with a note naming the attachments too large to keep (the raw message keeps them)."""
    dropped = [f"« {i.filename} » ({i.size // 1024} Ko)" for i in parsed.attachments if i.content is None]
    if not dropped:
        return parsed.text
    limit = settings.BASCULE_SUPPORT_ATTACHMENT_MAX_BYTES
    note = (
        f"\n\n[Pièce(s) jointe(s) non conservée(s), au-delà de {limit // (1024 * 1024)} Mo : "
        f"{', '.join(dropped)}. Le message brut est conservé.]"
    )
    return parsed.text[: 100_000 - len(note)] + note


def _attach(message: TicketMessage, parsed: ParsedMail) -> None:
    kept = [(i.filename, i.content_type, i.content) for i in parsed.attachments if i.content is not None]
    services.attachments_add(message, kept)


def _new_ticket(mailbox: Mailbox, parsed: ParsedMail, now: datetime, parent: Ticket | None) -> Ticket:
    person = Person.objects.select_related("structure").filter(email__iexact=parsed.from_email).first()
    ticket = services.ticket_create(
        by=SYSTEM,
        programme=mailbox.programme,
        subject=parsed.subject,
        body=_body(parsed),
        html=parsed.html,
        requester=person,
        requester_email=parsed.from_email,
        requester_name=parsed.from_name,
        structure=None if person else mailbox.structure,
        channel=Channel.EMAIL,
        workstream=detect(mailbox.programme, parsed.subject),
        message_id=parsed.message_id,
        now=now,
        parent=parent,
    )
    return ticket


def ingest(mailbox: Mailbox, *, uidvalidity: int, uid: int, raw: bytes, now: datetime | None = None) -> str:
    """Handle one message (its own transaction); returns its outcome, or "duplicate"."""
    moment = now or timezone.now()
    try:
        parsed = parse(raw, attachment_max=settings.BASCULE_SUPPORT_ATTACHMENT_MAX_BYTES)
    except Exception as exc:  # a message that cannot be read at all is kept raw, with why
        logger.exception("Message illisible (boîte %s, UID %s)", mailbox, uid)
        parsed = None
        reason = f"message illisible : {type(exc).__name__}"
    acknowledge: Ticket | None = None
    with transaction.atomic():
        Mailbox.objects.filter(pk=mailbox.pk, last_uid__lt=uid).update(last_uid=uid)
        if parsed is not None and InboundMail.objects.filter(message_id=parsed.message_id).exists():
            return "duplicate"
        record = InboundMail(mailbox=mailbox, uidvalidity=uidvalidity, uid=uid)
        if parsed is None:
            record.message_id = f"<illisible-{mailbox.pk.hex}-{uidvalidity}-{uid}@bascule>"
            record.outcome, record.reason = InboundOutcome.REJECTED, reason
        elif parsed.own:
            record.message_id, record.outcome = parsed.message_id, InboundOutcome.OWN
            record.reason = "notification de Bascule revenue dans la boîte"
        elif not parsed.from_email or "@" not in parsed.from_email:
            record.message_id, record.outcome = parsed.message_id, InboundOutcome.REJECTED
            record.reason = "expéditeur illisible"
        else:
            record.message_id = parsed.message_id
            ticket = find_thread(parsed)
            if ticket is not None and (ticket.status != TicketStatus.CLOSED or parsed.automatic):
                message = services.incoming_add(
                    ticket,
                    body=_body(parsed),
                    html=parsed.html,
                    from_email=parsed.from_email,
                    author_name=parsed.from_name,
                    message_id=parsed.message_id,
                    automatic=bool(parsed.automatic),
                    now=moment,
                )
                _attach(message, parsed)
                record.ticket = ticket
                record.outcome = InboundOutcome.AUTOMATIC if parsed.automatic else InboundOutcome.THREADED
                record.reason = parsed.automatic
            elif parsed.automatic:
                record.outcome, record.reason = InboundOutcome.AUTOMATIC, parsed.automatic
            else:
                created = _new_ticket(mailbox, parsed, moment, parent=ticket)
                _attach(created.messages.get(), parsed)
                record.ticket = created
                record.outcome = InboundOutcome.FOLLOW_UP if ticket is not None else InboundOutcome.NEW_TICKET
                acknowledge = created
        record.raw.save(f"{uid}.eml", ContentFile(raw), save=False)
        record.save()
    if acknowledge is not None:
        from bascule.assistance import selectors

        services.acknowledge(acknowledge, suggestions=selectors.suggestions_for(acknowledge), now=moment)
    return str(record.outcome)


def reject(mailbox: Mailbox, *, uidvalidity: int, uid: int, raw: bytes, exc: Exception) -> str:
    """Keep a message whose handling failed, raw, with why; move past it (the next ones are not held up)."""
    reason = f"traitement impossible : {type(exc).__name__} : {exc}"[:500]
    with transaction.atomic():
        Mailbox.objects.filter(pk=mailbox.pk, last_uid__lt=uid).update(last_uid=uid)
        key = f"<refus-{mailbox.pk.hex}-{uidvalidity}-{uid}@bascule>"
        if InboundMail.objects.filter(message_id=key).exists():
            return "duplicate"
        record = InboundMail(
            mailbox=mailbox,
            uidvalidity=uidvalidity,
            uid=uid,
            message_id=key,
            outcome=InboundOutcome.REJECTED,
            reason=reason,
        )
        record.raw.save(f"{uid}.eml", ContentFile(raw), save=False)
        record.save()
    return str(InboundOutcome.REJECTED)


def _fetch(client: Any, uids: list[str]) -> list[tuple[int, bytes]]:
    status, data = client.client.uid("fetch", ",".join(uids), "(UID BODY.PEEK[])")
    if status != "OK":
        raise imaplib.IMAP4.error(f"FETCH refusé : {status}")
    found = []
    for item in data:
        if isinstance(item, tuple) and len(item) == 2:
            match = UID_IN_FETCH.search(item[0])
            if match:
                found.append((int(match.group(1)), item[1]))
    return sorted(found)


def poll(mailbox: Mailbox, *, now: datetime | None = None) -> PollResult:
    """Read the new messages of one mailbox; an IMAP failure is recorded on it and ends this poll only."""
    result = PollResult(mailbox.address)
    error = ""
    try:
        with _connect(mailbox) as client:
            status = client.folder.status(mailbox.folder, ["UIDVALIDITY"])
            uidvalidity = int(status["UIDVALIDITY"])
            if mailbox.uidvalidity != uidvalidity:
                # The server renumbered the folder: read it all again (Message-IDs keep it from doubling).
                Mailbox.objects.filter(pk=mailbox.pk).update(uidvalidity=uidvalidity, last_uid=0)
                mailbox.uidvalidity, mailbox.last_uid = uidvalidity, 0
            last = Mailbox.objects.values_list("last_uid", flat=True).get(pk=mailbox.pk)
            uids = [u for u in client.uids(f"UID {last + 1}:*") if int(u) > last]
            for start in range(0, len(uids), FETCH_BATCH):
                for uid, raw in _fetch(client, uids[start : start + FETCH_BATCH]):
                    try:
                        outcome = ingest(mailbox, uidvalidity=uidvalidity, uid=uid, raw=raw, now=now)
                    except (imaplib.IMAP4.error, OSError):
                        raise
                    except (
                        Exception
                    ) as exc:  # a message that breaks its handling must not block those after it
                        logger.exception("Message refusé (boîte %s, UID %s)", mailbox, uid)
                        outcome = reject(mailbox, uidvalidity=uidvalidity, uid=uid, raw=raw, exc=exc)
                    result.read += 1
                    if outcome == "duplicate":
                        result.duplicates += 1
                    else:
                        result.outcomes[outcome] = result.outcomes.get(outcome, 0) + 1
    except (
        TimeoutError,
        imaplib.IMAP4.error,
        imaplib.IMAP4.abort,
        OSError,
        MailboxLoginError,
        UnexpectedCommandStatusError,
    ) as exc:
        error = f"{type(exc).__name__} : {exc}"[:500]
        logger.warning("Relève de %s interrompue : %s", mailbox, error)
    result.error = error
    Mailbox.objects.filter(pk=mailbox.pk).update(last_polled_at=timezone.now(), last_error=error)
    return result


def poll_all(*, now: datetime | None = None) -> list[PollResult]:
    """Every active mailbox, one after the other (a failing one does not stop the others)."""
    return [
        poll(m, now=now) for m in Mailbox.objects.filter(active=True).select_related("programme", "structure")
    ]
