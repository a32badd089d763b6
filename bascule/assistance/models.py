"""The support desk: tickets at three levels that follow the organisation, their messages and mail, anomalies.

A `Ticket` belongs to the requester's structure (`structure`: who reads it by perimeter) and is handled, at its
current `level`, by `handling_structure`: level 1 is the nearest structure above the requester holding proximity
referents (CFA, business referents), level 2 the support pole of the region, level 3 the programme's project team
(`routing.py`). Deadlines are instants computed in working hours (`deadlines.py`). The knowledge base is made of
`Article`s (question, sanitised answer, audience, validity, review) and the searches that found nothing.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from bascule.assistance.levels import LEVEL_ROLES, SUPPORT_ROLES, handles_level
from bascule.core.access import (
    can_read_path,
    can_write_path,
    has_perimeter,
    role_paths,
    visible_q,
)
from bascule.core.fields import BoundedTextField
from bascule.core.models import BaseModel, VersionedModel
from bascule.core.roles import Role
from bascule.core.system import Actor
from bascule.organisation.models import Person, ServiceKind, Structure
from bascule.programmes.models import PerimeterWideQuerySet, Programme, WorkstreamTemplate

__all__ = ["LEVEL_ROLES", "SUPPORT_ROLES", "handles_level"]  # from levels.py, importable here as before


class SupportPolicy(VersionedModel):
    """A programme's service levels: working hours, deadlines per level, warnings, escalation, mail caps."""

    visible_to_everyone_in_a_perimeter = True

    programme = models.OneToOneField(
        Programme, on_delete=models.CASCADE, related_name="support_policy", verbose_name="programme"
    )
    working_hours = models.CharField(
        "heures ouvrées",
        max_length=100,
        default="09:00-12:30, 13:30-17:00",
        help_text="Plages d'une journée ouvrée, par exemple « 09:00-12:30, 13:30-17:00 » (jours fériés exclus).",
    )
    first_response_1 = models.PositiveSmallIntegerField("1re réponse, niveau 1 (heures ouvrées)", default=4)
    resolution_1 = models.PositiveSmallIntegerField("résolution, niveau 1 (heures ouvrées)", default=14)
    first_response_2 = models.PositiveSmallIntegerField("1re réponse, niveau 2 (heures ouvrées)", default=7)
    resolution_2 = models.PositiveSmallIntegerField("résolution, niveau 2 (heures ouvrées)", default=21)
    first_response_3 = models.PositiveSmallIntegerField("1re réponse, niveau 3 (heures ouvrées)", default=14)
    resolution_3 = models.PositiveSmallIntegerField("résolution, niveau 3 (heures ouvrées)", default=70)
    warn_before = models.PositiveSmallIntegerField("avertir avant l'échéance (minutes ouvrées)", default=60)
    escalate_on_breach = models.BooleanField(
        "escalader au niveau supérieur après un dépassement", default=True
    )
    mail_cap_per_recipient = models.PositiveSmallIntegerField(
        "courriels automatiques par destinataire et par jour", default=20
    )
    mail_cap_per_ticket = models.PositiveSmallIntegerField(
        "courriels automatiques par ticket et par jour", default=10
    )

    history = HistoricalRecords(excluded_fields=["updated_at"])
    objects = PerimeterWideQuerySet.as_manager()

    class Meta:
        verbose_name = "niveaux de service"
        verbose_name_plural = "niveaux de service"

    def __str__(self) -> str:
        return f"Niveaux de service — {self.programme.code}"

    def hours(self, level: int) -> tuple[int, int]:
        """(first response, resolution) in working hours at `level`."""
        return getattr(self, f"first_response_{level}"), getattr(self, f"resolution_{level}")

    def get_abilities(self, user: Actor) -> dict[str, bool]:
        return {"view": has_perimeter(user), "change": can_write_path(user, self.programme.owner.path)}


class Channel(models.TextChoices):
    EMAIL = "email", "Courriel"
    PHONE = "phone", "Téléphone"
    WEB = "web", "Formulaire"


class Category(models.TextChoices):
    QUESTION = "question", "Question"
    INCIDENT = "incident", "Incident"
    ACCESS = "access", "Habilitation, accès"
    DATA = "data", "Données"
    OTHER = "other", "Autre"


class Priority(models.TextChoices):
    LOW = "low", "Basse"
    NORMAL = "normal", "Normale"
    HIGH = "high", "Haute"
    URGENT = "urgent", "Urgente"


