"""`manage.py demo_data`: every module's demo data, in the order of INSTALLED_APPS (run by `make demo`).

A module takes part by offering `bascule.<module>.demo.load_demo() -> list[str]` (lines to print); each loader
leaves existing data alone, so running the command twice is harmless.
"""

from importlib import import_module
from importlib.util import find_spec
from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Charge le jeu de données de démonstration (sans effet sur ce qui est déjà chargé, hormis les comptes)."

    def handle(self, *args: Any, **options: Any) -> None:
        for config in apps.get_app_configs():
            if not config.name.startswith("bascule.") or find_spec(f"{config.name}.demo") is None:
                continue
            for line in import_module(f"{config.name}.demo").load_demo():
                self.stdout.write(line)
