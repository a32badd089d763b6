"""What a hostile probe found on the support desk (issue 24): a second close rewrote the resolution times, a
satisfaction could be changed again and again, anonymous FAQ searches wrote into staff's dashboard."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from bascule.assistance import knowledge, selectors, services
from bascule.assistance.models import SearchMiss, Ticket, TicketStatus
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _solved(desk, subject="Accès refusé"):
    """A ticket of person_bzh (who gets an account the first time), answered and solved by level 1."""
    requester = desk.person_bzh.user or UserFactory(username="demandeur", email=desk.person_bzh.email)
    if desk.person_bzh.user is None:
        desk.person_bzh.user = requester
        desk.person_bzh.save()
    ticket = services.ticket_create(
        by=desk.proximity,
        programme=desk.programme,
        subject=subject,
        body="Je n'accède plus à Chorus.",
        requester=desk.person_bzh,
        channel="phone",
    )
    ticket = services.ticket_reply(
        by=desk.proximity, ticket=ticket, version=ticket.version, body="Réessayez.", then=TicketStatus.SOLVED
    )
    return ticket, requester


def test_a_closed_ticket_is_not_closed_again(desk, smtp):
    ticket, requester = _solved(desk)
    closed = services.ticket_close(by=requester, ticket=ticket, version=ticket.version)
    solved_at, closed_at = closed.solved_at, closed.closed_at
    assert not closed.get_abilities(requester)["close"]
    assert not closed.get_abilities(desk.proximity)["close"]
    for user in (requester, desk.proximity, desk.national):
        with pytest.raises((ValidationError, PermissionDenied)):
            services.ticket_close(
                by=user, ticket=closed, version=closed.version, now=timezone.now() + timedelta(days=3)
            )
    again = Ticket.objects.get(pk=ticket.pk)
    assert (again.solved_at, again.closed_at, again.version) == (solved_at, closed_at, closed.version)


def test_the_close_page_refuses_a_closed_ticket(desk, client, smtp):
    ticket, _requester = _solved(desk)
    closed = services.ticket_close(by=desk.proximity, ticket=ticket, version=ticket.version)
    client.force_login(desk.proximity)
    response = client.post(
        reverse("assistance:ticket_close", kwargs={"ticket_id": ticket.pk}), {"version": closed.version}
    )
    assert response.status_code in (403, 404)
    assert Ticket.objects.get(pk=ticket.pk).closed_at == closed.closed_at
    page = client.get(reverse("assistance:ticket_detail", kwargs={"ticket_id": ticket.pk})).content.decode()
    assert "Clore le ticket" not in page


def test_satisfaction_is_answered_once_on_the_page_as_by_the_link(desk, client, smtp):
    ticket, requester = _solved(desk)
    assert ticket.get_abilities(requester)["rate"]
    # By the mailed link first: the page then refuses a second score.
    services.ticket_rate_by_link(token=services.satisfaction_token(ticket), score=2)
    client.force_login(requester)
    url = reverse("assistance:ticket_rate", kwargs={"ticket_id": ticket.pk})
    assert client.post(url, {"score": 5}).status_code in (403, 404)
    assert Ticket.objects.get(pk=ticket.pk).satisfaction == 2
    rated = Ticket.objects.get(pk=ticket.pk)
    assert not rated.get_abilities(requester)["rate"]
    with pytest.raises(PermissionDenied):
        services.ticket_rate(by=requester, ticket=rated, score=5)
    # On the page first: the link is then spent too.
    other, _ = _solved(desk, subject="Autre question")
    services.ticket_rate(by=requester, ticket=other, score=4)
    with pytest.raises(PermissionDenied):
        services.ticket_rate_by_link(token=services.satisfaction_token(other), score=1)
    with pytest.raises(PermissionDenied):
        services.ticket_rate(by=requester, ticket=Ticket.objects.get(pk=other.pk), score=1)
    assert Ticket.objects.get(pk=other.pk).satisfaction == 4


def test_anonymous_faq_misses_are_counted_apart_and_bounded(world, client, monkeypatch):
    url = reverse("assistance:faq_public", kwargs={"programme_id": world.programme.pk})
    client.get(url, {"q": "zorglub inexistant"})
    client.get(url, {"q": "Zorglub inexistant"})
    client.get(url, {"q": "mot " * 60})  # too long for a question the FAQ lacks: not kept
    miss = SearchMiss.objects.get()
    assert miss.public and miss.count == 2
    board = selectors.dashboard(user=world.national, programme=world.programme)
    assert board["misses"] == [] and [m.query for m in board["public_misses"]] == [miss.query]
    # Staff's own misses are the main list, apart from the public's.
    selectors.kb_search(user=world.national, query="zorglub inexistant", programme=world.programme)
    board = selectors.dashboard(user=world.national, programme=world.programme)
    assert [(m.query, m.public) for m in board["misses"]] == [(miss.query, False)]
    # The public fills a bounded number of lines per programme; past it, only known lines count.
    monkeypatch.setattr(knowledge, "PUBLIC_MISSES_PER_PROGRAMME", 3)
    for number in range(10):
        client.get(url, {"q": f"question{number} inconnue"})
    assert SearchMiss.objects.filter(public=True).count() == 3
