"""Writes of the knowledge base: articles (sanitised answers, reviewed before publication), the draft made from a
solved ticket (anonymised), « this answered my question », and the searches that found nothing."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import nh3
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from bascule.assistance import search
from bascule.assistance.models import (
    Article,
    Audience,
    MessageKind,
    Review,
    SearchMiss,
    Ticket,
    TicketStatus,
)
from bascule.assistance.services import actor_name, add_message
from bascule.core.access import require_ability
from bascule.core.system import SYSTEM, Actor
from bascule.core.writes import save_historised, update_versioned
from bascule.programmes.models import Programme, WorkstreamTemplate

ARTICLE_FIELDS = ("question", "answer", "audience", "review", "valid_from", "valid_until")
ALLOWED_TAGS = {"p", "br", "strong", "em", "ul", "ol", "li", "a", "code", "pre", "blockquote", "h3", "h4"}
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
PHONE = re.compile(r"(?:\+33\s?|0)[1-9](?:[\s.-]?\d{2}){4}")
TICKET_NUMBER = re.compile(r"#?\d{4}-\d{6}")


def sanitise(html: str) -> str:
    """Rich text reduced to harmless tags (no script, no style, no event handler, safe links)."""
    return nh3.clean(html, tags=ALLOWED_TAGS, link_rel="noopener noreferrer")


def _can_write(by: Actor, programme: Programme) -> bool:
    return Article(programme=programme).get_abilities(by)["change"]


PUBLISH_REFUSED = "La publication revient à l'équipe projet (niveau 3) après relecture."


def _check_review(by: Actor, article: Article, review: str) -> None:
    """Publishing, or changing what is published, is the article's « publish » ability (level 3)."""
    if review == Review.PUBLISHED:
        require_ability(article, by, "publish", PUBLISH_REFUSED)


def article_create(
    *,
    by: Actor,
    programme: Programme,
    question: str,
    answer: str,
    workstreams: list[WorkstreamTemplate] | None = None,
    audience: str = Audience.INTERNAL,
    review: str = Review.DRAFT,
    valid_from: Any = None,
    valid_until: Any = None,
    source_ticket: Ticket | None = None,
) -> Article:
    """A new article (a draft unless the project team publishes it at once)."""
    if not _can_write(by, programme):
        raise PermissionDenied("Les articles sont écrits par les équipes d'assistance.")
    _check_review(by, Article(programme=programme), review)
    streams = list(workstreams or [])
    if any(w.programme_id != programme.pk for w in streams):
        raise ValidationError({"workstreams": "Un chantier appartient à un autre programme."})
    article = Article(
        programme=programme,
        question=question.strip(),
        answer=sanitise(answer),
        audience=audience,
        review=review,
        valid_from=valid_from,
        valid_until=valid_until,
        author=None if by is SYSTEM else by,  # type: ignore[misc]
        author_name=actor_name(by),
        source_ticket=source_ticket,
    )
    with transaction.atomic():
        save_historised(article, by=by)
        article.workstreams.set(streams)
        search.index_article(article)
    return article


def article_update(
    *,
    by: Actor,
    article: Article,
    version: int,
    workstreams: list[WorkstreamTemplate] | None = None,
    **changes: Any,
) -> Article:
    refused = (
        PUBLISH_REFUSED
        if article.review == Review.PUBLISHED
        else "Les articles sont écrits par les équipes d'assistance."
    )
    require_ability(article, by, "change", refused)
    _check_review(by, article, changes.get("review", article.review))
    if "answer" in changes:
        changes["answer"] = sanitise(changes["answer"])
    with transaction.atomic():
        current = update_versioned(article, by=by, version=version, changes=changes, allowed=ARTICLE_FIELDS)
        if workstreams is not None:
            if any(w.programme_id != current.programme_id for w in workstreams):
                raise ValidationError({"workstreams": "Un chantier appartient à un autre programme."})
            current.workstreams.set(workstreams)
        search.index_article(current)
    return current


