"""Plan (or re-plan) a region's training and write the published schedule as JSON, checkable without the solver.

manage.py training_schedule --programme CHORUS-MAP --region R53 --json planning.json [--seconds 60] [--replan-all]
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from bascule.core.system import SYSTEM
from bascule.training import services
from bascule.training.check import violations
from bascule.training.models import TrainingPlan
from bascule.training.problem import to_json


class Command(BaseCommand):
    help = "Planifie les formations d'une région (OR-Tools CP-SAT) et écrit le planning en JSON."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--programme", required=True, help="code du programme")
        parser.add_argument("--region", required=True, help="code de la région (ex. R53)")
        parser.add_argument("--json", required=True, type=Path, help="fichier JSON à écrire")
        parser.add_argument("--seconds", type=float, default=60.0, help="temps de calcul maximal (secondes)")
        parser.add_argument(
            "--replan-all", action="store_true", help="replanifier aussi les sessions publiées"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        plan = (
            TrainingPlan.objects.select_related("programme", "region", "wave")
            .filter(programme__code=options["programme"], region__code=options["region"])
            .order_by("wave__golive_date")
            .first()
        )
        if plan is None:
            raise CommandError(
                f"Aucun plan de formation pour le programme {options['programme']} en région {options['region']}."
            )
        try:
            result = services.schedule(
                by=SYSTEM,
                plan=plan,
                seconds=options["seconds"],
                keep_published=not options["replan_all"],
                progress=lambda percent, text: self.stderr.write(f"{percent:3d} % {text}"),
            )
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        problem = services.problem_for(plan, keep_published=False)
        data = to_json(problem, result)
        options["json"].write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
        broken = violations(problem, result)
        stats = result.stats
        self.stdout.write(
            f"{stats['sessions']} sessions, {len(result.unscheduled)} non planifié(s), {stats['travel_km']} km, "
            f"état {stats['solver_status']}, objectif {stats.get('objective')} (borne {stats.get('best_bound')}), "
            f"{stats['seconds']} s ; contrôle indépendant : "
            + ("aucune règle enfreinte." if not broken else f"{len(broken)} règle(s) enfreinte(s).")
        )
