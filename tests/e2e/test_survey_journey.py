"""National steering builds a questionnaire, sends it to Bretagne's SGC-D, two answer through their links, and the
results show; the demo survey's results show the published counts."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import serious_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _accessible(page):
    violations = serious_violations(page)
    assert not violations, f"{page.url}: {violations}"


def test_build_send_answer_results(demo, live_server, page, artifacts):
    from playwright.sync_api import expect

    from bascule.organisation.models import Structure
    from bascule.programmes.models import Programme
    from bascule.surveys.models import Answer, Survey
    from bascule.surveys.services import answer_token

    base = live_server.url
    page.goto(f"{base}/compte/connexion/")
    page.get_by_label("Identifiant").fill("national")
    page.get_by_label("Mot de passe").fill("demo")
    page.get_by_role("button", name="Se connecter").click()

    # The demo survey: domain.md §9's published counts.
    page.goto(f"{base}/enquetes/")
    page.get_by_role("link", name="Enquête dématérialisation des services départementaux").click()
    page.get_by_role("link", name="Résultats").click()
    demat = page.locator("#resultat-DEMAT table")
    expect(demat.locator("tr", has_text="Oui")).to_contain_text("74")
    expect(demat.locator("tr", has_text="Non")).to_contain_text("112")
    scopes = page.locator("#resultat-PERIM table")
    for label, count in (
        ("Finances", 65),
        ("Commande publique", 33),
        ("Ressources humaines", 16),
        ("Actes", 42),
        ("Social", 3),
        ("Santé", 2),
        ("Routes", 0),
        ("Autre", 8),
    ):
        expect(
            scopes.locator("tr", has=page.get_by_text(label, exact=True)).locator("td").nth(1)
        ).to_have_text(str(count))
    expect(page.get_by_text("186 réponses sur 288")).to_be_visible()
    _accessible(page)
    page.screenshot(path=str(artifacts / "enquete-resultats-demo.png"), full_page=True)

    # Build
    page.goto(f"{base}/enquetes/")
    page.get_by_role("link", name="Nouveau questionnaire").click()
    page.get_by_label("Programme").select_option(str(Programme.objects.get(code="CHORUS-MAP").pk))
    page.get_by_label("Intitulé").fill("Cartes agents")
    page.get_by_role("button", name="Enregistrer").click()
    page.get_by_label("Titre de la section").fill("Équipement")
    page.get_by_role("button", name="Ajouter la section").click()
    page.get_by_role("link", name="Ajouter une question").click()
    _accessible(page)
    page.get_by_label("Code").fill("C1")
    page.get_by_label("Question", exact=True).fill("Vos agents ont-ils tous une carte ?")
    page.get_by_label("Type").select_option(label="Oui / non")
    page.locator("label[for=id_required]").click()  # DSFR: the label covers the box
    page.get_by_role("button", name="Enregistrer la question").click()
    page.get_by_role("link", name="Ajouter une question").click()
    page.get_by_label("Code").fill("C2")
    page.get_by_label("Question", exact=True).fill("Combien en manque-t-il ?")
    page.get_by_label("Type").select_option(label="Nombre")
    page.get_by_label("Minimum").fill("0")
    page.get_by_label("Affichée seulement si la question").select_option(
        label="C1 — Vos agents ont-ils tous une carte ?"
    )
    page.get_by_label("… vaut").fill("non")
    page.get_by_role("button", name="Enregistrer la question").click()
    expect(page.get_by_text("si C1 = non")).to_be_visible()
    _accessible(page)

    # Send to Bretagne's SGC-D
    page.get_by_role("link", name="Préparer un envoi").click()
    page.get_by_label("Périmètre").select_option(str(Structure.objects.get(code="R53").pk))
    page.locator("label", has_text="Secrétariat général commun départemental").click()
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_text("4 structures")).to_be_visible()
    page.get_by_role("button", name="Envoyer l'enquête").click()
    expect(page.get_by_text("Enquête envoyée à 4 structure(s)")).to_be_visible()
    survey = Survey.objects.get(title="Cartes agents")

    # Two SGC-D answer through their links (no account)
    context = page.context.browser.new_context(locale="fr-FR")
    outside = context.new_page()
    answers = list(
        Answer.objects.filter(survey=survey).select_related("structure").order_by("structure__code")
    )
    outside.goto(f"{base}/enquetes/lien/{answer_token(answers[0])}/")
    expect(outside.get_by_label("Combien en manque-t-il ?")).to_be_hidden()  # shown only if C1 = non
    outside.locator("label", has_text="Non").first.click()
    expect(outside.get_by_label("Combien en manque-t-il ?")).to_be_visible()
    outside.get_by_label("Combien en manque-t-il ?").fill("-3")
    outside.get_by_role("button", name="Envoyer la réponse").click()
    expect(outside.get_by_text("au moins 0")).to_be_visible()
    _accessible(outside)
    outside.get_by_label("Combien en manque-t-il ?").fill("12")
    outside.get_by_role("button", name="Envoyer la réponse").click()
    expect(outside.get_by_role("heading", name="Réponse envoyée : merci")).to_be_visible()
    outside.goto(f"{base}/enquetes/lien/{answer_token(answers[1])}/")
    outside.locator("label", has_text="Oui").first.click()
    outside.get_by_role("button", name="Envoyer la réponse").click()
    expect(outside.get_by_role("heading", name="Réponse envoyée : merci")).to_be_visible()
    context.close()

    # Results
    page.goto(f"{base}/enquetes/{survey.pk}/resultats/")
    expect(page.get_by_text("2 réponses sur 4")).to_be_visible()
    c1 = page.locator("#resultat-C1 table")
    expect(c1.locator("tr", has_text="Oui")).to_contain_text("50,0 %")
    expect(page.locator("#resultat-C2")).to_contain_text("Somme 12")
    _accessible(page)
    page.screenshot(path=str(artifacts / "enquete-resultats.png"), full_page=True)
