"""The steering pages in a browser, as national steering and as a regional lead: dashboard with drill-down,
indicator, home page; axe-core finds no serious violation, screenshots in test-results/."""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import serious_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _login(page, base, username):
    page.goto(f"{base}/compte/connexion/")
    page.get_by_label("Identifiant").fill(username)
    page.get_by_label("Mot de passe").fill("demo")
    page.get_by_role("button", name="Se connecter").click()


def test_dashboard_indicator_and_home(demo, live_server, browser, artifacts):
    from playwright.sync_api import expect

    base = live_server.url
    page = browser.new_context(locale="fr-FR", viewport={"width": 1366, "height": 900}).new_page()
    _login(page, base, "national")
    expect(page.get_by_role("heading", name="Pilotage")).to_be_visible()
    assert not serious_violations(page)
    page.screenshot(path=str(artifacts / "accueil-national.png"), full_page=True)

    page.goto(f"{base}/tableau-de-bord/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Tableau de bord")
    assert not serious_violations(page)
    page.screenshot(path=str(artifacts / "tableau-de-bord.png"), full_page=True)
    page.get_by_role("link", name="Bretagne", exact=True).click()
    expect(page.locator(".fr-breadcrumb")).to_contain_text("Bretagne")
    assert not serious_violations(page)

    page.goto(f"{base}/indicateurs/")
    page.get_by_role("link", name="Agents formés à Chorus").click()
    expect(page.get_by_text(re.compile(r"département\(s\) sur \d+ ont répondu"))).to_be_visible()
    assert not serious_violations(page)
    page.screenshot(path=str(artifacts / "indicateur.png"), full_page=True)

    lead = browser.new_context(locale="fr-FR").new_page()
    _login(lead, base, "bretagne")
    lead.goto(f"{base}/tableau-de-bord/")
    table = lead.locator("table").first
    expect(table).to_contain_text("Bretagne")
    expect(table).not_to_contain_text("Normandie")
