"""Forms of training (DSFR); writes go through the services. Dates and half-days are typed as people write them
(one per line, ranges « 01/12/2026 au 12/12/2026 », « 03/12/2026 matin ») and read by `problem.read_*`."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from dsfr.forms import DsfrBaseForm

from bascule.core.forms import DateInput, UploadField, VersionedModelForm, version_field
from bascule.core.forms import model_max_length as _max
from bascule.organisation.models import Person, Structure
from bascule.programmes.models import Programme, Wave
from bascule.training import problem as p
from bascule.training.models import Course, Room, Session, Trainee, Trainer, TrainingPlan
from bascule.training.preparation import COURSE_FIELDS, PLAN_FIELDS, PROFILE_MAX, PROFILES_MAX, ROOM_FIELDS

LINES_MAX = 4000  # a textarea of dates or half-days


class TraineeImportForm(DsfrBaseForm):
    file = UploadField(label="Stagiaires", help_text="XLSX, ODS ou CSV : une ligne par personne à former.")


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


class CourseForm(VersionedModelForm, DsfrBaseForm):
    profiles = forms.CharField(
        label="Profils concernés (un par ligne)",
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=PROFILES_MAX * (PROFILE_MAX + 2),
    )
    prerequisites = forms.ModelMultipleChoiceField(
        label="Prérequis",
        queryset=Course.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Course
        fields = list(COURSE_FIELDS)

    def __init__(self, *args: Any, programme: Programme, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        others = Course.objects.filter(programme=programme).exclude(pk=self.instance.pk)
        self.fields["prerequisites"].queryset = others  # type: ignore[attr-defined]
        if not self.instance._state.adding:
            self.initial["profiles"] = "\n".join(self.instance.profiles)
            self.initial["prerequisites"] = list(self.instance.prerequisites.all())

    def clean_profiles(self) -> list[str]:
        return _lines(self.cleaned_data["profiles"])


class PlanForm(VersionedModelForm, DsfrBaseForm):
    programme = forms.ModelChoiceField(label="Programme", queryset=Programme.objects.none())
    region = forms.ModelChoiceField(label="Région", queryset=Structure.objects.none())
    wave = forms.ModelChoiceField(
        label="Vague (sa date de bascule est la limite)", queryset=Wave.objects.none()
    )

    class Meta:
        model = TrainingPlan
        fields = list(PLAN_FIELDS)
        widgets = {name: DateInput() for name in PLAN_FIELDS}

    def __init__(self, *args: Any, regions: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance._state.adding:
            programmes = Programme.objects.all()
            self.fields["programme"].queryset = programmes  # type: ignore[attr-defined]
            self.fields["region"].queryset = regions  # type: ignore[attr-defined]
            self.fields["wave"].queryset = Wave.objects.filter(  # type: ignore[attr-defined]
                programme__in=programmes
            ).select_related("programme")
        else:
            for name in ("programme", "region", "wave"):
                del self.fields[name]


class RoomForm(VersionedModelForm, DsfrBaseForm):
    unavailable = forms.CharField(
        label="Indisponible les (une date ou une période « du … au … » par ligne)",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=LINES_MAX,
        required=False,
        help_text="Ex. 24/12/2026 au 02/01/2027",
    )

    class Meta:
        model = Room
        fields = list(ROOM_FIELDS)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.instance._state.adding:
            self.initial["unavailable"] = p.days_text(
                [date.fromisoformat(d) for d in self.instance.unavailable]
            )

    def clean_unavailable(self) -> list[str]:
        try:
            return [d.isoformat() for d in p.read_days(self.cleaned_data["unavailable"])]
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from exc


class TrainerForm(DsfrBaseForm):
    person = forms.ModelChoiceField(label="Formateur (rôle « Formateur »)", queryset=Person.objects.none())
    courses = forms.ModelMultipleChoiceField(
        label="Cours qu'il donne", queryset=Course.objects.none(), widget=forms.CheckboxSelectMultiple
    )
    available = forms.CharField(
        label="Disponible (un jour, une demi-journée ou une période par ligne)",
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=LINES_MAX,
        help_text="Ex. « 07/12/2026 au 18/12/2026 », « 21/12/2026 matin » : jours ouvrés, fériés exclus.",
    )
    city = forms.CharField(
        label="Site de rattachement (commune)", max_length=_max(Trainer, "city"), required=False
    )
    version = version_field()

    def __init__(
        self,
        *args: Any,
        plan: TrainingPlan,
        candidates: Any,
        holidays: frozenset[date],
        trainer: Trainer | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.holidays = holidays
        self.fields["courses"].queryset = Course.objects.filter(programme=plan.programme)  # type: ignore[attr-defined]
        if trainer is None:
            self.fields["person"].queryset = candidates  # type: ignore[attr-defined]
            del self.fields["version"]
        else:
            del self.fields["person"]
            self.initial.update(
                version=trainer.version,
                courses=list(trainer.courses.all()),
                available=p.half_days_text([p.HalfDay.parse(h) for h in trainer.available]),
                city=trainer.city,
            )

    def clean_available(self) -> list[p.HalfDay]:
        try:
            return p.read_half_days(self.cleaned_data["available"], self.holidays)
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from exc


class TraineeForm(DsfrBaseForm):
    """A trainee of the census: from the referential (a person) or by name and e-mail; exemptions with a reason."""

    person = forms.ModelChoiceField(
        label="Agent du référentiel (ou nom et courriel ci-dessous)",
        queryset=Person.objects.none(),
        required=False,
    )
    name = forms.CharField(label="Nom et prénom", max_length=_max(Trainee, "name"), required=False)
    email = forms.EmailField(label="Courriel", required=False)
    structure = forms.ModelChoiceField(label="Structure", queryset=Structure.objects.none())
    profile = forms.ChoiceField(label="Profil")
    city = forms.CharField(label="Commune", max_length=_max(Trainee, "city"))
    exempt = forms.ModelMultipleChoiceField(
        label="Dispensé de",
        queryset=Course.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    exemption_reason = forms.CharField(
        label="Motif de dispense", max_length=_max(Trainee, "exemption_reason"), required=False
    )
    version = version_field()

    def __init__(
        self,
        *args: Any,
        plan: TrainingPlan,
        people: Any,
        structures: Any,
        profiles: list[str],
        trainee: Trainee | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["structure"].queryset = structures  # type: ignore[attr-defined]
        self.fields["profile"].choices = [(x, x) for x in profiles]  # type: ignore[attr-defined]
        self.fields["exempt"].queryset = Course.objects.filter(programme=plan.programme)  # type: ignore[attr-defined]
        if trainee is None:
            self.fields["person"].queryset = people  # type: ignore[attr-defined]
            del self.fields["version"]
        else:
            for name in ("person", "name", "email"):
                del self.fields[name]
            self.initial.update(
                version=trainee.version,
                structure=trainee.structure_id,
                profile=trainee.profile,
                city=trainee.city,
                exempt=list(trainee.exempt.all()),
                exemption_reason=trainee.exemption_reason,
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if (
            "person" in self.fields
            and not data.get("person")
            and not (data.get("name") and data.get("email"))
        ):
            raise forms.ValidationError(
                "Choisissez un agent du référentiel, ou donnez un nom et un courriel."
            )
        return data


class SessionForm(DsfrBaseForm):
    room = forms.ModelChoiceField(label="Salle", queryset=Room.objects.none())
    trainer = forms.ModelChoiceField(label="Formateur", queryset=Trainer.objects.none())
    day = forms.DateField(label="Premier jour", widget=DateInput())
    part = forms.ChoiceField(label="À partir du", choices=[(p.AM, "matin"), (p.PM, "après-midi")])
    version = version_field()

    def __init__(self, *args: Any, session: Session, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["room"].queryset = Room.objects.filter(plan_id=session.plan_id)  # type: ignore[attr-defined]
        self.fields["trainer"].queryset = Trainer.objects.filter(  # type: ignore[attr-defined]
            plan_id=session.plan_id
        ).select_related("person")
        first = p.HalfDay.parse(session.half_days[0])
        self.initial.update(
            room=session.room_id,
            trainer=session.trainer_id,
            day=first.day,
            part=first.part,
            version=session.version,
        )


class CensusFilterForm(DsfrBaseForm):
    q = forms.CharField(label="Nom ou courriel", max_length=100, required=False)
    structure = forms.ModelChoiceField(
        label="Structure (et en dessous)", queryset=Structure.objects.none(), required=False
    )
    profile = forms.ChoiceField(label="Profil", required=False)
    exempt_only = forms.BooleanField(label="Seulement les dispensés", required=False)

    def __init__(self, *args: Any, structures: Any, profiles: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["structure"].queryset = structures  # type: ignore[attr-defined]
        self.fields["profile"].choices = [("", "Tous")] + [(x, x) for x in profiles]  # type: ignore[attr-defined]
