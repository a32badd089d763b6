"""`manage.py sizing_compute --input FILE [--programme CODE] [--rounding RULE] --json OUT`

Computes a sizing from a file of centre × wave × ministry rows (the import's columns) without writing anything:
the parameters are the programme's reference sizing (`--programme`) or the defaults of domain.md §8 (2.66, 1, 3,000
acts per agent, 2 per centre and per antenna, nearest unit per ministry); `--rounding` overrides the rule. The JSON
has `centres` (per centre and wave: `fte_by_ministry`, `management`, `total`…) and `totals_by_wave`, every number
a decimal string. Rejected rows are printed (row, column, value, reason) and the command fails.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from bascule.core.spreadsheets import SpreadsheetError
from bascule.core.system import SYSTEM
from bascule.sizing.compute import ROUNDINGS, CentreWave, Params, as_json, centre_figures, totals
from bascule.sizing.importers import SizingFile, read_rows
from bascule.sizing.models import Sizing
from bascule.sizing.selectors import params_of


class Command(BaseCommand):
    help = "Calcule les effectifs des centres à partir d'un fichier de volumes (sans rien enregistrer)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--input", required=True, help="XLSX, ODS ou CSV : une ligne par centre × vague × ministère"
        )
        parser.add_argument("--programme", default="", help="code du programme dont prendre les paramètres")
        parser.add_argument("--rounding", choices=sorted(ROUNDINGS), default="", help="règle d'arrondi")
        parser.add_argument("--json", required=True, dest="out", help="fichier JSON écrit")

    def handle(self, *args: Any, **options: Any) -> None:
        params = Params()
        if options["programme"]:
            sizing = (
                Sizing.objects.filter(programme__code=options["programme"], based_on__isnull=True)
                .order_by("created_at")
                .first()
            )
            if sizing is None:
                raise CommandError(
                    f"Aucun dimensionnement de référence pour le programme « {options['programme']} »."
                )
            params = params_of(sizing)
        if options["rounding"]:
            params = Params(**{**params.__dict__, "rounding": options["rounding"]})
        path = Path(options["input"])
        if not path.is_file():
            raise CommandError(f"Fichier introuvable : {path}")
        reader = SizingFile(user=SYSTEM)
        try:
            table = reader.read(path.read_bytes(), path.name)
            rows = read_rows(list(reader.readers(table)))
        except SpreadsheetError as error:
            raise CommandError(str(error)) from error
        errors = [str(e) for r, _ in rows for e in r.errors]
        if errors:
            for line in errors:
                self.stderr.write(line)
            raise CommandError(f"{len(errors)} erreur(s) : rien n'est calculé.")
        grouped: dict[tuple[str, str], dict[str, Any]] = {}
        order: list[str] = []
        for _, row in rows:
            assert row is not None
            wave = row.wave_date.isoformat() if row.wave_date else row.wave
            if wave not in order:
                order.append(wave)
            item = grouped.setdefault(
                (row.centre, wave),
                {"region": row.region, "host": row.host, "antennas": row.antennas, "volumes": {}},
            )
            item["volumes"][row.ministry] = (row.mandats, row.titres)
        waves = sorted(order)
        centres: dict[str, Any] = {}
        per_wave: dict[str, list[Any]] = {w: [] for w in waves}
        for (centre, wave), item in sorted(grouped.items()):
            figures = centre_figures(
                params,
                CentreWave(
                    centre=centre,
                    wave=wave,
                    antennas=item["antennas"],
                    volumes=item["volumes"],
                    region=item["region"],
                    host=item["host"],
                ),
            )
            per_wave[wave].append(figures)
            entry = centres.setdefault(
                centre, {"centre": centre, "region": item["region"], "host": item["host"], "waves": {}}
            )
            entry["waves"][wave] = as_json(figures)
        totals_by_wave = {w: as_json(totals(per_wave[w])) for w in waves}
        result = {
            "parameters": {k: str(v) for k, v in params.__dict__.items()},
            "centres": list(centres.values()),
            "totals_by_wave": totals_by_wave,
        }
        Path(options["out"]).write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
        self.stdout.write(
            f"{len(centres)} centre(s), {len(waves)} vague(s) : "
            + ", ".join(f"{w} {totals_by_wave[w]['total']} ETP" for w in waves)
            + f" → {options['out']}"
        )
