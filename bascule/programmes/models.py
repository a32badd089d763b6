"""Programme steering: programmes, waves, national workstream templates instanced per region, action plans.

Visibility: a programme is seen by anyone with a perimeter and edited by whoever may edit its owner structure;
a workstream instance and a regional action follow their structure's perimeter; a national action (no structure)
is seen by everyone who sees the programme and edited by those who edit the programme.
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from bascule.core.access import can_read_path, can_write_path, has_perimeter, visible_q
from bascule.core.deadlines import Deadline, Stage
from bascule.core.fields import BoundedTextField
from bascule.core.models import BaseModel, VersionedModel
from bascule.core.system import Actor
from bascule.organisation.models import Person, Structure
from bascule.programmes.setup_models import BUDGET_CODE as BUDGET_CODE  # models of the app, re-exported
from bascule.programmes.setup_models import PerimeterWideQuerySet as PerimeterWideQuerySet
from bascule.programmes.setup_models import Programme as Programme
from bascule.programmes.setup_models import ProgrammeDocument as ProgrammeDocument
from bascule.programmes.setup_models import Wave as Wave


class Status(models.TextChoices):
    NOT_STARTED = "not_started", "Non démarré"
    IN_PROGRESS = "in_progress", "En cours"
    DONE = "done", "Terminé"
    ABANDONED = "abandoned", "Abandonné"
    BLOCKED = "blocked", "Bloqué"


FINISHED = (Status.DONE, Status.ABANDONED)


def late_q(today: date, prefix: str = "") -> Q:
    """Late (docs/domain.md §4): the deadline interval has ended and the action is neither done nor abandoned.

    The one rule, as a filter (`prefix` for a related lookup, e.g. "actions__"); `is_late` is the same rule in
    Python (for rows already read), and a test proves they agree.
    """
    return Q(**{f"{prefix}deadline_end__lt": today}) & ~Q(**{f"{prefix}status__in": FINISHED})


def is_late(status: str, deadline_end: date | None, today: date) -> bool:
    """The rule of `late_q`, on an action's status and deadline end already in memory."""
    return status not in FINISHED and deadline_end is not None and deadline_end < today


class WorkstreamTemplate(BaseModel):
    """A national workstream ("chantier") of a programme; `revision` grows with each change offered to instances."""

    visible_to_everyone_in_a_perimeter = True

    programme = models.ForeignKey(
        Programme, on_delete=models.CASCADE, related_name="templates", verbose_name="programme"
    )
    number = models.PositiveSmallIntegerField("numéro")
    name = models.CharField("nom", max_length=200)
    description = BoundedTextField("description", blank=True)
    lead_role = BoundedTextField("rôle du responsable régional", blank=True)
    prerequisites = models.ManyToManyField(
        "self", symmetrical=False, blank=True, related_name="dependents", verbose_name="prérequis"
    )
    revision = models.PositiveIntegerField("révision", default=1)

    history = HistoricalRecords(excluded_fields=["updated_at"], m2m_fields=[prerequisites])
    objects = PerimeterWideQuerySet.as_manager()

    class Meta:
        ordering = ["programme", "number"]
        verbose_name = "modèle de chantier"
        verbose_name_plural = "modèles de chantiers"
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "number"],
                name="template_number_unique",
                violation_error_message="Ce programme a déjà un chantier de ce numéro.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.number}. {self.name}"

    def get_abilities(self, user: Actor) -> dict[str, bool]:
        return {"view": has_perimeter(user), "change": can_write_path(user, self.programme.owner.path)}


class ItemKind(models.TextChoices):
    MILESTONE = "milestone", "Jalon"
    DELIVERABLE = "deliverable", "Livrable"


class TemplateItem(BaseModel):
    """A standard milestone or deliverable of a template, added at a given revision."""

    template = models.ForeignKey(WorkstreamTemplate, on_delete=models.CASCADE, related_name="items")
    kind = models.CharField("type", max_length=20, choices=ItemKind.choices)
    name = models.CharField("intitulé", max_length=255)
    order = models.PositiveSmallIntegerField("ordre", default=0)
    revision = models.PositiveIntegerField("ajouté à la révision", default=1)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["template", "order", "name"]
        verbose_name = "élément de modèle"

    def __str__(self) -> str:
        return f"{self.get_kind_display()} : {self.name}"


class WorkstreamQuerySet(models.QuerySet["Workstream"]):
    def visible_to(self, user: Actor) -> WorkstreamQuerySet:
        return self.filter(visible_q(user, "structure__path"))


