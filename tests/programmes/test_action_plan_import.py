"""The sample action plan: preview, apply, idempotent re-import, every deadline understood, export round trip."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from bascule.core.exports import write_csv, write_ods, write_xlsx
from bascule.programmes.importers import ACTION_COLUMNS, ActionPlanImporter, export_rows
from bascule.programmes.models import Action, ProgressNote, Status
from bascule.programmes.services import programme_create
from tests.factories import make_structure

SAMPLE = Path(__file__).resolve().parents[2] / "bascule" / "programmes" / "data" / "plan_actions_exemple.xlsx"

EXPECTED_DEADLINES = {
    "1-1": (date(2011, 10, 1), date(2011, 10, 31)),
    "1-2": (date(2011, 9, 1), date(2011, 12, 31)),
    "2-1": (date(2011, 10, 1), date(2011, 12, 31)),
    "2-2": (date(2011, 9, 21), date(2011, 12, 31)),
    "2-3": (date(2012, 1, 1), date(2012, 12, 31)),
    "3-1": (date(2012, 5, 1), date(2012, 8, 31)),
    "4-1": (date(2011, 12, 1), date(2011, 12, 1)),
    "4-2": (date(2011, 12, 1), date(2012, 1, 15)),
    "4-3": (date(2012, 2, 1), date(2012, 12, 31)),
}


@pytest.fixture
def programme(world):
    make_structure("AIFE", parent=world.ministry, name="Agence pour l'informatique financière de l'État")
    make_structure("DGFIP", parent=world.ministry, name="Direction générale des finances publiques")
    return programme_create(
        by=world.national, code="PA-DDI", name="Plan d'accompagnement des DDI", owner=world.national_office
    )


def _importer(world, programme, user=None):
    return ActionPlanImporter(user=user or world.national, programme=programme)


def test_sample_preview_then_apply(world, programme):
    importer = _importer(world, programme)
    table = importer.read(SAMPLE.read_bytes(), SAMPLE.name)
    assert importer.reference_date == date(2011, 12, 1)  # "revue du 1er décembre 2011", above the header
    preview = importer.preview(table)
    assert preview.counts() == {"create": 9, "update": 0, "unchanged": 0, "reject": 0}
    assert not Action.objects.filter(programme__code="PA-DDI").exists()
    importer.apply(table)
    actions = {
        a.code: a for a in Action.objects.filter(programme__code="PA-DDI").select_related("pain_point")
    }
    assert set(actions) == set(EXPECTED_DEADLINES)
    for code, (start, end) in EXPECTED_DEADLINES.items():
        assert actions[code].deadline_understood, code
        assert (actions[code].deadline_start, actions[code].deadline_end) == (start, end), code
    # merged pain-point cells are filled down
    assert (
        actions["2-3"].pain_point.number == 2
        and actions["2-3"].pain_point.title == "Nouveaux processus financiers"
    )
    assert actions["4-3"].deadline.stages[1].end == date(2012, 12, 31)
    # lead and partners recognised in the free text, the rest kept
    assert [s.code for s in actions["1-1"].partner_structures.all()] == ["AIFE"]
    assert "Equipe interministérielle d'accompagnement" in actions["1-1"].lead_unrecognised
    assert [s.code for s in actions["1-2"].lead_structures.all()] == ["AIFE"]
    assert [s.code for s in actions["4-2"].partner_structures.all()] == ["DGFIP"]
    assert actions["2-3"].status == Status.NOT_STARTED and actions["1-1"].status == Status.IN_PROGRESS
    assert ProgressNote.objects.filter(action=actions["1-1"], on=date(2011, 12, 1)).count() == 1
    # As through the pages: the creation, then the review that made its narrative current.
    records = list(actions["1-1"].history.order_by("history_id"))
    assert [(r.history_type, r.history_change_reason, r.version) for r in records] == [
        ("+", "Import du plan d'actions", 1),
        ("~", "Point d'avancement", 2),
    ]
    assert all(r.history_user == world.national for r in records)


def test_reimport_changes_nothing_and_a_new_progress_adds_a_note(world, programme):
    importer = _importer(world, programme)
    importer.apply(importer.read(SAMPLE.read_bytes(), SAMPLE.name))
    notes = ProgressNote.objects.count()
    again = _importer(world, programme)
    report = again.apply(again.read(SAMPLE.read_bytes(), SAMPLE.name))
    assert report.counts()["unchanged"] == 9 and ProgressNote.objects.count() == notes
    rows = export_rows(Action.objects.filter(programme=programme))
    rows[0][5] = "Cinq ateliers tenus ; bilan au COPIL de janvier."
    later = _importer(world, programme)
    later.reference_date = date(2012, 1, 10)
    report = later.apply(later.read(write_xlsx([c.label for c in ACTION_COLUMNS], rows), "v2.xlsx"))
    assert report.counts() == {"create": 0, "update": 1, "unchanged": 8, "reject": 0}
    action = Action.objects.filter(programme__code="PA-DDI").get(code="1-1")
    assert action.progress.startswith("Cinq ateliers") and action.notes.count() == 2
    assert action.notes.first().on == date(2012, 1, 10)


@pytest.mark.parametrize("writer", [write_csv, write_xlsx, write_ods], ids=["csv", "xlsx", "ods"])
def test_export_reimports_identically(world, programme, writer):
    importer = _importer(world, programme)
    importer.apply(importer.read(SAMPLE.read_bytes(), SAMPLE.name))
    data = writer([c.label for c in ACTION_COLUMNS], export_rows(Action.objects.filter(programme=programme)))
    again = _importer(world, programme)
    again.reference_date = date(2011, 12, 1)
    assert again.preview(again.read(data, "export")).counts()["unchanged"] == 9


def test_varied_headers_pain_point_as_text_and_rejections(world, programme):
    data = (
        "Plan régional;;;;\n"
        "Numéro;Irritant;Action;Pilote(s);Échéance\n"
        "5-1;5. Formation;Former les référents;DGFiP;T2 2024\n"
        "5-2;;Former les agents;;\n"
        ";;Sans numéro;;\n"
        "5-1;;Doublon;;\n"
        "6-1;;Action d'un irritant sans titre;;à définir\n"
    ).encode("cp1252")
    importer = _importer(world, programme)
    report = importer.preview(importer.read(data, "plan.csv"))
    assert [r.outcome for r in report.rows] == ["create", "create", "reject", "reject", "create"]
    assert "Ligne 5, colonne « N° », valeur «  » : le numéro" in report.rows[2].messages[0]
    assert "ce numéro figure déjà ligne 3" in report.rows[3].messages[0]
    assert ("Échéance", "", "non comprise : gardée telle qu'écrite") in report.rows[4].changes
    importer.apply(importer.read(data, "plan.csv"))
    assert Action.objects.filter(programme__code="PA-DDI").get(code="5-2").pain_point.title == "Formation"
    assert Action.objects.filter(programme__code="PA-DDI").get(code="5-1").deadline_end == date(2024, 6, 30)
    assert not Action.objects.filter(programme__code="PA-DDI").get(code="6-1").deadline_understood


def test_only_editors_of_the_programme_import(world, programme):
    importer = _importer(world, programme, user=world.lead_bzh)
    with pytest.raises(Exception, match="Vous ne pouvez pas modifier le programme"):
        importer.preview(importer.read(SAMPLE.read_bytes(), SAMPLE.name))
