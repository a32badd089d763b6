"""Data takeover: saved header mappings per source, runs (immutable once finished), their per-centre figures, and
the manual re-keying of the lines the target could not load.

A `TakeoverRun` belongs to one structure (a region, or the nation for a national run): whoever reads that structure
reads the run, whoever writes it launches runs and follows the re-keying. Its input files are kept (with their
SHA-256) next to the anomalies and differences it wrote as Parquet; the database holds the summary (`summary`, the
CLI's JSON) and one `RunCentre` row per financial centre, what lists and dashboards read.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from bascule.core.access import can_read_path, can_write_path, visible_q
from bascule.core.fields import BoundedTextField
from bascule.core.models import BaseModel, VersionedModel
from bascule.core.system import Actor
from bascule.organisation.models import Structure


class HeaderMappingQuerySet(models.QuerySet["HeaderMapping"]):
    def visible_to(self, user: Actor) -> HeaderMappingQuerySet:
        return self.filter(visible_q(user, "structure__path"))


class HeaderMapping(VersionedModel):
    """How one source application names the columns (« Montant EJ » is « Montant engagé » there)."""

    structure = models.ForeignKey(
        Structure, on_delete=models.PROTECT, related_name="+", verbose_name="structure"
    )
    name = models.CharField("source", max_length=120)
    lines = BoundedTextField(
        "correspondances",
        max_length=4000,
        help_text="Une ligne par colonne : « En-tête de la source = En-tête attendu », par exemple "
        "« Montant EJ = Montant engagé ».",
    )

    objects = HeaderMappingQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        verbose_name = "correspondance d'en-têtes"
        verbose_name_plural = "correspondances d'en-têtes"
        constraints = [
            models.UniqueConstraint(
                fields=["structure", "name"],
                name="reprise_mapping_unique_name",
                violation_error_message="Cette structure a déjà une correspondance de ce nom.",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def as_dict(self) -> dict[str, str]:
        pairs = (line.split("=", 1) for line in self.lines.splitlines() if "=" in line)
        return {
            source.strip(): target.strip() for source, target in pairs if source.strip() and target.strip()
        }

    def get_abilities(self, user: Actor) -> dict[str, bool]:
        return {
            "view": can_read_path(user, self.structure.path),
            "change": can_write_path(user, self.structure.path),
        }


class Kind(models.TextChoices):
    SIMULATION = "simulation", "Simulation (rien n'est marqué comme repris)"
    MIGRATION = "migration", "Reprise"
    DELTA = "delta", "Delta (lignes modifiées depuis la précédente exécution)"


class RunStatus(models.TextChoices):
    PENDING = "pending", "En attente"
    RUNNING = "running", "En cours"
    SUCCEEDED = "succeeded", "Terminée"
    FAILED = "failed", "En échec"


class RunQuerySet(models.QuerySet["TakeoverRun"]):
    def visible_to(self, user: Actor) -> RunQuerySet:
        return self.filter(visible_q(user, "structure__path"))


def _input_path(run: TakeoverRun, filename: str) -> str:
    return f"reprise/{run.pk}/{filename}"


class TakeoverRun(BaseModel):
    """One run of the takeover engine over a structure's extracts; immutable once finished."""

    Status = RunStatus

    structure = models.ForeignKey(
        Structure, on_delete=models.PROTECT, related_name="takeover_runs", verbose_name="structure"
    )
    kind = models.CharField("type d'exécution", max_length=20, choices=Kind.choices, default=Kind.SIMULATION)
    status = models.CharField("état", max_length=20, choices=Status.choices, default=Status.PENDING)
    launched_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="lancée par",
    )
    launched_by_name = models.CharField("lancée par (nom)", max_length=255, blank=True)
    header_mapping = models.ForeignKey(
        HeaderMapping,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="correspondance d'en-têtes",
    )
    cutoff = models.DateField("date de bascule", null=True, blank=True)
    since = models.DateField("modifiées après le", null=True, blank=True)
    previous = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name="précédente"
    )
    commitments = models.FileField("engagements", upload_to=_input_path, max_length=255)
    third_parties = models.FileField("tiers", upload_to=_input_path, max_length=255)
    target = models.FileField("ré-extraction de la cible", upload_to=_input_path, blank=True, max_length=255)
    reference = models.FileField("référentiel cible (ZIP)", upload_to=_input_path, blank=True, max_length=255)
    mappings = models.FileField(
        "correspondances de valeurs", upload_to=_input_path, blank=True, max_length=255
    )
    inputs: models.JSONField[dict[str, Any], dict[str, Any]] = models.JSONField(
        "fichiers lus (nom, SHA-256, octets)", default=dict, blank=True
    )
    summary: models.JSONField[dict[str, Any], dict[str, Any]] = models.JSONField(
        "synthèse", default=dict, blank=True
    )
    progress = models.PositiveSmallIntegerField("avancement (%)", default=0)
    message = models.CharField("étape", max_length=255, blank=True)
    error = BoundedTextField("erreur", blank=True, max_length=10_000)
    started_at = models.DateTimeField("démarrée le", null=True, blank=True)
    finished_at = models.DateTimeField("terminée le", null=True, blank=True)
    duration_ms = models.PositiveIntegerField("durée (ms)", null=True, blank=True)

    objects = RunQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "exécution de reprise"
        verbose_name_plural = "exécutions de reprise"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(progress__lte=100), name="reprise_run_progress_at_most_100"
            )
        ]

    def __str__(self) -> str:
        when = timezone.localtime(self.created_at)
        return f"{self.get_kind_display().split(' (')[0]} — {self.structure} — {when:%d/%m/%Y %H:%M}"

    @property
    def is_finished(self) -> bool:
        return self.status in {self.Status.SUCCEEDED, self.Status.FAILED}

    def get_abilities(self, user: Actor) -> dict[str, bool]:
        write = can_write_path(user, self.structure.path)
        return {"view": can_read_path(user, self.structure.path), "change": write, "rekey": write}


