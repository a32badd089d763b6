"""The server process settles before its first request: start-up objects are frozen out of the collector's walk."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import gc, sys
import {module}
from django.urls import get_resolver
frozen = gc.get_freeze_count()
views = [m for m in sys.modules if m.startswith("bascule.") and m.endswith(".views")]
print(frozen, len(views))
"""


@pytest.mark.parametrize("module", ["config.wsgi", "config.asgi"])
def test_the_server_entry_point_loads_every_view_then_freezes_start_up_objects(module):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"}
    env.pop("DATABASE_URL", None)  # no connection is opened: SQLite settings suffice
    out = subprocess.run(
        [sys.executable, "-c", PROBE.format(module=module)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout.split()
    frozen, views = int(out[0]), int(out[1])
    # Django, the modules and the URL map: tens of thousands of objects the collector no longer walks.
    assert frozen > 50_000, frozen
    # The URL map was loaded before freezing: every module's views are among them, not imported by a first request.
    assert views == len(list((ROOT / "bascule").glob("*/views.py"))), views
