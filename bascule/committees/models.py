"""Committee meetings (COPIL, COTECH, regional committees), their agenda, and the snapshot frozen at each one.

Decisions are `programmes.Decision`, grown with the meeting that took them, an owner, a deadline and a status: the
next meetings follow them up until they are closed. A snapshot freezes each action's state at a meeting, so that
later pages show the programme "as of" a committee and compare two committees.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from bascule.core.access import can_read_path, can_write_path, has_perimeter, visible_q
from bascule.core.fields import BoundedTextField
from bascule.core.models import BaseModel, VersionedModel
from bascule.core.system import Actor
from bascule.organisation.models import Person, Structure
from bascule.programmes.models import Action, Decision, Programme, Status, Workstream

Committee = Decision.Committee  # one list of committees, shared with the decisions they take


class MeetingQuerySet(models.QuerySet["Meeting"]):
    def visible_to(self, user: Actor) -> MeetingQuerySet:
        """A national committee is seen by everyone who has a perimeter; a regional one inside its region."""
        if not has_perimeter(user):
            return self.none()
        return self.filter(Q(structure__isnull=True) | visible_q(user, "structure__path"))


class Meeting(VersionedModel):
    programme = models.ForeignKey(
        Programme, on_delete=models.CASCADE, related_name="meetings", verbose_name="programme"
    )
    committee = models.CharField(
        "instance", max_length=20, choices=Committee.choices, default=Committee.COPIL
    )
    structure = models.ForeignKey(
        Structure,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="meetings",
        verbose_name="région ou département",
        help_text="Vide : comité national du programme.",
    )
    held_on = models.DateField("date")
    title = models.CharField("intitulé", max_length=255)
    location = models.CharField("lieu", max_length=255, blank=True)
    minutes = BoundedTextField("compte rendu", blank=True)
    attendees = models.ManyToManyField(
        Person, blank=True, related_name="meetings", verbose_name="participants"
    )
    attending_structures = models.ManyToManyField(
        Structure, blank=True, related_name="attended_meetings", verbose_name="structures représentées"
    )

    history = HistoricalRecords(excluded_fields=["updated_at"])
    objects = MeetingQuerySet.as_manager()

    class Meta:
        ordering = ["-held_on", "title"]
        verbose_name = "réunion de comité"

    def __str__(self) -> str:
        return f"{self.get_committee_display()} du {self.held_on:%d/%m/%Y}"

    @property
    def scope_path(self) -> str:
        return (self.structure or self.programme.owner).path

    def get_abilities(self, user: Actor) -> dict[str, bool]:
        view = (self.structure_id is None and has_perimeter(user)) or can_read_path(user, self.scope_path)
        change = can_write_path(user, self.scope_path)
        return {
            "view": view,
            "change": change,
            "history": view,
            "add_decision": change,
            "add_agenda_item": change,
            "snapshot": change,
        }


class AgendaItemQuerySet(models.QuerySet["AgendaItem"]):
    def visible_to(self, user: Actor) -> AgendaItemQuerySet:
        return self.filter(meeting__in=Meeting.objects.visible_to(user))


class AgendaItem(BaseModel):
    meeting = models.ForeignKey(
        Meeting, on_delete=models.CASCADE, related_name="agenda", verbose_name="réunion"
    )
    order = models.PositiveSmallIntegerField("ordre")
    title = models.CharField("point", max_length=255)
    action = models.ForeignKey(
        Action, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name="action"
    )
    workstream = models.ForeignKey(
        Workstream,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="chantier",
    )

    history = HistoricalRecords(excluded_fields=["updated_at"])
    objects = AgendaItemQuerySet.as_manager()

    class Meta:
        ordering = ["meeting", "order"]
        verbose_name = "point de l'ordre du jour"

    def __str__(self) -> str:
        return f"{self.order}. {self.title}"


class Snapshot(BaseModel):
    """The state of the meeting's actions when it was frozen (once per meeting)."""

    no_history = "frozen once for its meeting and never changed: it is itself a record of the past"

    meeting = models.OneToOneField(Meeting, on_delete=models.CASCADE, related_name="snapshot")
    taken_at = models.DateTimeField("figé le", default=timezone.now)
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="figé par",
    )
    action_count = models.PositiveIntegerField("actions", default=0)
    workstream_count = models.PositiveIntegerField("chantiers", default=0)

    class Meta:
        verbose_name = "état figé"

    def __str__(self) -> str:
        return f"État au {self.meeting}"


