"""Setting a programme up: the programme itself (owner, pilots, dates, reference documents, closing) and its waves
(go-live, freeze date, structures, budget programmes). Loaded by `models.py`, as Django loads an app's models."""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from bascule.core.access import can_write_path, can_write_somewhere, has_perimeter
from bascule.core.fields import BoundedTextField
from bascule.core.models import BaseModel, VersionedModel
from bascule.core.system import Actor
from bascule.organisation.levels import instantiable_kinds
from bascule.organisation.models import Person, Structure

BUDGET_CODE = re.compile(r"\d{3}")


class PerimeterWideQuerySet(models.QuerySet[Any]):
    """Programme-level objects (programmes, templates, decisions): seen by everyone who has a perimeter."""

    def visible_to(self, user: Actor) -> PerimeterWideQuerySet:
        return self if has_perimeter(user) else self.none()


class Programme(VersionedModel):
    # Seen by everyone who has a perimeter: the access harness does not expect a 404 for it.
    visible_to_everyone_in_a_perimeter = True

    code = models.CharField(
        "code", max_length=40, unique=True, error_messages={"unique": "Un programme a déjà ce code."}
    )
    name = models.CharField("nom", max_length=255)
    owner = models.ForeignKey(
        Structure, on_delete=models.PROTECT, related_name="programmes", verbose_name="structure pilote"
    )
    description = BoundedTextField("objet", blank=True)
    reference_documents = BoundedTextField(
        "liens de référence", blank=True, help_text="Un lien ou un titre par ligne."
    )
    pilots = models.ManyToManyField(Person, blank=True, related_name="+", verbose_name="pilotes")
    starts_on = models.DateField("début", null=True, blank=True)
    ends_on = models.DateField("fin prévue", null=True, blank=True)
    closed_on = models.DateField("clos le", null=True, blank=True, editable=False)

    history = HistoricalRecords(excluded_fields=["updated_at"], m2m_fields=[pilots])
    objects = PerimeterWideQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        verbose_name = "programme"
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True)
                | Q(starts_on__isnull=True)
                | Q(ends_on__gte=F("starts_on")),
                name="programme_dates_ordered",
                violation_error_message="La fin du programme précède son début.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.code} — {self.name}"

    @property
    def is_closed(self) -> bool:
        return self.closed_on is not None

    def get_abilities(self, user: Actor) -> dict[str, bool]:
        view = has_perimeter(user)
        owner = can_write_path(user, self.owner.path)
        change = owner and not self.is_closed  # a closed programme is read until it is reopened
        return {
            "view": view,
            "change": change,
            "history": view,
            "close": change,
            "reopen": owner and self.is_closed,
            # Copying makes a new programme owned by a structure the user edits (asked again on that structure).
            "copy": view and can_write_somewhere(user),
            # Instancing creates workstreams in the regions (departments) the user may edit, wherever they are.
            "instantiate": view
            and not self.is_closed
            and can_write_somewhere(user)
            and bool(instantiable_kinds(user)),
            "add_action": change,  # a national action; a regional one needs its region (Structure "change")
            "import_actions": change,
            "add_decision": change,
            "add_wave": change,
            "add_document": change,
        }


class ProgrammeDocumentQuerySet(PerimeterWideQuerySet):
    pass


class ProgrammeDocument(BaseModel):
    """A reference document of a programme (note de cadrage, calendrier…): each deposit under a title is a version."""

    visible_to_everyone_in_a_perimeter = True

    programme = models.ForeignKey(
        Programme, on_delete=models.CASCADE, related_name="documents", verbose_name="programme"
    )
    title = models.CharField("titre", max_length=200)
    number = models.PositiveSmallIntegerField("version")
    file = models.FileField("document", upload_to="programmes/%Y/%m/", max_length=255)
    filename = models.CharField("nom du fichier", max_length=255)
    comment = BoundedTextField("commentaire", blank=True)
    deposited_at = models.DateTimeField("déposé le", default=timezone.now)
    deposited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name="déposé par",
    )

    history = HistoricalRecords(excluded_fields=["updated_at"])
    objects = ProgrammeDocumentQuerySet.as_manager()

    class Meta:
        ordering = ["programme", "title", "-number"]
        verbose_name = "document de référence"
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "title", "number"],
                name="programme_document_version_unique",
                violation_error_message="Cette version du document existe déjà.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.title} (v{self.number})"

    def get_abilities(self, user: Actor) -> dict[str, bool]:
        return {"view": has_perimeter(user)}


def _check_budget_codes(value: Any) -> None:
    from django.core.exceptions import ValidationError

    if not isinstance(value, list) or not all(isinstance(c, str) and BUDGET_CODE.fullmatch(c) for c in value):
        raise ValidationError(
            "Les programmes budgétaires sont des codes à trois chiffres, par exemple 354 ou 216."
        )


class Wave(VersionedModel):
    visible_to_everyone_in_a_perimeter = True

    programme = models.ForeignKey(
        Programme, on_delete=models.CASCADE, related_name="waves", verbose_name="programme"
    )
    name = models.CharField("nom", max_length=120)
    golive_date = models.DateField("date de bascule")
    freeze_date = models.DateField(
        "date de gel", null=True, blank=True, help_text="Après elle, la liste des structures ne change plus."
    )
    scope = BoundedTextField("périmètre", blank=True)
    structures = models.ManyToManyField(
        Structure, blank=True, related_name="waves", verbose_name="structures qui basculent"
    )
    budget_programmes: models.JSONField[list[str], list[str]] = models.JSONField(
        "programmes budgétaires", default=list, blank=True, validators=[_check_budget_codes]
    )

    history = HistoricalRecords(excluded_fields=["updated_at"], m2m_fields=[structures])
    objects = PerimeterWideQuerySet.as_manager()

    class Meta:
        ordering = ["golive_date"]
        verbose_name = "vague"
        constraints = [
            models.CheckConstraint(
                condition=Q(freeze_date__isnull=True) | Q(freeze_date__lte=F("golive_date")),
                name="wave_freeze_before_golive",
                violation_error_message="La date de gel doit précéder la date de bascule.",
            ),
            models.UniqueConstraint(
                fields=["programme", "name"],
                name="wave_name_unique",
                violation_error_message="Ce programme a déjà une vague de ce nom.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.golive_date:%d/%m/%Y})"

    def get_abilities(self, user: Actor) -> dict[str, bool]:
        view = has_perimeter(user)
        change = self.programme.get_abilities(user)["change"]
        return {"view": view, "change": change, "move": change, "delete": change, "history": view}

    def covers_q(self, prefix: str = "structure__") -> Q:
        """What goes live with the wave: its structures and everything below them (one query for their paths)."""
        covered = Q(pk__in=[])
        for path in self.structures.values_list("path", flat=True):
            covered |= Q(**{f"{prefix}path__startswith": path})
        return covered