class TicketStatus(models.TextChoices):
    NEW = "new", "Nouveau"
    ASSIGNED = "assigned", "Pris en charge"
    WAITING = "waiting", "En attente du demandeur"
    SOLVED = "solved", "Résolu"
    CLOSED = "closed", "Clos"


OPEN_STATUSES = (TicketStatus.NEW, TicketStatus.ASSIGNED, TicketStatus.WAITING)


class Level(models.IntegerChoices):
    PROXIMITY = 1, "Niveau 1 — proximité"
    SUPPORT_POLE = 2, "Niveau 2 — pôle de diffusion"
    PROJECT = 3, "Niveau 3 — équipe projet (MOA/MOE)"


class AnomalyStatus(models.TextChoices):
    OPEN = "open", "Signalée"
    ANALYSING = "analysing", "En analyse"
    FIXING = "fixing", "Correction en cours"
    FIXED = "fixed", "Corrigée"
    INFORMATION = "information", "Sans correction (information)"


class Anomaly(VersionedModel):
    """A defect passed to the project team, to which several tickets are linked; its changes are told to them."""

    visible_to_everyone_in_a_perimeter = True

    programme = models.ForeignKey(
        Programme, on_delete=models.CASCADE, related_name="anomalies", verbose_name="programme"
    )
    title = models.CharField("intitulé", max_length=255)
    description = BoundedTextField("description", blank=True, max_length=10_000)
    status = models.CharField(
        "état", max_length=20, choices=AnomalyStatus.choices, default=AnomalyStatus.OPEN
    )
    reference = models.CharField("référence chez le titulaire", max_length=60, blank=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])
    objects = PerimeterWideQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "anomalie"

    def __str__(self) -> str:
        return self.title

    def get_abilities(self, user: Actor) -> dict[str, bool]:
        change = handles_level(user, 3, self.programme.owner.path)
        return {"view": has_perimeter(user), "change": change}


class TicketQuerySet(models.QuerySet["Ticket"]):
    def visible_to(self, user: Actor) -> TicketQuerySet:
        """The requester's own tickets, those of the perimeter, and those handled by a structure of it."""
        if not user.is_authenticated:
            return self.none()
        condition = visible_q(user, "structure__path") | visible_q(user, "handling_structure__path")
        for prefix in role_paths(user, Role.SUPPORT_POLE_AGENT):  # a support pole sees its region's tickets
            condition |= Q(level2_structure__path__startswith=prefix)
        if user.pk is not None:
            condition |= Q(requester_user_id=user.pk)
        return self.filter(condition)

    def open(self) -> TicketQuerySet:
        return self.filter(status__in=OPEN_STATUSES)


