"""The organisation referential: structures (a tree), people, and their assignments (role × structure × dates).

Invariants live in the database with French messages; every model is historised; structures and people carry a
version for optimistic locking. `visible_to(user)` on every QuerySet applies the perimeter (bascule.core.perimeter).
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from bascule.core.access import (
    can_read_path,
    can_write_path,
    editable_q,
    has_perimeter,
    holds_global_role,
    visible_q,
    writes_everywhere,
)
from bascule.core.fields import BoundedTextField
from bascule.core.models import BaseModel, VersionedModel
from bascule.core.roles import SCOPE_CHOICES, SUBTREE, Role
from bascule.core.system import Actor
from bascule.organisation.geography import DEPARTMENTS, REGIONS, region_name
from bascule.organisation.grants import can_grant, grantable_roles, is_own_person
from bascule.organisation.ranks import BUILTIN_RANKS, MAX_ADDED_RANK, role_label

HISTORY_EXCLUDED = ["path", "depth", "updated_at"]


class StructureKind(models.TextChoices):
    STATE = "state", "État"
    MINISTRY = "ministry", "Ministère"
    INTERMINISTERIAL = "interministerial", "Niveau interministériel"
    NATIONAL_DIRECTORATE = "national_directorate", "Direction d'administration centrale"
    SUB_DIRECTORATE = "sub_directorate", "Sous-direction"
    BUREAU = "bureau", "Bureau"
    REGION = "region", "Région"
    DEPARTMENT = "department", "Département"
    PREFECTURE = "prefecture", "Préfecture / SGAR"
    REGIONAL_DIRECTORATE = "regional_directorate", "Direction régionale"
    DEPARTMENTAL_DIRECTORATE = "departmental_directorate", "Direction départementale"
    SHARED_CENTRE = "shared_centre", "Centre de services partagés"
    ANTENNA = "antenna", "Antenne"
    SGCD = "sgcd", "Secrétariat général commun départemental"
    SUPPORT_POLE = "support_pole", "Pôle de diffusion (support)"
    SERVICE = "service", "Service"
    PARTNER = "partner", "Partenaire extérieur"


class Category(models.TextChoices):
    A = "A", "Catégorie A"
    B = "B", "Catégorie B"
    C = "C", "Catégorie C"


def _check_region(value: str) -> None:
    if value and value not in REGIONS:
        from django.core.exceptions import ValidationError

        raise ValidationError(
            f"« {value} » n'est pas un code de région INSEE (par exemple 53 pour la Bretagne)."
        )


def _check_department(value: str) -> None:
    if value and value not in DEPARTMENTS:
        from django.core.exceptions import ValidationError

        raise ValidationError(f"« {value} » n'est pas un code de département (par exemple 29, 2A ou 974).")


class StructureQuerySet(models.QuerySet["Structure"]):
    def visible_to(self, user: Actor) -> StructureQuerySet:
        return self.filter(visible_q(user, "path"))

    def editable_by(self, user: Actor) -> StructureQuerySet:
        return self.filter(editable_q(user, "path"))

    def active(self, on: date | None = None) -> StructureQuerySet:
        day = on or timezone.localdate()
        return self.filter(Q(valid_from__isnull=True) | Q(valid_from__lte=day)).filter(
            Q(valid_to__isnull=True) | Q(valid_to__gte=day)
        )

    def in_region(self, value: str) -> StructureQuerySet:
        """By INSEE region code (`53`) or by the code of the region's structure (`R53`)."""
        region_codes = Structure.objects.filter(kind=StructureKind.REGION, code__iexact=value).values(
            "region"
        )
        return self.filter(Q(region=value) | Q(region__in=region_codes))


