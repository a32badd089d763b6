"""Indicators of a programme and their measurements per structure, consolidated up the structure tree.

An indicator says how its measurements add up (`Aggregation`): a sum (agents trained), a percentage weighted by
each measurement's coverage (93 % of agents equipped, weighted by the number of agents of each department), an
average, or the latest value. It expects an answer from every structure of a kind (e.g. every department), so the
consolidation also says how many answered ("40 % of departments answered").
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from bascule.core.access import can_read_path, can_write_path, can_write_somewhere, has_perimeter, visible_q
from bascule.core.fields import BoundedTextField
from bascule.core.models import BaseModel, VersionedModel
from bascule.core.system import Actor
from bascule.organisation.models import Structure, StructureKind
from bascule.programmes.models import Action, Programme


class Aggregation(models.TextChoices):
    SUM = "sum", "Somme"
    WEIGHTED = "weighted", "Pourcentage pondéré"
    AVERAGE = "average", "Moyenne"
    LATEST = "latest", "Dernière valeur"


class IndicatorQuerySet(models.QuerySet["Indicator"]):
    def visible_to(self, user: Actor) -> IndicatorQuerySet:
        return self if has_perimeter(user) else self.none()


class Indicator(VersionedModel):
    """Defined nationally for a programme; each region reads its own consolidation."""

    visible_to_everyone_in_a_perimeter = True

    programme = models.ForeignKey(
        Programme, on_delete=models.CASCADE, related_name="indicators", verbose_name="programme"
    )
    code = models.CharField("code", max_length=40)
    name = models.CharField("intitulé", max_length=255)
    description = BoundedTextField("définition", max_length=4000, blank=True)
    unit = models.CharField("unité", max_length=40, blank=True, help_text="« % », « agents », « € »…")
    aggregation = models.CharField("consolidation", max_length=20, choices=Aggregation.choices)
    target_value = models.DecimalField("cible", max_digits=14, decimal_places=2, null=True, blank=True)
    target_date = models.DateField("date de la cible", null=True, blank=True)
    expected_kind = models.CharField(
        "répondants attendus", max_length=40, choices=StructureKind.choices, default=StructureKind.DEPARTMENT
    )
    actions = models.ManyToManyField(
        Action, blank=True, related_name="indicators", verbose_name="actions liées"
    )

    history = HistoricalRecords(excluded_fields=["updated_at"], m2m_fields=[actions])
    objects = IndicatorQuerySet.as_manager()

    class Meta:
        ordering = ["programme", "code"]
        verbose_name = "indicateur"
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "code"],
                name="indicator_code_unique",
                violation_error_message="Ce programme a déjà un indicateur de ce code.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.code} — {self.name}"

    def get_abilities(self, user: Actor) -> dict[str, bool]:
        view = has_perimeter(user)
        return {
            "view": view,
            "change": can_write_path(user, self.programme.owner.path),
            # each structure measures itself: anyone who edits some structure may record a measurement there
            "add_measurement": view and can_write_somewhere(user),
        }


class MeasurementQuerySet(models.QuerySet["Measurement"]):
    def visible_to(self, user: Actor) -> MeasurementQuerySet:
        return self.filter(visible_q(user, "structure__path"))


class Measurement(BaseModel):
    """One value of an indicator for one structure on one date (a new one for a later date; a correction
    replaces the value of the same date and keeps the former one in history)."""

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="measurements")
    structure = models.ForeignKey(
        Structure, on_delete=models.PROTECT, related_name="measurements", verbose_name="structure"
    )
    measured_on = models.DateField("date")
    value = models.DecimalField("valeur", max_digits=14, decimal_places=2)
    coverage = models.DecimalField(
        "base",
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="Pour un pourcentage pondéré : l'effectif sur lequel il porte (ex. nombre d'agents).",
    )
    source = models.CharField("source", max_length=255, blank=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])
    objects = MeasurementQuerySet.as_manager()

    class Meta:
        ordering = ["indicator", "structure", "-measured_on"]
        verbose_name = "mesure"
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "structure", "measured_on"],
                name="measurement_unique_per_day",
                violation_error_message="Cette structure a déjà une mesure à cette date pour cet indicateur.",
            ),
            models.CheckConstraint(
                condition=Q(coverage__isnull=True) | Q(coverage__gte=0),
                name="measurement_coverage_positive",
                violation_error_message="La base ne peut pas être négative.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.indicator.code} {self.structure.code} {self.measured_on:%d/%m/%Y} : {self.value}"

    def get_abilities(self, user: Actor) -> dict[str, bool]:
        return {
            "view": can_read_path(user, self.structure.path),
            "change": can_write_path(user, self.structure.path),
        }