class Workstream(VersionedModel):
    """A template's workstream in one region (or department): its pilot, status, items and progress."""

    template = models.ForeignKey(
        WorkstreamTemplate, on_delete=models.PROTECT, related_name="instances", verbose_name="chantier"
    )
    structure = models.ForeignKey(
        Structure, on_delete=models.PROTECT, related_name="workstreams", verbose_name="région ou département"
    )
    pilot = models.ForeignKey(
        Person, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name="pilote"
    )
    status = models.CharField("état", max_length=20, choices=Status.choices, default=Status.NOT_STARTED)
    percent = models.PositiveSmallIntegerField("avancement (%)", default=0)
    synced_revision = models.PositiveIntegerField("révision du modèle acceptée", default=1)
    note = BoundedTextField("commentaire", blank=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])
    objects = WorkstreamQuerySet.as_manager()

    class Meta:
        ordering = ["template__number", "structure__code"]
        verbose_name = "chantier régional"
        verbose_name_plural = "chantiers régionaux"
        constraints = [
            models.UniqueConstraint(
                fields=["template", "structure"],
                name="instance_unique_per_structure",
                violation_error_message="Ce chantier existe déjà pour cette structure.",
            ),
            models.CheckConstraint(
                condition=Q(percent__lte=100),
                name="instance_percent_max_100",
                violation_error_message="L'avancement ne peut dépasser 100 %.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.template} — {self.structure.name}"

    @property
    def diverged(self) -> bool:
        return self.synced_revision < self.template.revision

    def get_abilities(self, user: Actor) -> dict[str, bool]:
        view = can_read_path(user, self.structure.path)
        # Deliverables are validated by the level above the workstream's region (or department).
        above = self.structure.parent.path if self.structure.parent else None
        return {
            "view": view,
            "change": can_write_path(user, self.structure.path),
            "history": view,
            "validate": above is not None and can_write_path(user, above),
        }


class InstanceItemQuerySet(models.QuerySet["InstanceItem"]):
    def visible_to(self, user: Actor) -> InstanceItemQuerySet:
        return self.filter(visible_q(user, "workstream__structure__path"))


class InstanceItem(BaseModel):
    """A milestone or deliverable of one instance; `template_item` empty for one added locally."""

    workstream = models.ForeignKey(Workstream, on_delete=models.CASCADE, related_name="items")
    template_item = models.ForeignKey(
        TemplateItem, on_delete=models.SET_NULL, null=True, blank=True, related_name="copies"
    )
    kind = models.CharField("type", max_length=20, choices=ItemKind.choices)
    name = models.CharField("intitulé", max_length=255)
    due_date = models.DateField("échéance", null=True, blank=True)
    done_on = models.DateField("réalisé le", null=True, blank=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])
    objects = InstanceItemQuerySet.as_manager()

    def get_abilities(self, user: Actor) -> dict[str, bool]:
        path = self.workstream.structure.path
        return {
            "view": can_read_path(user, path),
            "schedule": can_write_path(user, path),
            "deposit": can_write_path(user, path) and self.kind == ItemKind.DELIVERABLE,
        }

    class Meta:
        ordering = ["workstream", "due_date", "name"]
        verbose_name = "jalon ou livrable"


class DeliverableQuerySet(models.QuerySet["DeliverableVersion"]):
    def visible_to(self, user: Actor) -> DeliverableQuerySet:
        return self.filter(visible_q(user, "item__workstream__structure__path"))


class DeliverableVersion(BaseModel):
    """One deposit of a deliverable's document; validated (or refused) by the level above the workstream's region."""

    class Validation(models.TextChoices):
        PENDING = "pending", "À valider"
        VALIDATED = "validated", "Validé"
        REFUSED = "refused", "Refusé"

    item = models.ForeignKey(
        InstanceItem, on_delete=models.CASCADE, related_name="versions", verbose_name="livrable"
    )
    number = models.PositiveSmallIntegerField("version")
    file = models.FileField("document", upload_to="livrables/%Y/%m/")
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
    validation = models.CharField(
        "validation", max_length=20, choices=Validation.choices, default=Validation.PENDING
    )
    validated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="validé par",
    )
    validated_at = models.DateTimeField("validé le", null=True, blank=True)
    validation_comment = BoundedTextField("avis", blank=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])
    objects = DeliverableQuerySet.as_manager()

    class Meta:
        ordering = ["item", "-number"]
        verbose_name = "version de livrable"
        constraints = [models.UniqueConstraint(fields=["item", "number"], name="deliverable_version_unique")]

    def __str__(self) -> str:
        return f"{self.item.name} — v{self.number}"

    def get_abilities(self, user: Actor) -> dict[str, bool]:
        workstream = self.item.workstream.get_abilities(user)
        return {"view": workstream["view"], "validate": workstream["validate"]}


