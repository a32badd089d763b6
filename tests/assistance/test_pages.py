"""The desk's pages and API: phone intake in one screen, the queue and the ticket list (filtered, exported, constant
queries), the ticket page by ability, the knowledge base, the public FAQ, the dashboard, the API's perimeter."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from bascule.assistance import services
from bascule.assistance.models import Ticket, TicketStatus
from tests.queries import count_queries

pytestmark = pytest.mark.django_db


def queries_of(client, url, params):
    """How many queries one page takes (counted from an emptied log: tests/queries.py)."""
    with count_queries() as captured:
        assert client.get(url, params).status_code == 200
    assert len(captured) > 5  # the count is real: a page reads the session, the user, the perimeter, the rows
    return len(captured)


def test_phone_intake_solved_in_one_click(desk, client):
    client.force_login(desk.proximity)
    page = client.get(reverse("assistance:phone_intake"))
    assert page.status_code == 200
    people = client.get(reverse("assistance:people_search"), {"personne": desk.person_bzh.last_name[:4]})
    assert str(desk.person_bzh.pk) in people.content.decode()
    hidden = client.get(reverse("assistance:people_search"), {"personne": desk.person_nor.last_name[:4]})
    assert str(desk.person_nor.pk) not in hidden.content.decode()  # outside the referent's perimeter
    suggestions = client.get(reverse("assistance:suggest"), {"subject": "reinitialiser mot de passe"})
    assert desk.article.question in suggestions.content.decode()
    response = client.post(
        reverse("assistance:phone_intake"),
        {
            "requester": desk.person_bzh.pk,
            "programme": desk.programme.pk,
            "category": "access",
            "priority": "normal",
            "subject": "Mot de passe",
            "body": "Bloqué",
            "answer": "Lien « mot de passe oublié ».",
            "resolu": "1",
        },
    )
    assert response.status_code == 302 and response["Location"] == reverse("assistance:phone_intake")
    ticket = Ticket.objects.get(subject="Mot de passe")
    assert ticket.solved_on_phone and ticket.status == TicketStatus.SOLVED and ticket.channel == "phone"


def test_phone_intake_refuses_a_requester_outside_the_perimeter(desk, client):
    client.force_login(desk.proximity)
    response = client.post(
        reverse("assistance:phone_intake"),
        {
            "requester": desk.person_nor.pk,
            "programme": desk.programme.pk,
            "category": "access",
            "priority": "normal",
            "subject": "Intrus",
            "body": "?",
        },
    )
    assert response.status_code == 200 and "pas dans votre périmètre" in response.content.decode()
    assert not Ticket.objects.filter(subject="Intrus").exists()


def test_ticket_list_filters_exports_and_counts_queries(world, client):
    client.force_login(world.national)
    for n in range(3):
        services.ticket_create(
            by=world.national,
            programme=world.programme,
            subject=f"Q{n}",
            body="?",
            requester=world.person_bzh,
        )
    url = reverse("assistance:ticket_list")
    few = queries_of(client, url, {"etat": "open"})
    for n in range(20):
        services.ticket_create(
            by=world.national,
            programme=world.programme,
            subject=f"R{n}",
            body="?",
            requester=world.person_nor,
        )
    assert queries_of(client, url, {"etat": "open"}) == few
    export = client.get(url, {"etat": "open", "export": "csv"})
    assert export.status_code == 200 and "R19" in export.content.decode("utf-8-sig")
    assert ">R19<" in client.get(url, {"etat": "open"}).content.decode()  # how a subject shows in the list
    searched = client.get(url, {"q": "facture"}).content.decode()
    # a cell, not the text: the page's CSP nonce may hold « R19 »
    assert world.ticket_bzh.number in searched and ">R19<" not in searched


def test_dashboard_counts_queries_and_rates(world, client):
    client.force_login(world.national)
    url = reverse("assistance:dashboard")
    few = queries_of(client, url, {"par": "level"})
    for n in range(10):
        t = services.ticket_create(
            by=world.national,
            programme=world.programme,
            subject=f"S{n}",
            body="?",
            requester=world.person_bzh,
        )
        services.ticket_reply(
            by=world.national, ticket=t, version=t.version, body="ok", then=TicketStatus.SOLVED
        )
    assert queries_of(client, url, {"par": "level"}) == few
    assert "Niveau 1" in client.get(url, {"par": "level"}).content.decode()
    assert client.get(url, {"export": "xlsx"}).status_code == 200


def test_ticket_page_shows_what_each_may_do(desk, client):
    ticket = desk.ticket_bzh
    client.force_login(desk.proximity)
    page = client.get(reverse("assistance:ticket_detail", args=[ticket.pk])).content.decode()
    assert "Envoyer la réponse" in page and "Escalader" in page
    client.force_login(desk.reader_bzh)
    page = client.get(reverse("assistance:ticket_detail", args=[ticket.pk])).content.decode()
    assert "Envoyer la réponse" not in page and "Escalader" not in page
    assert (
        client.post(
            reverse("assistance:ticket_escalate", args=[ticket.pk]),
            {"version": ticket.version, "diagnosis": "x" * 30},
        ).status_code
        == 403
    )
    client.force_login(desk.lead_nor)
    assert client.get(reverse("assistance:ticket_detail", args=[ticket.pk])).status_code == 404


def test_escalate_then_answer_through_the_pages(desk, client, smtp):
    ticket = desk.ticket_bzh
    client.force_login(desk.proximity)
    client.post(
        reverse("assistance:ticket_escalate", args=[ticket.pk]),
        {"version": ticket.version, "diagnosis": "Vérifié : rejet côté Chorus."},
    )
    ticket.refresh_from_db()
    assert ticket.level == 2
    client.force_login(desk.pole_agent)
    client.post(
        reverse("assistance:ticket_answer_down", args=[ticket.pk]),
        {"version": ticket.version, "body": "Tiers corrigé, relancez."},
    )
    ticket.refresh_from_db()
    client.force_login(desk.proximity)
    page = client.get(reverse("assistance:ticket_detail", args=[ticket.pk])).content.decode()
    assert "Réponse du niveau 2 à transmettre" in page and "Tiers corrigé, relancez." in page
    client.post(
        reverse("assistance:ticket_reply", args=[ticket.pk]),
        {"version": ticket.version, "body": "Tiers corrigé, relancez.", "then": "solved"},
    )
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.SOLVED
    assert smtp.mails()[-1]["to"] == "agent.bzh@test.gouv.fr"
    response = client.post(reverse("assistance:ticket_to_article", args=[ticket.pk]))
    assert response.status_code == 302 and "/articles/" in response["Location"]


def test_public_faq_needs_no_login_and_shows_only_public_articles(world, client):
    from bascule.assistance import knowledge
    from bascule.assistance.models import Audience, Review

    knowledge.article_create(
        by=world.national,
        programme=world.programme,
        question="Question interne",
        answer="<p>interne</p>",
        audience=Audience.INTERNAL,
        review=Review.PUBLISHED,
    )
    page = client.get(reverse("assistance:faq_public", args=[world.programme.pk])).content.decode()
    assert world.article.question in page and "Question interne" not in page
    found = client.get(
        reverse("assistance:faq_public", args=[world.programme.pk]), {"q": "reinitialiser"}
    ).content.decode()
    assert "Résultats pour" in found and world.article.question in found


def test_requester_closes_their_ticket_with_an_article(desk, client):
    from tests.factories import PersonFactory, UserFactory

    user = UserFactory(username="agent-demandeur")
    person = PersonFactory(structure=desk.ddtm29, user=user)
    client.force_login(user)
    response = client.post(
        reverse("assistance:ticket_create"),
        {
            "programme": desk.programme.pk,
            "category": "access",
            "subject": "Réinitialiser mon mot de passe",
            "body": "Comment faire ?",
        },
    )
    ticket = Ticket.objects.get(requester=person)
    assert response["Location"] == reverse("assistance:ticket_detail", args=[ticket.pk])
    page = client.get(response["Location"]).content.decode()
    assert desk.article.question in page  # suggested
    client.post(reverse("assistance:ticket_article_useful", args=[ticket.pk, desk.article.pk]))
    ticket.refresh_from_db()
    desk.article.refresh_from_db()
    assert ticket.status == TicketStatus.CLOSED and ticket.answered_by_article == desk.article
    assert desk.article.useful_count == 1
    client.post(reverse("assistance:ticket_rate", args=[ticket.pk]), {"score": 5})
    ticket.refresh_from_db()
    assert ticket.satisfaction == 5


def test_api_follows_the_perimeter(desk):
    api = APIClient()
    api.force_login(desk.lead_bzh)
    numbers = {t["number"] for t in api.get("/api/v1/tickets/").json()["results"]}
    assert desk.ticket_bzh.number in numbers and desk.ticket_nor.number not in numbers
    assert api.get(f"/api/v1/tickets/{desk.ticket_nor.pk}/").status_code == 404
    detail = api.get(f"/api/v1/tickets/{desk.ticket_bzh.pk}/").json()
    assert detail["messages"][0]["kind"] == "incoming"
    searched = api.get("/api/v1/tickets/", {"q": "facture"}).json()["results"]
    assert [t["number"] for t in searched] == [desk.ticket_bzh.number]
    created = api.post(
        "/api/v1/tickets/",
        {"programme": "CHORUS", "subject": "Par l'API", "body": "?", "requester": str(desk.person_bzh.pk)},
        format="json",
    )
    assert created.status_code == 201 and created.json()["level"] == 1
    outside = api.post(
        "/api/v1/tickets/",
        {"programme": "CHORUS", "subject": "x", "body": "?", "requester": str(desk.person_nor.pk)},
        format="json",
    )
    assert outside.status_code == 400
    escalated = api.post(
        f"/api/v1/tickets/{desk.ticket_bzh.pk}/escalate/",
        {"version": desk.ticket_bzh.version, "diagnosis": "Diagnostic par l'API."},
        format="json",
    )
    assert escalated.status_code == 200 and escalated.json()["level"] == 2
    kb = api.get("/api/v1/kb/", {"q": "reinitialiser"}).json()["results"]
    assert [a["question"] for a in kb] == [desk.article.question]
    reader = APIClient()
    reader.force_login(desk.reader_bzh)
    assert (
        reader.post(
            f"/api/v1/tickets/{desk.ticket_bzh.pk}/reply/", {"version": 1, "body": "x"}, format="json"
        ).status_code
        == 403
    )


def test_phone_intake_for_a_caller_outside_the_referential(desk, client):
    client.force_login(desk.proximity)
    base = {
        "programme": desk.programme.pk,
        "category": "question",
        "priority": "normal",
        "subject": "Appel",
        "body": "?",
    }
    missing = client.post(reverse("assistance:phone_intake"), base)
    assert "Choisissez la personne qui appelle" in missing.content.decode()
    client.post(
        reverse("assistance:phone_intake"),
        {**base, "requester_email": "prestataire@exemple.fr", "requester_name": "Un prestataire"},
    )
    ticket = Ticket.objects.get(subject="Appel")
    assert ticket.requester is None and ticket.requester_email == "prestataire@exemple.fr"
    assert ticket.structure == desk.ddtm29 and ticket.handling_structure == desk.ddtm29


def test_api_ticket_for_an_address_needs_a_structure_of_the_perimeter(desk):
    api = APIClient()
    api.force_login(desk.lead_bzh)
    body = {
        "programme": "CHORUS",
        "subject": "Hors référentiel",
        "body": "?",
        "requester_email": "x@exemple.fr",
    }
    assert api.post("/api/v1/tickets/", {**body, "structure": "DDTM-14"}, format="json").status_code == 400
    created = api.post("/api/v1/tickets/", {**body, "structure": "DDTM-29"}, format="json")
    assert created.status_code == 201 and created.json()["structure"] == "DDTM-29"
