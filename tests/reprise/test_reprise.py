"""The data takeover module end to end: runs through the page and the CLI, who sees and does what, the anomaly
browser and its exports, the reconciliation report, re-keying, dashboards, the workstream it feeds, the API."""

from __future__ import annotations

import io
import json
from pathlib import Path

import openpyxl
import polars as pl
import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from bascule.core.locking import ConflictError
from bascule.core.models import TaskRun
from bascule.core.services import taskrun_execute
from bascule.programmes.models import Workstream
from bascule.reprise import services
from bascule.reprise.engine import EngineError
from bascule.reprise.models import HeaderMapping, Kind, Rekey, TakeoverRun
from tests.reprise.world import make_run, sample_files


@pytest.mark.parametrize(
    ("user", "run", "view", "rekey"),
    [
        ("national", "run_bzh", 200, 302),
        ("lead_bzh", "run_bzh", 200, 302),
        ("reader_bzh", "run_bzh", 200, 403),
        ("referent_29", "run_bzh", 404, 404),
        ("lead_nor", "run_bzh", 404, 404),
        ("lead_nor", "run_nor", 200, 302),
        ("nobody", "run_nor", 404, 404),
    ],
)
def test_who_sees_a_run_and_who_re_keys(world, client, user, run, view, rekey):
    client.force_login(getattr(world, user))
    takeover = getattr(world, run)
    for name in ("run_detail", "run_anomalies", "run_report", "run_rekeys"):
        assert client.get(reverse(f"reprise:{name}", args=[takeover.pk])).status_code == view, name
    item = takeover.rekeys.get()
    response = client.post(
        reverse("reprise:rekey_mark", args=[item.pk]),
        {"version": item.version, "done": "on", "target_number": "2300000042"},
    )
    assert response.status_code == rekey
    item.refresh_from_db()
    assert item.done is (rekey == 302)


def test_regional_users_see_only_their_runs(world, client, django_assert_max_num_queries):
    make_run(world.national, world.normandie, kind=Kind.SIMULATION)
    client.force_login(world.lead_nor)
    with django_assert_max_num_queries(12):
        page = client.get(reverse("reprise:run_list")).content.decode()
    assert "Normandie" in page and "Bretagne" not in page
    client.force_login(world.national)
    api = client.get("/api/v1/takeover/runs/").json()
    assert {row["structure"] for row in api["results"]} == {"R53", "R28"}
    client.force_login(world.lead_nor)
    api = client.get("/api/v1/takeover/runs/").json()
    assert {row["structure"] for row in api["results"]} == {"R28"} and api["count"] == 2
    assert client.get(f"/api/v1/takeover/runs/{world.run_bzh.pk}/").status_code == 404


def test_a_run_launched_from_the_page_goes_through_the_worker(
    world, client, django_capture_on_commit_callbacks
):
    files = sample_files()
    client.force_login(world.lead_bzh)
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(
            reverse("reprise:run_create"),
            {
                "structure": world.bretagne.pk,
                "kind": "simulation",
                "commitments": SimpleUploadedFile("engagements.csv", files["commitments"]),
                "third_parties": SimpleUploadedFile("tiers.csv", files["third_parties"]),
                "target": SimpleUploadedFile("cible.csv", files["exact_target"]),
                "reference": SimpleUploadedFile("referentiel.zip", files["reference"]),
                "mappings": SimpleUploadedFile("correspondances.csv", files["mappings"]),
                "header_mapping": world.mapping_bzh.pk,
                "cutoff": "2026-12-31",
            },
        )
    run = TakeoverRun.objects.filter(kind=Kind.SIMULATION).get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "reprise:run_detail", args=[run.pk]
    )
    assert run.status == TakeoverRun.Status.PENDING and run.launched_by == world.lead_bzh
    assert len(run.inputs["commitments"]["sha256"]) == 64
    page = client.get(reverse("reprise:run_detail", args=[run.pk]), HTTP_HX_REQUEST="true").content.decode()
    assert 'hx-trigger="every 2s"' in page
    taskrun_execute(taskrun_id=str(TaskRun.objects.get(kind="reprise.run").pk))
    run.refresh_from_db()
    assert run.status == TakeoverRun.Status.SUCCEEDED and run.summary["no_loss"] is True
    assert not run.rekeys.exists()  # a simulation marks nothing
    page = client.get(reverse("reprise:run_detail", args=[run.pk])).content.decode()
    assert "Aucune perte" in page and "R16" in page
    # a finished run is immutable: executing it again changes nothing
    before = run.summary
    services.run_execute(run=run)
    run.refresh_from_db()
    assert run.summary == before


