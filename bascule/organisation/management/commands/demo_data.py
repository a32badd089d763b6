"""`manage.py demo_data`: load the demo organisation and the demo accounts (run by `make demo`)."""

from typing import Any

from django.core.management.base import BaseCommand

from bascule.organisation.demo import DEMO_ACCOUNTS, load_demo


class Command(BaseCommand):
    help = "Charge le jeu de données de démonstration (sans effet s'il est déjà chargé, hormis les comptes)."

    def handle(self, *args: Any, **options: Any) -> None:
        created = load_demo()
        if created["structures"]:
            self.stdout.write(
                f"Organisation de démonstration créée : {created['structures']} structures, "
                f"{created['people']} personnes, {created['assignments']} affectations."
            )
        else:
            self.stdout.write("Organisation de démonstration déjà présente : conservée telle quelle.")
        accounts = ", ".join(DEMO_ACCOUNTS)
        self.stdout.write(f"Comptes de démonstration (mot de passe « demo ») : {accounts}.")
