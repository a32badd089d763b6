"""National steering imports the centres' volumes, reads the national table, then argues with a scenario."""

from __future__ import annotations

import re

import pytest

from tests.conftest import run_worker
from tests.e2e.conftest import serious_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _accessible(page):
    violations = serious_violations(page)
    assert not violations, f"{page.url}: {violations}"


def test_import_then_table_then_scenario(demo, live_server, page, artifacts, tmp_path):
    from playwright.sync_api import expect

    from bascule.sizing.models import Sizing

    sizing = Sizing.objects.get(based_on__isnull=True)
    base = live_server.url
    page.goto(f"{base}/compte/connexion/")
    page.get_by_label("Identifiant").fill("national")
    page.get_by_label("Mot de passe").fill("demo")
    page.get_by_role("button", name="Se connecter").click()

    # Import: domain.md §8's example for the Breton centre at the first wave.
    upload = tmp_path / "volumes.csv"
    upload.write_text(
        "Centre;Région;Hôte;Ministère hôte;Antennes;Vague;Ministère;Mandats;Titres\n"
        "CPCM-53;Bretagne;DREAL;MTECT;1;01/01/2027;MTECT;30 000;6 000\n"
        "CPCM-53;Bretagne;DREAL;MTECT;1;01/01/2027;MASA;9 000;1 000\n",
        encoding="utf-8",
    )
    page.goto(f"{base}/dimensionnement/")
    page.get_by_role("link", name=sizing.name).click()
    page.get_by_role("link", name="Importer des volumes").click()
    _accessible(page)
    page.get_by_label("Volumes des centres").set_input_files(str(upload))
    page.get_by_role("button", name="Voir l'aperçu").click()
    run_worker()
    expect(page.get_by_text("Aperçu : rien n'a encore été enregistré")).to_be_visible(timeout=15_000)
    expect(page.get_by_text("2 à mettre à jour")).to_be_visible()
    page.get_by_role("button", name=re.compile("Appliquer l'import")).click()
    run_worker()
    expect(page.get_by_text("Import appliqué")).to_be_visible(timeout=15_000)

    # The national table: 29 + 8 FTE + 4 of management at the first wave in Bretagne.
    page.goto(f"{base}/dimensionnement/{sizing.pk}/")
    row = page.locator("tbody tr", has=page.get_by_role("link", name="CPCM-53"))
    expect(row.locator("td").nth(2)).to_have_text("29")
    expect(row.locator("td").nth(3)).to_have_text("8")
    expect(row.locator("td").nth(5)).to_have_text("41")
    _accessible(page)
    page.screenshot(path=str(artifacts / "dimensionnement-tableau.png"), full_page=True)

    # A scenario: +20 % productivity, compared side by side.
    page.get_by_role("link", name="Nouveau scénario").click()
    page.get_by_label("Nom du scénario").fill("Productivité +20 %")
    page.get_by_label("Gain de productivité (%)").fill("20")
    page.get_by_role("button", name="Créer le scénario et comparer").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Productivité +20 %")
    bzh = page.locator("tr", has_text="CPCM-53").filter(has_text="Vague 1").first
    # 85,800 / 3,600 = 23.83 → 24; 24,940 / 3,600 = 6.93 → 7; + 4 = 35, six fewer than 41
    expect(bzh).to_contain_text("41")
    expect(bzh).to_contain_text("35")
    expect(bzh.locator("mark")).to_contain_text("-6")
    _accessible(page)
    page.screenshot(path=str(artifacts / "dimensionnement-scenario.png"), full_page=True)
