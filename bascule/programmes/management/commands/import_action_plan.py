"""`manage.py import_action_plan FILE --programme CODE [--create-programme NAME] [--reference-date D] [--dry-run]`."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import IntegrityError, OperationalError

from bascule.core.spreadsheets import SpreadsheetError
from bascule.core.system import SYSTEM
from bascule.organisation.models import Structure, StructureKind
from bascule.programmes.importers import ActionPlanImporter
from bascule.programmes.models import Programme
from bascule.programmes.services import programme_create


class Command(BaseCommand):
    help = "Importe un plan d'actions (XLSX, ODS ou CSV) dans un programme ; --dry-run montre l'aperçu sans rien écrire."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--programme", required=True, help="code du programme")
        parser.add_argument("--create-programme", metavar="NOM", help="crée le programme s'il n'existe pas")
        parser.add_argument("--owner", default="", help="code de la structure pilote d'un programme créé")
        parser.add_argument(
            "--reference-date", type=date.fromisoformat, help="AAAA-MM-JJ (sinon lue au-dessus de l'en-tête)"
        )
        parser.add_argument("--dry-run", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"Fichier introuvable : {path}")
        programme = Programme.objects.filter(code=options["programme"]).first()
        if programme is None:
            if not options["create_programme"]:
                raise CommandError(
                    f'Aucun programme « {options["programme"]} » (utilisez --create-programme "Nom").'
                )
            owner = (
                Structure.objects.filter(code=options["owner"]).first()
                if options["owner"]
                else Structure.objects.filter(kind=StructureKind.STATE).first()
                or Structure.objects.order_by("depth").first()
            )
            if owner is None:
                raise CommandError("Aucune structure dans le référentiel pour porter le programme.")
            try:
                programme = programme_create(
                    by=SYSTEM, code=options["programme"], name=options["create_programme"], owner=owner
                )
            except (ValidationError, IntegrityError) as exc:
                # Another run created it meanwhile: import into it, as a second run would.
                programme = Programme.objects.filter(code=options["programme"]).first()
                if programme is None:
                    detail = "; ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
                    raise CommandError(f"Le programme n'a pas pu être créé : {detail}") from exc
        importer = ActionPlanImporter(
            user=SYSTEM, programme=programme, reference_date=options["reference_date"]
        )
        try:
            table = importer.read(path.read_bytes(), path.name)
            report = importer.preview(table) if options["dry_run"] else importer.apply(table)
        except SpreadsheetError as exc:
            raise CommandError(str(exc)) from exc
        except (IntegrityError, OperationalError) as exc:
            raise CommandError(
                "Un autre import de ce programme s'est exécuté en même temps : rien n'a été enregistré par "
                "celui-ci. Relancez la commande (elle ne duplique rien)."
            ) from exc
        for row in report.rejected:
            for message in row.messages:
                self.stderr.write(message)
        counts = report.counts()
        verb = "seraient" if options["dry_run"] else "ont été"
        self.stdout.write(
            f"{programme.code} : {counts['create']} action(s) {verb} créée(s), {counts['update']} mise(s) à jour, "
            f"{counts['unchanged']} inchangée(s), {counts['reject']} rejetée(s)."
            + (f" Date de référence : {importer.reference_date:%d/%m/%Y}." if importer.reference_date else "")
        )
        if counts["create"] + counts["update"] + counts["unchanged"] == 0:
            raise CommandError("Aucune action n'a pu être lue dans ce fichier.")
