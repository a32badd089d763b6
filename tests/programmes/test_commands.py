"""The command-line import and export of action plans."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from bascule.programmes.models import Action, Programme
from tests.programmes.test_action_plan_import import SAMPLE


def _run(*args):
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.mark.parametrize("fmt", ["xlsx", "ods", "csv"])
def test_import_dry_run_import_reimport_export_roundtrip(world, tmp_path, fmt):
    out, _ = _run(
        "import_action_plan",
        str(SAMPLE),
        "--programme",
        "PA-DDI",
        "--create-programme",
        "Plan DDI",
        "--dry-run",
    )
    assert "9 action(s) seraient créée(s)" in out and "01/12/2011" in out
    assert not Action.objects.filter(programme__code="PA-DDI").exists()
    out, _ = _run("import_action_plan", str(SAMPLE), "--programme", "PA-DDI")
    assert "9 action(s) ont été créée(s)" in out
    out, _ = _run("import_action_plan", str(SAMPLE), "--programme", "PA-DDI")
    assert "0 action(s) ont été créée(s), 0 mise(s) à jour, 9 inchangée(s)" in out
    target = tmp_path / f"plan.{fmt}"
    out, _ = _run("export_action_plan", str(target), "--programme", "PA-DDI", "--format", fmt)
    assert "9 action(s)" in out
    out, _ = _run(
        "import_action_plan",
        str(target),
        "--programme",
        "PA-DDI",
        "--reference-date",
        "2011-12-01",
        "--dry-run",
    )
    assert "9 inchangée(s)" in out
    assert Programme.objects.get(code="PA-DDI").actions.count() == 9


def test_nothing_readable_exits_non_zero(world, tmp_path):
    bad = tmp_path / "vide.csv"
    bad.write_text("Colonne;Autre\nx;y\n")
    with pytest.raises(CommandError, match="Colonnes obligatoires absentes"):
        _run("import_action_plan", str(bad), "--programme", "X", "--create-programme", "X")
    with pytest.raises(CommandError, match="Aucun programme"):
        _run("import_action_plan", str(SAMPLE), "--programme", "INCONNU")


def test_two_imports_creating_the_same_programme_at_once_both_end_in_french(tmp_path):
    """Two real processes on the embedded SQLite: neither prints a traceback; the plan exists once."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DEBUG"}}
    env.update(DJANGO_SETTINGS_MODULE="config.settings", BASCULE_VAR_DIR=str(tmp_path))
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v", "0"], cwd=root, env=env, check=True, timeout=120
    )
    setup = (
        "import django; django.setup(); from bascule.core.system import SYSTEM; "
        "from bascule.organisation.services import structure_create; "
        "structure_create(by=SYSTEM, code='ETAT', name='État', kind='state')"
    )
    subprocess.run([sys.executable, "-c", setup], cwd=root, env=env, check=True, timeout=60)
    command = [
        sys.executable,
        "manage.py",
        "import_action_plan",
        str(SAMPLE),
        "--programme",
        "PA-X",
        "--create-programme",
        "Plan X",
    ]
    runs = [
        subprocess.Popen(
            command, cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        for _ in range(2)
    ]
    outputs = [run.communicate(timeout=120)[0] for run in runs]
    for run, output in zip(runs, outputs, strict=True):
        assert "Traceback" not in output, output
        assert run.returncode == 0 or "Relancez la commande" in output, output
    count = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from bascule.programmes.models import Action; "
            "print(Action.objects.filter(programme__code='PA-X').count())",
        ],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert int(count.stdout) > 0
