"""What the support desk adds to the test world: service levels, a mailbox per region, a ticket per region (the
both received by mail with an attachment), a published article and an anomaly."""

from __future__ import annotations

from typing import Any

from django.test.utils import override_settings

from bascule.assistance import knowledge, mailin, operations
from bascule.assistance.models import Audience, Review
from tests.assistance.mails import raw_mail

ORDER = 80  # after programmes


def extend_world(world: Any) -> None:
    national = world.national
    programme = world.programme
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
        world.policy = operations.policy_save(by=national, programme=programme, version=None)
        world.mailbox_bzh = operations.mailbox_create(
            by=national,
            programme=programme,
            structure=world.bretagne,
            address="assistance-bzh@test.gouv.fr",
            host="127.0.0.1",
            port=1,
            use_ssl=False,
            username="bzh",
            password="x",
            active=False,
        )
        world.mailbox_nor = operations.mailbox_create(
            by=national,
            programme=programme,
            structure=world.normandie,
            address="assistance-nor@test.gouv.fr",
            host="127.0.0.1",
            port=1,
            use_ssl=False,
            username="nor",
            password="x",
            active=False,
        )
        for region, mailbox, sender in (
            ("bzh", world.mailbox_bzh, "agent.bzh@test.gouv.fr"),
            ("nor", world.mailbox_nor, "agent.nor@test.gouv.fr"),
        ):
            mailin.ingest(
                mailbox,
                uidvalidity=1,
                uid=1,
                raw=raw_mail(
                    sender=sender,
                    subject="Chantier 3 : facture rejetée",
                    body="La facture est rejetée.",
                    attachments=[("capture.png", b"\x89PNG fake")],
                ),
            )
            ticket = mailbox.inbound.get().ticket
            setattr(world, f"ticket_{region}", ticket)
            setattr(world, f"attachment_{region}", ticket.messages.get().attachments.get())
        world.article = knowledge.article_create(
            by=national,
            programme=programme,
            question="Réinitialiser son mot de passe",
            answer="<p>Utilisez le lien « mot de passe oublié ».</p>",
            audience=Audience.PUBLIC,
            review=Review.PUBLISHED,
        )
        world.anomaly = operations.anomaly_create(by=national, programme=programme, title="Flux rejeté")