class DecisionQuerySet(models.QuerySet["Decision"]):
    def visible_to(self, user: Actor) -> DecisionQuerySet:
        """As its meeting: national decisions by everyone who has a perimeter, a regional one inside its region."""
        if not has_perimeter(user):
            return self.none()
        return self.filter(Q(meeting__structure__isnull=True) | visible_q(user, "meeting__structure__path"))


class Decision(BaseModel):
    """A decision of a committee (taken at one of its meetings); actions may stem from it."""

    class Committee(models.TextChoices):
        COPIL = "copil", "Comité de pilotage (COPIL)"
        COTECH = "cotech", "Comité technique (COTECH)"
        REGIONAL = "regional", "Comité régional"

    programme = models.ForeignKey(
        Programme, on_delete=models.CASCADE, related_name="decisions", verbose_name="programme"
    )
    committee = models.CharField(
        "instance", max_length=20, choices=Committee.choices, default=Committee.COPIL
    )

    class FollowUp(models.TextChoices):
        OPEN = "open", "À suivre"
        DONE = "done", "Soldée"
        DROPPED = "dropped", "Abandonnée"

    taken_on = models.DateField("date")
    title = models.CharField("décision", max_length=255)
    text = BoundedTextField("détail", blank=True)
    # The meeting that took it (committees module); the next meetings follow it up until it is closed.
    meeting = models.ForeignKey(
        "committees.Meeting",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="decisions",
        verbose_name="réunion",
    )
    owner = models.ForeignKey(
        Structure, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name="porteur"
    )
    due_on = models.DateField("échéance", null=True, blank=True)
    follow_up = models.CharField("suivi", max_length=20, choices=FollowUp.choices, default=FollowUp.OPEN)
    closed_on = models.DateField("soldée le", null=True, blank=True)
    outcome = BoundedTextField("suite donnée", max_length=2000, blank=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])
    objects = DecisionQuerySet.as_manager()

    class Meta:
        ordering = ["-taken_on", "title"]
        verbose_name = "décision"

    def __str__(self) -> str:
        return f"{self.get_committee_display()} du {self.taken_on:%d/%m/%Y} : {self.title}"

    def get_abilities(self, user: Actor) -> dict[str, bool]:
        """Followed up by whoever may change the meeting that took it (the programme's owners otherwise)."""
        meeting = self.meeting
        if meeting is None:
            return {"view": has_perimeter(user), "follow_up": can_write_path(user, self.programme.owner.path)}
        view = (meeting.structure_id is None and has_perimeter(user)) or can_read_path(
            user, meeting.scope_path
        )
        return {"view": view, "follow_up": can_write_path(user, meeting.scope_path)}


class PainPoint(BaseModel):
    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="pain_points")
    number = models.PositiveSmallIntegerField("numéro")
    title = models.CharField("irritant", max_length=255)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["programme", "number"]
        verbose_name = "irritant"
        constraints = [
            models.UniqueConstraint(fields=["programme", "number"], name="painpoint_number_unique")
        ]

    def __str__(self) -> str:
        return f"{self.number}. {self.title}"


class ActionQuerySet(models.QuerySet["Action"]):
    def visible_to(self, user: Actor) -> ActionQuerySet:
        if not has_perimeter(user):
            return self.none()
        return self.filter(Q(structure__isnull=True) | visible_q(user, "structure__path"))

    def late(self, today: date | None = None) -> ActionQuerySet:
        day = today or timezone.localdate()
        return self.filter(late_q(day))


