"""Surveys of structures: questionnaires (sections, questions, conditions, editions), surveys sent to a set of
structures with a calendar, one answer per structure, and the themes of the qualitative analysis.

A questionnaire is frozen once a survey of it is sent: changing it afterwards makes a new edition (`previous`), so
that every answer is read against the questions it was given. Answers keep their values by question code (stable
across editions), which is also how an earlier answer to "the same question" is found for reuse.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from bascule.core.access import can_read_path, can_write_path, has_perimeter, visible_q
from bascule.core.fields import BoundedTextField
from bascule.core.models import BaseModel, VersionedModel
from bascule.core.system import Actor
from bascule.indicators.models import Indicator
from bascule.organisation.models import Structure
from bascule.programmes.models import Programme

PILOTS_ONLY = "Seuls les pilotes du programme préparent et envoient ses enquêtes."


class Kind(models.TextChoices):
    YES_NO = "yes_no", "Oui / non"
    SINGLE = "single", "Choix unique"
    MULTIPLE = "multiple", "Choix multiple"
    NUMBER = "number", "Nombre"
    TEXT = "text", "Texte"
    DATE = "date", "Date"
    TABLE = "table", "Tableau de nombres"


CHOICE_KINDS = (Kind.SINGLE, Kind.MULTIPLE)
YES, NO = "oui", "non"
OTHER = "Autre"  # the "other, specify" choice, when a question offers it


class PerimeterWide(models.QuerySet[Any]):
    """Questionnaires and surveys are declared in one national calendar: seen by everyone who has a perimeter."""

    def visible_to(self, user: Actor) -> PerimeterWide:
        return self if has_perimeter(user) else self.none()


class Questionnaire(VersionedModel):
    visible_to_everyone_in_a_perimeter = True

    programme = models.ForeignKey(
        Programme, on_delete=models.CASCADE, related_name="questionnaires", verbose_name="programme"
    )
    title = models.CharField("intitulé", max_length=255)
    description = BoundedTextField("présentation", max_length=4000, blank=True)
    edition = models.PositiveSmallIntegerField("édition", default=1)
    previous = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="next_edition",
        verbose_name="édition précédente",
    )
    sent_at = models.DateTimeField("envoyé le", null=True, blank=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])
    objects = PerimeterWide.as_manager()

    class Meta:
        ordering = ["title", "-edition"]
        verbose_name = "questionnaire"

    def __str__(self) -> str:
        return f"{self.title} (édition {self.edition})" if self.edition > 1 else self.title

    @property
    def is_frozen(self) -> bool:
        return self.sent_at is not None

    def get_abilities(self, user: Actor) -> dict[str, bool]:
        pilot = can_write_path(user, self.programme.owner.path)
        return {
            "view": has_perimeter(user),
            "change": pilot and not self.is_frozen,
            "new_edition": pilot and self.is_frozen and not hasattr(self, "next_edition"),
            "send": pilot,
        }


class Section(BaseModel):
    questionnaire = models.ForeignKey(Questionnaire, on_delete=models.CASCADE, related_name="sections")
    position = models.PositiveSmallIntegerField("ordre", default=1)
    title = models.CharField("titre", max_length=255)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["questionnaire", "position", "created_at"]
        verbose_name = "section"

    def __str__(self) -> str:
        return self.title


class Question(BaseModel):
    visible_to_everyone_in_a_perimeter = True

    questionnaire = models.ForeignKey(Questionnaire, on_delete=models.CASCADE, related_name="questions")
    section = models.ForeignKey(Section, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveSmallIntegerField("ordre", default=1)
    code = models.CharField(
        "code", max_length=20, help_text="Court et stable d'une édition à l'autre (ex. Q1, DEMAT)."
    )
    text = models.CharField("question", max_length=500)
    help = models.CharField("aide", max_length=500, blank=True)
    kind = models.CharField("type", max_length=20, choices=Kind.choices)
    required = models.BooleanField("réponse obligatoire", default=False)
    choices = models.JSONField("choix", default=list, blank=True)
    other = models.BooleanField("« Autre, précisez »", default=False)
    unit = models.CharField("unité", max_length=40, blank=True)
    minimum = models.DecimalField("minimum", max_digits=14, decimal_places=2, null=True, blank=True)
    maximum = models.DecimalField("maximum", max_digits=14, decimal_places=2, null=True, blank=True)
    rows = models.JSONField("lignes du tableau", default=list, blank=True)
    columns = models.JSONField("colonnes du tableau", default=list, blank=True)
    condition_on = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="dependents",
        verbose_name="affichée si la question",
    )
    condition_value = models.CharField("vaut", max_length=255, blank=True)
    indicator = models.ForeignKey(
        Indicator,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="survey_questions",
        verbose_name="alimente l'indicateur",
    )
    coverage_of = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="base de la mesure (question)",
        help_text="La question dont la réponse est la base de la mesure (ex. le nombre d'agents).",
    )

    history = HistoricalRecords(excluded_fields=["updated_at"])
    objects = PerimeterWide.as_manager()

    class Meta:
        ordering = ["questionnaire", "section__position", "position", "created_at"]
        verbose_name = "question"
        constraints = [
            models.UniqueConstraint(
                fields=["questionnaire", "code"],
                name="question_code_unique",
                violation_error_message="Ce code de question est déjà pris dans ce questionnaire.",
            ),
            models.CheckConstraint(
                condition=Q(minimum__isnull=True)
                | Q(maximum__isnull=True)
                | Q(maximum__gte=models.F("minimum")),
                name="question_bounds_ordered",
                violation_error_message="Le maximum doit être supérieur ou égal au minimum.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} — {self.text}"

    def get_abilities(self, user: Actor) -> dict[str, bool]:
        return self.questionnaire.get_abilities(user)  # a question is changed with its questionnaire

    @property
    def options(self) -> list[str]:
        """What may be ticked: yes/no, or the choices (and « Autre » when offered)."""
        if self.kind == Kind.YES_NO:
            return [YES, NO]
        return [*self.choices, *([OTHER] if self.other else [])]


class Survey(VersionedModel):
    """A questionnaire sent to a set of structures, with its calendar (open, reminders, close)."""

    visible_to_everyone_in_a_perimeter = True

    class State(models.TextChoices):
        DRAFT = "draft", "En préparation"
        OPEN = "open", "Ouverte"
        CLOSED = "closed", "Close"

    questionnaire = models.ForeignKey(
        Questionnaire, on_delete=models.PROTECT, related_name="surveys", verbose_name="questionnaire"
    )
    title = models.CharField("intitulé", max_length=255)
    message = BoundedTextField("message aux structures", max_length=4000, blank=True)
    root = models.ForeignKey(
        Structure,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="périmètre",
        help_text="Vide : toute l'organisation.",
    )
    kinds = models.JSONField("types de structures", default=list)
    opens_on = models.DateField("ouverture le")
    closes_on = models.DateField("clôture le")
    reminders_on = models.JSONField("relances les", default=list, blank=True)
    state = models.CharField("état", max_length=20, choices=State.choices, default=State.DRAFT)
    opened_at = models.DateTimeField("ouverte le", null=True, blank=True)
    closed_at = models.DateTimeField("close le", null=True, blank=True)
    last_reminder_on = models.DateField("dernière relance", null=True, blank=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])
    objects = PerimeterWide.as_manager()

    class Meta:
        ordering = ["-opens_on", "title"]
        verbose_name = "enquête"
        constraints = [
            models.CheckConstraint(
                condition=Q(closes_on__gte=models.F("opens_on")),
                name="survey_closes_after_opening",
                violation_error_message="La clôture ne peut pas précéder l'ouverture.",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_abilities(self, user: Actor) -> dict[str, bool]:
        pilot = can_write_path(user, self.questionnaire.programme.owner.path)
        return {
            "view": has_perimeter(user),
            "change": pilot and self.state == self.State.DRAFT,
            "open": pilot and self.state == self.State.DRAFT,
            "remind": pilot and self.state == self.State.OPEN,
            "close": pilot and self.state == self.State.OPEN,
            "results": pilot,
            "analyse": pilot and self.state == self.State.CLOSED,
        }


class AnswerQuerySet(models.QuerySet["Answer"]):
    def visible_to(self, user: Actor) -> AnswerQuerySet:
        """A structure's answer is read inside its perimeter (national steering reads them all)."""
        return self.filter(visible_q(user, "structure__path"))


