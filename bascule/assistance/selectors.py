"""Reads of the support desk: the ticket queue, suggestions, searches, the FAQ, the home panel and the dashboard.

Every read starts from `visible_to(user)`; lists and the dashboard run a fixed number of queries whatever the number
of tickets (tests assert it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db.models import Avg, Count, Q, QuerySet
from django.utils import timezone

from bascule.assistance import search
from bascule.assistance.knowledge import search_miss_record
from bascule.assistance.models import (
    LEVEL_ROLES,
    OPEN_STATUSES,
    Article,
    Audience,
    Level,
    SearchMiss,
    Ticket,
    TicketStatus,
    handles_level,
)
from bascule.core.access import can_write_somewhere, role_paths
from bascule.core.roles import Role
from bascule.core.system import Actor
from bascule.programmes.models import Programme

WORDS = re.compile(r"\w{4,}")  # the words that carry a question's meaning
LIST_RELATED = ("programme", "workstream", "structure", "handling_structure", "assignee__person")


def can_take_calls(user: Actor) -> bool:
    """Phone intake is for level-1 support (referents, CFA) and the editors of a perimeter."""
    return can_write_somewhere(user) or any(role_paths(user, r) for r in LEVEL_ROLES[1])


def files_anomalies(user: Actor) -> bool:
    """Anomalies are the project team's: whoever answers level 3 for a programme they see (the service checks
    the programme chosen)."""
    return any(
        handles_level(user, 3, p.owner.path)
        for p in Programme.objects.visible_to(user).select_related("owner").only("owner__path")
    )


@dataclass
class TicketFilters:
    status: str = ""  # a status, or "open"
    level: int | None = None
    programme: Any = None
    workstream: Any = None
    structure_code: str = ""
    mine: bool = False
    text: str = ""
    order: str = "-created_at"


ORDERS = {
    "-created_at": "-created_at",
    "created_at": "created_at",
    "resolution_due": "resolution_due",
    "-priority": "-priority",
    "number": "number",
}


def ticket_list(*, user: Actor, filters: TicketFilters | None = None) -> QuerySet[Ticket] | list[Ticket]:
    """The tickets the user sees, filtered; a text search returns them ranked (best first)."""
    f = filters or TicketFilters()
    tickets = Ticket.objects.visible_to(user).select_related(*LIST_RELATED)
    if f.status == "open":
        tickets = tickets.filter(status__in=OPEN_STATUSES)
    elif f.status:
        tickets = tickets.filter(status=f.status)
    if f.level:
        tickets = tickets.filter(level=f.level)
    if f.programme:
        tickets = tickets.filter(programme=f.programme)
    if f.workstream:
        tickets = tickets.filter(workstream=f.workstream)
    if f.structure_code:
        tickets = tickets.filter(
            Q(structure__code=f.structure_code) | Q(handling_structure__code=f.structure_code)
        )
    if f.mine and user.pk is not None:
        tickets = tickets.filter(Q(assignee_id=user.pk) | Q(requester_user_id=user.pk))
    if f.text:
        return search.search(tickets, f.text, limit=200)
    return tickets.order_by(ORDERS.get(f.order, "-created_at"), "-number")


def queue(*, user: Actor) -> list[Ticket]:
    """Open tickets the user handles at their current level (nearest deadline first), at most 200."""
    candidates = (
        Ticket.objects.visible_to(user)
        .filter(status__in=OPEN_STATUSES)
        .select_related(*LIST_RELATED)
        .order_by("resolution_due")[:500]
    )
    return [t for t in candidates if handles_level(user, t.level, t.handling_structure.path)][:200]


def ticket_page(*, ticket: Ticket, user: Actor) -> dict[str, Any]:
    """A ticket's messages (internal ones only for support), attachments, followers, history: constant queries."""
    abilities = ticket.get_abilities(user)
    support = abilities["note"] or abilities["handle"] or not ticket.is_requester(user)
    messages = list(ticket.messages.select_related("author").prefetch_related("attachments"))
    if not support:
        messages = [m for m in messages if m.is_public]
    pending_answer = (
        next((m for m in reversed(messages) if m.kind == "answer_down"), None)
        if ticket.level == Level.PROXIMITY and ticket.is_open
        else None
    )
    return {
        "ticket": ticket,
        "abilities": abilities,
        "thread": messages,  # not « messages »: that name is the messages framework's in templates
        "support": support,
        "pending_answer": pending_answer,
        "followers": list(ticket.followers.visible_to(user).only("id", "number", "subject")),
        "now": timezone.now(),
    }


def published_articles(*, programme: Programme | None = None, public_only: bool = False) -> QuerySet[Article]:
    articles = Article.objects.published().prefetch_related("workstreams")
    if programme is not None:
        articles = articles.filter(programme=programme)
    if public_only:
        articles = articles.filter(audience=Audience.PUBLIC)
    return articles


def suggestions_for(ticket: Ticket, limit: int = 3) -> list[Article]:
    """Published articles of the ticket's programme that match its subject and first message."""
    first = ticket.messages.order_by("created_at").values_list("body", flat=True).first() or ""
    return suggest(programme=ticket.programme, text=f"{ticket.subject} {first[:300]}", limit=limit)


def suggest(*, programme: Programme | None, text: str, limit: int = 5) -> list[Article]:
    """Articles for a question being typed: every word that matters, else the most specific ones."""
    words = search.terms(text)
    if not words:
        return []
    articles = published_articles(programme=programme)
    found = search.search(articles, text, limit=limit)
    if not found:
        # A long question rarely matches every word: any of its four longest words, most of them first.
        longest = " ".join(sorted(set(WORDS.findall(text)), key=len, reverse=True)[:4])
        found = search.search(articles, longest, limit=limit, match_any=True)
    return found


