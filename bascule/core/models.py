"""What every business model shares, and the record of background work (TaskRun)."""

from __future__ import annotations

import re
import uuid
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from bascule.core.fields import BoundedTextField
from bascule.core.system import Actor

# Control characters (line breaks, tabs, NUL, C1) and the Unicode line and paragraph separators
CONTROL_CHARACTERS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
SINGLE_LINE = "Une seule ligne : ni retour à la ligne, ni tabulation, ni caractère de contrôle."


class SingleLineFields(models.Model):
    """A CharField is one line (a name, a code, a site): line breaks and control characters are refused by
    full_clean() — the path of every form, service and import — with a French message. Multi-line text is a
    TextField (BoundedTextField), which this leaves alone."""

    class Meta:
        abstract = True

    def clean_fields(self, exclude: Any = None) -> None:
        errors: dict[str, Any] = {}
        try:
            super().clean_fields(exclude=exclude)
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
        for field in self._meta.concrete_fields:
            if not isinstance(field, models.CharField) or (exclude and field.name in exclude):
                continue
            value = getattr(self, field.attname)
            if isinstance(value, str) and CONTROL_CHARACTERS.search(value):
                errors.setdefault(field.name, []).append(
                    ValidationError(SINGLE_LINE, code="control_characters")
                )
        if errors:
            raise ValidationError(errors)


class BaseModel(SingleLineFields):
    """A UUID public id (the one in URLs and the API) and creation / update instants."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    created_at = models.DateTimeField("créé le", default=timezone.now, editable=False)
    updated_at = models.DateTimeField("modifié le", auto_now=True)

    class Meta:
        abstract = True


class VersionedModel(BaseModel):
    """Optimistic locking: every write through a service checks then increments `version`."""

    version = models.PositiveIntegerField("version", default=1, editable=False)

    class Meta:
        abstract = True


class TaskRunQuerySet(models.QuerySet["TaskRun"]):
    def visible_to(self, user: Actor) -> TaskRunQuerySet:
        """A run is seen by whoever started it (and superusers)."""
        if not user.is_authenticated:
            return self.none()
        if user.is_superuser:
            return self
        return self.filter(owner_id=user.pk)


class TaskRun(BaseModel):
    """One run of a background job (import, report, polling…) with its progress and its result."""

    no_history = "a run is the record of itself: its worker rewrites its progress many times; what it changes in the business is historised by the services it calls"

    class Status(models.TextChoices):
        PENDING = "pending", "En attente"
        RUNNING = "running", "En cours"
        SUCCEEDED = "succeeded", "Terminée"
        FAILED = "failed", "En échec"

    kind = models.CharField("type de traitement", max_length=100)
    label = models.CharField("libellé", max_length=255)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="task_runs",
        verbose_name="demandé par",
    )
    params: models.JSONField[dict[str, Any], dict[str, Any]] = models.JSONField("paramètres", default=dict)
    input_file = models.FileField("fichier", upload_to="task_inputs/%Y/%m/", blank=True)
    output_file = models.FileField("document produit", upload_to="task_outputs/%Y/%m/", blank=True)
    status = models.CharField("état", max_length=20, choices=Status.choices, default=Status.PENDING)
    progress = models.PositiveSmallIntegerField("avancement (%)", default=0)
    message = models.CharField("étape", max_length=255, blank=True)
    result: models.JSONField[dict[str, Any], dict[str, Any]] = models.JSONField("résultat", default=dict)
    error = BoundedTextField("erreur", blank=True)
    started_at = models.DateTimeField("démarrée le", null=True, blank=True)
    finished_at = models.DateTimeField("terminée le", null=True, blank=True)
    # Which worker process runs it: a run whose worker stopped beating is interrupted (services.taskrun_reap)
    worker_id = models.CharField("worker", max_length=64, blank=True, editable=False)

    objects = TaskRunQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "traitement"
        verbose_name_plural = "traitements"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(progress__lte=100), name="taskrun_progress_at_most_100"
            ),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def is_finished(self) -> bool:
        return self.status in {self.Status.SUCCEEDED, self.Status.FAILED}

    @property
    def was_interrupted(self) -> bool:
        """Failed because the process running it stopped (not because of its input): it may run again."""
        return self.status == self.Status.FAILED and bool(self.params.get("interrupted"))

    def get_abilities(self, user: Actor) -> dict[str, bool]:
        view = user.is_authenticated and (user.is_superuser or self.owner_id == user.pk)
        return {
            "view": view,
            "restart": view and self.was_interrupted and not self.params.get("restarted_as"),
        }


class WorkerHeartbeat(models.Model):
    """The last sign of life of each background worker (read by /healthz)."""

    no_history = "technical: a worker's last sign of life, overwritten every few seconds"

    worker_id = models.CharField("worker", max_length=64, primary_key=True)
    last_seen = models.DateTimeField("dernier signe de vie", db_index=True)
    pid = models.PositiveIntegerField("processus", null=True, blank=True)

    class Meta:
        verbose_name = "worker"

    def __str__(self) -> str:
        return f"{self.worker_id} ({self.last_seen:%d/%m/%Y %H:%M:%S})"


class PeriodicRun(models.Model):
    """When each periodic job last ran, and how it ended (one row per job; the row lock keeps one runner)."""

    no_history = "technical: when a periodic job last ran, overwritten at each run"

    name = models.CharField("tâche", max_length=100, primary_key=True)
    last_started_at = models.DateTimeField("dernier lancement", null=True, blank=True)
    last_finished_at = models.DateTimeField("dernière fin", null=True, blank=True)
    last_result = BoundedTextField("dernier résultat", blank=True, max_length=2000)
    last_error = BoundedTextField("dernière erreur", blank=True, max_length=2000)

    class Meta:
        verbose_name = "tâche périodique"

    def __str__(self) -> str:
        return self.name