class SnapshotActionQuerySet(models.QuerySet["SnapshotAction"]):
    def visible_to(self, user: Actor) -> SnapshotActionQuerySet:
        if not has_perimeter(user):
            return self.none()
        return self.filter(Q(structure__isnull=True) | visible_q(user, "structure__path"))


class SnapshotAction(models.Model):
    """One action as it stood at a meeting (kept when the action is later deleted)."""

    no_history = "part of a frozen snapshot, never changed"

    id = models.BigAutoField(primary_key=True)
    snapshot = models.ForeignKey(Snapshot, on_delete=models.CASCADE, related_name="actions")
    action = models.ForeignKey(Action, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    action_key = models.UUIDField("action (identifiant)")
    code = models.CharField("n°", max_length=30)
    title = BoundedTextField("action", max_length=2000)
    structure = models.ForeignKey(
        Structure, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    status = models.CharField("état", max_length=20, choices=Status.choices)
    percent = models.PositiveSmallIntegerField("avancement (%)", null=True, blank=True)
    deadline_end = models.DateField("fin de l'échéance", null=True, blank=True)
    late = models.BooleanField("en retard", default=False)
    workstream_number = models.PositiveSmallIntegerField("chantier (numéro)", null=True, blank=True)

    objects = SnapshotActionQuerySet.as_manager()

    class Meta:
        ordering = ["snapshot", "code"]
        constraints = [
            models.UniqueConstraint(fields=["snapshot", "action_key"], name="snapshot_action_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.code} ({self.get_status_display()})"


class SnapshotWorkstreamQuerySet(models.QuerySet["SnapshotWorkstream"]):
    def visible_to(self, user: Actor) -> SnapshotWorkstreamQuerySet:
        if not has_perimeter(user):
            return self.none()
        return self.filter(visible_q(user, "structure__path"))


class SnapshotWorkstream(models.Model):
    """One regional (or departmental) workstream as it stood at a meeting: the "as of" status matrix."""

    no_history = "part of a frozen snapshot, never changed"

    id = models.BigAutoField(primary_key=True)
    snapshot = models.ForeignKey(Snapshot, on_delete=models.CASCADE, related_name="workstreams")
    workstream = models.ForeignKey(
        Workstream, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    number = models.PositiveSmallIntegerField("chantier (numéro)")
    name = models.CharField("chantier", max_length=200)
    structure = models.ForeignKey(
        Structure, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    status = models.CharField("état", max_length=20, choices=Status.choices)
    percent = models.PositiveSmallIntegerField("avancement (%)", default=0)

    objects = SnapshotWorkstreamQuerySet.as_manager()

    class Meta:
        ordering = ["snapshot", "number"]
        constraints = [
            models.UniqueConstraint(fields=["snapshot", "workstream"], name="snapshot_workstream_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.name} ({self.get_status_display()})"


# --- update campaigns --------------------------------------------------------------------------------
class CampaignQuerySet(models.QuerySet["Campaign"]):
    def visible_to(self, user: Actor) -> CampaignQuerySet:
        return self if has_perimeter(user) else self.none()


class Campaign(VersionedModel):
    """Before a committee, national steering asks every region for an update of its actions by a date."""

    # Seen by everyone who has a perimeter (each region then sees its own requests only).
    visible_to_everyone_in_a_perimeter = True

    class State(models.TextChoices):
        DRAFT = "draft", "En préparation"
        OPEN = "open", "Ouverte"
        CLOSED = "closed", "Close"

    programme = models.ForeignKey(
        Programme, on_delete=models.CASCADE, related_name="campaigns", verbose_name="programme"
    )
    meeting = models.ForeignKey(
        Meeting,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="campaigns",
        verbose_name="avant le comité",
    )
    title = models.CharField("intitulé", max_length=255)
    message = BoundedTextField("message aux régions", max_length=4000, blank=True)
    due_on = models.DateField("réponse attendue le")
    reminder_days = models.PositiveSmallIntegerField("relance tous les (jours)", default=3)
    only_open_actions = models.BooleanField("actions non terminées seulement", default=True)
    only_late_actions = models.BooleanField("actions en retard seulement", default=False)
    workstream_number = models.PositiveSmallIntegerField(
        "chantier (numéro)", null=True, blank=True, help_text="Vide : les actions de tous les chantiers."
    )
    state = models.CharField("état", max_length=20, choices=State.choices, default=State.DRAFT)
    opened_at = models.DateTimeField("ouverte le", null=True, blank=True)
    closed_at = models.DateTimeField("close le", null=True, blank=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])
    objects = CampaignQuerySet.as_manager()

    class Meta:
        ordering = ["-due_on", "title"]
        verbose_name = "campagne de mise à jour"

    def __str__(self) -> str:
        return self.title

    def get_abilities(self, user: Actor) -> dict[str, bool]:
        view = has_perimeter(user)
        change = can_write_path(user, self.programme.owner.path)
        return {
            "view": view,
            "change": change and self.state != self.State.CLOSED,
            "open": change and self.state == self.State.DRAFT,
            "close": change and self.state == self.State.OPEN,
            "review": change,
        }


class UpdateRequestQuerySet(models.QuerySet["UpdateRequest"]):
    def visible_to(self, user: Actor) -> UpdateRequestQuerySet:
        return self.filter(visible_q(user, "structure__path"))


class UpdateRequest(BaseModel):
    """What one region (or department) is asked to update in a campaign, and where its answer stands."""

    class State(models.TextChoices):
        PENDING = "pending", "En attente"
        ANSWERED = "answered", "Répondu"
        VALIDATED = "validated", "Validé"
        RETURNED = "returned", "Renvoyé pour compléments"

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="requests")
    structure = models.ForeignKey(
        Structure,
        on_delete=models.PROTECT,
        related_name="update_requests",
        verbose_name="région ou département",
    )
    respondent = models.ForeignKey(
        Person,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="destinataire",
    )
    actions = models.ManyToManyField(
        Action, related_name="update_requests", verbose_name="actions à mettre à jour"
    )
    state = models.CharField("état", max_length=20, choices=State.choices, default=State.PENDING)
    answered_at = models.DateTimeField("répondu le", null=True, blank=True)
    reviewed_at = models.DateTimeField("examiné le", null=True, blank=True)
    review_comment = BoundedTextField("avis du national", max_length=2000, blank=True)
    reminders = models.PositiveSmallIntegerField("relances envoyées", default=0)
    last_mailed_at = models.DateTimeField("dernier courriel", null=True, blank=True)
    mail_error = models.CharField("courriel non parti", max_length=500, blank=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])
    objects = UpdateRequestQuerySet.as_manager()

    class Meta:
        ordering = ["campaign", "structure__code"]
        verbose_name = "demande de mise à jour"
        constraints = [
            models.UniqueConstraint(fields=["campaign", "structure"], name="update_request_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.campaign} — {self.structure.code}"

    @property
    def is_answered(self) -> bool:
        return self.state in {self.State.ANSWERED, self.State.VALIDATED}

    def get_abilities(self, user: Actor) -> dict[str, bool]:
        view = can_read_path(user, self.structure.path)
        open_campaign = self.campaign.state == Campaign.State.OPEN
        return {
            "view": view,
            "answer": open_campaign
            and can_write_path(user, self.structure.path)
            and self.state in {self.State.PENDING, self.State.RETURNED},
            "review": open_campaign
            and self.state == self.State.ANSWERED
            and can_write_path(user, self.campaign.programme.owner.path),
        }
