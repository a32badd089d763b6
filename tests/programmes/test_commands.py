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
