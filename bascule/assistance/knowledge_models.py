"""The knowledge base's models: articles (a question and its sanitised answer, reviewed before publication, internal
or in the public FAQ, valid between two dates) and the searches that found nothing (where the FAQ is missing)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from bascule.assistance.levels import SUPPORT_ROLES, handles_level
from bascule.core.access import can_write_somewhere, has_perimeter, role_paths
from bascule.core.fields import BoundedTextField
from bascule.core.models import VersionedModel
from bascule.core.system import Actor
from bascule.programmes.models import Programme, WorkstreamTemplate


class Audience(models.TextChoices):
    INTERNAL = "internal", "Interne (équipes d'assistance)"
    PUBLIC = "public", "FAQ publique"


class Review(models.TextChoices):
    DRAFT = "draft", "Brouillon"
    IN_REVIEW = "in_review", "À relire"
    PUBLISHED = "published", "Publié"
    ARCHIVED = "archived", "Archivé"


class ArticleQuerySet(models.QuerySet["Article"]):
    def visible_to(self, user: Actor) -> ArticleQuerySet:
        """Writers of the knowledge base read every article (drafts too); any other account, the published ones."""
        if writes_articles(user):
            return self
        return self.published() if user.is_authenticated else self.none()

    def published(self, on: Any = None) -> ArticleQuerySet:
        from django.utils import timezone

        day = on or timezone.localdate()
        return self.filter(review=Review.PUBLISHED).filter(
            Q(valid_from__isnull=True) | Q(valid_from__lte=day),
            Q(valid_until__isnull=True) | Q(valid_until__gte=day),
        )


class Article(VersionedModel):
    """A knowledge-base article: a question and its answer (sanitised HTML), reviewed before it is published."""

    visible_to_everyone_in_a_perimeter = True

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="articles")
    question = models.CharField("question", max_length=500)
    answer = BoundedTextField("réponse", max_length=20_000)
    workstreams = models.ManyToManyField(
        WorkstreamTemplate, blank=True, related_name="articles", verbose_name="chantiers"
    )
    audience = models.CharField("public", max_length=10, choices=Audience.choices, default=Audience.INTERNAL)
    review = models.CharField("relecture", max_length=20, choices=Review.choices, default=Review.DRAFT)
    valid_from = models.DateField("valable à partir du", null=True, blank=True)
    valid_until = models.DateField("valable jusqu'au", null=True, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    author_name = models.CharField("auteur", max_length=255, blank=True)
    source_ticket = models.ForeignKey(
        "assistance.Ticket",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="ticket d'origine",
    )
    useful_count = models.PositiveIntegerField("a répondu à la question", default=0)
    search_document = BoundedTextField("texte indexé", blank=True, editable=False, max_length=60_000)

    history = HistoricalRecords(excluded_fields=["updated_at", "search_document"], m2m_fields=[workstreams])
    objects = ArticleQuerySet.as_manager()

    class Meta:
        ordering = ["-useful_count", "question"]
        verbose_name = "article"
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True)
                | Q(valid_from__isnull=True)
                | Q(valid_until__gte=models.F("valid_from")),
                name="article_validity_ordered",
                violation_error_message="La fin de validité précède son début.",
            )
        ]

    def __str__(self) -> str:
        return self.question

    def is_published(self) -> bool:
        from django.utils import timezone

        today = timezone.localdate()
        return (
            self.review == Review.PUBLISHED
            and (self.valid_from is None or self.valid_from <= today)
            and (self.valid_until is None or self.valid_until >= today)
        )

    def get_abilities(self, user: Actor) -> dict[str, bool]:
        """The one rule of an article: writers draft; level 3 publishes, and alone changes what is published.

        A published article is what readers (the anonymous FAQ included) trust, so changing it (its text, its
        audience, its review state) is publication again: level 3's. Any other writer edits drafts and articles
        waiting for review, which level 3 then publishes.
        """
        writer = writes_articles(user)
        publish = writer and handles_level(user, 3, self.programme.owner.path)
        view = writer or (user.is_authenticated and self.is_published())
        change = publish or (writer and self.review != Review.PUBLISHED)
        return {"view": view, "change": change, "publish": publish}


def writes_articles(user: Actor) -> bool:
    """Support teams and editors write drafts; the project team (level 3) and national steering publish."""
    if not has_perimeter(user):
        return False
    return can_write_somewhere(user) or any(role_paths(user, role) for role in SUPPORT_ROLES)


class SearchMiss(models.Model):
    """A search that found nothing: where the FAQ is missing (counted per programme and normalised query).

    No history: a counter, not a business object; it is rewritten on every miss. Searches of the anonymous public
    FAQ are counted apart (`public`) and bounded (knowledge.search_miss_record), so that nobody without an account
    writes into staff's list.
    """

    no_history = "a counter of searches that found nothing, incremented on each miss"

    programme = models.ForeignKey(
        Programme, on_delete=models.CASCADE, related_name="+", null=True, blank=True
    )
    query = models.CharField("recherche", max_length=200)
    public = models.BooleanField("FAQ publique (sans compte)", default=False)
    count = models.PositiveIntegerField("nombre", default=1)
    last_at = models.DateTimeField("dernière fois")

    class Meta:
        ordering = ["-count"]
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "query", "public"], name="searchmiss_unique_by_audience"
            )
        ]

    def __str__(self) -> str:
        return self.query