class Structure(VersionedModel):
    code = models.CharField(
        "code",
        max_length=60,
        unique=True,
        validators=[
            RegexValidator(r"^[A-Za-z0-9][A-Za-z0-9 ./()'&_-]*$", "Le code contient un caractère non admis.")
        ],
        help_text="Sigle unique, par exemple DREAL-BRE ou DMAT/SDAT/BCAM.",
        error_messages={"unique": "Une structure porte déjà ce code."},
    )
    name = models.CharField("nom", max_length=255)
    kind = models.CharField("type", max_length=40, choices=StructureKind.choices)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name="structure de rattachement",
    )
    region = models.CharField("code région", max_length=3, blank=True, validators=[_check_region])
    department = models.CharField(
        "code département", max_length=3, blank=True, validators=[_check_department]
    )
    valid_from = models.DateField("valide à partir du", null=True, blank=True)
    valid_to = models.DateField("valide jusqu'au", null=True, blank=True)
    # "/<id hex>/<id hex>/…/": a prefix test on it gives a whole subtree (perimeters).
    path = models.CharField(max_length=2000, editable=False, db_index=True)
    depth = models.PositiveSmallIntegerField(default=0, editable=False)

    history = HistoricalRecords(excluded_fields=HISTORY_EXCLUDED)
    objects = StructureQuerySet.as_manager()

    class Meta:
        ordering = ["path"]
        verbose_name = "structure"
        verbose_name_plural = "structures"
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True)
                | Q(valid_from__isnull=True)
                | Q(valid_to__gte=models.F("valid_from")),
                name="structure_validity_ordered",
                violation_error_message="La date de fin de validité précède la date de début.",
            ),
            models.CheckConstraint(
                condition=~Q(parent=models.F("id")),
                name="structure_not_own_parent",
                violation_error_message="Une structure ne peut pas être rattachée à elle-même.",
            ),
        ]
        indexes = [
            # PostgreSQL only: LIKE 'prefix%' uses the index whatever the collation (ignored on SQLite).
            models.Index(fields=["path"], name="structure_path_prefix", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["region", "kind"], name="structure_region_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.code} — {self.name}"

    @property
    def region_label(self) -> str:
        return region_name(self.region) if self.region else ""

    @property
    def is_active(self) -> bool:
        today = timezone.localdate()
        return (self.valid_from is None or self.valid_from <= today) and (
            self.valid_to is None or self.valid_to >= today
        )

    @property
    def parent_path(self) -> str | None:
        """The parent's path, read from this structure's own path (no query)."""
        return self.path[: self.path.rstrip("/").rfind("/") + 1] if self.depth else None

    def get_abilities(self, user: Actor) -> dict[str, bool]:
        view = can_read_path(user, self.path)
        change = can_write_path(user, self.path)
        # Its code, parent and region/department move power: the level above decides them.
        reposition = writes_everywhere(user) or can_write_path(user, self.parent_path)
        return {
            "view": view,
            "change": change,
            "reposition": change and reposition,
            "add_child": change,
            "history": view,
            "add_person": change,
        }


class PersonQuerySet(models.QuerySet["Person"]):
    def visible_to(self, user: Actor) -> PersonQuerySet:
        return self.filter(visible_q(user, "structure__path"))


class Person(VersionedModel):
    first_name = models.CharField("prénom", max_length=150)
    last_name = models.CharField("nom", max_length=150)
    email = models.EmailField(
        "courriel", unique=True, error_messages={"unique": "Une personne a déjà ce courriel."}
    )
    phone = models.CharField("téléphone", max_length=30, blank=True)
    structure = models.ForeignKey(
        Structure, on_delete=models.PROTECT, related_name="people", verbose_name="structure d'appartenance"
    )
    ministry_of_origin = models.ForeignKey(
        Structure,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        limit_choices_to={"kind": StructureKind.MINISTRY},
        verbose_name="ministère d'origine",
    )
    category = models.CharField("catégorie", max_length=1, choices=Category.choices, blank=True)
    fte = models.DecimalField(
        "quotité (ETP)",
        max_digits=3,
        decimal_places=2,
        default=Decimal("1.00"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("1"))],
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="person",
        verbose_name="compte utilisateur",
    )

    history = HistoricalRecords(excluded_fields=["updated_at"])
    objects = PersonQuerySet.as_manager()

    class Meta:
        ordering = ["last_name", "first_name"]
        verbose_name = "personne"
        verbose_name_plural = "personnes"
        constraints = [
            models.CheckConstraint(
                condition=Q(fte__gte=0) & Q(fte__lte=1),
                name="person_fte_between_0_and_1",
                violation_error_message="La quotité doit être comprise entre 0 et 1 ETP.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def full_name(self) -> str:
        return str(self)

    def get_abilities(self, user: Actor) -> dict[str, bool]:
        path = self.structure.path
        view = can_read_path(user, path)
        change = can_write_path(user, path)
        grant = view and not is_own_person(user, self) and bool(grantable_roles(user))
        return {"view": view, "change": change, "history": view, "add_assignment": grant}


class AssignmentQuerySet(models.QuerySet["Assignment"]):
    def visible_to(self, user: Actor) -> AssignmentQuerySet:
        """Seen when its structure or the person's structure is in the perimeter."""
        return self.filter(visible_q(user, "structure__path") | visible_q(user, "person__structure__path"))

    def active(self, on: date | None = None) -> AssignmentQuerySet:
        day = on or timezone.localdate()
        return self.filter(start_date__lte=day).filter(Q(end_date__isnull=True) | Q(end_date__gte=day))


class RoleDefinitionQuerySet(models.QuerySet["RoleDefinition"]):
    def visible_to(self, user: Actor) -> RoleDefinitionQuerySet:
        return self if has_perimeter(user) else self.none()


class RoleDefinition(VersionedModel):
    """A role national steering added to the catalogue (the built-in ones are `core.roles.Role`).

    It reads its perimeter (its scope), never edits; who grants it follows its rank (organisation/grants.py).
    """

    visible_to_everyone_in_a_perimeter = True

    code = models.SlugField(
        "code",
        max_length=40,
        unique=True,
        error_messages={"unique": "Un rôle porte déjà ce code."},
        help_text="Lettres, chiffres, tirets : par exemple correspondant-archives.",
    )
    name = models.CharField("nom", max_length=120)
    description = BoundedTextField("description", blank=True)
    rank = models.PositiveSmallIntegerField(
        "rang",
        validators=[MinValueValidator(1), MaxValueValidator(MAX_ADDED_RANK)],
        help_text=f"De 1 à {MAX_ADDED_RANK} : un responsable régional attribue les rôles de rang inférieur "
        f"à {BUILTIN_RANKS[Role.REGIONAL_LEAD]}.",
    )
    scope = models.CharField("périmètre", max_length=20, choices=SCOPE_CHOICES, default=SUBTREE)

    history = HistoricalRecords(excluded_fields=["updated_at"])
    objects = RoleDefinitionQuerySet.as_manager()

    class Meta:
        ordering = ["-rank", "name"]
        verbose_name = "rôle ajouté"
        verbose_name_plural = "rôles ajoutés"
        constraints = [
            models.CheckConstraint(
                condition=Q(rank__gte=1) & Q(rank__lte=MAX_ADDED_RANK),
                name="role_rank_range",
                violation_error_message=f"Le rang d'un rôle ajouté va de 1 à {MAX_ADDED_RANK}.",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        if self.code in Role.values:
            raise ValidationError({"code": "Ce code est celui d'un rôle intégré."})

    def get_abilities(self, user: Actor) -> dict[str, bool]:
        national = holds_global_role(user)
        view = has_perimeter(user)
        return {"view": view, "change": national, "delete": national, "history": view}


ROLE_CODE = re.compile(r"[a-z0-9_-]+")


def _check_role(value: str) -> None:
    """A built-in role or an added one (a code that cannot be one is refused without reading the catalogue)."""
    if value in Role.values or (
        ROLE_CODE.fullmatch(value) and RoleDefinition.objects.filter(code=value).exists()
    ):
        return
    from django.core.exceptions import ValidationError

    raise ValidationError(f"« {value} » n'est pas un rôle du catalogue.")


class Assignment(VersionedModel):
    person = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="assignments", verbose_name="personne"
    )
    # A built-in role (core.roles.Role) or the code of a RoleDefinition.
    role = models.CharField("rôle", max_length=40, validators=[_check_role])
    structure = models.ForeignKey(
        Structure, on_delete=models.PROTECT, related_name="assignments", verbose_name="structure"
    )
    start_date = models.DateField("début")
    end_date = models.DateField("fin", null=True, blank=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])
    objects = AssignmentQuerySet.as_manager()

    class Meta:
        ordering = ["-start_date"]
        verbose_name = "affectation"
        verbose_name_plural = "affectations"
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="assignment_dates_ordered",
                violation_error_message="La date de fin précède la date de début.",
            ),
            models.UniqueConstraint(
                fields=["person", "role", "structure", "start_date"],
                name="assignment_unique_start",
                violation_error_message="Cette personne a déjà ce rôle dans cette structure à cette date.",
            ),
        ]
        indexes = [models.Index(fields=["person", "start_date"], name="assignment_person_start")]

    def __str__(self) -> str:
        return f"{self.get_role_display()} — {self.structure.code}"

    def get_role_display(self) -> str:
        return role_label(self.role)

    @property
    def is_active(self) -> bool:
        today = timezone.localdate()
        return self.start_date <= today and (self.end_date is None or self.end_date >= today)

    def get_abilities(self, user: Actor) -> dict[str, bool]:
        view = can_read_path(user, self.structure.path) or can_read_path(user, self.person.structure.path)
        change = view and can_grant(user, self.role, self.structure, self.person)
        return {"view": view, "change": change, "history": view}


class ServiceKind(models.TextChoices):
    ACCOUNTING = "accounting", "Comptabilité"
    PAYROLL = "payroll", "Paie"
    SUPPORT = "support", "Assistance"
    ARCHIVES = "archives", "Archives"


class ContractState(models.TextChoices):
    DRAFT = "draft", "Brouillon"
    SIGNED = "signed", "Signé"
    TO_REVIEW = "to_review", "À revoir"


class ServiceLinkQuerySet(models.QuerySet["ServiceLink"]):
    def visible_to(self, user: Actor) -> ServiceLinkQuerySet:
        return self.filter(visible_q(user, "client__path") | visible_q(user, "provider__path"))

    def active(self, on: date | None = None) -> ServiceLinkQuerySet:
        day = on or timezone.localdate()
        return self.filter(Q(start_date__isnull=True) | Q(start_date__lte=day)).filter(
            Q(end_date__isnull=True) | Q(end_date__gte=day)
        )


class ServiceLink(VersionedModel):
    """« Servie par » : a structure (a DDI) served by another (a shared centre, a support pole) for one kind of
    service, under a service contract (its state, its review date, its signed versions)."""

    client = models.ForeignKey(
        Structure, on_delete=models.PROTECT, related_name="served_by", verbose_name="structure servie"
    )
    provider = models.ForeignKey(
        Structure, on_delete=models.PROTECT, related_name="serves", verbose_name="structure prestataire"
    )
    kind = models.CharField("nature du service", max_length=20, choices=ServiceKind.choices)
    start_date = models.DateField("à partir du", null=True, blank=True)
    end_date = models.DateField("jusqu'au", null=True, blank=True)
    contract_state = models.CharField(
        "contrat de service", max_length=20, choices=ContractState.choices, default=ContractState.DRAFT
    )
    contract_review_on = models.DateField("contrat à revoir le", null=True, blank=True)
    note = BoundedTextField("commentaire", blank=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])
    objects = ServiceLinkQuerySet.as_manager()

    class Meta:
        ordering = ["client__code", "kind", "provider__code"]
        verbose_name = "lien de service"
        verbose_name_plural = "liens de service"
        constraints = [
            models.CheckConstraint(
                condition=~Q(client=models.F("provider")),
                name="service_link_not_self",
                violation_error_message="Une structure ne peut pas être servie par elle-même.",
            ),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True)
                | Q(start_date__isnull=True)
                | Q(end_date__gte=models.F("start_date")),
                name="service_link_dates_ordered",
                violation_error_message="La date de fin précède la date de début.",
            ),
            models.UniqueConstraint(
                fields=["client", "provider", "kind"],
                name="service_link_unique",
                violation_error_message="Ce lien de service existe déjà.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.client.code} servie par {self.provider.code} ({self.get_kind_display()})"

    @property
    def is_active(self) -> bool:
        today = timezone.localdate()
        return (self.start_date is None or self.start_date <= today) and (
            self.end_date is None or self.end_date >= today
        )

    def get_abilities(self, user: Actor) -> dict[str, bool]:
        view = can_read_path(user, self.client.path) or can_read_path(user, self.provider.path)
        # A link routes work from one structure to another: whoever sets it edits both.
        change = can_write_path(user, self.client.path) and can_write_path(user, self.provider.path)
        return {"view": view, "change": change, "history": view, "add_contract": change}


class ContractVersionQuerySet(models.QuerySet["ContractVersion"]):
    def visible_to(self, user: Actor) -> ContractVersionQuerySet:
        return self.filter(visible_q(user, "link__client__path") | visible_q(user, "link__provider__path"))


class ContractVersion(BaseModel):
    """One deposited version of a link's service contract (the file and who deposited it)."""

    link = models.ForeignKey(
        ServiceLink, on_delete=models.CASCADE, related_name="contracts", verbose_name="lien de service"
    )
    number = models.PositiveSmallIntegerField("version")
    file = models.FileField("document", upload_to="contrats/%Y/%m/", max_length=255)
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
    objects = ContractVersionQuerySet.as_manager()

    class Meta:
        ordering = ["link", "-number"]
        verbose_name = "version de contrat de service"
        constraints = [
            models.UniqueConstraint(
                fields=["link", "number"],
                name="contract_version_unique",
                violation_error_message="Cette version du contrat existe déjà.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.link} — v{self.number}"

    def get_abilities(self, user: Actor) -> dict[str, bool]:
        return {"view": self.link.get_abilities(user)["view"]}
