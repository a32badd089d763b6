"""`manage.py programme_setup FILE` on the demo organisation: the example YAML, the same as an XLSX workbook, run
twice (nothing more the second time), and a file with a mistake (a French message naming where, nothing written)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from openpyxl import Workbook

from bascule.programmes.models import Programme, Workstream

EXAMPLE = (
    Path(__file__).resolve().parents[2] / "bascule" / "programmes" / "data" / "programme_setup_example.yaml"
)


def _run(path: Path) -> str:
    out = io.StringIO()
    call_command("programme_setup", str(path), stdout=out)
    return out.getvalue()


def test_the_example_sets_the_programme_up_once(demo):
    said = _run(EXAMPLE)
    programme = Programme.objects.get(code="DEMAT-79")
    first, second = programme.waves.order_by("golive_date")
    assert first.budget_programmes == ["354", "216"] and first.freeze_date.isoformat() == "2026-12-15"
    assert {s.code for s in second.structures.all()} >= {"D86", "DDPP-86", "DDETS-86"}
    assert Workstream.objects.filter(template__programme=programme, structure__code="D79").count() == 7
    assert ("Vague « Vague 1 » créée" in said and "lecteur" in said.lower()) or "Lecteur" in said
    assert _run(EXAMPLE).strip() == "Rien à faire : le programme est déjà tel que décrit."


def test_the_same_as_a_workbook(demo, tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.title = "Programme"
    for row in (
        ("Code", "DEMAT-86"),
        ("Nom", "Dématérialisation 86"),
        ("Structure pilote", "DMAT/SDAT/BCAM"),
    ):
        sheet.append(row)
    waves = book.create_sheet("Vagues")
    waves.append(["Nom", "Bascule", "Programmes budgétaires", "Structures"])
    waves.append(["Vague unique", "01/06/2027", "354", "D86, D79"])
    path = tmp_path / "demat.xlsx"
    book.save(path)
    _run(path)
    programme = Programme.objects.get(code="DEMAT-86")
    assert {s.code for s in programme.waves.get().structures.all()} == {"D86", "D79"}
    assert Workstream.objects.filter(template__programme=programme).count() == 14


def test_a_mistake_is_named_and_nothing_is_written(demo, tmp_path):
    path = tmp_path / "faux.yaml"
    path.write_text(
        "code: FAUX\nname: Faux\nowner: DMAT/SDAT/BCAM\nwaves:\n"
        "  - {name: V1, golive: 2027-01-01, structures: [D79]}\n"
        "  - {name: V2, golive: 2027-02-01, structures: [D999]}\n",
        encoding="utf-8",
    )
    with pytest.raises(CommandError, match=r"Vague 2 \(V2\) : structures inconnues : D999"):
        _run(path)
    assert not Programme.objects.filter(code="FAUX").exists()
