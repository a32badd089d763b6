"""Forms of surveys (DSFR); writes go through the services. The answer form itself is drawn from the questions
(`templates/surveys/_answer_fields.html`) and read by `answers.read_values`."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from dsfr.forms import DsfrBaseForm

from bascule.core.forms import DateInput, UploadField, VersionedModelForm
from bascule.core.forms import model_max_length as _max
from bascule.indicators.models import Indicator
from bascule.organisation.models import Structure, StructureKind
from bascule.programmes.models import Programme
from bascule.surveys.models import Kind, Question, Questionnaire, Section, Survey, Theme
from bascule.surveys.questionnaires import LABEL_MAX, LIST_MAX, QUESTIONNAIRE_FIELDS

LINES_MAX = LIST_MAX * (LABEL_MAX + 2)


class QuestionnaireForm(VersionedModelForm, DsfrBaseForm):
    programme = forms.ModelChoiceField(label="Programme", queryset=Programme.objects.none(), required=False)

    class Meta:
        model = Questionnaire
        fields = list(QUESTIONNAIRE_FIELDS)
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, programmes: list[Programme] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance._state.adding:
            self.fields["programme"].required = True
            self.fields["programme"].queryset = Programme.objects.filter(  # type: ignore[attr-defined]
                pk__in=[p.pk for p in programmes or []]
            )
        else:
            del self.fields["programme"]


class SectionForm(DsfrBaseForm):
    title = forms.CharField(label="Titre de la section", max_length=_max(Section, "title"))


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


class QuestionForm(DsfrBaseForm):
    """One question; lists (choices, table rows and columns) one per line."""

    section = forms.ModelChoiceField(label="Section", queryset=Section.objects.none())
    code = forms.CharField(
        label="Code", max_length=_max(Question, "code"), help_text="Ex. Q1 ; stable d'une édition à l'autre."
    )
    text = forms.CharField(label="Question", max_length=_max(Question, "text"))
    help = forms.CharField(label="Aide (facultatif)", max_length=_max(Question, "help"), required=False)
    kind = forms.ChoiceField(label="Type", choices=Kind.choices)
    required = forms.BooleanField(label="Réponse obligatoire", required=False)
    position = forms.IntegerField(label="Ordre dans la section", min_value=1, max_value=999, required=False)
    choices = forms.CharField(
        label="Choix (un par ligne)",
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=LINES_MAX,
        required=False,
    )
    other = forms.BooleanField(label="Proposer « Autre, précisez »", required=False)
    unit = forms.CharField(label="Unité", max_length=_max(Question, "unit"), required=False)
    minimum = forms.DecimalField(label="Minimum", max_digits=14, decimal_places=2, required=False)
    maximum = forms.DecimalField(label="Maximum", max_digits=14, decimal_places=2, required=False)
    rows = forms.CharField(
        label="Lignes du tableau (une par ligne)",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=LINES_MAX,
        required=False,
    )
    columns = forms.CharField(
        label="Colonnes du tableau (une par ligne)",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=LINES_MAX,
        required=False,
    )
    condition_on = forms.ModelChoiceField(
        label="Affichée seulement si la question", queryset=Question.objects.none(), required=False
    )
    condition_value = forms.CharField(
        label="… vaut (oui, non, ou l'un de ses choix)",
        max_length=_max(Question, "condition_value"),
        required=False,
    )
    indicator = forms.ModelChoiceField(
        label="Alimente l'indicateur (question « Nombre »)", queryset=Indicator.objects.none(), required=False
    )
    coverage_of = forms.ModelChoiceField(
        label="Base de la mesure : la réponse à la question", queryset=Question.objects.none(), required=False
    )

    def __init__(
        self, *args: Any, questionnaire: Questionnaire, question: Question | None = None, **kwargs: Any
    ) -> None:
        if question is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "section": question.section_id,
                "code": question.code,
                "text": question.text,
                "help": question.help,
                "kind": question.kind,
                "required": question.required,
                "position": question.position,
                "choices": "\n".join(question.choices),
                "other": question.other,
                "unit": question.unit,
                "minimum": question.minimum,
                "maximum": question.maximum,
                "rows": "\n".join(question.rows),
                "columns": "\n".join(question.columns),
                "condition_on": question.condition_on_id,
                "condition_value": question.condition_value,
                "indicator": question.indicator_id,
                "coverage_of": question.coverage_of_id,
            }
        super().__init__(*args, **kwargs)
        others = questionnaire.questions.order_by("section__position", "position")
        if question is not None:
            others = others.exclude(pk=question.pk)
        sections = questionnaire.sections.order_by("position")
        self.fields["section"].queryset = sections  # type: ignore[attr-defined]
        self.fields["section"].empty_label = None  # type: ignore[attr-defined]
        if question is None:
            self.fields["section"].initial = sections.values_list(
                "pk", flat=True
            ).last()  # the latest section
        self.fields["condition_on"].queryset = others  # type: ignore[attr-defined]
        self.fields["coverage_of"].queryset = others.filter(kind=Kind.NUMBER)  # type: ignore[attr-defined]
        self.fields["indicator"].queryset = Indicator.objects.filter(  # type: ignore[attr-defined]
            programme=questionnaire.programme
        ).order_by("code")

    def values(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        for name in ("choices", "rows", "columns"):
            data[name] = _lines(data.get(name) or "")
        if data.get("position") is None:
            data.pop("position", None)
        for name in ("help", "unit", "condition_value"):
            data[name] = data.get(name) or ""
        return data


class SurveyForm(VersionedModelForm, DsfrBaseForm):
    """A survey's recipients (a perimeter and kinds) and calendar (open, reminders, close)."""

    kinds = forms.MultipleChoiceField(
        label="Types de structures interrogées",
        choices=StructureKind.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    reminders = forms.CharField(
        label="Relances (dates JJ/MM/AAAA, une par ligne)",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=200,
        required=False,
    )

    class Meta:
        model = Survey
        fields = ["title", "message", "root", "opens_on", "closes_on"]
        widgets = {
            "message": forms.Textarea(attrs={"rows": 3}),
            "opens_on": DateInput(),
            "closes_on": DateInput(),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["root"].queryset = Structure.objects.exclude(  # type: ignore[attr-defined]
            kind__in=[StructureKind.SERVICE, StructureKind.BUREAU]
        ).order_by("path")
        self.fields["root"].label_from_instance = lambda s: f"{'  ' * s.depth}{s.code} — {s.name}"  # type: ignore[attr-defined]
        if not self.instance._state.adding:
            self.fields["kinds"].initial = self.instance.kinds
            self.fields["reminders"].initial = "\n".join(
                date.fromisoformat(d).strftime("%d/%m/%Y") for d in self.instance.reminders_on
            )

    def clean_reminders(self) -> list[str]:
        from bascule.core.parsing import parse_date

        days = []
        for line in _lines(self.cleaned_data.get("reminders") or ""):
            try:
                day = parse_date(line)
            except ValueError as exc:
                raise forms.ValidationError(f"« {line[:20]} » : {exc}") from exc
            if day is not None:
                days.append(day.isoformat())
        return days

    def values(self) -> dict[str, Any]:
        data = {name: self.cleaned_data[name] for name in self._meta.fields or ()}
        data["kinds"] = list(self.cleaned_data["kinds"])
        data["reminders_on"] = self.cleaned_data["reminders"]
        return data


class ReopenForm(DsfrBaseForm):
    reason = forms.CharField(label="Pourquoi la rouvrir (dit à la structure)", max_length=300)


class ThemeForm(DsfrBaseForm):
    name = forms.CharField(label="Nouveau thème", max_length=_max(Theme, "name"))


class AnswerImportForm(DsfrBaseForm):
    file = UploadField(
        label="Réponses collectées",
        help_text="XLSX, ODS ou CSV : les colonnes de l'export des réponses, une ligne par structure.",
    )
