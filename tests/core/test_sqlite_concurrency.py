"""The embedded SQLite default under concurrent writers: they wait their turn, nobody sees "database is locked".

Real processes on a real database file (WAL journal, busy timeout, IMMEDIATE write transactions, as configured in
config/settings.py): six writers create and update structures through the services while another holds long write
transactions, as a slow import would.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
SETUP = """
import django; django.setup()
from bascule.core.system import SYSTEM
from bascule.organisation.services import structure_create
structure_create(by=SYSTEM, code="RACINE", name="Racine", kind="state", parent=None)
"""
WRITER = """
import sys, django; django.setup()
from bascule.core.system import SYSTEM
from bascule.organisation.models import Structure
from bascule.organisation.services import structure_create, structure_update
root = Structure.objects.get(code="RACINE")
n = sys.argv[1]
for i in range(25):
    s = structure_create(by=SYSTEM, code=f"W{n}-{i}", name=f"Écrivain {n} n°{i}", kind="service", parent=root)
    structure_update(by=SYSTEM, structure=s, version=s.version, name=s.name + " (modifié)")
print("OK")
"""
SLOW = """
import time, django; django.setup()
from django.db import transaction
from bascule.core.system import SYSTEM
from bascule.organisation.models import Structure
from bascule.organisation.services import structure_update
for i in range(6):
    with transaction.atomic():
        root = Structure.objects.get(code="RACINE")
        structure_update(by=SYSTEM, structure=root, version=root.version, name=f"Racine {i}")
        time.sleep(0.4)  # a long write transaction holds the lock
print("OK")
"""


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the embedded default is SQLite")
def test_concurrent_writers_wait_instead_of_failing(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DEBUG"}}
    env.update(DJANGO_SETTINGS_MODULE="config.settings", BASCULE_VAR_DIR=str(tmp_path))
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True, timeout=120
    )
    subprocess.run([sys.executable, "-c", SETUP], cwd=ROOT, env=env, check=True, timeout=60)
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(n)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for n in range(6)
    ] + [
        subprocess.Popen(
            [sys.executable, "-c", SLOW],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
    ]
    outputs = [p.communicate(timeout=240)[0] for p in processes]
    for process, output in zip(processes, outputs, strict=True):
        assert "database is locked" not in output, output
        assert process.returncode == 0 and output.strip().endswith("OK"), output
    count = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from bascule.organisation.models import Structure; "
            "print(Structure.objects.filter(name__endswith='(modifié)').count())",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert count.stdout.strip() == "150"
