"""Update campaigns: asked by e-mail (through a real SMTP server), answered from the link, reminded, reviewed."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from bascule.committees import selectors, services
from bascule.committees.models import Campaign, UpdateRequest
from bascule.core import registry
from bascule.core.models import PeriodicRun
from bascule.core.periodic import run_due_jobs
from bascule.organisation.models import Person
from bascule.programmes.models import Action, Status, Workstream
from tests.programmes.factories import ActionFactory
from tests.queries import count_queries


def _new_campaign(world, **extra):
    return services.campaign_create(
        by=world.national,
        programme=world.programme,
        title="Avant le COPIL de décembre",
        due_on=date(2025, 11, 30),
        **extra,
    )


def test_a_campaign_is_answered_from_the_mail_link_and_counts_in_the_rate(world, client, smtp, settings):
    settings.BASCULE_SITE_URL = "http://testserver"
    campaign = services.campaign_open(
        by=world.national, campaign=_new_campaign(world, message="Merci de compléter.")
    )
    assert smtp.received.wait(10)
    mails = {m["to"]: m for m in smtp.mails()}
    lead_mail = mails[Person.objects.get(user=world.lead_bzh).email]
    assert "Merci de compléter." in lead_mail["body"] and "mise à jour demandée" in lead_mail["subject"]
    link = re.search(r"http://testserver(/comites/demandes/\S+/)", lead_mail["body"]).group(1)

    client.force_login(world.lead_bzh)
    page = client.get(link).content.decode()
    assert "Action bretonne" in page and "Action normande" not in page
    request = UpdateRequest.objects.get(campaign=campaign, structure=world.bretagne)
    action = Action.objects.get(code="2-1")
    client.post(
        reverse("committees:request_progress", args=[request.pk]),
        {
            "action": action.pk,
            "on": "2025-11-20",
            "status": "in_progress",
            "percent": 60,
            "text": "Ateliers faits",
        },
    )
    action.refresh_from_db()
    assert (
        action.status == Status.IN_PROGRESS and action.percent == 60
    )  # through progress_add: the current state
    # an action of another region cannot be slipped into the request
    other = Action.objects.get(code="3-1")
    client.post(
        reverse("committees:request_progress", args=[request.pk]),
        {"action": other.pk, "on": "2025-11-20", "status": "done"},
    )
    assert Action.objects.get(pk=other.pk).status != Status.DONE
    client.post(reverse("committees:request_answer", args=[request.pk]))
    request.refresh_from_db()
    assert request.state == UpdateRequest.State.ANSWERED

    page = selectors.campaign_page(user=world.national, campaign=campaign)
    assert (page["answered"], len(page["requests"]), page["rate"]) == (1, 2, 50)
    assert {r["region"]: r["rate"] for r in page["rates"]} == {"Bretagne": 100, "Normandie": 0}
    # the Breton lead sees only its own request and its region's rate
    assert [
        r.structure for r in selectors.campaign_page(user=world.lead_bzh, campaign=campaign)["requests"]
    ] == [world.bretagne]


def test_national_validates_or_sends_back_with_what_is_missing(
    world, smtp, django_capture_on_commit_callbacks
):
    request = world.request_bzh
    services.request_answer(by=world.lead_bzh, request=request)
    with pytest.raises(PermissionDenied):
        services.request_review(by=world.lead_bzh, request=request, accept=True)
    with pytest.raises(ValidationError):
        services.request_review(by=world.national, request=request, accept=False, comment=" ")
    with django_capture_on_commit_callbacks(execute=True):  # the region is e-mailed once the review is saved
        services.request_review(
            by=world.national, request=request, accept=False, comment="Il manque le calendrier."
        )
    assert smtp.received.wait(10)
    assert "Il manque le calendrier." in smtp.mails()[-1]["body"]
    request.refresh_from_db()
    assert request.state == UpdateRequest.State.RETURNED
    assert request.get_abilities(world.lead_bzh)["answer"]  # it may answer again
    services.request_answer(by=world.lead_bzh, request=request)
    services.request_review(by=world.national, request=request, accept=True)
    assert UpdateRequest.objects.get(pk=request.pk).state == UpdateRequest.State.VALIDATED
    assert request.history.count() == 5


def test_who_may_answer_and_see_a_request(world):
    bzh, nor = world.request_bzh, world.request_nor
    assert bzh.get_abilities(world.lead_bzh) == {"view": True, "answer": True, "review": False}
    assert bzh.get_abilities(world.reader_bzh)["view"] and not bzh.get_abilities(world.reader_bzh)["answer"]
    assert not nor.get_abilities(world.lead_bzh)["view"]
    with pytest.raises(PermissionDenied):
        services.request_answer(by=world.reader_bzh, request=bzh)
    services.campaign_close(by=world.national, campaign=world.campaign)
    assert not UpdateRequest.objects.get(pk=bzh.pk).get_abilities(world.lead_bzh)[
        "answer"
    ]  # closed: no more answers


def test_reminders_go_to_those_who_have_not_answered_every_period(world, smtp):
    services.request_answer(by=world.lead_bzh, request=world.request_bzh)
    later = timezone.now() + timedelta(days=4)
    assert services.campaign_send_reminders(now=later).startswith("1 relance")
    assert smtp.received.wait(10)
    assert [m["subject"] for m in smtp.mails()] == ["Bascule : rappel — mise à jour attendue"]
    assert UpdateRequest.objects.get(pk=world.request_nor.pk).reminders == 1
    assert services.campaign_send_reminders(now=later).startswith("0 relance")  # just reminded


def test_periodic_jobs_run_when_due_and_a_failing_one_says_why(world, monkeypatch):
    calls = []
    monkeypatch.setitem(
        registry.PERIODIC,
        "tests.ok",
        registry.PeriodicJob("tests.ok", timedelta(hours=1), lambda: calls.append(1) or "fait"),
    )

    def broken() -> str:
        raise RuntimeError("serveur de messagerie injoignable")

    monkeypatch.setitem(
        registry.PERIODIC, "tests.broken", registry.PeriodicJob("tests.broken", timedelta(hours=1), broken)
    )
    lines = run_due_jobs()
    assert "tests.ok : fait" in lines and any("serveur de messagerie injoignable" in line for line in lines)
    assert PeriodicRun.objects.get(name="tests.broken").last_error.startswith("RuntimeError")
    assert run_due_jobs() == []  # not due again within the hour
    later = run_due_jobs(now=timezone.now() + timedelta(hours=2))
    assert "tests.ok : fait" in later and any(line.startswith("tests.broken") for line in later)
    assert calls == [1, 1]


def test_a_mail_that_cannot_leave_is_recorded_and_the_campaign_stays_open(world, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = (
        "127.0.0.1",
        9,
        2,
    )  # nothing listens there
    campaign = services.campaign_open(by=world.national, campaign=_new_campaign(world))
    assert campaign.state == Campaign.State.OPEN
    errors = list(campaign.requests.values_list("mail_error", flat=True))
    assert len(errors) == 2 and all(e.startswith("Courriel non parti") for e in errors)


def test_only_the_programme_owners_open_a_campaign_and_only_once(world):
    with pytest.raises(PermissionDenied):
        services.campaign_create(
            by=world.lead_bzh, programme=world.programme, title="X", due_on=date(2025, 12, 1)
        )
    with pytest.raises(PermissionDenied):
        services.campaign_open(by=world.national, campaign=world.campaign)  # already open


def test_campaign_pages_cost_constant_queries(world, client):
    client.force_login(world.national)
    url = reverse("committees:campaign_detail", args=[world.campaign.pk])

    def count(target):
        with count_queries() as queries:
            assert client.get(target).status_code == 200
        return len(queries)

    before = (count(url), count(reverse("committees:campaign_list")))
    for structure in (world.finistere, world.calvados, world.ddtm29):
        Action.objects.create(
            programme=world.programme, code=f"X-{structure.code}", title="x", structure=structure
        )
    services.campaign_open(by=world.national, campaign=_new_campaign(world))
    services.campaign_send_reminders(now=timezone.now() + timedelta(days=10))
    assert (count(url), count(reverse("committees:campaign_list"))) == before


def test_a_campaign_may_ask_only_for_late_actions_of_one_workstream(world):

    workstream = Workstream.objects.get(structure=world.bretagne, template__number=4)
    where = {
        "programme": world.programme,
        "structure": world.bretagne,
        "workstream": workstream,
    }

    late = ActionFactory(by=world.national, code="4-9", title="En retard", deliverables_text="2020", **where)
    ActionFactory(by=world.national, code="4-8", title="À venir", deliverables_text="2099", **where)
    campaign = services.campaign_open(
        by=world.national,
        campaign=_new_campaign(world, only_late_actions=True, workstream_number=4),
    )
    (request,) = campaign.requests.all()
    assert request.structure == world.bretagne and list(request.actions.all()) == [late]
    with pytest.raises(ValidationError):  # nothing matches: said, not an empty campaign
        services.campaign_open(
            by=world.national, campaign=_new_campaign(world, workstream_number=7, only_late_actions=True)
        )
