"""Sizing shared service centres: parameters, volumes per centre × wave × ministry, what-if scenarios, costs.

A `Sizing` is a named set of parameters and inputs for one programme: the programme's reference, or a what-if
scenario copied from it (`based_on`) with its own levers (productivity gain, volume growth, extra antennas). Its
`CentreInput` rows say, for one shared centre at one wave, its host directorate, host ministry and antennas; its
`Volume` rows the yearly payment orders ("mandats") and revenue orders ("titres") per ministry of origin. The
figures themselves are never stored: `bascule.sizing.compute` derives them, exactly, from these rows.

A `CostComparison` compares options (carrying a solution alone, joining a pooled one…) over N years, each option
made of yearly cost lines, one-off or recurring.
"""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from bascule.core.access import can_read_path, can_write_path, can_write_somewhere, has_perimeter, visible_q
from bascule.core.fields import BoundedTextField
from bascule.core.models import BaseModel, VersionedModel
from bascule.core.system import Actor
from bascule.organisation.models import Structure, StructureKind
from bascule.programmes.models import Programme, Wave


class Rounding(models.TextChoices):
    NONE = "none", "Aucun arrondi (au centième)"
    NEAREST = "nearest", "À l'unité la plus proche, par ministère"
    UP = "up", "À l'unité supérieure, par ministère"
    DOWN = "down", "À l'unité inférieure, par ministère"


class SizingQuerySet(models.QuerySet["Sizing"]):
    def visible_to(self, user: Actor) -> SizingQuerySet:
        return self if has_perimeter(user) else self.none()


def _percent() -> list[MinValueValidator | MaxValueValidator]:
    return [MinValueValidator(Decimal("-100")), MaxValueValidator(Decimal("1000"))]


