"""National steering sets « Dématérialisation 79 » up in the product: the programme, two waves (the second moved,
its consequences shown first), a role « Correspondant archives » added and granted in Deux-Sèvres, the workstreams
instanced; Nouvelle-Aquitaine's regional lead finds them on its home page."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import serious_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _accessible(page):
    violations = serious_violations(page)
    assert not violations, f"{page.url}: {violations}"


def _login(page, base, username):
    page.goto(f"{base}/compte/connexion/")
    page.get_by_label("Identifiant").fill(username)
    page.get_by_label("Mot de passe").fill("demo")
    page.get_by_role("button", name="Se connecter").click()


def test_a_programme_from_nothing(demo, live_server, page, artifacts):
    from playwright.sync_api import expect

    from bascule.core.roles import Role
    from bascule.organisation.models import Assignment, Person, Structure
    from bascule.programmes.models import Programme, Workstream
    from tests.factories import UserFactory

    base = live_server.url
    _login(page, base, "national")

    # The programme, from the standard workstreams.
    page.goto(f"{base}/programmes/")
    page.get_by_role("link", name="Nouveau programme").click()
    page.get_by_label("Code", exact=True).fill("DEMAT-79")
    page.get_by_label("Nom", exact=True).fill("Dématérialisation 79")
    owner = Structure.objects.get(code="DMAT/SDAT/BCAM")
    page.get_by_label("Structure pilote").select_option(str(owner.pk))
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_role("heading", name="Dématérialisation 79")).to_be_visible()
    expect(page.locator("#liste-mise-en-place")).to_contain_text("Vagues : aucune vague")
    _accessible(page)

    # Two waves: Deux-Sèvres, then the Vienne (pasted codes).
    for name, golive, codes in (("Vague 1", "2027-03-01", "D79"), ("Vague 2", "2027-09-01", "D86")):
        page.get_by_role("link", name="Ajouter une vague").click()
        page.get_by_label("Nom", exact=True).fill(name)
        page.get_by_label("Date de bascule").fill(golive)
        page.get_by_label("Programmes budgétaires").fill("354, 216")
        page.get_by_label("Ou leurs codes").fill(codes)
        page.get_by_role("button", name="Enregistrer").click()
        expect(page.get_by_text(f"« {name} (")).to_be_visible()
    _accessible(page)
    page.screenshot(path=str(artifacts / "programme-mise-en-place.png"), full_page=True)

    # Moving the second wave: the consequences first, then the move.
    page.get_by_role("link", name="Déplacer la date de Vague 2").click()
    page.get_by_label("Nouvelle date de bascule").fill("2027-10-01")
    page.get_by_role("button", name="Voir les conséquences").click()
    expect(page.locator("#consequences")).to_be_visible()
    _accessible(page)
    page.get_by_role("button", name="Confirmer le déplacement").click()
    expect(page.get_by_text("bascule le 01/10/2027")).to_be_visible()

    # The role, added to the catalogue, then granted in Deux-Sèvres.
    page.goto(f"{base}/organisation/roles/")
    page.get_by_role("link", name="Ajouter un rôle").click()
    page.locator("#id_code").fill("correspondant-archives")
    page.locator("#id_name").fill("Correspondant archives")
    page.locator("#id_rank").fill("30")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_role("cell", name="Correspondant archives ajouté")).to_be_visible()
    _accessible(page)
    deux_sevres = Structure.objects.get(code="D79")
    archivist = (
        Person.objects.filter(structure__path__startswith=deux_sevres.path, user__isnull=True)
        .order_by("email")
        .first()
    )
    page.goto(f"{base}/organisation/personnes/{archivist.pk}/")
    page.get_by_role("link", name="Ajouter une affectation").click()
    page.get_by_label("Rôle").select_option("correspondant-archives")
    page.get_by_label("Structure").select_option(str(deux_sevres.pk))
    page.get_by_label("Début").fill("2027-01-04")
    page.get_by_role("button", name="Enregistrer").click()
    assert Assignment.objects.filter(
        person=archivist, role="correspondant-archives", structure=deux_sevres
    ).exists()

    # Instancing the first wave's workstreams.
    programme = Programme.objects.get(code="DEMAT-79")
    page.goto(f"{base}/programmes/{programme.pk}/")
    page.get_by_role("button", name="Instancier les chantiers de cette vague (Vague 1)").click()
    expect(page.get_by_text("7 chantiers créés")).to_be_visible()
    assert Workstream.objects.filter(template__programme=programme, structure=deux_sevres).count() == 7

    # Nouvelle-Aquitaine's regional lead sees them on its home page.
    lead = Assignment.objects.active().get(role=Role.REGIONAL_LEAD, structure__code="R75").person
    lead.user = UserFactory(username="nouvelle-aquitaine", password="demo")
    lead.save()
    page.context.clear_cookies()
    _login(page, base, "nouvelle-aquitaine")
    expect(page.locator("#chantiers-par-programme")).to_contain_text(
        "DEMAT-79 — Dématérialisation 79 : 7 chantiers"
    )
    _accessible(page)
    page.screenshot(path=str(artifacts / "programme-accueil-responsable.png"), full_page=True)