def new_nonce() -> str:
    return secrets.token_urlsafe(16)


class Answer(VersionedModel):
    """One structure's answer to one survey: pending, then drafts, then submitted (steering may reopen it)."""

    class State(models.TextChoices):
        PENDING = "pending", "Pas de réponse"
        DRAFT = "draft", "Brouillon"
        SUBMITTED = "submitted", "Envoyée"

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="answers")
    structure = models.ForeignKey(
        Structure, on_delete=models.PROTECT, related_name="survey_answers", verbose_name="structure"
    )
    state = models.CharField("état", max_length=20, choices=State.choices, default=State.PENDING)
    values = models.JSONField("réponses", default=dict, blank=True)
    submitted_at = models.DateTimeField("envoyée le", null=True, blank=True)
    submitted_by = models.CharField("envoyée par", max_length=255, blank=True)
    on_behalf = models.BooleanField("saisie par le pilotage (téléphone)", default=False)
    reused_from = models.ForeignKey(
        "Survey",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="réponses reprises de",
    )
    token_nonce = models.CharField(max_length=32, default=new_nonce, editable=False)
    reminders = models.PositiveSmallIntegerField("relances envoyées", default=0)
    last_mailed_at = models.DateTimeField("dernier courriel", null=True, blank=True)
    mail_error = models.CharField("courriel non parti", max_length=500, blank=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])
    objects = AnswerQuerySet.as_manager()

    class Meta:
        ordering = ["survey", "structure__code"]
        verbose_name = "réponse"
        constraints = [
            models.UniqueConstraint(
                fields=["survey", "structure"],
                name="answer_one_per_structure",
                violation_error_message="Cette structure a déjà sa réponse à cette enquête.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.survey} — {self.structure.code}"

    @property
    def is_submitted(self) -> bool:
        return self.state == self.State.SUBMITTED

    def get_abilities(self, user: Actor) -> dict[str, bool]:
        is_open = self.survey.state == Survey.State.OPEN
        pilot = can_write_path(user, self.survey.questionnaire.programme.owner.path)
        return {
            "view": can_read_path(user, self.structure.path),
            "answer": is_open and not self.is_submitted and can_write_path(user, self.structure.path),
            "on_behalf": is_open and not self.is_submitted and pilot,
            "reopen": is_open and self.is_submitted and pilot,
            "tag": self.survey.state == Survey.State.CLOSED and pilot,
        }


class Theme(BaseModel):
    """A theme of the qualitative analysis: steering tags free-text answers with it after closing."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="themes")
    name = models.CharField("thème", max_length=120)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["survey", "name"]
        verbose_name = "thème"
        constraints = [
            models.UniqueConstraint(
                fields=["survey", "name"],
                name="theme_unique_per_survey",
                violation_error_message="Ce thème existe déjà pour cette enquête.",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Tag(BaseModel):
    """One free-text answer (answer × question) filed under one theme."""

    theme = models.ForeignKey(Theme, on_delete=models.CASCADE, related_name="tags")
    answer = models.ForeignKey(Answer, on_delete=models.CASCADE, related_name="tags")
    question_code = models.CharField(max_length=20)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = "étiquette"
        constraints = [
            models.UniqueConstraint(fields=["theme", "answer", "question_code"], name="tag_unique"),
        ]