class Sizing(VersionedModel):
    """The parameters of a sizing (the programme's reference, or a scenario) — each change historised."""

    visible_to_everyone_in_a_perimeter = True  # every region reads the national table; rows are its own

    programme = models.ForeignKey(
        Programme, on_delete=models.CASCADE, related_name="sizings", verbose_name="programme"
    )
    name = models.CharField("nom", max_length=120)
    description = BoundedTextField("hypothèses", max_length=4000, blank=True)
    based_on = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="scenarios",
        verbose_name="scénario de",
    )
    payment_coefficient = models.DecimalField(
        "coefficient par mandat",
        max_digits=8,
        decimal_places=4,
        default=Decimal("2.66"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    revenue_weight = models.DecimalField(
        "poids d'un titre",
        max_digits=8,
        decimal_places=4,
        default=Decimal("1"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    acts_per_agent = models.DecimalField(
        "actes par agent et par an",
        max_digits=10,
        decimal_places=2,
        default=Decimal("3000"),
        validators=[MinValueValidator(Decimal("1"))],
    )
    management_per_centre = models.DecimalField(
        "encadrement par centre (ETP)",
        max_digits=6,
        decimal_places=2,
        default=Decimal("2"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    management_per_antenna = models.DecimalField(
        "encadrement par antenne (ETP)",
        max_digits=6,
        decimal_places=2,
        default=Decimal("2"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    rounding = models.CharField("arrondi", max_length=20, choices=Rounding.choices, default=Rounding.NEAREST)
    ministry_a = models.ForeignKey(
        Structure,
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"kind": StructureKind.MINISTRY},
        verbose_name="ministère A",
    )
    host_a = models.CharField(
        "hôte dirigé par le ministère A",
        max_length=40,
        help_text="Sigle de la direction hôte dont le centre est dirigé par le ministère A (ex. DREAL).",
    )
    ministry_b = models.ForeignKey(
        Structure,
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"kind": StructureKind.MINISTRY},
        verbose_name="ministère B",
    )
    host_b = models.CharField("hôte dirigé par le ministère B", max_length=40, help_text="Ex. DRAAF.")
    # What-if levers (a scenario's; the reference keeps them at zero)
    productivity_gain = models.DecimalField(
        "gain de productivité (%)",
        max_digits=6,
        decimal_places=2,
        default=Decimal("0"),
        validators=_percent(),
        help_text="Formulaires, dématérialisation : un agent traite d'autant plus d'actes par an.",
    )
    volume_growth = models.DecimalField(
        "évolution des volumes (%)",
        max_digits=6,
        decimal_places=2,
        default=Decimal("0"),
        validators=_percent(),
        help_text="Appliquée aux mandats et aux titres de chaque centre.",
    )
    extra_antennas = models.PositiveSmallIntegerField(
        "antennes supplémentaires par centre", default=0, validators=[MaxValueValidator(20)]
    )

    history = HistoricalRecords(excluded_fields=["updated_at"])
    objects = SizingQuerySet.as_manager()

    class Meta:
        ordering = ["programme", "name"]
        verbose_name = "dimensionnement"
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "name"],
                name="sizing_name_unique",
                violation_error_message="Ce programme a déjà un dimensionnement de ce nom.",
            ),
            models.CheckConstraint(
                condition=~Q(ministry_a=models.F("ministry_b")),
                name="sizing_two_ministries",
                violation_error_message="Les deux ministères doivent être différents.",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_scenario(self) -> bool:
        return self.based_on_id is not None

    def host_ministry_id(self, host: str) -> object | None:
        """The ministry heading a centre hosted by `host` (e.g. DREAL → ministry A), or None if unknown."""
        wanted = host.strip().upper()
        if wanted == self.host_a.strip().upper():
            return self.ministry_a_id
        if wanted == self.host_b.strip().upper():
            return self.ministry_b_id
        return None

    def get_abilities(self, user: Actor) -> dict[str, bool]:
        view = has_perimeter(user)
        change = can_write_path(user, self.programme.owner.path)
        return {
            "view": view,
            "change": change,  # parameters, scenarios: the programme's pilots
            # volumes: whoever edits a centre (each row asks the centre too)
            "add_input": view and can_write_somewhere(user),
        }


class CentreInputQuerySet(models.QuerySet["CentreInput"]):
    def visible_to(self, user: Actor) -> CentreInputQuerySet:
        return self.filter(visible_q(user, "centre__path"))


class CentreInput(BaseModel):
    """One shared centre at one wave: where it is hosted, and how many antennas it has."""

    sizing = models.ForeignKey(Sizing, on_delete=models.CASCADE, related_name="inputs")
    centre = models.ForeignKey(
        Structure, on_delete=models.PROTECT, related_name="sizing_inputs", verbose_name="centre"
    )
    wave = models.ForeignKey(
        Wave, on_delete=models.PROTECT, related_name="sizing_inputs", verbose_name="vague"
    )
    host = models.CharField("direction hôte", max_length=40)
    host_ministry = models.ForeignKey(
        Structure, on_delete=models.PROTECT, related_name="+", verbose_name="ministère hôte"
    )
    antennas = models.PositiveSmallIntegerField("antennes", default=0, validators=[MaxValueValidator(50)])

    history = HistoricalRecords(excluded_fields=["updated_at"])
    objects = CentreInputQuerySet.as_manager()

    class Meta:
        ordering = ["sizing", "centre", "wave"]
        verbose_name = "centre à une vague"
        constraints = [
            models.UniqueConstraint(
                fields=["sizing", "centre", "wave"],
                name="centre_input_unique",
                violation_error_message="Ce centre a déjà des données pour cette vague.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.centre.code} — {self.wave.name}"

    def get_abilities(self, user: Actor) -> dict[str, bool]:
        return {
            "view": can_read_path(user, self.centre.path),
            "change": can_write_path(user, self.centre.path),
        }


class VolumeQuerySet(models.QuerySet["Volume"]):
    def visible_to(self, user: Actor) -> VolumeQuerySet:
        return self.filter(visible_q(user, "centre_input__centre__path"))


class Volume(BaseModel):
    """The yearly acts of one ministry of origin processed by a centre at a wave."""

    centre_input = models.ForeignKey(CentreInput, on_delete=models.CASCADE, related_name="volumes")
    ministry = models.ForeignKey(
        Structure, on_delete=models.PROTECT, related_name="+", verbose_name="ministère"
    )
    mandats = models.PositiveIntegerField("mandats par an", validators=[MaxValueValidator(100_000_000)])
    titres = models.PositiveIntegerField("titres par an", validators=[MaxValueValidator(100_000_000)])

    history = HistoricalRecords(excluded_fields=["updated_at"])
    objects = VolumeQuerySet.as_manager()

    class Meta:
        ordering = ["centre_input", "ministry"]
        verbose_name = "volume d'actes"
        constraints = [
            models.UniqueConstraint(
                fields=["centre_input", "ministry"],
                name="volume_unique",
                violation_error_message="Ce ministère a déjà des volumes pour ce centre à cette vague.",
            )
        ]

    def get_abilities(self, user: Actor) -> dict[str, bool]:
        path = self.centre_input.centre.path
        return {"view": can_read_path(user, path), "change": can_write_path(user, path)}


class LeadershipExceptionQuerySet(models.QuerySet["LeadershipException"]):
    def visible_to(self, user: Actor) -> LeadershipExceptionQuerySet:
        return self.filter(visible_q(user, "centre__path"))


class LeadershipException(BaseModel):
    """A centre whose head and deputy need not follow the host rule (decided and written down)."""

    centre = models.OneToOneField(
        Structure, on_delete=models.CASCADE, related_name="leadership_exception", verbose_name="centre"
    )
    reason = BoundedTextField("motif", max_length=1000)

    history = HistoricalRecords(excluded_fields=["updated_at"])
    objects = LeadershipExceptionQuerySet.as_manager()

    class Meta:
        verbose_name = "exception à la règle d'encadrement"

    def get_abilities(self, user: Actor) -> dict[str, bool]:
        return {
            "view": can_read_path(user, self.centre.path),
            "change": can_write_path(user, self.centre.path),
        }


# --- cost scenarios ---------------------------------------------------------------------------------------------
class CostComparisonQuerySet(models.QuerySet["CostComparison"]):
    def visible_to(self, user: Actor) -> CostComparisonQuerySet:
        return self if has_perimeter(user) else self.none()


class CostComparison(VersionedModel):
    """Options compared over `years` years from `first_year` (e.g. alone vs pooled, over 5 years)."""

    visible_to_everyone_in_a_perimeter = True

    programme = models.ForeignKey(
        Programme, on_delete=models.CASCADE, related_name="cost_comparisons", verbose_name="programme"
    )
    name = models.CharField("nom", max_length=120)
    description = BoundedTextField("objet", max_length=4000, blank=True)
    first_year = models.PositiveSmallIntegerField(
        "première année", validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    years = models.PositiveSmallIntegerField(
        "durée (années)", default=5, validators=[MinValueValidator(1), MaxValueValidator(30)]
    )

    history = HistoricalRecords(excluded_fields=["updated_at"])
    objects = CostComparisonQuerySet.as_manager()

    class Meta:
        ordering = ["programme", "name"]
        verbose_name = "comparaison de coûts"
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "name"],
                name="cost_comparison_name_unique",
                violation_error_message="Ce programme a déjà une comparaison de ce nom.",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def last_year(self) -> int:
        return self.first_year + self.years - 1

    def get_abilities(self, user: Actor) -> dict[str, bool]:
        return {"view": has_perimeter(user), "change": can_write_path(user, self.programme.owner.path)}


class CostCategory(models.TextChoices):
    INFRASTRUCTURE = "infrastructure", "Infrastructure"
    VOLUME = "volume", "Volumétrie"
    MAINTENANCE = "maintenance", "Maintenance"
    CONNECTORS = "connectors", "Connecteurs"
    STAFF = "staff", "Jours-homme"
    OTHER = "other", "Autre"


class CostLineQuerySet(models.QuerySet["CostLine"]):
    def visible_to(self, user: Actor) -> CostLineQuerySet:
        return self if has_perimeter(user) else self.none()


class CostLine(BaseModel):
    """One cost of an option: one-off (its year) or recurring (each year from `from_year` to `to_year`)."""

    visible_to_everyone_in_a_perimeter = True  # as its comparison

    comparison = models.ForeignKey(CostComparison, on_delete=models.CASCADE, related_name="lines")
    option = models.CharField("option", max_length=120)
    category = models.CharField("nature", max_length=20, choices=CostCategory.choices)
    label = models.CharField("libellé", max_length=255)
    recurring = models.BooleanField("récurrent", default=True)
    from_year = models.PositiveSmallIntegerField(
        "à partir de", validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    to_year = models.PositiveSmallIntegerField(
        "jusqu'à",
        null=True,
        blank=True,
        validators=[MinValueValidator(2000), MaxValueValidator(2100)],
        help_text="Vide : jusqu'à la fin de la période (récurrent) ; ignoré pour un coût ponctuel.",
    )
    amount = models.DecimalField(
        "montant par an (€)",
        max_digits=14,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text="Hors jours-homme.",
    )
    days = models.DecimalField(
        "jours-homme par an",
        max_digits=10,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    daily_cost = models.DecimalField(
        "coût journalier (€)",
        max_digits=10,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
    )

    history = HistoricalRecords(excluded_fields=["updated_at"])
    objects = CostLineQuerySet.as_manager()

    class Meta:
        ordering = ["comparison", "option", "category", "label"]
        verbose_name = "ligne de coût"
        constraints = [
            models.UniqueConstraint(
                fields=["comparison", "option", "label"],
                name="cost_line_unique",
                violation_error_message="Cette option a déjà une ligne de ce libellé.",
            ),
            models.CheckConstraint(
                condition=Q(to_year__isnull=True) | Q(to_year__gte=models.F("from_year")),
                name="cost_line_years_ordered",
                violation_error_message="La dernière année précède la première.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.option} — {self.label}"

    @property
    def yearly(self) -> Decimal:
        return self.amount + self.days * self.daily_cost

    def get_abilities(self, user: Actor) -> dict[str, bool]:
        return self.comparison.get_abilities(user)

    def years_in(self, first: int, last: int) -> list[int]:
        """The years of [first, last] this line costs something."""
        if not self.recurring:
            return [self.from_year] if first <= self.from_year <= last else []
        end = min(self.to_year or last, last)
        return list(range(max(self.from_year, first), end + 1))
