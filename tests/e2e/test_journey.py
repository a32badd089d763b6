"""The regional lead's journey in a real browser, with axe-core checks on every page visited."""

from __future__ import annotations

import re

import pytest

from bascule.organisation.models import Structure
from tests.e2e.conftest import serious_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _check_accessibility(page, checked):
    violations = serious_violations(page)
    assert not violations, f"{page.url}: {violations}"
    checked.append(page.url)


def test_bretagne_lead_browses_edits_and_sees_history(demo, live_server, page, artifacts):
    from playwright.sync_api import expect

    checked: list[str] = []
    page.goto(f"{live_server.url}/")
    expect(page).to_have_url(re.compile(r"/compte/connexion/"))
    _check_accessibility(page, checked)
    page.get_by_label("Identifiant").fill("bretagne")
    page.get_by_label("Mot de passe").fill("demo")
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Bienvenue sur Bascule")
    _check_accessibility(page, checked)

    # The tree: only Bretagne, lazily unfolded with htmx.
    page.get_by_role("navigation", name="Menu principal").get_by_role("link", name="Structures").click()
    tree = page.locator("#arbre")
    expect(tree).to_contain_text("Bretagne")
    expect(tree).not_to_contain_text("Normandie")
    tree.locator("summary", has_text="R53").click()
    expect(tree).to_contain_text("Finistère")
    tree.locator("summary", has_text="D29").click()
    expect(tree.get_by_role("link", name="DDTM-29")).to_be_visible()
    _check_accessibility(page, checked)
    tree.get_by_role("link", name="DDTM-29").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("DDTM — Finistère")
    _check_accessibility(page, checked)

    # A person of the structure, with assignments.
    page.get_by_role("tab", name=re.compile("Personnes")).click()
    person_link = page.locator("#panneau-personnes a").first
    expect(person_link).to_be_visible()  # the DSFR script has switched the tab
    person_url = re.compile(r"/organisation/personnes/[0-9a-f-]+/$")
    person_link.click()
    try:
        page.wait_for_url(person_url, timeout=5000)
    except Exception:  # under load, the DSFR tab script may still take the first click: the user clicks again
        person_link.click()
    expect(page).to_have_url(person_url)
    expect(page.get_by_role("heading", name="Affectations")).to_be_visible()
    _check_accessibility(page, checked)
    page.go_back()

    # Edit the structure, then read the change in its history.
    page.get_by_role("link", name="Modifier").click()
    _check_accessibility(page, checked)
    page.get_by_label("Nom", exact=True).fill("DDTM du Finistère (Quimper)")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_text("La structure « DDTM-29 » a été modifiée.")).to_be_visible()
    page.get_by_role("tab", name="Historique").click()
    history = page.locator("#historique-liste li").first
    expect(history).to_contain_text("Modification")
    expect(history).to_contain_text("Yann Le Gall")
    expect(history).to_contain_text("DDTM du Finistère (Quimper)")
    expect(history).to_contain_text("DDTM — Finistère")
    _check_accessibility(page, checked)
    page.screenshot(path=str(artifacts / "parcours-bretagne-historique.png"), full_page=True)

    # Another region's structure answers 404.
    other = Structure.objects.get(code="DDTM-14")
    response = page.goto(f"{live_server.url}/organisation/structures/{other.pk}/")
    assert response.status == 404

    # Narrow screens (320 px): the list stays usable, the menu folds into a button.
    page.set_viewport_size({"width": 320, "height": 640})
    page.goto(f"{live_server.url}/organisation/structures/liste/")
    expect(page.get_by_role("button", name="Menu")).to_be_visible()
    _check_accessibility(page, checked)
    page.screenshot(path=str(artifacts / "liste-structures-320px.png"), full_page=True)
    assert len(checked) >= 8
