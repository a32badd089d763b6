"""Deadlines in working time: each level has a time to first response and to resolution (the programme's policy),
counted in working hours of the one calendar (core.workdays: French public holidays), paused while the ticket waits
for its requester (the deadlines move by the working time spent waiting)."""

from __future__ import annotations

import re
from datetime import datetime, time
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError

from bascule.assistance.models import SupportPolicy, Ticket
from bascule.core.workdays import WorkingHours

PARIS = ZoneInfo(settings.TIME_ZONE)
CLOCK = re.compile(r"(\d{1,2})\s*[h:]\s*(\d{2})?")


def read_working_hours(text: str) -> WorkingHours:
    """« 09:00-12:30, 13:30-17:00 » → WorkingHours, or a French ValidationError."""
    periods = []
    try:
        for chunk in text.replace(";", ",").split(","):
            if not chunk.strip():
                continue
            start, end = (_clock(part) for part in chunk.split("-"))
            periods.append((start, end))
        if not periods:
            raise ValueError("aucune plage")
        return WorkingHours(tuple(periods))
    except ValueError as exc:
        raise ValidationError(
            {
                "working_hours": f"Plages horaires illisibles (« {text[:60]} ») : écrivez « 09:00-12:30, 13:30-17:00 »."
            }
        ) from exc


def _clock(text: str) -> time:
    """« 9:00 », « 09h », « 8h30 », « 18h » → a time (ValueError otherwise)."""
    match = CLOCK.fullmatch(text.strip().lower())
    if not match:
        raise ValueError(text)
    return time(int(match.group(1)), int(match.group(2) or 0))


def policy_for(ticket: Ticket) -> SupportPolicy:
    """The programme's policy as saved now (its defaults when none was saved)."""
    return SupportPolicy.objects.filter(programme_id=ticket.programme_id).first() or SupportPolicy(
        programme=ticket.programme
    )


def set_level_deadlines(ticket: Ticket, now: datetime) -> None:
    """Start the deadlines of the ticket's current level from `now`."""
    policy = policy_for(ticket)
    hours = read_working_hours(policy.working_hours)
    first, resolution = policy.hours(ticket.level)
    local = now.astimezone(PARIS)
    ticket.first_response_due = hours.add_working_time(local, first * 3600)
    ticket.resolution_due = hours.add_working_time(local, resolution * 3600)
    ticket.first_response_at = None
    ticket.warned_at = None


def resume(ticket: Ticket, now: datetime) -> None:
    """The requester answered: the deadlines move by the working time spent waiting."""
    if ticket.waiting_since is None:
        return
    hours = read_working_hours(policy_for(ticket).working_hours)
    paused = hours.working_seconds(ticket.waiting_since.astimezone(PARIS), now.astimezone(PARIS))
    if ticket.first_response_due and ticket.first_response_at is None:
        ticket.first_response_due = hours.add_working_time(
            ticket.first_response_due.astimezone(PARIS), paused
        )
    if ticket.resolution_due:
        ticket.resolution_due = hours.add_working_time(ticket.resolution_due.astimezone(PARIS), paused)
    ticket.waiting_since = None


def nearest_due(ticket: Ticket) -> datetime | None:
    """The next deadline of the ticket: its first response while none was given, else its resolution."""
    if ticket.first_response_at is None and ticket.first_response_due:
        return min(d for d in (ticket.first_response_due, ticket.resolution_due) if d is not None)
    return ticket.resolution_due


def should_warn(ticket: Ticket, now: datetime, policy: SupportPolicy | None = None) -> bool:
    """Whether at most `warn_before` working minutes remain before the nearest deadline (and it is not past)."""
    due = nearest_due(ticket)
    if due is None or now >= due:
        return False
    policy = policy or policy_for(ticket)
    hours = read_working_hours(policy.working_hours)
    return hours.working_seconds(now.astimezone(PARIS), due.astimezone(PARIS)) <= policy.warn_before * 60