def anonymise(text: str, ticket: Ticket) -> str:
    """Remove what names the requester: their name, addresses, phone numbers, ticket numbers."""
    cleaned = EMAIL.sub("[courriel]", text)
    cleaned = PHONE.sub("[téléphone]", cleaned)
    cleaned = TICKET_NUMBER.sub("[ticket]", cleaned)
    names = {ticket.requester_name, *(ticket.requester_name or "").split()}
    if ticket.requester:
        names |= {ticket.requester.first_name, ticket.requester.last_name}
    for name in sorted((n for n in names if n and len(n) > 2), key=len, reverse=True):
        cleaned = re.sub(re.escape(name), "[demandeur]", cleaned, flags=re.IGNORECASE)
    return cleaned


def article_from_ticket(*, by: Actor, ticket: Ticket) -> Article:
    """« Turn into an article »: an anonymised draft from a solved ticket (its question and its last reply)."""
    require_ability(ticket, by, "to_article", "Seule l'assistance qui a traité ce ticket en fait un article.")
    messages = list(ticket.messages.order_by("created_at"))
    question = next((m.body for m in messages if m.kind == MessageKind.INCOMING), ticket.subject)
    replies = [m.body for m in messages if m.kind in (MessageKind.REPLY, MessageKind.ANSWER_DOWN)]
    if not replies:
        raise ValidationError("Ce ticket n'a pas de réponse à reprendre dans un article.")
    answer = "".join(
        f"<p>{nh3.clean_text(paragraph)}</p>" for paragraph in replies[-1].split("\n\n") if paragraph.strip()
    )
    return article_create(
        by=by,
        programme=ticket.programme,
        question=" ".join(anonymise(f"{ticket.subject} — {question}", ticket).split())[:500],
        answer=anonymise(answer, ticket),
        workstreams=[ticket.workstream] if ticket.workstream else [],
        audience=Audience.INTERNAL,
        review=Review.IN_REVIEW,
        source_ticket=ticket,
    )


def article_useful(
    *, by: Actor, article: Article, ticket: Ticket | None = None, now: datetime | None = None
) -> None:
    """« This answered my question »: the article counts one more use; the requester's ticket is closed by it."""
    require_ability(article, by, "view")
    with transaction.atomic():
        Article.objects.filter(pk=article.pk).update(useful_count=F("useful_count") + 1)
        if ticket is not None:
            require_ability(ticket, by, "requester_reply", "Seul le demandeur clôt son ticket ainsi.")
            current = Ticket.objects.select_for_update().get(pk=ticket.pk)
            moment = now or timezone.now()
            current.status = TicketStatus.CLOSED
            current.solved_at = current.solved_at or moment
            current.closed_at = moment
            current.answered_by_article = article
            current.version += 1
            save_historised(current, by=by, reason="Résolu par un article")
            add_message(
                current, kind=MessageKind.EVENT, body=f"Résolu par l'article « {article.question} ».", by=by
            )


PUBLIC_MISS_MAX_CHARS = 80  # an anonymous query longer than this is not a question the FAQ lacks
PUBLIC_MISSES_PER_PROGRAMME = (
    200  # distinct anonymous misses kept per programme; past it, only known ones count
)


def search_miss_record(
    *, programme: Programme | None, query: str, public: bool = False, now: datetime | None = None
) -> None:
    """Count a search that found nothing (normalised, so « Factures » and « facture » are one line).

    Anonymous searches (`public`) are counted apart from staff's and bounded: short queries only, and at most
    PUBLIC_MISSES_PER_PROGRAMME distinct lines per programme, so the public cannot fill the table.
    """
    key = " ".join(search.terms(query))[:200]
    if not key or (public and len(key) > PUBLIC_MISS_MAX_CHARS):
        return
    moment = now or timezone.now()
    with transaction.atomic():
        updated = SearchMiss.objects.filter(programme=programme, query=key, public=public).update(
            count=F("count") + 1, last_at=moment
        )
        if updated:
            return
        if public and (
            SearchMiss.objects.filter(programme=programme, public=True).count() >= PUBLIC_MISSES_PER_PROGRAMME
        ):
            return
        SearchMiss.objects.create(programme=programme, query=key, public=public, count=1, last_at=moment)
