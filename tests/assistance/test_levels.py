"""Levels follow the organisation: routing, escalation with a diagnosis (level 1 told), the answer coming back down
through level 1 to the requester, who receives it by mail; who may do what (a permission matrix)."""

from __future__ import annotations

import email
import email.policy

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from bascule.assistance import knowledge, operations, search, selectors, services
from bascule.assistance.models import Level, MessageKind, Review, Ticket, TicketStatus
from bascule.assistance.routing import route
from bascule.core.locking import ConflictError

pytestmark = pytest.mark.django_db


def _mails(smtp):
    return [email.message_from_bytes(raw, policy=email.policy.default) for raw in smtp.messages]


def test_routing_follows_the_organisation(desk):
    routes = route(desk.ddtm29, desk.programme)
    assert routes == {1: desk.ddtm29, 2: desk.pole_bzh, 3: desk.national_office}
    # Normandy has a business referent in its DDTM but no support pole: the region answers at level 2.
    assert route(desk.ddtm14, desk.programme) == {1: desk.ddtm14, 2: desk.normandie, 3: desk.national_office}
    assert route(desk.calvados, desk.programme) == {
        1: desk.normandie,
        2: desk.normandie,
        3: desk.national_office,
    }


def test_a_ddi_served_by_two_centres_routes_level_2_to_the_centre_of_the_tickets_domain(desk):
    from datetime import date

    from bascule.organisation import services as organisation
    from bascule.organisation.models import ServiceKind, StructureKind
    from tests.factories import make_structure

    accounting = make_structure(
        "CPCM-53", parent=desk.bretagne, kind=StructureKind.SHARED_CENTRE, region="53"
    )
    payroll = make_structure("CSRH-53", parent=desk.bretagne, kind=StructureKind.SHARED_CENTRE, region="53")
    for provider, kind in ((accounting, ServiceKind.ACCOUNTING), (payroll, ServiceKind.PAYROLL)):
        organisation.service_link_create(
            by=desk.national, client=desk.ddtm29, provider=provider, kind=kind, start_date=date(2020, 1, 1)
        )
    assert route(desk.ddtm29, desk.programme, ServiceKind.ACCOUNTING)[2] == accounting
    assert route(desk.ddtm29, desk.programme, ServiceKind.PAYROLL)[2] == payroll
    # No link of that domain (or none given): the region's support pole, as before.
    assert route(desk.ddtm29, desk.programme, ServiceKind.ARCHIVES)[2] == desk.pole_bzh
    assert route(desk.ddtm29, desk.programme)[2] == desk.pole_bzh
    ticket = services.ticket_create(
        by=desk.proximity,
        programme=desk.programme,
        subject="Mandat rejeté",
        body="Le mandat 42 est rejeté par le comptable.",
        requester=desk.person_bzh,
        domain=ServiceKind.PAYROLL,
    )
    assert ticket.level2_structure == payroll
    escalated = services.ticket_escalate(
        by=desk.proximity,
        ticket=ticket,
        version=ticket.version,
        diagnosis="Rejet de paie vérifié : à traiter par le centre.",
    )
    assert escalated.handling_structure == payroll and escalated.level == 2


