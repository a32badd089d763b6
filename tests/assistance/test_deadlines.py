"""Deadlines in working hours (French public holidays), paused while waiting for the requester; the watch warns
before a deadline and escalates after a breach, as the programme's policy says."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from bascule.assistance import deadlines, operations, services
from bascule.assistance.models import Ticket, TicketStatus

pytestmark = pytest.mark.django_db
PARIS = ZoneInfo("Europe/Paris")


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=PARIS)


def _ticket(world, now):
    Ticket.objects.update(status=TicketStatus.CLOSED)  # the world's tickets stay out of the watch
    return services.ticket_create(
        by=world.national,
        programme=world.programme,
        subject="Question",
        body="?",
        requester=world.person_bzh,
        now=now,
    )


def test_deadlines_count_working_hours_and_skip_holidays(world):
    # Thursday 24 December 2026, 16:00: one working hour left that day, Friday 25 is Christmas, then the weekend.
    ticket = _ticket(world, at(2026, 12, 24, 16, 0))
    assert ticket.first_response_due == at(2026, 12, 28, 12, 0)  # 1 h on the 24th + 3 h on Monday 28th
    assert ticket.resolution_due == at(2026, 12, 29, 16, 0)  # 1 h + 7 h on the 28th + 6 h on the 29th


def test_waiting_for_the_requester_pauses_the_clock(world):
    ticket = _ticket(world, at(2026, 12, 7, 9, 0))  # Monday
    due = ticket.resolution_due
    ticket = services.ticket_reply(
        by=world.national,
        ticket=ticket,
        version=ticket.version,
        body="Précisez ?",
        then=TicketStatus.WAITING,
        now=at(2026, 12, 7, 10, 0),
    )
    # The requester answers the next day at 10:00: seven working hours were spent waiting.
    services.incoming_add(ticket, body="Voici", from_email=ticket.requester_email, now=at(2026, 12, 8, 10, 0))
    ticket.refresh_from_db()
    hours = deadlines.read_working_hours(deadlines.policy_for(ticket).working_hours)
    assert hours.working_seconds(due, ticket.resolution_due) == 7 * 3600
    assert ticket.status == TicketStatus.ASSIGNED and ticket.waiting_since is None


def test_the_watch_warns_then_escalates_after_a_breach(world, smtp):
    ticket = _ticket(
        world, at(2026, 12, 7, 9, 0)
    )  # first response due at 13:30 (3 h 30 in the morning + 30 min)
    assert ticket.first_response_due == at(2026, 12, 7, 14, 0)
    assert operations.deadlines_watch(now=at(2026, 12, 7, 11, 0)).startswith("0 avertissement")
    assert operations.deadlines_watch(now=at(2026, 12, 7, 13, 45)).startswith("1 avertissement")
    assert Ticket.objects.get(pk=ticket.pk).warned_at is not None
    assert "Échéance proche" in smtp.mails()[-1]["subject"]
    assert operations.deadlines_watch(now=at(2026, 12, 7, 13, 50)).startswith("0 avertissement")  # once only
    result = operations.deadlines_watch(now=at(2026, 12, 7, 14, 30))
    assert result == "0 avertissement(s), 1 dépassement(s), 1 escalade(s)"
    ticket.refresh_from_db()
    assert ticket.level == 2 and ticket.first_response_breached
    assert "Escalade automatique" in ticket.messages.get(kind="diagnosis").body
    assert operations.deadlines_watch(now=at(2026, 12, 7, 14, 35)).endswith("0 escalade(s)")


def test_no_escalation_when_the_policy_says_so(world, smtp):
    operations.policy_save(
        by=world.national, programme=world.programme, version=world.policy.version, escalate_on_breach=False
    )
    ticket = _ticket(world, at(2026, 12, 7, 9, 0))
    assert operations.deadlines_watch(now=at(2026, 12, 7, 15, 0)).endswith("1 dépassement(s), 0 escalade(s)")
    assert operations.deadlines_watch(now=at(2026, 12, 7, 15, 5)).endswith("0 dépassement(s), 0 escalade(s)")
    ticket.refresh_from_db()
    assert ticket.level == 1 and ticket.first_response_breached


def test_working_hours_are_read_or_refused_in_french():
    assert len(deadlines.read_working_hours("8h30-12:00; 14:00-18h").periods) == 2
    with pytest.raises(ValidationError, match="Plages horaires illisibles"):
        deadlines.read_working_hours("le matin")
    with pytest.raises(ValidationError):
        deadlines.read_working_hours("12:00-09:00")


def test_automatic_mail_is_capped(world, smtp):
    operations.policy_save(
        by=world.national, programme=world.programme, version=world.policy.version, mail_cap_per_ticket=2
    )
    ticket = _ticket(world, at(2026, 12, 7, 9, 0))
    errors = [services.acknowledge(ticket) for _ in range(3)]
    assert errors[:2] == ["", ""] and "plafond" in errors[2]
    assert len(smtp.messages) == 2
