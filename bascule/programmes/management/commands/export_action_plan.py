"""`manage.py export_action_plan --programme CODE --format xlsx|ods|csv OUT`: the plan in its import shape."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from bascule.core.exports import FORMATS, render_table
from bascule.programmes.importers import ACTION_COLUMNS, export_rows
from bascule.programmes.models import Programme


class Command(BaseCommand):
    help = "Exporte le plan d'actions d'un programme dans les colonnes de l'import (réimportable sans perte)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("out", type=Path)
        parser.add_argument("--programme", required=True)
        parser.add_argument("--format", choices=sorted(FORMATS), default="xlsx")

    def handle(self, *args: Any, **options: Any) -> None:
        programme = Programme.objects.filter(code=options["programme"]).first()
        if programme is None:
            raise CommandError(f"Aucun programme « {options['programme']} ».")
        rows = export_rows(programme.actions.all())
        content = render_table(
            options["format"], [c.label for c in ACTION_COLUMNS], rows, title="Plan d'actions"
        )
        options["out"].write_bytes(content)
        self.stdout.write(f"{len(rows)} action(s) exportée(s) dans {options['out']}.")
