"""The steering rhythm in a browser: national steering opens an update campaign, the Bretagne lead answers from
the link in its e-mail, national validates, freezes the committee's state and downloads the committee report."""

from __future__ import annotations

import re

import pytest
from django.core import mail

from bascule.organisation.models import Person
from tests.conftest import run_worker
from tests.e2e.conftest import serious_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _login(page, base, username):
    page.goto(f"{base}/compte/connexion/")
    page.get_by_label("Identifiant").fill(username)
    page.get_by_label("Mot de passe").fill("demo")
    page.get_by_role("button", name="Se connecter").click()


def _accessible(page):
    violations = serious_violations(page)
    assert not violations, f"{page.url}: {violations}"


def test_campaign_then_update_then_committee_then_report(demo, live_server, browser, artifacts):
    from playwright.sync_api import expect

    base = live_server.url
    national = browser.new_context(locale="fr-FR").new_page()
    _login(national, base, "national")

    # National steering prepares and opens a campaign before the third COPIL.
    national.goto(f"{base}/comites/campagnes/nouvelle/")
    _accessible(national)
    national.get_by_label("Programme").select_option(label="CHORUS-MAP — Déploiement de Chorus – MAP/MEEDDAT")
    national.get_by_label("Avant le comité (facultatif)").select_option(
        label="Comité de pilotage (COPIL) du 10/12/2026"
    )
    national.get_by_label("Intitulé").fill("Dernière mise à jour avant le go / no go")
    national.get_by_label("Réponse attendue le").fill("2026-12-05")
    national.get_by_role("button", name="Préparer la campagne").click()
    mail.outbox.clear()
    national.get_by_role("button", name="Ouvrir la campagne et écrire aux régions").click()
    expect(national.get_by_text(re.compile(r"Campagne ouverte : \d+ demande"))).to_be_visible()
    campaign_url = national.url
    _accessible(national)

    # The Bretagne lead follows the link of its e-mail, updates an action and says it is done.
    lead_email = Person.objects.get(user__username="bretagne").email
    message = next(m for m in mail.outbox if lead_email in m.to)
    path = re.search(r"https?://[^/\s]+(/comites/demandes/\S+/)", message.body).group(1)
    lead = browser.new_context(locale="fr-FR").new_page()
    _login(lead, base, "bretagne")
    lead.goto(base + path)
    expect(lead.get_by_role("heading", level=1)).to_contain_text("Bretagne")
    _accessible(lead)
    lead.locator("summary", has_text="Mettre à jour l'action").first.click()
    form = lead.locator("details[open] form")
    form.get_by_label("État").select_option(label="En cours")
    form.get_by_label("Avancement (%)").fill("80")
    form.get_by_label("Note").fill("Formations planifiées dans les cinq DDI.")
    form.get_by_role("button", name="Enregistrer l'avancement").click()
    expect(lead.get_by_text(re.compile("Avancement de l'action .* enregistré"))).to_be_visible()
    lead.get_by_role("button", name="J'ai terminé ma mise à jour").click()
    expect(lead.get_by_text("Merci : votre mise à jour est transmise")).to_be_visible()

    # National sees the answer in the rate and validates it.
    national.goto(campaign_url)
    row = national.locator("tr", has=national.get_by_role("link", name="R53"))
    expect(row).to_contain_text("Répondu")
    expect(
        national.locator("table", has_text="Réponses par région").locator("tr", has_text="Bretagne")
    ).to_contain_text("100 %")
    row.get_by_role("button", name="Enregistrer").click()
    expect(national.get_by_text("R53 : réponse validée.")).to_be_visible()

    # The committee: its state is frozen, then its report is written in the background and downloaded.
    national.goto(f"{base}/comites/")
    national.get_by_role("link", name=re.compile("COPIL n° 3")).click()
    national.get_by_role("button", name="Figer l'état du programme").click()
    expect(national.get_by_text(re.compile(r"État figé : \d+ action")).first).to_be_visible()
    _accessible(national)
    national.screenshot(path=str(artifacts / "comite-copil-3.png"), full_page=True)
    national.get_by_role("button", name="Relevé du comité (PDF)").click()
    run_worker()
    with national.expect_download() as download:
        national.get_by_role("link", name=re.compile("Télécharger releve-copil-2026-12-10.pdf")).click(
            timeout=20_000
        )
    saved = artifacts / "releve-copil-3.pdf"
    download.value.save_as(saved)
    assert saved.read_bytes().startswith(b"%PDF")
