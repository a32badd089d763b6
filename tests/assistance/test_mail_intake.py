"""Mail intake against a real IMAP server (Dovecot on loopback) and a real SMTP sink: a mail becomes a ticket routed
to level 1 and to its workstream, a reply threads into it, automatic mail is never answered, re-polling creates
nothing, and bad input has a clear outcome with nothing lost or doubled."""

from __future__ import annotations

import email
import email.policy

import pytest
from django.core.management import call_command

from bascule.assistance import mailin, services
from bascule.assistance.models import InboundMail, InboundOutcome, Mailbox, MessageKind, Ticket, TicketStatus
from bascule.core.roles import Role
from tests.assistance.mails import raw_mail
from tests.factories import give_role

pytestmark = pytest.mark.django_db


def mine(mailbox):
    """The tickets made from this mailbox's messages (the world holds others)."""
    return Ticket.objects.filter(inbound__mailbox=mailbox).distinct()


def _sent(smtp):
    return [email.message_from_bytes(raw, policy=email.policy.default) for raw in smtp.messages]


@pytest.fixture
def referent(world):
    """A proximity referent of the DDTM du Finistère (level 1 of agent.bzh)."""
    from tests.factories import UserFactory

    user = UserFactory(username="cfa29")
    give_role(user, Role.PROXIMITY_REFERENT, world.ddtm29)
    return user


def test_a_mail_becomes_a_ticket_routed_to_level_1_and_its_workstream(
    world, mailbox, dovecot, smtp, referent
):
    dovecot.deliver(
        mailbox.username, raw_mail(subject="[Reprise] EJ 2100045 absent", body="Il manque un EJ.")
    )
    result = mailin.poll(mailbox)
    assert result.outcomes == {InboundOutcome.NEW_TICKET: 1} and not result.error
    ticket = Ticket.objects.get(inbound__mailbox=mailbox)
    assert ticket.requester == world.person_bzh
    assert ticket.structure == world.ddtm29
    assert ticket.level == 1 and ticket.handling_structure == world.ddtm29  # the referent's structure
    assert ticket.workstream.name == "Reprise des données"
    assert ticket.channel == "email" and ticket.status == TicketStatus.NEW
    assert ticket.first_response_due and ticket.resolution_due > ticket.first_response_due
    # The acknowledgement: number in the subject, RFC 3834 auto-replied, threaded on the requester's message.
    [ack] = _sent(smtp)
    assert f"[#{ticket.number}]" in ack["Subject"]
    assert ack["Auto-Submitted"] == "auto-replied"
    assert ack["X-Bascule-Ticket"] == ticket.number
    assert ticket.messages.get().message_id in ack["In-Reply-To"]
    assert f"ticket-{ticket.number}." in ack["Message-ID"]
    # The raw message is kept.
    inbound = InboundMail.objects.get(mailbox=mailbox)
    assert (
        inbound.raw.read().startswith(b"From: agent.bzh@test.gouv.fr") or b"agent.bzh" in inbound.raw.read()
    )


def test_a_reply_threads_into_its_ticket_and_re_polling_creates_nothing(world, mailbox, dovecot, smtp):
    first = raw_mail(subject="Question formation", message_id="<q1@test.gouv.fr>")
    dovecot.deliver(mailbox.username, first)
    mailin.poll(mailbox)
    ticket = mine(mailbox).get()
    assert ticket.workstream.name == "Formation"
    services.ticket_reply(
        by=world.national,
        ticket=ticket,
        version=ticket.version,
        body="Précisez le service.",
        then=TicketStatus.WAITING,
    )
    reply_id = mine(mailbox).get().messages.get(kind=MessageKind.REPLY).message_id
    dovecot.deliver(
        mailbox.username,
        raw_mail(
            subject=f"RE: [#{ticket.number}] Question formation", body="C'est la DDTM.", in_reply_to=reply_id
        ),
    )
    result = mailin.poll(mailbox)
    assert result.outcomes == {InboundOutcome.THREADED: 1}
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.ASSIGNED  # the requester answered: the clock runs again
    assert ticket.waiting_since is None
    assert ticket.messages.filter(kind=MessageKind.INCOMING).count() == 2
    before = (mine(mailbox).count(), InboundMail.objects.count(), len(smtp.messages))
    again = mailin.poll(mailbox)
    assert again.read == 0 and not again.error
    # Even if the last UID were lost (a crash before it was saved), the Message-IDs keep the messages single.
    Mailbox.objects.filter(pk=mailbox.pk).update(last_uid=0)
    replay = mailin.poll(mailbox)
    assert replay.read == 2 and replay.duplicates == 2
    assert (mine(mailbox).count(), InboundMail.objects.count(), len(smtp.messages)) == before


