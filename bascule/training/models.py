"""Training: curricula per programme, a regional training plan (census of trainees, rooms, trainers), and the
sessions the scheduler plans, with their seats and attendance.

A `TrainingPlan` is one region's training for one programme, towards one wave's go-live (the hard limit). Its census
lists the trainees (people of the referential, or added by import) with their profile and city; its rooms and
trainers are the resources; its sessions are planned by `bascule.training.solver`, then published (invitations),
then held (attendance). An absentee's seat is marked absent: the course goes back into their needs.
"""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from bascule.core.access import can_read_path, can_write_path, has_perimeter, visible_q
from bascule.core.models import BaseModel, VersionedModel
from bascule.core.system import Actor
from bascule.organisation.models import Person, Structure
from bascule.programmes.models import Programme, Wave


class City(BaseModel):
    """Where trainees and rooms are: the coordinates travel is measured from (great-circle distance)."""

    no_history = "reference data (communes and their coordinates), loaded with the product, not edited in it"

    name = models.CharField("commune", max_length=120, unique=True)
    latitude = models.DecimalField(
        "latitude",
        max_digits=8,
        decimal_places=5,
        validators=[MinValueValidator(Decimal(-90)), MaxValueValidator(Decimal(90))],
    )
    longitude = models.DecimalField(
        "longitude",
        max_digits=8,
        decimal_places=5,
        validators=[MinValueValidator(Decimal(-180)), MaxValueValidator(Decimal(180))],
    )

    class Meta:
        ordering = ["name"]
        verbose_name = "commune"

    def __str__(self) -> str:
        return self.name


class CourseQuerySet(models.QuerySet["Course"]):
    def visible_to(self, user: Actor) -> CourseQuerySet:
        return self if has_perimeter(user) else self.none()


class Course(VersionedModel):
    """One course of a programme's curriculum (step 1 fundamentals, 2 complex commitments, 3 the tool by profile)."""

    visible_to_everyone_in_a_perimeter = True

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="courses")
    code = models.CharField("code", max_length=20)
    title = models.CharField("intitulé", max_length=255)
    step = models.PositiveSmallIntegerField(
        "étape",
        choices=[
            (1, "1 — Fondamentaux"),
            (2, "2 — Engagements complexes et environnement"),
            (3, "3 — L'outil, par profil"),
        ],
    )
    duration_half_days = models.PositiveSmallIntegerField(
        "durée (demi-journées)", default=2, validators=[MinValueValidator(1), MaxValueValidator(10)]
    )
    capacity = models.PositiveSmallIntegerField(
        "places par session", default=12, validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    profiles = models.JSONField("profils concernés", default=list)
    prerequisites = models.ManyToManyField("self", symmetrical=False, blank=True, verbose_name="prérequis")
    workstations = models.BooleanField("salle équipée de postes", default=False)
    before_takeover = models.BooleanField(
        "avant le jalon de reprise des données",
        default=False,
        help_text="Les fondamentaux se suivent avant le jalon du chantier de reprise des données.",
    )

    history = HistoricalRecords(excluded_fields=["updated_at"], m2m_fields=[prerequisites])
    objects = CourseQuerySet.as_manager()

    class Meta:
        ordering = ["programme", "step", "code"]
        verbose_name = "cours"
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "code"],
                name="course_code_unique",
                violation_error_message="Ce code de cours existe déjà dans ce programme.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} — {self.title}"

    def get_abilities(self, user: Actor) -> dict[str, bool]:
        return {"view": has_perimeter(user), "change": can_write_path(user, self.programme.owner.path)}


class PlanQuerySet(models.QuerySet["TrainingPlan"]):
    def visible_to(self, user: Actor) -> PlanQuerySet:
        return self.filter(visible_q(user, "region__path"))


class TrainingPlan(VersionedModel):
    """One region's training for a programme, before a wave's go-live."""

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="training_plans")
    region = models.ForeignKey(
        Structure, on_delete=models.PROTECT, related_name="training_plans", verbose_name="région"
    )
    wave = models.ForeignKey(
        Wave, on_delete=models.PROTECT, related_name="training_plans", verbose_name="vague"
    )
    starts_on = models.DateField("formations à partir du")
    ends_on = models.DateField(
        "formations jusqu'au",
        null=True,
        blank=True,
        help_text="Vide : jusqu'à la veille de la bascule de la vague.",
    )
    census_closes_on = models.DateField("recensement clos le")
    takeover_on = models.DateField("jalon de reprise des données", null=True, blank=True)
    unscheduled = models.JSONField("non planifié", default=list, blank=True, editable=False)
    stats = models.JSONField("dernier calcul", default=dict, blank=True, editable=False)

    history = HistoricalRecords(excluded_fields=["updated_at"])
    objects = PlanQuerySet.as_manager()

    class Meta:
        ordering = ["programme", "region__code"]
        verbose_name = "plan de formation"
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "region", "wave"],
                name="training_plan_unique",
                violation_error_message="Cette région a déjà un plan de formation pour cette vague.",
            ),
        ]

    def __str__(self) -> str:
        return f"Formation {self.programme.code} — {self.region.name} — {self.wave.name}"

    def get_abilities(self, user: Actor) -> dict[str, bool]:
        write = can_write_path(user, self.region.path)
        return {"view": can_read_path(user, self.region.path), "change": write, "schedule": write}


