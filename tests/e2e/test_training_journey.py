"""Bretagne's lead reads the census, re-plans (the published sessions are kept), publishes (invitations with their
.ics), and records the attendance of a session already held (the absentee goes back into the census)."""

from __future__ import annotations

from datetime import date

import pytest
from django.core import mail

from tests.conftest import run_worker
from tests.e2e.conftest import serious_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _accessible(page):
    violations = serious_violations(page)
    assert not violations, f"{page.url}: {violations}"


def test_census_schedule_invitation_attendance(demo, live_server, page, artifacts):
    from icalendar import Calendar
    from playwright.sync_api import expect

    from bascule.training.check import violations
    from bascule.training.models import Seat, Session, TrainingPlan
    from bascule.training.services import current_plan, problem_for

    plan = TrainingPlan.objects.get(region__code="R53")
    base = live_server.url
    page.goto(f"{base}/compte/connexion/")
    page.get_by_label("Identifiant").fill("bretagne")
    page.get_by_label("Mot de passe").fill("demo")
    page.get_by_role("button", name="Se connecter").click()

    page.goto(f"{base}/formation/")
    page.get_by_role("link", name="Bretagne").click()
    expect(page.get_by_role("heading", name="Formation — Bretagne")).to_be_visible()
    expect(page.get_by_text("101 stagiaires")).to_be_visible()
    _accessible(page)
    page.screenshot(path=str(artifacts / "formation-plan.png"), full_page=True)

    # The census, filtered by profile.
    profile = plan.trainees.order_by("name").first().profile
    page.get_by_role("link", name="Voir et filtrer le recensement").click()
    page.get_by_label("Profil (Optionnel)").select_option(profile)
    page.get_by_role("button", name="Filtrer").click()
    count = plan.trainees.filter(profile=profile).count()
    expect(page.get_by_text(f"{count} stagiaires", exact=True)).to_be_visible()
    _accessible(page)
    page.get_by_role("link", name="Retour au plan de formation").click()

    # Re-plan: the demo's absentee gets a new session, the published ones stay.
    absentees = Seat.objects.filter(session__plan=plan, attended=False).count()
    assert absentees == 1  # the demo makes one
    published = set(Session.objects.filter(plan=plan, published=True).values_list("pk", flat=True))
    page.get_by_role("button", name="Calculer le planning").click()
    run_worker()
    page.goto(f"{base}/formation/{plan.pk}/")
    sessions = Session.objects.filter(plan=plan, cancelled=False)
    new = sessions.exclude(pk__in=published)
    assert published <= set(sessions.values_list("pk", flat=True)) and new.count() == 1
    assert violations(problem_for(plan, keep_published=False), current_plan(plan)) == []

    # Publish: the new session's trainee and trainer get an invitation with its .ics.
    mail.outbox.clear()
    page.get_by_role("button", name="Publier et envoyer les invitations").click()
    expect(page.get_by_text("1 session(s) publiée(s)")).to_be_visible()
    assert (
        len(mail.outbox) == Seat.objects.filter(session__in=new).count() + 1
    )  # its trainees and its trainer
    ics = next(a for a in mail.outbox[0].attachments if a[0].endswith(".ics"))
    event = Calendar.from_ical(ics[1]).walk("VEVENT")[0]
    assert str(event["uid"]).startswith("session-") and str(event["summary"]).startswith("Formation F")

    # Attendance of a session already held (the second one; all were present): one absent now.
    held = list(
        Session.objects.filter(plan=plan, published=True, starts_on__lte=date.today()).order_by(
            "starts_on", "pk"
        )
    )[1]
    seat = held.seats.filter(attended=True).order_by("trainee__name").first()
    page.goto(f"{base}/formation/sessions/{held.pk}/")
    _accessible(page)
    page.locator(f"label[for='p-{seat.trainee_id}']").click()  # DSFR: the label covers the box
    page.get_by_role("button", name="Enregistrer la présence").click()
    expect(page.get_by_text("1 absent(s) à replanifier")).to_be_visible()
    seat.refresh_from_db()
    assert seat.attended is False
    page.screenshot(path=str(artifacts / "formation-presence.png"), full_page=True)
