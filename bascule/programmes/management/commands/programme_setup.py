"""manage.py programme_setup FILE: set a programme up from a YAML or XLSX description (docs/programme-setup.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from bascule.core.system import SYSTEM
from bascule.programmes.setup_file import SetupFileError, apply_spec, read_spec


class Command(BaseCommand):
    help = "Met en place un programme (vagues, structures, responsables) décrit dans un fichier YAML ou XLSX."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"Fichier introuvable : {path}")
        try:
            said = apply_spec(read_spec(path.read_bytes(), path.name), by=SYSTEM)
        except (SetupFileError, ValidationError, PermissionDenied) as exc:
            raise CommandError(" ".join(getattr(exc, "messages", None) or [str(exc)])) from exc
        for line in said:
            self.stdout.write(line)