class Ticket(VersionedModel):
    """A request for help, by e-mail, phone or form, answered at level 1, 2 or 3."""

    Status = TicketStatus

    number = models.CharField("numéro", max_length=20, unique=True, editable=False)
    programme = models.ForeignKey(
        Programme, on_delete=models.PROTECT, related_name="tickets", verbose_name="programme"
    )
    workstream = models.ForeignKey(
        WorkstreamTemplate,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tickets",
        verbose_name="chantier",
    )
    structure = models.ForeignKey(
        Structure, on_delete=models.PROTECT, related_name="tickets", verbose_name="structure du demandeur"
    )
    requester = models.ForeignKey(
        Person,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tickets",
        verbose_name="demandeur",
    )
    requester_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    requester_email = models.EmailField("courriel du demandeur", max_length=254, blank=True)
    requester_name = models.CharField("nom du demandeur", max_length=200, blank=True)
    channel = models.CharField("canal", max_length=10, choices=Channel.choices, default=Channel.WEB)
    category = models.CharField(
        "catégorie", max_length=20, choices=Category.choices, default=Category.QUESTION
    )
    # What the request is about (accounting, payroll…): level 2 goes to the structure serving the requester's for it.
    domain = models.CharField("domaine", max_length=20, choices=ServiceKind.choices, blank=True)
    priority = models.CharField("priorité", max_length=10, choices=Priority.choices, default=Priority.NORMAL)
    status = models.CharField("état", max_length=20, choices=TicketStatus.choices, default=TicketStatus.NEW)
    level = models.PositiveSmallIntegerField("niveau", choices=Level.choices, default=Level.PROXIMITY)
    max_level = models.PositiveSmallIntegerField("niveau le plus haut atteint", default=1)
    level1_structure = models.ForeignKey(
        Structure, on_delete=models.PROTECT, related_name="+", verbose_name="proximité (niveau 1)"
    )
    level2_structure = models.ForeignKey(
        Structure, on_delete=models.PROTECT, related_name="+", verbose_name="pôle de diffusion (niveau 2)"
    )
    handling_structure = models.ForeignKey(
        Structure, on_delete=models.PROTECT, related_name="+", verbose_name="traité par"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="attribué à",
    )
    subject = models.CharField("objet", max_length=255)
    anomaly = models.ForeignKey(
        Anomaly,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tickets",
        verbose_name="anomalie",
    )
    parent = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="followers",
        verbose_name="suite du ticket",
    )
    # Deadlines of the current level (instants), and what happened to them.
    first_response_due = models.DateTimeField("1re réponse attendue avant", null=True, blank=True)
    resolution_due = models.DateTimeField("résolution attendue avant", null=True, blank=True)
    first_response_at = models.DateTimeField("1re réponse le", null=True, blank=True)
    waiting_since = models.DateTimeField("en attente depuis", null=True, blank=True)
    warned_at = models.DateTimeField("avertissement envoyé le", null=True, blank=True)
    first_response_breached = models.BooleanField("1re réponse hors délai", default=False)
    resolution_breached = models.BooleanField("résolution hors délai", default=False)
    solved_at = models.DateTimeField("résolu le", null=True, blank=True)
    closed_at = models.DateTimeField("clos le", null=True, blank=True)
    solved_on_phone = models.BooleanField("résolu au téléphone", default=False)
    answered_by_article = models.ForeignKey(
        "assistance.Article",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="answered_tickets",
        verbose_name="résolu par l'article",
    )
    satisfaction = models.PositiveSmallIntegerField("satisfaction (1 à 5)", null=True, blank=True)
    search_document = BoundedTextField("texte indexé", blank=True, editable=False, max_length=60_000)

    history = HistoricalRecords(excluded_fields=["updated_at", "search_document"])
    objects = TicketQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "ticket"
        indexes = [
            models.Index(fields=["status", "level"], name="ticket_status_level"),
            models.Index(fields=["programme", "created_at"], name="ticket_programme_created"),
            # The list's order and the queue's (nearest deadline among open tickets): read from an index, not
            # sorted, at a million tickets (bench/support_scale.py).
            models.Index(fields=["-created_at", "-number"], name="ticket_newest"),
            models.Index(
                fields=["resolution_due"],
                name="ticket_open_due",
                condition=Q(status__in=["new", "assigned", "waiting"]),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(level__gte=1, level__lte=3),
                name="ticket_level_1_to_3",
                violation_error_message="Le niveau d'assistance est 1, 2 ou 3.",
            ),
            models.CheckConstraint(
                condition=Q(satisfaction__isnull=True) | Q(satisfaction__gte=1, satisfaction__lte=5),
                name="ticket_satisfaction_1_to_5",
                violation_error_message="La satisfaction se note de 1 à 5.",
            ),
            models.CheckConstraint(
                condition=~Q(requester_email="") | Q(requester__isnull=False),
                name="ticket_has_requester",
                violation_error_message="Un ticket a un demandeur : une personne ou un courriel.",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.number} {self.subject}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def is_requester(self, user: Actor) -> bool:
        return user.pk is not None and self.requester_user_id == user.pk

    def get_abilities(self, user: Actor) -> dict[str, bool]:
        read = (
            can_read_path(user, self.structure.path)
            or can_read_path(user, self.handling_structure.path)
            or self.is_requester(user)
            or any(
                self.level2_structure.path.startswith(p) for p in role_paths(user, Role.SUPPORT_POLE_AGENT)
            )
        )
        handle = read and handles_level(user, self.level, self.handling_structure.path)
        # Level 1 stays informed after an escalation: it follows the ticket and writes internal notes.
        level1 = read and handles_level(user, 1, self.level1_structure.path)
        requester = self.is_requester(user)
        return {
            "view": read,
            "handle": handle and self.is_open,
            # The requester hears from level 1 only: higher levels answer through it (answer_down).
            "reply": handle and self.is_open and self.level == Level.PROXIMITY,
            "note": (handle or level1) and self.status != TicketStatus.CLOSED,
            "escalate": handle and self.is_open and self.level < Level.PROJECT,
            "answer_down": handle and self.is_open and self.level > Level.PROXIMITY,
            "reopen": (handle or level1) and self.status == TicketStatus.SOLVED,
            # Closing twice would rewrite when it was solved and closed (resolution times, deadlines).
            "close": self.status != TicketStatus.CLOSED
            and (handle or requester or ((handle or level1) and self.status == TicketStatus.SOLVED)),
            "requester_reply": requester and self.status != TicketStatus.CLOSED,
            # Answered once, on the page as through the mailed link.
            "rate": requester
            and self.status in (TicketStatus.SOLVED, TicketStatus.CLOSED)
            and self.satisfaction is None,
            "to_article": (handle or level1) and self.status in (TicketStatus.SOLVED, TicketStatus.CLOSED),
            "link_anomaly": read and handles_level(user, 3, self.programme.owner.path),
        }


class MessageKind(models.TextChoices):
    INCOMING = "incoming", "Message du demandeur"
    REPLY = "reply", "Réponse au demandeur"
    NOTE = "note", "Note interne"
    DIAGNOSIS = "diagnosis", "Diagnostic d'escalade"
    ANSWER_DOWN = "answer_down", "Réponse à transmettre par le niveau 1"
    AUTOMATIC = "automatic", "Message automatique reçu"
    EVENT = "event", "Événement"


PUBLIC_KINDS = (MessageKind.INCOMING, MessageKind.REPLY, MessageKind.AUTOMATIC)


class TicketMessageQuerySet(models.QuerySet["TicketMessage"]):
    def visible_to(self, user: Actor) -> TicketMessageQuerySet:
        return self.filter(ticket__in=Ticket.objects.visible_to(user))


class TicketMessage(BaseModel):
    """One message of a ticket: the requester's, a reply, an internal note, a diagnosis; never rewritten."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="messages")
    kind = models.CharField("type", max_length=20, choices=MessageKind.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    author_name = models.CharField("auteur", max_length=255, blank=True)
    from_email = models.EmailField("de", max_length=254, blank=True)
    level = models.PositiveSmallIntegerField("niveau", default=1)
    body = BoundedTextField("texte", max_length=100_000)
    html = BoundedTextField("texte mis en forme (nettoyé)", blank=True, max_length=200_000)
    message_id = models.CharField("Message-ID", max_length=998, blank=True, db_index=True)
    mail_sent_at = models.DateTimeField("courriel parti le", null=True, blank=True)
    mail_error = models.CharField("courriel non parti", max_length=500, blank=True)

    objects = TicketMessageQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["created_at"]
        verbose_name = "message"

    def __str__(self) -> str:
        return f"{self.get_kind_display()} — {self.ticket.number}"

    @property
    def is_public(self) -> bool:
        return self.kind in PUBLIC_KINDS

    def get_abilities(self, user: Actor) -> dict[str, bool]:
        abilities = self.ticket.get_abilities(user)
        internal_reader = abilities["note"] or abilities["handle"] or not self.ticket.is_requester(user)
        return {"view": abilities["view"] and (self.is_public or internal_reader)}


def _attachment_path(attachment: Attachment, filename: str) -> str:
    return f"assistance/{attachment.message.ticket_id}/{attachment.pk}"


class AttachmentQuerySet(models.QuerySet["Attachment"]):
    def visible_to(self, user: Actor) -> AttachmentQuerySet:
        return self.filter(message__ticket__in=Ticket.objects.visible_to(user))


class Attachment(BaseModel):
    no_history = "a file as received, never changed; it goes only with its message"

    message = models.ForeignKey(TicketMessage, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField("fichier", upload_to=_attachment_path, max_length=255)
    filename = models.CharField("nom", max_length=255)
    content_type = models.CharField("type", max_length=255)
    size = models.PositiveIntegerField("taille (octets)")

    objects = AttachmentQuerySet.as_manager()

    class Meta:
        ordering = ["filename"]
        verbose_name = "pièce jointe"

    def __str__(self) -> str:
        return self.filename

    def get_abilities(self, user: Actor) -> dict[str, bool]:
        return self.message.get_abilities(user)


class MailboxQuerySet(models.QuerySet["Mailbox"]):
    def visible_to(self, user: Actor) -> MailboxQuerySet:
        return self.filter(visible_q(user, "structure__path"))


class Mailbox(VersionedModel):
    """An IMAP mailbox of a programme for a region (the project mailbox whose subject names the workstream)."""

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="mailboxes")
    structure = models.ForeignKey(
        Structure, on_delete=models.PROTECT, related_name="+", verbose_name="région (ou structure)"
    )
    address = models.EmailField("adresse de la boîte", max_length=254)
    host = models.CharField("serveur IMAP", max_length=255)
    port = models.PositiveIntegerField("port", default=993)
    use_ssl = models.BooleanField("IMAPS (TLS)", default=True)
    username = models.CharField("identifiant", max_length=255)
    password = models.CharField("mot de passe", max_length=255, blank=True)
    folder = models.CharField("dossier", max_length=255, default="INBOX")
    active = models.BooleanField("relevée", default=True)
    uidvalidity = models.BigIntegerField("UIDVALIDITY", null=True, blank=True, editable=False)
    last_uid = models.BigIntegerField("dernier UID traité", default=0, editable=False)
    last_polled_at = models.DateTimeField("dernière relève", null=True, blank=True, editable=False)
    last_error = models.CharField("dernière erreur", max_length=500, blank=True, editable=False)

    history = HistoricalRecords(excluded_fields=["updated_at", "password", "last_polled_at"])
    objects = MailboxQuerySet.as_manager()

    class Meta:
        ordering = ["address"]
        verbose_name = "boîte aux lettres"
        verbose_name_plural = "boîtes aux lettres"
        constraints = [
            models.UniqueConstraint(
                fields=["host", "username", "folder"],
                name="mailbox_unique",
                violation_error_message="Cette boîte est déjà relevée.",
            )
        ]

    def __str__(self) -> str:
        return self.address

    def get_abilities(self, user: Actor) -> dict[str, bool]:
        return {
            "view": can_read_path(user, self.structure.path),
            "change": can_write_path(user, self.structure.path),
        }


class InboundOutcome(models.TextChoices):
    NEW_TICKET = "new_ticket", "Nouveau ticket"
    THREADED = "threaded", "Ajouté au ticket"
    FOLLOW_UP = "follow_up", "Nouveau ticket lié (ticket clos)"
    AUTOMATIC = "automatic", "Message automatique (sans réponse)"
    OWN = "own", "Notre propre notification (ignorée)"
    REJECTED = "rejected", "Refusé"


class InboundMail(BaseModel):
    """Each message read from a mailbox, kept raw: the Message-ID is unique, so nothing becomes two tickets."""

    no_history = "the raw message as read from the mailbox, never changed (the intake log)"

    mailbox = models.ForeignKey(Mailbox, on_delete=models.CASCADE, related_name="inbound")
    uidvalidity = models.BigIntegerField()
    uid = models.BigIntegerField()
    message_id = models.CharField("Message-ID", max_length=998, unique=True)
    raw = models.FileField("message brut", upload_to="assistance/brut/%Y/%m/", max_length=255)
    outcome = models.CharField("issue", max_length=20, choices=InboundOutcome.choices)
    reason = models.CharField("motif", max_length=500, blank=True)
    ticket = models.ForeignKey(
        Ticket, on_delete=models.SET_NULL, null=True, blank=True, related_name="inbound"
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "courriel reçu"
        verbose_name_plural = "courriels reçus"

    def __str__(self) -> str:
        return self.message_id


class OutgoingMail(models.Model):
    """Each mail the desk sent (or did not): what caps count, and the Message-IDs that replies thread on."""

    no_history = "the log of mails sent, one row written once per mail"

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="outgoing")
    recipient = models.EmailField(max_length=254, db_index=True)
    kind = models.CharField(max_length=30)
    automatic = models.BooleanField(default=True)
    message_id = models.CharField(max_length=998, db_index=True)
    sent_at = models.DateTimeField(db_index=True)
    error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-sent_at"]

    def __str__(self) -> str:
        return f"{self.kind} → {self.recipient}"


class TicketCounter(models.Model):
    """The last ticket number given in a year (#2026-000123), taken under a row lock."""

    no_history = "technical: the last number given, taken under a row lock"

    year = models.PositiveSmallIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"


# Django loads an app's models from `models`: the knowledge base's models live in their own file.
from bascule.assistance.knowledge_models import (  # noqa: E402
    Article,
    ArticleQuerySet,
    Audience,
    Review,
    SearchMiss,
    writes_articles,
)

__all__ += ["Article", "ArticleQuerySet", "Audience", "Review", "SearchMiss", "writes_articles"]