# A centre's figures, each with the engine's column it comes from (one list: the engine's results, the report's
# totals and the API read it).
CENTRE_FIGURES = {
    "source_lines": "source_lignes",
    "source_remaining": "source_reste",
    "in_scope_lines": "reprise_lignes",
    "in_scope_remaining": "reprise_reste",
    "excluded_lines": "exclue_lignes",
    "excluded_remaining": "exclue_reste",
    "blocked_lines": "bloquee_lignes",
    "blocked_remaining": "bloquee_reste",
    "target_lines": "cible_lignes",
    "target_remaining": "cible_reste",
}


class RunCentre(models.Model):
    """A run's figures for one financial centre (source = in scope + excluded + blocked, and the target)."""

    no_history = "a run's computed figures, written once by the engine (the run itself is historised)"

    run = models.ForeignKey(TakeoverRun, on_delete=models.CASCADE, related_name="centres")
    centre = models.CharField("centre financier", max_length=60)
    source_lines = models.PositiveIntegerField(default=0)
    source_remaining = models.BigIntegerField(default=0)  # cents
    in_scope_lines = models.PositiveIntegerField(default=0)
    in_scope_remaining = models.BigIntegerField(default=0)
    excluded_lines = models.PositiveIntegerField(default=0)
    excluded_remaining = models.BigIntegerField(default=0)
    blocked_lines = models.PositiveIntegerField(default=0)
    blocked_remaining = models.BigIntegerField(default=0)
    target_lines = models.PositiveIntegerField(null=True, blank=True)
    target_remaining = models.BigIntegerField(null=True, blank=True)
    anomalies: models.JSONField[dict[str, int], dict[str, int]] = models.JSONField(
        default=dict, blank=True
    )  # rule → lines

    class Meta:
        ordering = ["centre"]
        constraints = [models.UniqueConstraint(fields=["run", "centre"], name="reprise_centre_unique")]

    def __str__(self) -> str:
        return self.centre


class RekeyQuerySet(models.QuerySet["Rekey"]):
    def visible_to(self, user: Actor) -> RekeyQuerySet:
        return self.filter(visible_q(user, "run__structure__path"))


class Rekey(VersionedModel):
    """A line the target could not load, to re-key by hand in the new system; who did it and when."""

    run = models.ForeignKey(TakeoverRun, on_delete=models.CASCADE, related_name="rekeys")
    ej = models.CharField("N° EJ", max_length=60)
    poste = models.CharField("N° poste EJ", max_length=20)
    centre = models.CharField("centre financier", max_length=60)
    line = models.PositiveIntegerField("ligne du fichier source")
    remaining = models.BigIntegerField("reste à payer (centimes)")
    reason = models.CharField("motif", max_length=255)
    done = models.BooleanField("ressaisie", default=False)
    done_by = models.CharField("ressaisie par", max_length=255, blank=True)
    done_at = models.DateTimeField("ressaisie le", null=True, blank=True)
    target_number = models.CharField("N° dans la cible", max_length=60, blank=True)
    comment = models.CharField("commentaire", max_length=500, blank=True)

    objects = RekeyQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["centre", "ej", "poste"]
        verbose_name = "ligne à ressaisir"
        verbose_name_plural = "lignes à ressaisir"
        constraints = [models.UniqueConstraint(fields=["run", "ej", "poste"], name="reprise_rekey_unique")]

    def __str__(self) -> str:
        return f"EJ {self.ej} poste {self.poste}"

    def get_abilities(self, user: Actor) -> dict[str, bool]:
        return {"view": self.run.get_abilities(user)["view"], "change": self.run.get_abilities(user)["rekey"]}
