"""Every module is under the import contracts of `make quality` (a new module cannot be forgotten there), has its
place in the layers, and no two files import each other (even lazily, inside a function)."""

from __future__ import annotations

import importlib.util
import tomllib
from pathlib import Path

from django.conf import settings

MODULES = [app for app in settings.INSTALLED_APPS if app.startswith("bascule.") and app != "bascule.core"]


def test_every_module_is_in_the_import_contracts():
    config = tomllib.loads((Path(__file__).resolve().parents[2] / "pyproject.toml").read_text())
    core, views, layered = config["tool"]["importlinter"]["contracts"]
    placed = {name.strip() for layer in layered["layers"] for name in layer.split("|")}
    for module in MODULES:
        assert module in core["forbidden_modules"], f"{module}: core must not import it"
        assert module in views["source_modules"], f"{module}: not checked for imports of views/api"
        layers = [
            f"{module}.{name}" for name in ("views", "api") if importlib.util.find_spec(f"{module}.{name}")
        ]
        assert set(layers) <= set(views["forbidden_modules"]), module
        assert module in placed, f"{module}: give it its layer in the 'modules are layered' contract"


def test_no_two_files_import_each_other():
    import grimp

    graph = grimp.build_graph("bascule")
    loops = sorted(
        (a, b)
        for a in graph.modules
        for b in graph.find_modules_directly_imported_by(a)
        if a < b and a in graph.find_modules_directly_imported_by(b)
    )
    assert loops == []
