"""Run the data takeover engine from the command line (a national batch, a rehearsal, CI) and write its JSON summary.

    manage.py takeover_run --kind simulation --commitments engagements.csv --third-parties tiers.csv \\
        [--target cible.csv] [--reference referentiel/] [--mappings correspondances.csv] [--cutoff 2026-12-31] \\
        --structure 53 --json-summary resultat.json

The run is recorded like one launched from the page (files hashed and kept, anomalies browsable, workstream fed), by
the system actor. Exit status 0 when the run finished (whatever it found), 1 when a file could not be used.
"""

from __future__ import annotations

import io
import json
import sys
import zipfile
from datetime import date
from pathlib import Path
from typing import Any

from django.core.files import File
from django.core.files.base import ContentFile
from django.core.management.base import BaseCommand, CommandError, CommandParser

from bascule.core.system import SYSTEM
from bascule.organisation.models import Structure
from bascule.reprise import services
from bascule.reprise.engine import REFERENCE_FILES, EngineError
from bascule.reprise.models import Kind


class Command(BaseCommand):
    help = "Exécute une reprise (simulation, reprise ou delta) et écrit sa synthèse JSON."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--kind", choices=Kind.values, default=Kind.SIMULATION)
        parser.add_argument("--commitments", type=Path, required=True)
        parser.add_argument("--third-parties", type=Path, required=True)
        parser.add_argument("--target", type=Path)
        parser.add_argument("--reference", type=Path, help="dossier des fichiers du référentiel cible")
        parser.add_argument("--mappings", type=Path)
        parser.add_argument("--cutoff", type=date.fromisoformat, help="AAAA-MM-JJ")
        parser.add_argument("--structure", required=True, help="code de la structure")
        parser.add_argument("--json-summary", required=True, help="fichier de sortie (- : sortie standard)")

    def handle(self, *args: Any, **options: Any) -> None:
        structure = Structure.objects.filter(code=options["structure"]).first()
        if structure is None:
            raise CommandError(f"Structure « {options['structure']} » inconnue.")
        for key in ("commitments", "third_parties", "target", "mappings"):
            if options[key] is not None and not options[key].is_file():
                raise CommandError(f"Fichier introuvable : {options[key]}")
        reference = None
        if options["reference"] is not None:
            if not options["reference"].is_dir():
                raise CommandError(f"Dossier du référentiel introuvable : {options['reference']}")
            buffer = io.BytesIO()
            with zipfile.ZipFile(buffer, "w") as archive:
                for name in REFERENCE_FILES.values():
                    if (options["reference"] / name).is_file():
                        archive.write(options["reference"] / name, name)
            reference = ContentFile(buffer.getvalue(), name="referentiel.zip")
        handles = {
            key: options[key].open("rb")
            for key in ("commitments", "third_parties", "target", "mappings")
            if options[key]
        }
        try:
            run = services.run_create(
                by=SYSTEM,
                structure=structure,
                kind=options["kind"],
                commitments=File(handles["commitments"], name=options["commitments"].name),
                third_parties=File(handles["third_parties"], name=options["third_parties"].name),
                target=File(handles["target"], name=options["target"].name) if "target" in handles else None,
                mappings=File(handles["mappings"], name=options["mappings"].name)
                if "mappings" in handles
                else None,
                reference=reference,
                cutoff=options["cutoff"],
                enqueue=False,
            )
        finally:
            for handle in handles.values():
                handle.close()
        try:
            services.run_execute(run=run)
        except EngineError as exc:
            self.stderr.write(str(exc))
            sys.exit(1)
        summary = {"run": str(run.pk), **run.summary}
        text = json.dumps(summary, ensure_ascii=False, indent=2)
        if options["json_summary"] == "-":
            self.stdout.write(text)
        else:
            Path(options["json_summary"]).write_text(text + "\n", encoding="utf-8")
            verdict = {True: "aucune perte", False: "écarts", None: "sans cible"}[summary["no_loss"]]
            self.stdout.write(f"Exécution {run.pk} : {summary['rows_read']} lignes lues, {verdict}.")