def test_escalation_answer_down_reply_and_article_found_without_accents(desk, smtp):
    ticket = services.ticket_create(
        by=desk.proximity,
        programme=desk.programme,
        subject="Réinitialiser le mot de passe Chorus",
        body="Comment réinitialiser mon mot de passe ? Mon compte est bloqué.",
        requester=desk.person_bzh,
        channel="phone",
    )
    assert ticket.level == 1 and ticket.handling_structure == desk.ddtm29
    with pytest.raises(ValidationError):
        services.ticket_escalate(
            by=desk.proximity, ticket=ticket, version=ticket.version, diagnosis="trop court"
        )
    ticket = services.ticket_escalate(
        by=desk.proximity,
        ticket=ticket,
        version=ticket.version,
        diagnosis="Compte bloqué côté annuaire, hors de portée du niveau 1.",
    )
    assert ticket.level == 2 and ticket.handling_structure == desk.pole_bzh and ticket.max_level == 2
    escalation = _mails(smtp)[-1]
    assert "pole@test.gouv.fr" in escalation["To"] and "proximite@test.gouv.fr" in escalation["Cc"]
    assert escalation["Auto-Submitted"] == "auto-generated"
    # Level 1 keeps following: it reads the ticket and writes notes, but no longer answers it.
    abilities = ticket.get_abilities(desk.proximity)
    assert abilities["view"] and abilities["note"] and not abilities["handle"]
    assert ticket.get_abilities(desk.pole_agent)["handle"]
    ticket = services.ticket_answer_down(
        by=desk.pole_agent,
        ticket=ticket,
        version=ticket.version,
        body="Le compte est débloqué : réinitialisez le mot de passe avec le lien « mot de passe oublié ».",
    )
    assert ticket.level == 1 and ticket.handling_structure == desk.ddtm29
    notice = _mails(smtp)[-1]  # to level 1 (its referents), not yet to the requester as an answer
    assert "proximite@test.gouv.fr" in notice["To"] and "à transmettre" in notice["Subject"]
    pending = selectors.ticket_page(ticket=ticket, user=desk.proximity)["pending_answer"]
    assert pending.kind == MessageKind.ANSWER_DOWN and pending.level == 2
    ticket = services.ticket_reply(
        by=desk.proximity, ticket=ticket, version=ticket.version, body=pending.body, then=TicketStatus.SOLVED
    )
    answer = _mails(smtp)[-1]
    assert answer["To"] == "agent.bzh@test.gouv.fr"
    assert f"[#{ticket.number}]" in answer["Subject"] and "Auto-Submitted" not in answer
    assert "débloqué" in answer.get_body(preferencelist=("plain",)).get_content()
    assert ticket.status == TicketStatus.SOLVED and ticket.solved_at is not None
    # The ticket becomes an anonymised draft; once published, a search without accents finds it.
    article = knowledge.article_from_ticket(by=desk.proximity, ticket=ticket)
    assert article.review == Review.IN_REVIEW and article.source_ticket == ticket
    assert desk.person_bzh.last_name not in article.question + article.answer
    with pytest.raises(PermissionDenied):
        knowledge.article_update(
            by=desk.proximity, article=article, version=article.version, review=Review.PUBLISHED
        )
    knowledge.article_update(by=desk.cpu, article=article, version=article.version, review=Review.PUBLISHED)
    found = selectors.kb_search(
        user=desk.lead_bzh, query="reinitialiser mot de passe", programme=desk.programme
    )
    assert article in found["articles"]
    assert ticket in found["tickets"]


def test_internal_notes_never_reach_the_requester(desk, smtp):
    ticket = services.ticket_create(
        by=desk.proximity, programme=desk.programme, subject="Question", body="?", requester=desk.person_bzh
    )
    services.ticket_note(by=desk.proximity, ticket=ticket, body="Demandeur déjà venu trois fois.")
    assert smtp.messages == []
    search.index_ticket(ticket)
    assert ticket not in search.search(Ticket.objects.all(), "trois fois")


def test_a_stale_version_is_refused(desk):
    ticket = services.ticket_create(
        by=desk.proximity, programme=desk.programme, subject="Question", body="?", requester=desk.person_bzh
    )
    services.ticket_take(by=desk.proximity, ticket=ticket, version=ticket.version)
    with pytest.raises(ConflictError):
        services.ticket_escalate(
            by=desk.proximity, ticket=ticket, version=ticket.version, diagnosis="Diagnostic complet fait."
        )


def test_solved_on_the_phone_counts_at_level_1(desk):
    ticket = services.ticket_create(
        by=desk.proximity,
        programme=desk.programme,
        subject="Question",
        body="?",
        requester=desk.person_bzh,
        channel="phone",
        solved_on_phone=True,
    )
    assert ticket.status == TicketStatus.SOLVED and ticket.solved_on_phone and ticket.max_level == 1
    board = selectors.dashboard(user=desk.national, programme=desk.programme)
    assert board["overall"]["solved_level1"] == 100


