"""Imports of structures and people: preview writes nothing, apply is atomic, re-import is idempotent,
every rejected row says row, column, value and why; perimeter enforced row by row."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from bascule.core.exports import write_csv, write_ods, write_xlsx
from bascule.core.imports import IMPORTERS
from bascule.core.models import TaskRun
from bascule.core.services import taskrun_start
from bascule.organisation.models import Assignment, Person, Structure
from bascule.organisation.selectors import STRUCTURE_COLUMNS, StructureFilters, structure_list, structure_rows
from tests.conftest import run_worker

STRUCTURES = [
    ["Code", "Nom", "Type", "Rattachement", "Région", "Département", "Début de validité"],
    [
        "SGCD-29",
        "Secrétariat général commun du Finistère",
        "Secrétariat général commun départemental",
        "D29",
        "53",
        "29",
        "01/01/2025",
    ],
    ["SGCD-29/RH", "Pôle RH du SGCD", "service", "SGCD-29", "Bretagne", "29", ""],
    [
        "DDPP-29",
        "Direction départementale de la protection des populations",
        "DDI",
        "D29",
        "53",
        "29",
        "2025-01-01",
    ],
]


def _importer(name, user):
    return IMPORTERS[name](user=user)


def _table(importer, rows, fmt="csv"):
    writer = {"csv": write_csv, "xlsx": write_xlsx, "ods": write_ods}[fmt]
    return importer.read(writer(rows[0], rows[1:]), f"f.{fmt}")


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "ods"])
def test_preview_then_apply_then_reimport_changes_nothing(world, fmt):
    importer = _importer("organisation.structures", world.lead_bzh)
    before = Structure.objects.count()
    preview = importer.preview(_table(importer, STRUCTURES, fmt))
    assert preview.counts() == {"create": 3, "update": 0, "unchanged": 0, "reject": 0}
    assert Structure.objects.count() == before  # nothing written
    report = importer.apply(_table(importer, STRUCTURES, fmt))
    assert report.applied and report.counts()["create"] == 3
    rh = Structure.objects.get(code="SGCD-29/RH")
    assert rh.parent.code == "SGCD-29" and rh.region == "53" and rh.path.startswith(world.finistere.path)
    assert rh.history.first().history_user == world.lead_bzh
    again = importer.preview(_table(importer, STRUCTURES, fmt))
    assert again.counts() == {"create": 0, "update": 0, "unchanged": 3, "reject": 0}
    assert importer.apply(_table(importer, STRUCTURES, fmt)).counts()["unchanged"] == 3
    assert Structure.objects.count() == before + 3


def test_children_before_parents_in_the_file(world):
    rows = [STRUCTURES[0], STRUCTURES[2], STRUCTURES[1]]
    report = _importer("organisation.structures", world.lead_bzh).apply(
        _table(_importer("organisation.structures", world.lead_bzh), rows)
    )
    assert report.counts()["create"] == 2
    assert Structure.objects.get(code="SGCD-29/RH").parent.code == "SGCD-29"


def test_update_reports_changes_and_moves_subtrees(world):
    importer = _importer("organisation.structures", world.national)
    rows = [
        STRUCTURES[0],
        ["DDTM-29", "DDTM du Finistère (Quimper)", "Direction départementale", "R53", "53", "29", ""],
    ]
    preview = importer.preview(_table(importer, rows))
    assert preview.rows[0].outcome == "update"
    assert ("Nom", "DDTM du Finistère", "DDTM du Finistère (Quimper)") in preview.rows[0].changes
    assert ("Rattachement", "D29", "R53") in preview.rows[0].changes
    importer.apply(_table(importer, rows))
    world.ddtm29.refresh_from_db()
    assert world.ddtm29.parent == world.bretagne and world.ddtm29.depth == world.bretagne.depth + 1


def test_rejected_rows_name_row_column_value(world):
    rows = [
        STRUCTURES[0],
        ["X1", "Sans type", "usine", "D29", "53", "29", ""],
        ["X2", "Mauvaise date", "service", "D29", "53", "29", "31/02/2025"],
        ["X3", "Hors périmètre", "service", "D14", "28", "14", ""],
        ["X4", "Parent inconnu", "service", "NULLE-PART", "53", "", ""],
        ["X5", "Région inconnue", "service", "D29", "99", "", ""],
        ["DDTM-14", "Calvados", "service", "D29", "", "", ""],
    ]
    importer = _importer("organisation.structures", world.lead_bzh)
    report = importer.preview(_table(importer, rows))
    messages = {row.key: " ".join(row.messages) for row in report.rows}
    assert report.counts()["reject"] == 6
    assert "Ligne 2, colonne « Type », valeur « usine » : valeur inconnue" in messages["X1"]
    assert "Ligne 3, colonne « Début de validité », valeur « 31/02/2025 »" in messages["X2"]
    assert "colonne « Rattachement », valeur « D14 » : rattachement hors de votre périmètre" in messages["X3"]
    assert "aucune structure n'a ce code" in messages["X4"]
    assert "colonne « Région », valeur « 99 »" in messages["X5"]
    assert "hors de votre périmètre" in messages["DDTM-14"]


def test_formulas_in_a_csv_are_rejected(world):
    importer = _importer("organisation.structures", world.lead_bzh)
    report = importer.preview(importer.read(b"Code;Nom;Type;Rattachement\nX6;=1+1;service;D29\n"))
    assert (
        "Ligne 2, colonne « Nom », valeur « =1+1 » : les formules ne sont pas acceptées"
        in report.rows[0].messages[0]
    )


def test_cycles_are_rejected(world):
    rows = [STRUCTURES[0], ["D29", "Finistère", "Département", "DDTM-29", "53", "29", ""]]
    report = _importer("organisation.structures", world.national).preview(
        _table(_importer("organisation.structures", world.national), rows)
    )
    assert report.rows[0].outcome == "reject"
    assert "boucle" in report.rows[0].messages[0]


def test_missing_columns_are_named(world):
    importer = _importer("organisation.structures", world.national)
    with pytest.raises(Exception, match=r"Colonnes obligatoires absentes.*« Type »"):
        importer.preview(importer.read(b"Code;Nom;Couleur\nA;B;C\n"))


PEOPLE = [
    [
        "Courriel",
        "Prénom",
        "Nom",
        "Structure",
        "Ministère d'origine",
        "Catégorie",
        "ETP",
        "Rôle",
        "Structure d'affectation",
        "Début",
        "Fin",
    ],
    [
        "Anne.Kerjean@test.gouv.fr",
        "Anne",
        "Kerjean",
        "DDTM-29",
        "MI",
        "A",
        "0,8",
        "Formateur",
        "D29",
        "01/09/2025",
        "",
    ],
    [
        "anne.kerjean@test.gouv.fr",
        "Anne",
        "Kerjean",
        "DDTM-29",
        "MI",
        "A",
        "0,8",
        "Référent métier",
        "",
        "01/09/2025",
        "",
    ],
    ["loic.riou@test.gouv.fr", "Loïc", "Riou", "DDTM-29", "", "B", "", "", "", "", ""],
]


def test_people_with_assignments_and_idempotent_reimport(world):
    importer = _importer("organisation.people", world.lead_bzh)
    preview = importer.preview(_table(importer, PEOPLE))
    assert preview.counts() == {"create": 3, "update": 0, "unchanged": 0, "reject": 0}
    importer.apply(_table(importer, PEOPLE))
    anne = Person.objects.get(email="anne.kerjean@test.gouv.fr")
    assert str(anne.fte) == "0.80"
    assert set(anne.assignments.values_list("role", "structure__code")) == {
        ("trainer", "D29"),
        ("business_referent", "DDTM-29"),
    }
    assert importer.preview(_table(importer, PEOPLE)).counts()["unchanged"] == 3
    ended = [row[:] for row in PEOPLE]
    ended[1][10] = "31/12/2025"
    report = importer.apply(_table(importer, ended))
    assert report.rows[0].outcome == "update"
    assert Assignment.objects.get(person=anne, role="trainer").end_date == date(2025, 12, 31)


def test_people_outside_the_perimeter_are_rejected(world):
    rows = [
        PEOPLE[0],
        ["agent.nor@test.gouv.fr", "X", "Y", "DDTM-29", "", "", "", "", "", "", ""],
        ["new@test.gouv.fr", "X", "Y", "DDTM-14", "", "", "", "", "", "", ""],
        ["bad-mail", "X", "Y", "DDTM-29", "", "Z", "2", "Chef", "", "", ""],
    ]
    report = _importer("organisation.people", world.lead_bzh).preview(
        _table(_importer("organisation.people", world.lead_bzh), rows)
    )
    assert [row.outcome for row in report.rows] == ["reject", "reject", "reject"]
    assert "hors de votre périmètre" in report.rows[0].messages[0]
    bad = " ".join(report.rows[2].messages)
    assert (
        "courriel invalide" in bad and "« Catégorie », valeur « Z »" in bad and "« ETP », valeur « 2 »" in bad
    )


def test_readers_cannot_import_anything(world):
    report = _importer("organisation.structures", world.reader_bzh).preview(
        _table(_importer("organisation.structures", world.reader_bzh), STRUCTURES)
    )
    assert report.counts()["reject"] == 3


def test_export_reimports_identically(world):
    rows = list(structure_rows(structure_list(user=world.lead_bzh, filters=StructureFilters(state="toutes"))))
    data = write_xlsx(STRUCTURE_COLUMNS, rows)
    importer = _importer("organisation.structures", world.lead_bzh)
    report = importer.preview(importer.read(data, "export.xlsx"))
    # The region node itself has no writable parent for a regional lead, but it is unchanged: nothing to do.
    assert report.counts() == {"create": 0, "update": 0, "unchanged": len(rows), "reject": 0}


@pytest.mark.django_db(transaction=True)  # the worker commits and may reconnect, as in production
def test_import_runs_in_the_background_worker(world, django_capture_on_commit_callbacks):
    upload = SimpleUploadedFile("structures.csv", write_csv(STRUCTURES[0], STRUCTURES[1:]))
    with django_capture_on_commit_callbacks(execute=True):
        run = taskrun_start(
            kind="import",
            label="Aperçu",
            owner=world.lead_bzh,
            params={"importer": "organisation.structures", "mode": "preview"},
            input_file=upload,
        )
    run_worker()
    run.refresh_from_db()
    assert run.status == TaskRun.Status.SUCCEEDED and run.result["counts"]["create"] == 3
    assert not Structure.objects.filter(code="SGCD-29").exists()
    with django_capture_on_commit_callbacks(execute=True):
        applied = taskrun_start(
            kind="import",
            label="Application",
            owner=world.lead_bzh,
            params={**run.params, "mode": "apply"},
            source=run,
        )
    run_worker()
    applied.refresh_from_db()
    assert applied.status == TaskRun.Status.SUCCEEDED and applied.progress == 100
    assert Structure.objects.filter(code="SGCD-29").exists()


@pytest.mark.django_db(transaction=True)  # the worker commits and may reconnect, as in production
def test_a_failing_apply_writes_nothing(world, django_capture_on_commit_callbacks):
    # A broken file fails the run with the reader's French message, and nothing is written.
    upload = SimpleUploadedFile("cassé.xlsx", b"PK\x03\x04 pas un classeur")
    with django_capture_on_commit_callbacks(execute=True):
        run = taskrun_start(
            kind="import",
            label="Application",
            owner=world.lead_bzh,
            params={"importer": "organisation.structures", "mode": "apply"},
            input_file=upload,
        )
    count = Structure.objects.count()
    run_worker()
    run.refresh_from_db()
    assert run.status == TaskRun.Status.FAILED and "endommagé" in run.error
    assert Structure.objects.count() == count
