"""National steering imports a plan in the browser, reads the matrix, and two editors collide on one action."""

from __future__ import annotations

import re

import pytest

from tests.conftest import run_worker
from tests.e2e.conftest import serious_violations
from tests.programmes.test_action_plan_import import SAMPLE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _login(page, base, username):
    page.goto(f"{base}/compte/connexion/")
    page.get_by_label("Identifiant").fill(username)
    page.get_by_label("Mot de passe").fill("demo")
    page.get_by_role("button", name="Se connecter").click()


def _accessible(page):
    violations = serious_violations(page)
    assert not violations, f"{page.url}: {violations}"


def test_import_then_matrix_then_conflicting_edit(demo, live_server, browser, artifacts):
    from playwright.sync_api import expect

    base = live_server.url
    first = browser.new_context(locale="fr-FR").new_page()
    _login(first, base, "national")

    # Import: upload, preview (background task), apply.
    first.goto(f"{base}/programmes/actions/import/")
    _accessible(first)
    first.get_by_label("Programme").select_option(label="CHORUS-MAP — Déploiement de Chorus – MAP/MEEDDAT")
    first.get_by_label("Plan d'actions").set_input_files(str(SAMPLE))
    first.get_by_role("button", name="Voir l'aperçu").click()
    expect(first.get_by_role("heading", level=1)).to_contain_text("Aperçu de l'import du plan d'actions")
    run_worker()
    expect(first.get_by_text("Aperçu : rien n'a encore été enregistré")).to_be_visible(timeout=15_000)
    expect(first.get_by_text("9 à créer")).to_be_visible()
    _accessible(first)
    first.get_by_role("button", name=re.compile("Appliquer l'import")).click()
    run_worker()
    expect(first.get_by_text("Import appliqué")).to_be_visible(timeout=15_000)

    # The matrix of the programme: every region, every workstream.
    first.goto(f"{base}/programmes/")
    first.get_by_role("link", name=re.compile("CHORUS-MAP")).click()
    matrix = first.locator("#matrice-chantiers")
    expect(matrix.locator("tbody tr")).to_have_count(13)
    _accessible(first)
    first.screenshot(path=str(artifacts / "matrice-chantiers.png"), full_page=True)

    # Two editors open the same action; the second one to save is told, nothing is overwritten.
    first.goto(f"{base}/programmes/actions/?programme=CHORUS-MAP&q=ateliers")
    first.get_by_role("link", name="1-1", exact=True).click()
    expect(first.locator("#echeance")).to_contain_text("du 01/10/2011 au 31/10/2011")
    _accessible(first)
    action_url = first.url
    second = browser.new_context(locale="fr-FR").new_page()
    _login(second, base, "national")
    for page in (first, second):
        page.goto(action_url + "modifier/")
    first.get_by_label("Action").fill("Organiser des ateliers dans chaque DDI (révisé)")
    first.get_by_role("button", name="Enregistrer").click()
    expect(first.get_by_text("L'action 1-1 a été modifiée.")).to_be_visible()
    second.get_by_label("Action").fill("Une autre version, écrite en même temps")
    second.get_by_role("button", name="Enregistrer").click()
    expect(second.get_by_text(re.compile("modifié par quelqu.un d.autre"))).to_be_visible()
    _accessible(second)
    second.screenshot(path=str(artifacts / "conflit-action.png"), full_page=True)
    first.goto(action_url)
    expect(first.locator("p.fr-text--lead")).to_have_text("Organiser des ateliers dans chaque DDI (révisé)")