def test_anomaly_change_tells_every_linked_requester(desk, smtp):
    anomaly = operations.anomaly_create(by=desk.cpu, programme=desk.programme, title="Flux rejeté la nuit")
    tickets = []
    for person in (desk.person_bzh, desk.person_nor):
        ticket = services.ticket_create(
            by=desk.national, programme=desk.programme, subject="Flux", body="?", requester=person
        )
        tickets.append(
            services.ticket_link_anomaly(
                by=desk.national, ticket=ticket, version=ticket.version, anomaly=anomaly
            )
        )
    with pytest.raises(PermissionDenied):
        operations.anomaly_update(by=desk.proximity, anomaly=anomaly, version=anomaly.version, status="fixed")
    operations.anomaly_update(by=desk.cpu, anomaly=anomaly, version=anomaly.version, status="fixed")
    told = sorted(m["To"] for m in _mails(smtp))
    assert told == ["agent.bzh@test.gouv.fr", "agent.nor@test.gouv.fr"]


# --- who may do what ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("user_name", "level", "expected"),
    [
        ("proximity", 1, {"view": True, "handle": True, "escalate": True}),
        ("proximity", 2, {"view": True, "handle": False, "escalate": False, "note": True}),
        ("pole_agent", 1, {"view": True, "handle": False}),
        ("pole_agent", 2, {"view": True, "handle": True, "escalate": True, "answer_down": True}),
        ("cpu", 2, {"view": False, "handle": False}),
        ("cpu", 3, {"view": True, "handle": True, "escalate": False, "answer_down": True}),
        ("lead_bzh", 1, {"view": True, "handle": True}),
        ("reader_bzh", 1, {"view": True, "handle": False, "note": False, "escalate": False}),
        ("lead_nor", 1, {"view": False, "handle": False}),
        ("nobody", 1, {"view": False, "handle": False}),
        ("national", 3, {"view": True, "handle": True}),
    ],
)
def test_ability_matrix(desk, user_name, level, expected):
    ticket = services.ticket_create(
        by=desk.national, programme=desk.programme, subject="Question", body="?", requester=desk.person_bzh
    )
    for _ in range(level - 1):
        ticket = services.ticket_escalate(
            by=desk.national, ticket=ticket, version=ticket.version, diagnosis="Diagnostic du niveau."
        )
    user = getattr(desk, user_name)
    abilities = ticket.get_abilities(user)
    assert {k: abilities[k] for k in expected} == expected
    assert (ticket in Ticket.objects.visible_to(user)) is expected["view"]


def test_the_requester_sees_their_ticket_but_not_internal_notes(desk):
    from tests.factories import PersonFactory, UserFactory

    requester = UserFactory(username="demandeur")
    person = PersonFactory(structure=desk.ddtm29, user=requester)  # an agent holding no support role
    ticket = services.ticket_create(
        by=requester, programme=desk.programme, subject="Ma question", body="?", requester=person
    )
    services.ticket_note(by=desk.proximity, ticket=ticket, body="Note interne")
    page = selectors.ticket_page(ticket=ticket, user=requester)
    assert [m.kind for m in page["thread"]] == [MessageKind.INCOMING]
    assert ticket in Ticket.objects.visible_to(requester)
    with pytest.raises(PermissionDenied):
        services.ticket_reply(by=requester, ticket=ticket, version=ticket.version, body="moi-même")
    with pytest.raises(
        PermissionDenied
    ):  # nobody opens a ticket in someone else's name without being level 1
        services.ticket_create(
            by=requester, programme=desk.programme, subject="x", body="y", requester=desk.person_nor
        )


def test_level_names():
    assert Level(2).label.startswith("Niveau 2")


def test_the_solving_mail_carries_a_one_click_survey_answered_once(desk, smtp, client):
    ticket = services.ticket_create(
        by=desk.proximity, programme=desk.programme, subject="Question", body="?", requester=desk.person_bzh
    )
    services.ticket_reply(
        by=desk.proximity, ticket=ticket, version=ticket.version, body="Voici.", then="solved"
    )
    body = _mails(smtp)[-1].get_body(preferencelist=("plain",)).get_content()
    link = next(word for word in body.split() if "/assistance/avis/" in word)
    path = link[link.index("/assistance/avis/") :]
    assert client.get(path).status_code == 200  # no account needed
    assert "Merci" in client.post(path, {"score": 4}).content.decode()
    assert Ticket.objects.get(pk=ticket.pk).satisfaction == 4
    assert client.post(path, {"score": 1}).status_code == 404  # once
    assert Ticket.objects.get(pk=ticket.pk).satisfaction == 4
    assert client.get(path[:-3] + "xyz/").status_code == 404  # a tampered link opens nothing