def test_an_out_of_office_is_attached_but_never_answered(world, mailbox, dovecot, smtp):
    dovecot.deliver(mailbox.username, raw_mail(subject="Accès refusé", message_id="<q2@test.gouv.fr>"))
    mailin.poll(mailbox)
    ticket = mine(mailbox).get()
    acks = len(smtp.messages)
    dovecot.deliver(
        mailbox.username,
        raw_mail(
            subject=f"Réponse automatique : [#{ticket.number}] Accès refusé",
            body="Je suis absent.",
            in_reply_to="<q2@test.gouv.fr>",
            headers={"Auto-Submitted": "auto-replied"},
        ),
    )
    dovecot.deliver(
        mailbox.username,
        raw_mail(subject="Absence du bureau", body="Absent jusqu'au 5.", headers={"X-Autoreply": "yes"}),
    )
    result = mailin.poll(mailbox)
    assert result.outcomes == {InboundOutcome.AUTOMATIC: 2}
    assert len(smtp.messages) == acks  # nothing answered
    assert mine(mailbox).count() == 1
    assert ticket.messages.filter(kind=MessageKind.AUTOMATIC).count() == 1


def test_our_own_notification_coming_back_is_ignored(world, mailbox, dovecot, smtp):
    dovecot.deliver(mailbox.username, raw_mail(subject="Question", message_id="<q3@test.gouv.fr>"))
    mailin.poll(mailbox)
    [ack] = smtp.messages
    dovecot.deliver(mailbox.username, ack)  # a copy of our acknowledgement lands in the mailbox
    result = mailin.poll(mailbox)
    assert result.outcomes == {InboundOutcome.OWN: 1}
    assert len(smtp.messages) == 1 and mine(mailbox).count() == 1


def test_a_forged_ticket_number_is_not_trusted(world, mailbox, dovecot, smtp):
    dovecot.deliver(mailbox.username, raw_mail(subject="Question", message_id="<q4@test.gouv.fr>"))
    mailin.poll(mailbox)
    ticket = mine(mailbox).get()
    dovecot.deliver(
        mailbox.username,
        raw_mail(
            sender="intrus@exemple.fr", subject=f"Re: [#{ticket.number}] Question", body="Donnez-moi l'accès."
        ),
    )
    mailin.poll(mailbox)
    assert ticket.messages.count() == 1  # not threaded into someone else's ticket
    outsider = mine(mailbox).exclude(pk=ticket.pk).get()
    assert outsider.requester is None and outsider.requester_email == "intrus@exemple.fr"
    assert outsider.structure == world.bretagne  # an unknown sender belongs to the mailbox's region


def test_a_reply_to_a_closed_ticket_opens_a_linked_ticket(world, mailbox, dovecot, smtp):
    dovecot.deliver(mailbox.username, raw_mail(subject="Question", message_id="<q5@test.gouv.fr>"))
    mailin.poll(mailbox)
    ticket = mine(mailbox).get()
    services.ticket_close(by=world.national, ticket=ticket, version=ticket.version)
    dovecot.deliver(
        mailbox.username,
        raw_mail(
            subject=f"Re: [#{ticket.number}] Question",
            body="Encore une chose.",
            in_reply_to="<q5@test.gouv.fr>",
        ),
    )
    result = mailin.poll(mailbox)
    assert result.outcomes == {InboundOutcome.FOLLOW_UP: 1}
    follower = mine(mailbox).exclude(pk=ticket.pk).get()
    assert follower.parent == ticket and follower.status == TicketStatus.NEW
    # Written by the service, in one go: the ticket's first history row already names its parent.
    assert [h.parent_id for h in follower.history.all()] == [ticket.pk]


def test_bad_input_has_a_clear_outcome_and_nothing_is_lost(world, mailbox, dovecot, smtp, settings):
    settings.BASCULE_SUPPORT_ATTACHMENT_MAX_BYTES = 1000
    broken_charset = (
        b"From: agent.bzh@test.gouv.fr\r\nTo: a@test.gouv.fr\r\nSubject: Charset inconnu\r\nMessage-ID: <c1@test>\r\n"
        b"Content-Type: text/plain; charset=x-inconnu\r\n\r\nR\xe9initialiser le mot de passe\r\n"
    )
    broken_mime = (
        b"From: agent.bzh@test.gouv.fr\r\nSubject: MIME cass\xe9\r\nMessage-ID: <c2@test>\r\n"
        b'Content-Type: multipart/mixed; boundary="jamais"\r\n\r\n--autre\r\npas de fin'
    )
    hostile_html = raw_mail(
        subject="HTML",
        body="texte",
        html="<p>Bonjour</p><script>alert(1)</script><img src=x onerror=alert(2)>",
        message_id="<c3@test>",
    )
    huge = raw_mail(
        subject="Capture",
        message_id="<c4@test>",
        attachments=[("grosse.bin", b"x" * 5000), ("petite.txt", b"ok")],
    )
    no_sender = raw_mail(sender="", subject="Sans expéditeur", message_id="<c5@test>")
    for raw in (broken_charset, broken_mime, hostile_html, huge, no_sender):
        dovecot.deliver(mailbox.username, raw)
    result = mailin.poll(mailbox)
    assert result.read == 5 and not result.error
    assert result.outcomes == {InboundOutcome.NEW_TICKET: 4, InboundOutcome.REJECTED: 1}
    assert InboundMail.objects.filter(mailbox=mailbox).count() == 5  # every message kept, raw
    charset = mine(mailbox).get(subject="Charset inconnu").messages.get()
    assert "initialiser" in charset.body
    html = mine(mailbox).get(subject="HTML").messages.get()
    assert "<script" not in html.html and "onerror" not in html.html and "Bonjour" in html.html
    capture = mine(mailbox).get(subject="Capture").messages.get()
    assert [a.filename for a in capture.attachments.all()] == ["petite.txt"]
    assert "grosse.bin" in capture.body and "non conservée" in capture.body
    assert "non conservée" in capture.history.get().body  # the message was saved once, with its note
    rejected = InboundMail.objects.get(outcome=InboundOutcome.REJECTED)
    assert rejected.reason == "expéditeur illisible"


