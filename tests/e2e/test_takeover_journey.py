"""Bretagne's lead uploads the extracts of a migration, follows the run's progress while the worker reads them,
browses the anomalies it found and reads the reconciliation report, which names the line the target did not load."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import run_worker
from tests.e2e.conftest import serious_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _accessible(page):
    violations = serious_violations(page)
    assert not violations, f"{page.url}: {violations}"


def test_upload_progress_anomalies_report(demo, live_server, page, artifacts, tmp_path: Path):
    from playwright.sync_api import expect

    from bascule.organisation.models import Structure
    from bascule.reprise.models import TakeoverRun
    from tests.reprise.world import sample_files

    files = sample_files()
    for name, data in files.items():
        (tmp_path / f"{name}.bin").write_bytes(data)
    base = live_server.url
    page.goto(f"{base}/compte/connexion/")
    page.get_by_label("Identifiant").fill("bretagne")
    page.get_by_label("Mot de passe").fill("demo")
    page.get_by_role("button", name="Se connecter").click()

    page.goto(f"{base}/reprise/")
    expect(page.get_by_role("heading", name="Reprise des données", exact=True)).to_be_visible()
    _accessible(page)
    page.get_by_role("link", name="Nouvelle exécution").click()
    page.get_by_label("Structure").select_option(str(Structure.objects.get(code="R53").pk))
    page.get_by_label("Type d'exécution").select_option("migration")
    page.get_by_label("Engagements (lignes d'EJ)").set_input_files(
        files=[{"name": "engagements.csv", "mimeType": "text/csv", "buffer": files["commitments"]}]
    )
    page.get_by_label("Tiers", exact=False).first.set_input_files(
        files=[{"name": "tiers.csv", "mimeType": "text/csv", "buffer": files["third_parties"]}]
    )
    page.get_by_label("Ré-extraction de la cible").set_input_files(
        files=[{"name": "cible.csv", "mimeType": "text/csv", "buffer": files["target"]}]
    )
    page.get_by_label("Référentiel cible (ZIP)").set_input_files(
        files=[{"name": "referentiel.zip", "mimeType": "application/zip", "buffer": files["reference"]}]
    )
    page.get_by_label("Correspondances de valeurs").set_input_files(
        files=[{"name": "correspondances.csv", "mimeType": "text/csv", "buffer": files["mappings"]}]
    )
    page.get_by_label("Date de bascule").fill("2026-12-31")
    _accessible(page)
    page.get_by_role("button", name="Lancer").click()

    # The run waits for the worker; the page polls and shows the result once it is done.
    expect(page.get_by_text("En attente du traitement en arrière-plan")).to_be_visible()
    page.screenshot(path=str(artifacts / "reprise-attente.png"), full_page=True)
    run_worker()
    expect(page.get_by_role("heading", name="Écarts avec la cible")).to_be_visible(timeout=15_000)
    run = TakeoverRun.objects.filter(structure__code="R53").order_by("-created_at").first()
    assert (
        run.status == TakeoverRun.Status.SUCCEEDED and run.summary["reconciliation"]["missing_in_target"] == 1
    )
    _accessible(page)
    page.screenshot(path=str(artifacts / "reprise-execution.png"), full_page=True)

    # The anomaly browser, filtered on one rule.
    page.get_by_role("link", name="Anomalies", exact=True).click()
    page.get_by_label("Règle").select_option("R13")
    page.get_by_role("button", name="Filtrer").click()
    expect(page.get_by_text("1 anomalie", exact=True)).to_be_visible()
    expect(page.get_by_role("cell", name="0999-01-02", exact=True)).to_be_visible()
    _accessible(page)

    # The reconciliation report names the missing line, and offers the XLSX and the PDF.
    page.goto(f"{base}/reprise/{run.pk}/rapprochement/")
    expect(page.get_by_text("Écarts constatés.")).to_be_visible()
    missing = run.rekeys.get()
    expect(page.get_by_role("cell", name=missing.ej, exact=True)).to_be_visible()
    _accessible(page)
    page.screenshot(path=str(artifacts / "reprise-rapprochement.png"), full_page=True)
    with page.expect_download() as download:
        page.get_by_role("link", name="Exporter en PDF").click()
    assert download.value.suggested_filename.endswith(".pdf")