def test_a_file_that_cannot_be_used_fails_the_run_and_says_why(
    world, client, django_capture_on_commit_callbacks
):
    client.force_login(world.lead_bzh)
    with django_capture_on_commit_callbacks(execute=False):
        client.post(
            reverse("reprise:run_create"),
            {
                "structure": world.bretagne.pk,
                "kind": "simulation",
                "commitments": SimpleUploadedFile("engagements.csv", b"Code tiers;Nom\nT1;x\n"),
                "third_parties": SimpleUploadedFile("tiers.csv", sample_files()["third_parties"]),
            },
        )
    task = TaskRun.objects.get(kind="reprise.run")
    taskrun_execute(taskrun_id=str(task.pk))
    task.refresh_from_db()
    run = TakeoverRun.objects.filter(kind=Kind.SIMULATION).get()
    assert task.status == TaskRun.Status.FAILED and run.status == TakeoverRun.Status.FAILED
    assert "Fichier des engagements" in run.error and "« N° EJ »" in run.error
    assert "exécution a échoué" in client.get(reverse("reprise:run_detail", args=[run.pk])).content.decode()


def test_only_writers_of_the_structure_launch_runs(world):
    with pytest.raises(Exception, match="responsables"):
        make_run(world.lead_nor, world.bretagne)
    with pytest.raises(Exception, match="Un delta suit"):
        make_run(world.lead_bzh, world.finistere, kind=Kind.DELTA)


def test_a_delta_run_reads_only_what_changed_since_the_previous_one(world):
    previous = world.run_bzh
    assert previous.summary["max_modified"]
    delta = make_run(world.lead_bzh, world.bretagne, kind=Kind.DELTA, exact=True)
    assert delta.since.isoformat() == previous.summary["max_modified"] and delta.previous == previous
    # the same files again: nothing was modified after the previous run's latest modification
    assert delta.summary["rows_unchanged_since_previous"] == delta.summary["rows_read"]
    assert delta.summary["in_scope"] == 0 and delta.summary["reconciliation"]["unexpected_in_target"] == 0


def test_anomaly_browser_filters_and_exports(world, client):
    client.force_login(world.lead_bzh)
    url = reverse("reprise:run_anomalies", args=[world.run_bzh.pk])
    page = client.get(url, {"regle": "R13"}).content.decode()
    assert "1 anomalie" in page and "0999-01-02" in page and "n&#x27;est pas du programme" in page
    assert "2 anomalies" in client.get(url, {"regle": "R04"}).content.decode()
    assert "1 anomalie" in client.get(url, {"gravite": "avertissement", "regle": "R11"}).content.decode()
    assert "Aucune anomalie" in client.get(url, {"tiers": "T-inconnu"}).content.decode()
    csv = client.get(url, {"regle": "R07", "export": "csv"})
    frame = pl.read_csv(io.BytesIO(csv.content), separator=";")
    assert frame.columns[:3] == ["Fichier", "Ligne", "Règle"] and frame["Règle"].to_list() == ["R07"]
    xlsx = client.get(url, {"export": "xlsx"})
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    assert (
        sheet.max_row - 1 == sum(world.run_bzh.summary["anomalies_by_rule"].values()) - 1 + 1
    )  # R06 is one row


def test_the_reconciliation_report_names_every_difference(world, client):
    client.force_login(world.lead_bzh)
    url = reverse("reprise:run_report", args=[world.run_bzh.pk])
    page = client.get(url).content.decode()
    missing = world.rekey_bzh
    assert "Écarts constatés" in page and "absente de la cible" in page and missing.ej in page
    assert "chaque centre est équilibré" in page
    book = openpyxl.load_workbook(io.BytesIO(client.get(url, {"export": "xlsx"}).content))
    assert book.sheetnames == [
        "Synthèse",
        "Par centre",
        "Écarts",
        "Programmes",
        "Tiers (SIREN)",
        "Engagements",
    ]
    assert [row[1] for row in book["Écarts"].iter_rows(min_row=2, values_only=True)] == [missing.ej]
    pdf = client.get(url, {"export": "pdf"})
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    exact = make_run(world.lead_bzh, world.bretagne, kind=Kind.SIMULATION, exact=True)
    assert "Aucune perte." in client.get(reverse("reprise:run_report", args=[exact.pk])).content.decode()


def test_re_keying_records_who_and_when_and_feeds_the_workstream(world, client):
    workstream = Workstream.objects.get(structure=world.bretagne, template__name="Reprise des données")
    summary = world.run_bzh.summary
    share = round(100 * summary["in_scope"] / (summary["in_scope"] + summary["blocked"]))
    assert (workstream.percent, workstream.status) == (share, "in_progress") and 0 < share < 100
    item = world.rekey_bzh
    with pytest.raises(Exception, match="numéro"):
        services.rekey_mark(by=world.lead_bzh, rekey=item, version=item.version, done=True)
    services.rekey_mark(
        by=world.lead_bzh, rekey=item, version=item.version, done=True, target_number="2300000042"
    )
    item.refresh_from_db()
    assert item.done and item.done_at and item.done_by and item.history.count() == 2
    with pytest.raises(ConflictError):
        services.rekey_mark(by=world.lead_bzh, rekey=item, version=1, done=False)
    client.force_login(world.national)
    page = client.get(reverse("reprise:dashboard")).content.decode()
    assert "1 ligne ressaisie sur 1" in page and "Bretagne" in page and "Normandie" in page
    # an exact target after re-keying proves no loss: the workstream is done
    make_run(world.lead_bzh, world.bretagne, exact=True)
    workstream.refresh_from_db()
    assert (workstream.percent, workstream.status) == (100, "done")