class PlanPartQuerySet(models.QuerySet["models.Model"]):
    def visible_to(self, user: Actor) -> PlanPartQuerySet:
        return self.filter(visible_q(user, "plan__region__path"))


class _PlanPart:
    plan: TrainingPlan

    def get_abilities(self, user: Actor) -> dict[str, bool]:
        return self.plan.get_abilities(user)


class Trainee(_PlanPart, VersionedModel):
    """A person to train in the census (from the referential, or added by import), with their profile and city."""

    plan = models.ForeignKey(TrainingPlan, on_delete=models.CASCADE, related_name="trainees")
    person = models.ForeignKey(Person, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    name = models.CharField("nom", max_length=255)
    email = models.EmailField("courriel", blank=True)
    structure = models.ForeignKey(
        Structure, on_delete=models.PROTECT, related_name="+", verbose_name="structure"
    )
    profile = models.CharField("profil", max_length=40)
    city = models.CharField("commune", max_length=120)
    exempt = models.ManyToManyField(Course, blank=True, related_name="+", verbose_name="dispensé de")
    exemption_reason = models.CharField("motif de dispense", max_length=255, blank=True)

    history = HistoricalRecords(excluded_fields=["updated_at"], m2m_fields=[exempt])
    objects = PlanPartQuerySet.as_manager()

    class Meta:
        ordering = ["plan", "name"]
        verbose_name = "stagiaire"
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "email"],
                condition=~Q(email=""),
                name="trainee_once_per_plan",
                violation_error_message="Cette personne est déjà recensée dans ce plan.",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Room(_PlanPart, VersionedModel):
    plan = models.ForeignKey(TrainingPlan, on_delete=models.CASCADE, related_name="rooms")
    code = models.CharField("code", max_length=40)
    site = models.CharField("site", max_length=255)
    city = models.CharField("commune", max_length=120)
    capacity = models.PositiveSmallIntegerField(
        "places", validators=[MinValueValidator(1), MaxValueValidator(200)]
    )
    workstations = models.BooleanField("équipée de postes", default=False)
    unavailable = models.JSONField("indisponible les", default=list, blank=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])
    objects = PlanPartQuerySet.as_manager()

    class Meta:
        ordering = ["plan", "code"]
        verbose_name = "salle"
        constraints = [models.UniqueConstraint(fields=["plan", "code"], name="room_code_unique")]

    def __str__(self) -> str:
        return f"{self.code} ({self.city})"


class Trainer(_PlanPart, VersionedModel):
    plan = models.ForeignKey(TrainingPlan, on_delete=models.CASCADE, related_name="trainers")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+", verbose_name="formateur")
    courses = models.ManyToManyField(Course, related_name="+", verbose_name="cours qu'il donne")
    available = models.JSONField("disponible (demi-journées)", default=list, blank=True)
    city = models.CharField("site de rattachement", max_length=120, blank=True)

    history = HistoricalRecords(excluded_fields=["updated_at"], m2m_fields=[courses])
    objects = PlanPartQuerySet.as_manager()

    class Meta:
        ordering = ["plan", "person__last_name"]
        verbose_name = "formateur"
        constraints = [models.UniqueConstraint(fields=["plan", "person"], name="trainer_once_per_plan")]

    def __str__(self) -> str:
        return str(self.person)


class Session(_PlanPart, VersionedModel):
    """A planned session; once published, its trainees and trainer are invited (iCalendar, same UID on update)."""

    plan = models.ForeignKey(TrainingPlan, on_delete=models.CASCADE, related_name="sessions")
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="sessions")
    room = models.ForeignKey(Room, on_delete=models.PROTECT, related_name="sessions")
    trainer = models.ForeignKey(Trainer, on_delete=models.PROTECT, related_name="sessions")
    half_days = models.JSONField("demi-journées")
    starts_on = models.DateField("premier jour")
    published = models.BooleanField("publiée", default=False)
    cancelled = models.BooleanField("annulée", default=False)
    sequence = models.PositiveIntegerField("version de l'invitation", default=0)

    history = HistoricalRecords(excluded_fields=["updated_at"])
    objects = PlanPartQuerySet.as_manager()

    class Meta:
        ordering = ["plan", "starts_on", "room__code"]
        verbose_name = "session"

    def __str__(self) -> str:
        return f"{self.course.code} — {self.starts_on:%d/%m/%Y} — {self.room.code}"


class Seat(BaseModel):
    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="seats")
    trainee = models.ForeignKey(Trainee, on_delete=models.CASCADE, related_name="seats")
    attended = models.BooleanField("présent", null=True, blank=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["session", "trainee__name"]
        verbose_name = "place"
        constraints = [models.UniqueConstraint(fields=["session", "trainee"], name="seat_once")]

    def __str__(self) -> str:
        return f"{self.trainee} — {self.session}"
