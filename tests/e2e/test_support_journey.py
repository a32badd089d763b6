"""The support desk in a browser: a proximity referent takes a call (requester searched as they type, the knowledge
base suggesting answers as the question is typed), escalates it to Bretagne's support pole with a diagnosis; the pole
answers back through level 1, which sends the answer to the requester; the solved ticket becomes an article that,
once published, a search without accents finds. Every page is axe-checked."""

from __future__ import annotations

import pytest
from django.core import mail

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _accessible(page):
    from tests.e2e.conftest import serious_violations

    violations = serious_violations(page)
    assert not violations, f"{page.url}: {violations}"


def _login(page, base, username):
    page.context.clear_cookies()
    page.goto(f"{base}/compte/connexion/")
    page.get_by_label("Identifiant").fill(username)
    page.get_by_label("Mot de passe").fill("demo")
    page.get_by_role("button", name="Se connecter").click()


def test_phone_intake_escalation_answer_article(live_server, page, artifacts):
    from playwright.sync_api import expect

    from bascule.assistance import demo as assistance_demo
    from bascule.assistance.models import Article, Ticket, TicketStatus
    from bascule.organisation import demo as organisation_demo
    from bascule.organisation.models import Person
    from bascule.programmes import demo as programmes_demo
    from bascule.programmes.models import Programme

    organisation_demo.load_demo()
    programmes_demo.load_demo()
    assistance_demo.load_demo()
    caller = Person.objects.filter(
        structure__code="DDTM-29", user__isnull=True, assignments__isnull=True
    ).first()
    caller = caller or Person.objects.filter(structure__code="DDTM-29", user__isnull=True).first()
    base = live_server.url

    _login(page, base, "proximite")
    page.goto(f"{base}/assistance/telephone/")
    expect(page.get_by_role("heading", name="Appel téléphonique")).to_be_visible()
    page.get_by_label("Qui appelle ?").fill(caller.last_name[:5])
    page.locator(f"[data-person-id='{caller.pk}']").click()
    expect(page.locator("#demandeur-choisi")).to_contain_text(caller.last_name)
    page.locator("#id_programme").select_option(str(Programme.objects.get(code="CHORUS-MAP").pk))
    page.get_by_label("Objet").fill("Réinitialiser le mot de passe Chorus")
    page.get_by_label("Votre question").fill("Le compte est bloqué, comment réinitialiser le mot de passe ?")
    expect(page.locator("#suggestions")).to_contain_text(
        "Réinitialiser son mot de passe Chorus"
    )  # as it is typed
    _accessible(page)
    page.screenshot(path=str(artifacts / "assistance-telephone.png"), full_page=True)
    page.get_by_role("button", name="Enregistrer au niveau 1").click()
    expect(page.get_by_role("heading", name="Réinitialiser le mot de passe Chorus")).to_be_visible()
    ticket = Ticket.objects.get(subject="Réinitialiser le mot de passe Chorus")
    assert ticket.level == 1 and ticket.channel == "phone" and ticket.requester == caller
    _accessible(page)
    page.get_by_label("Diagnostic").fill(
        "Compte bloqué dans l'annuaire : le niveau 1 ne peut pas le débloquer."
    )
    page.get_by_role("button", name="Escalader").click()
    expect(page.get_by_text("Ticket escaladé au niveau supérieur")).to_be_visible()

    _login(page, base, "pole")
    page.goto(f"{base}/assistance/tickets/{ticket.pk}/")
    expect(page.get_by_text("Niveau 2 — pôle de diffusion").first).to_be_visible()
    page.get_by_label("Réponse (transmise au demandeur par le niveau 1)").fill(
        "Le compte est débloqué : utilisez le lien « mot de passe oublié » pour le réinitialiser."
    )
    page.get_by_role("button", name="Transmettre la réponse au niveau 1").click()
    expect(page.get_by_text("Réponse transmise au niveau 1")).to_be_visible()

    _login(page, base, "proximite")
    page.goto(f"{base}/assistance/tickets/{ticket.pk}/")
    expect(page.get_by_text("Réponse du niveau 2 à transmettre")).to_be_visible()
    expect(page.get_by_label("Réponse au demandeur")).to_have_value(
        "Le compte est débloqué : utilisez le lien « mot de passe oublié » pour le réinitialiser."
    )
    _accessible(page)
    page.get_by_role("button", name="Envoyer la réponse").click()
    expect(page.get_by_text("Réponse envoyée au demandeur.")).to_be_visible()
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.SOLVED
    answer = [m for m in mail.outbox if m.to == [caller.email] and "Auto-Submitted" not in m.extra_headers]
    assert answer and "débloqué" in answer[-1].body
    page.get_by_role("button", name="Transformer en article").click()
    expect(page.get_by_role("heading", name="Article :", exact=False)).to_be_visible()
    article = Article.objects.get(source_ticket=ticket)
    assert caller.last_name not in article.question

    _login(page, base, "national")
    page.goto(f"{base}/assistance/articles/{article.pk}/modifier/")
    page.get_by_label("Relecture").select_option("published")
    page.get_by_role("button", name="Enregistrer").click()
    page.goto(f"{base}/assistance/base-de-connaissances/?q=reinitialiser+mot+de+passe+chorus")
    expect(page.locator("#resultats-articles")).to_contain_text(article.question[:30])
    _accessible(page)
    page.screenshot(path=str(artifacts / "assistance-recherche.png"), full_page=True)