def similar_open_tickets(
    *, user: Actor, programme: Programme | None, text: str, limit: int = 5
) -> list[Ticket]:
    if not search.terms(text):
        return []
    tickets = Ticket.objects.visible_to(user).filter(status__in=OPEN_STATUSES).select_related("structure")
    if programme is not None:
        tickets = tickets.filter(programme=programme)
    return search.search(tickets, text, limit=limit)


def kb_search(
    *, user: Actor, query: str, programme: Programme | None = None, record: bool = True
) -> dict[str, Any]:
    """Articles (published, or drafts for their writers) and visible tickets matching `query`; a search that finds
    nothing is recorded (it shows where the FAQ is missing)."""
    articles = Article.objects.visible_to(user)
    if programme is not None:
        articles = articles.filter(programme=programme)
    found_articles = search.search(articles, query, limit=20)
    tickets = Ticket.objects.visible_to(user).select_related("structure")
    if programme is not None:
        tickets = tickets.filter(programme=programme)
    found_tickets = search.search(tickets, query, limit=20)
    if record and not found_articles and not found_tickets and search.terms(query):
        search_miss_record(programme=programme, query=query)
    return {"articles": found_articles, "tickets": found_tickets}


def home(*, user: Actor) -> dict[str, Any] | None:
    """The home panel: my queue (count, nearest deadlines), my own requests."""
    mine = (
        list(queue(user=user)[:5])
        if can_take_calls(user) or role_paths(user, Role.SUPPORT_POLE_AGENT)
        else []
    )
    own = (
        list(
            Ticket.objects.filter(requester_user_id=user.pk, status__in=OPEN_STATUSES).order_by(
                "-created_at"
            )[:5]
        )
        if user.pk is not None
        else []
    )
    if not mine and not own:
        return None
    return {"queue": mine, "own": own}


# --- dashboard ------------------------------------------------------------------------------------------
AGE_BUCKETS = (
    (1, "moins d'un jour"),
    (3, "1 à 3 jours"),
    (7, "3 à 7 jours"),
    (30, "7 à 30 jours"),
    (None, "plus de 30 jours"),
)
GROUPINGS = {
    "region": ("structure__region", "Région"),
    "workstream": ("workstream__name", "Chantier"),
    "level": ("level", "Niveau"),
    "programme": ("programme__code", "Programme"),
}


def _rates(row: dict[str, Any]) -> dict[str, Any]:
    total = row["total"] or 0
    finished = row["finished"] or 0

    def share(part: int | None, whole: int) -> int | None:
        return round(100 * (part or 0) / whole) if whole else None

    return {
        **row,
        "solved_level1": share(row["solved_level1"], finished),
        "escalation": share(row["escalated"], total),
        "compliance": share(total - (row["breached"] or 0), total),
        "satisfaction": round(row["satisfaction"], 1) if row["satisfaction"] is not None else None,
    }


def dashboard(*, user: Actor, programme: Programme | None = None, group: str = "region") -> dict[str, Any]:
    """Volumes, share solved at level 1, escalation rate, deadline compliance, satisfaction per region, workstream,
    level or programme; backlog by age; top searches without result. Five queries whatever the number of tickets."""
    tickets = Ticket.objects.visible_to(user)
    if programme is not None:
        tickets = tickets.filter(programme=programme)
    finished = Q(status__in=[TicketStatus.SOLVED, TicketStatus.CLOSED])
    measures = {
        "total": Count("id"),
        "open": Count("id", filter=Q(status__in=OPEN_STATUSES)),
        "finished": Count("id", filter=finished),
        "solved_level1": Count("id", filter=finished & Q(max_level=1)),
        "escalated": Count("id", filter=Q(max_level__gt=1)),
        "breached": Count("id", filter=Q(first_response_breached=True) | Q(resolution_breached=True)),
        "satisfaction": Avg("satisfaction"),
    }
    field, label = GROUPINGS.get(group, GROUPINGS["region"])
    overall = _rates(tickets.aggregate(**measures))
    rows = [_rates(row) for row in tickets.values(field).annotate(**measures).order_by(field)]
    for row in rows:
        value = row[field]
        row["label"] = Level(value).label if field == "level" and value else (value or "Non précisé")
    now = timezone.now()
    backlog_measures: dict[str, Any] = {}
    lower = 0
    for index, (days, _) in enumerate(AGE_BUCKETS):
        condition = Q(created_at__lte=now - timedelta(days=lower))
        if days is not None:
            condition &= Q(created_at__gt=now - timedelta(days=days))
        backlog_measures[f"b{index}"] = Count("id", filter=condition)
        lower = days or lower
    backlog_counts = tickets.filter(status__in=OPEN_STATUSES).aggregate(**backlog_measures)
    backlog = [(name, backlog_counts[f"b{i}"]) for i, (_, name) in enumerate(AGE_BUCKETS)]
    misses = SearchMiss.objects.all()
    if programme is not None:
        misses = misses.filter(programme=programme)
    return {
        "overall": overall,
        "rows": rows,
        "group": group,
        "group_label": label,
        "groupings": [(key, name) for key, (_, name) in GROUPINGS.items()],
        "backlog": backlog,
        "misses": list(misses.filter(public=False).order_by("-count", "query")[:10]),
        # an anonymous query shows once it was asked at least twice: one visitor's text is not a trend
        "public_misses": list(misses.filter(public=True, count__gte=2).order_by("-count", "query")[:10]),
    }