def test_dashboard_and_lists_use_a_constant_number_of_queries(world, client, django_assert_max_num_queries):
    client.force_login(world.national)
    pages = [reverse("reprise:dashboard"), reverse("reprise:run_list"), reverse("core:home")]
    counts = []
    for url in pages:
        with django_assert_max_num_queries(40) as before:
            client.get(url)
        counts.append(len(before.captured_queries))
    for structure in (world.bretagne, world.normandie, world.bretagne):
        make_run(world.national, structure, kind=Kind.SIMULATION)
    for url, count in zip(pages, counts, strict=True):
        with django_assert_max_num_queries(count):
            assert client.get(url).status_code == 200


def test_the_cli_writes_the_json_summary(world, tmp_path: Path):
    call_command(
        "takeover_sample", str(tmp_path / "extrait"), "--lines", "200", "--defects", "2", stdout=io.StringIO()
    )
    folder = tmp_path / "extrait"
    out = tmp_path / "resultat.json"
    call_command(
        "takeover_run",
        "--kind", "simulation",
        "--commitments", str(folder / "engagements.csv"),
        "--third-parties", str(folder / "tiers.csv"),
        "--target", str(folder / "cible.csv"),
        "--reference", str(folder / "referentiel"),
        "--mappings", str(folder / "correspondances.csv"),
        "--cutoff", "2026-12-31",
        "--structure", "R53",
        "--json-summary", str(out),
        stdout=io.StringIO(),
    )  # fmt: skip
    summary = json.loads(out.read_text())
    assert set(summary) >= {
        "rows_in_file", "rows_read", "rows_rejected_by_parser", "in_scope", "excluded_zero_balance", "blocked",
        "anomalies_by_rule", "totals", "reconciliation", "no_loss",
    }  # fmt: skip
    assert summary["no_loss"] is True and summary["anomalies_by_rule"]["R08"] == 2
    assert set(summary["totals"]) == {"engaged", "consumed", "remaining"}
    run = TakeoverRun.objects.get(pk=summary["run"])
    assert run.launched_by is None and run.launched_by_name.startswith("Système")


def test_a_header_mapping_reads_a_source_with_its_own_headers(world):
    files = sample_files()
    renamed = files["commitments"].replace("Montant engagé".encode(), "Mt engagé HT".encode(), 1)
    run = make_run(
        world.lead_bzh,
        world.bretagne,
        kind=Kind.SIMULATION,
        header_mapping=world.mapping_bzh,
        commitments=ContentFile(renamed, name="engagements.csv"),
    )
    assert run.status == TakeoverRun.Status.SUCCEEDED and run.summary["rows_read"] == 60
    with pytest.raises(EngineError, match="« Montant engagé »"):
        make_run(
            world.lead_bzh,
            world.bretagne,
            kind=Kind.SIMULATION,
            commitments=ContentFile(renamed, name="e.csv"),
        )
    assert Rekey.objects.filter(run__structure=world.bretagne).count() == 1


def test_header_mappings_through_the_pages(world, client):
    client.force_login(world.lead_bzh)
    response = client.post(
        reverse("reprise:mapping_create"),
        {"structure": world.bretagne.pk, "name": "Tableur DDTM", "lines": "N° d'engagement = N° EJ"},
    )
    assert response.status_code == 302
    mapping = HeaderMapping.objects.get(name="Tableur DDTM")
    assert mapping.as_dict() == {"N° d'engagement": "N° EJ"}
    url = reverse("reprise:mapping_edit", args=[mapping.pk])
    client.post(url, {"version": mapping.version, "name": "Tableur DDTM", "lines": "Num EJ = N° EJ"})
    mapping.refresh_from_db()
    assert mapping.as_dict() == {"Num EJ": "N° EJ"} and mapping.history.count() == 2
    assert "Historique" in client.get(url).content.decode()
    client.force_login(world.lead_nor)
    assert client.get(url).status_code == 404
    assert (
        client.post(
            reverse("reprise:mapping_create"), {"structure": world.bretagne.pk, "name": "X", "lines": "a = b"}
        ).status_code
        == 200
    )  # Bretagne is not among the structures offered: the form refuses it


def test_a_file_beyond_what_the_server_reads_is_refused_in_french(world, settings):
    settings.BASCULE_TAKEOVER_MAX_BYTES = 5000
    with pytest.raises(ValidationError) as refused:
        make_run(world.lead_bzh, world.bretagne, kind=Kind.SIMULATION)
    message = refused.value.message_dict["commitments"][0]
    assert "« engagements.csv » pèse" in message and "découpez l'extraction" in message
    assert not TakeoverRun.objects.filter(kind=Kind.SIMULATION).exists()


def test_a_reference_that_is_not_a_zip_fails_the_run_in_french(world):
    with pytest.raises(EngineError, match="déposez un ZIP"):
        make_run(
            world.lead_bzh, world.bretagne, kind=Kind.SIMULATION, reference=ContentFile(b"x", name="r.zip")
        )
    failed = TakeoverRun.objects.get(kind=Kind.SIMULATION)
    assert failed.status == TakeoverRun.Status.FAILED and "ZIP" in failed.error
