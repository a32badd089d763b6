"""`manage.py fetch_mail`: poll every active mailbox once (or one: --mailbox ADDRESS) and say what each message became."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from bascule.assistance import mailin
from bascule.assistance.models import Mailbox


class Command(BaseCommand):
    help = "Relève une fois les boîtes aux lettres de l'assistance (les courriels deviennent des tickets)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--mailbox", help="adresse d'une seule boîte à relever")

    def handle(self, *args: Any, **options: Any) -> None:
        if options.get("mailbox"):
            mailbox = (
                Mailbox.objects.select_related("programme", "structure")
                .filter(address=options["mailbox"])
                .first()
            )
            if mailbox is None:
                raise CommandError(f"Aucune boîte aux lettres « {options['mailbox']} ».")
            results = [mailin.poll(mailbox)]
        else:
            results = mailin.poll_all()
        if not results:
            self.stdout.write("Aucune boîte aux lettres active.")
        for result in results:
            self.stdout.write(result.line())
        if any(result.error for result in results):
            raise CommandError(
                "Au moins une relève a été interrompue (voir ci-dessus) ; la suivante reprendra là."
            )
