"""Write realistic takeover extracts with a known number of planted defects of each rule (and the exact target).

    manage.py takeover_sample DIR [--lines 100000] [--defects 5] [--no-mappings]

Prints the count each rule must find; `takeover_run` on the files must find exactly those.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from bascule.reprise.sample import generate


class Command(BaseCommand):
    help = "Génère des extractions de reprise avec des défauts connus de chaque règle."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("directory", type=Path)
        parser.add_argument("--lines", type=int, default=100_000)
        parser.add_argument("--defects", type=int, default=5)
        parser.add_argument("--no-mappings", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        sample = generate(
            options["directory"],
            options["lines"],
            defects=options["defects"],
            mappings=not options["no_mappings"],
        )
        self.stdout.write(
            json.dumps(
                {
                    "directory": str(sample.directory),
                    "lines": sample.lines,
                    "in_scope": sample.in_scope,
                    "expected": sample.expected,
                },
                indent=2,
            )
        )
