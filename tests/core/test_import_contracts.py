"""Every module is under the import contracts of `make quality` (a new module cannot be forgotten there)."""

from __future__ import annotations

import importlib.util
import tomllib
from pathlib import Path

from django.conf import settings

MODULES = [app for app in settings.INSTALLED_APPS if app.startswith("bascule.") and app != "bascule.core"]


def test_every_module_is_in_the_import_contracts():
    config = tomllib.loads((Path(__file__).resolve().parents[2] / "pyproject.toml").read_text())
    core, views = config["tool"]["importlinter"]["contracts"]
    for module in MODULES:
        assert module in core["forbidden_modules"], f"{module}: core must not import it"
        assert module in views["source_modules"], f"{module}: not checked for imports of views/api"
        layers = [
            f"{module}.{name}" for name in ("views", "api") if importlib.util.find_spec(f"{module}.{name}")
        ]
        assert set(layers) <= set(views["forbidden_modules"]), module