class Action(VersionedModel):
    programme = models.ForeignKey(
        Programme, on_delete=models.CASCADE, related_name="actions", verbose_name="programme"
    )
    pain_point = models.ForeignKey(
        PainPoint,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="actions",
        verbose_name="irritant",
    )
    workstream = models.ForeignKey(
        Workstream,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="actions",
        verbose_name="chantier",
    )
    decision = models.ForeignKey(
        "Decision",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="actions",
        verbose_name="décision à l'origine",
    )
    structure = models.ForeignKey(
        Structure,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="actions",
        verbose_name="périmètre",
        help_text="Vide : action nationale du programme.",
    )
    code = models.CharField("n°", max_length=30)
    title = BoundedTextField("action", max_length=2000)
    lead_text = BoundedTextField("pilote (tel qu'écrit)", max_length=1000, blank=True)
    lead_structures = models.ManyToManyField(
        Structure, blank=True, related_name="led_actions", verbose_name="structures pilotes"
    )
    partner_structures = models.ManyToManyField(
        Structure, blank=True, related_name="partner_actions", verbose_name="partenaires"
    )
    lead_unrecognised = BoundedTextField("pilote non reconnu", max_length=1000, blank=True)
    deliverables_text = BoundedTextField("livrables et échéances", max_length=4000, blank=True)
    deadline_text = models.CharField("échéance (telle qu'écrite)", max_length=500, blank=True)
    deadline_start = models.DateField("début de l'échéance", null=True, blank=True)
    deadline_end = models.DateField("fin de l'échéance", null=True, blank=True, db_index=True)
    deadline_precision = models.CharField("précision", max_length=20, default="none")
    deadline_understood = models.BooleanField("échéance comprise", default=False)
    deadline_stages = models.JSONField("étapes", default=list, blank=True)
    reference_date = models.DateField("date de référence du plan", null=True, blank=True)
    status = models.CharField(
        "état", max_length=20, choices=Status.choices, default=Status.NOT_STARTED, db_index=True
    )
    progress = BoundedTextField("état d'avancement", blank=True)
    percent = models.PositiveSmallIntegerField("avancement (%)", null=True, blank=True)

    # The lead and partner structures are read from `lead` (historised): one history row per change, whatever the
    # write path (an m2m history would add a row per `.set()`, so that a page and an import would differ).
    history = HistoricalRecords(excluded_fields=["updated_at"])
    objects = ActionQuerySet.as_manager()

    class Meta:
        ordering = ["programme", "code"]
        verbose_name = "action"
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "code"],
                name="action_code_unique",
                violation_error_message="Ce programme a déjà une action de ce numéro.",
            ),
            models.CheckConstraint(
                condition=Q(percent__isnull=True) | Q(percent__lte=100),
                name="action_percent_max_100",
                violation_error_message="L'avancement ne peut dépasser 100 %.",
            ),
        ]
        indexes = [models.Index(fields=["programme", "status", "deadline_end"], name="action_listing")]

    def __str__(self) -> str:
        return f"{self.code} — {self.title[:80]}"

    @property
    def deadline(self) -> Deadline:
        stages = tuple(
            Stage(s["label"], s["text"], _date(s["start"]), _date(s["end"]), s["precision"], s["understood"])
            for s in self.deadline_stages
        )
        return Deadline(
            self.deadline_text,
            self.deadline_start,
            self.deadline_end,
            self.deadline_precision,
            self.deadline_understood,
            stages,
        )

    def is_late_on(self, today: date) -> bool:
        """The rule of `late_q`, for one action in memory."""
        return is_late(self.status, self.deadline_end, today)

    @property
    def is_late(self) -> bool:
        return self.is_late_on(timezone.localdate())

    def get_abilities(self, user: Actor) -> dict[str, bool]:
        path = (self.structure or self.programme.owner).path
        view = (self.structure_id is None and has_perimeter(user)) or can_read_path(user, path)
        change = can_write_path(user, path)
        return {"view": view, "change": change, "add_progress": change, "history": view}


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


class ProgressNote(BaseModel):
    """One review of an action: dated, signed, with a status and optional figures. The latest is the current state."""

    no_history = "written once, never changed: the notes of an action are its progress history"

    action = models.ForeignKey(Action, on_delete=models.CASCADE, related_name="notes", verbose_name="action")
    on = models.DateField("date", default=timezone.localdate)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="auteur",
    )
    status = models.CharField("état", max_length=20, choices=Status.choices)
    text = BoundedTextField("note", blank=True)
    percent = models.PositiveSmallIntegerField("avancement (%)", null=True, blank=True)
    figures = models.JSONField("chiffres", default=dict, blank=True)

    class Meta:
        ordering = ["-on", "-created_at"]
        verbose_name = "point d'avancement"
        verbose_name_plural = "points d'avancement"
        indexes = [models.Index(fields=["action", "-on"], name="note_action_date")]

    def __str__(self) -> str:
        return f"{self.on:%d/%m/%Y} — {self.get_status_display()}"