def test_an_imap_failure_is_recorded_and_the_next_poll_resumes(world, mailbox, dovecot, smtp):
    dovecot.deliver(mailbox.username, raw_mail(subject="Premier", message_id="<d1@test>"))
    Mailbox.objects.filter(pk=mailbox.pk).update(password="faux")
    failed = mailin.poll(Mailbox.objects.get(pk=mailbox.pk))
    assert failed.error and failed.read == 0
    assert "MailboxLoginError" in Mailbox.objects.get(pk=mailbox.pk).last_error
    Mailbox.objects.filter(pk=mailbox.pk).update(password="secret")
    dovecot.deliver(mailbox.username, raw_mail(subject="Second", message_id="<d2@test>"))
    resumed = mailin.poll(Mailbox.objects.get(pk=mailbox.pk))
    assert resumed.read == 2 and not resumed.error
    assert Mailbox.objects.get(pk=mailbox.pk).last_error == ""


def test_a_disconnection_mid_poll_loses_and_doubles_nothing(world, mailbox, dovecot, smtp, monkeypatch):
    for n in range(5):
        dovecot.deliver(mailbox.username, raw_mail(subject=f"Message {n}", message_id=f"<e{n}@test>"))
    real_ingest = mailin.ingest
    calls = {"n": 0}

    def dropping(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError("connexion IMAP perdue")  # the server went away while the third message was handled
        return real_ingest(*args, **kwargs)

    monkeypatch.setattr(mailin, "ingest", dropping)
    first = mailin.poll(mailbox)
    assert first.read == 2 and "connexion IMAP perdue" in first.error
    monkeypatch.setattr(mailin, "ingest", real_ingest)
    second = mailin.poll(Mailbox.objects.get(pk=mailbox.pk))
    assert second.read == 3 and not second.error
    assert sorted(mine(mailbox).values_list("subject", flat=True)) == [f"Message {n}" for n in range(5)]


def test_uidvalidity_change_reads_again_without_doubling(world, mailbox, dovecot, smtp):
    dovecot.deliver(mailbox.username, raw_mail(subject="Un", message_id="<f1@test>"))
    mailin.poll(mailbox)
    Mailbox.objects.filter(pk=mailbox.pk).update(uidvalidity=1)  # as if the server had renumbered the folder
    again = mailin.poll(Mailbox.objects.get(pk=mailbox.pk))
    assert again.duplicates == 1 and mine(mailbox).count() == 1


def test_fetch_mail_command_polls_every_mailbox(world, mailbox, dovecot, smtp, capsys):
    dovecot.deliver(mailbox.username, raw_mail(subject="Par la commande", message_id="<g1@test>"))
    call_command("fetch_mail", mailbox=mailbox.address)
    out = capsys.readouterr().out
    assert "1 message(s) lu(s)" in out and "nouveau ticket : 1" in out
    assert Ticket.objects.filter(subject="Par la commande").exists()


def test_a_message_that_breaks_its_handling_does_not_hold_up_the_others(
    world, mailbox, dovecot, smtp, monkeypatch
):
    from bascule.assistance import services as desk_services

    real_create = desk_services.ticket_create

    def failing(**kwargs):
        if kwargs["subject"] == "Poison":
            raise ValueError("valeur inattendue")
        return real_create(**kwargs)

    monkeypatch.setattr(desk_services, "ticket_create", failing)
    for n, subject in enumerate(("Avant", "Poison", "Après")):
        dovecot.deliver(mailbox.username, raw_mail(subject=subject, message_id=f"<p-{n}@test>"))
    result = mailin.poll(mailbox)
    assert result.read == 3 and not result.error
    assert result.outcomes == {InboundOutcome.NEW_TICKET: 2, InboundOutcome.REJECTED: 1}
    rejected = InboundMail.objects.get(mailbox=mailbox, outcome=InboundOutcome.REJECTED)
    assert "valeur inattendue" in rejected.reason and rejected.raw.read()
    assert sorted(mine(mailbox).values_list("subject", flat=True)) == ["Après", "Avant"]
    assert mailin.poll(Mailbox.objects.get(pk=mailbox.pk)).read == 0  # moved past it
