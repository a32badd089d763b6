"""Forms of committees (DSFR); writes go through the services."""

from __future__ import annotations

from typing import Any

from django import forms
from dsfr.forms import DsfrBaseForm

from bascule.committees.models import Campaign, Committee, Meeting
from bascule.committees.services import MEETING_FIELDS
from bascule.core.forms import DateInput, VersionedModelForm
from bascule.core.forms import model_max_length as _max
from bascule.organisation.models import Structure
from bascule.programmes.models import Decision, Programme, Workstream


class MeetingForm(VersionedModelForm, DsfrBaseForm):
    """The meeting's own fields (programme and scope are chosen at creation, see MeetingCreateForm)."""

    class Meta:
        model = Meeting
        fields = list(MEETING_FIELDS)
        widgets = {"held_on": DateInput(), "minutes": forms.Textarea(attrs={"rows": 8})}


class MeetingCreateForm(DsfrBaseForm):
    programme = forms.ModelChoiceField(label="Programme", queryset=Programme.objects.none())
    scope = forms.ChoiceField(label="Périmètre du comité")
    committee = forms.ChoiceField(label="Instance", choices=Committee.choices)
    held_on = forms.DateField(label="Date", widget=DateInput())
    title = forms.CharField(label="Intitulé", max_length=_max(Meeting, "title"))
    location = forms.CharField(label="Lieu", required=False, max_length=_max(Meeting, "location"))

    def __init__(
        self, *args: Any, programmes: list[Programme], scopes: list[Structure | None], **kwargs: Any
    ):
        super().__init__(*args, **kwargs)
        self.fields["programme"].queryset = Programme.objects.filter(pk__in=[p.pk for p in programmes])
        self._scopes = {("national" if s is None else str(s.pk)): s for s in scopes}
        self.fields["scope"].choices = [
            (key, "National" if s is None else str(s)) for key, s in self._scopes.items()
        ]

    def values(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["structure"] = self._scopes[data.pop("scope")]
        return data


class AttendeesForm(DsfrBaseForm):
    people = forms.CharField(
        label="Participants (courriels, un par ligne)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=20_000,
    )
    structures = forms.CharField(
        label="Structures représentées (codes, séparés par des virgules ou des lignes)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=10_000,
    )


class AgendaItemForm(DsfrBaseForm):
    title = forms.CharField(label="Point", max_length=255)
    action_code = forms.CharField(label="N° d'action (facultatif)", required=False, max_length=30)
    workstream = forms.ModelChoiceField(
        label="Chantier régional (facultatif)", queryset=Workstream.objects.none(), required=False
    )

    def __init__(self, *args: Any, workstreams: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["workstream"]
        field.queryset = workstreams
        field.label_from_instance = lambda w: f"{w.template.number}. {w.template.name} — {w.structure.name}"


class MeetingDecisionForm(DsfrBaseForm):
    title = forms.CharField(label="Décision", max_length=_max(Decision, "title"))
    text = forms.CharField(
        label="Détail",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=_max(Decision, "text"),
    )
    owner_code = forms.CharField(
        label="Porteur (code de structure, facultatif)", required=False, max_length=100
    )
    due_on = forms.DateField(label="Échéance", required=False, widget=DateInput())


class FollowUpForm(DsfrBaseForm):
    follow_up = forms.ChoiceField(label="Suivi", choices=Decision.FollowUp.choices)
    outcome = forms.CharField(
        label="Suite donnée",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=_max(Decision, "outcome"),
    )


class CompareForm(DsfrBaseForm):
    other = forms.ChoiceField(label="Comparer avec le comité")

    def __init__(self, *args: Any, meetings: list[Meeting], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["other"].choices = [(str(m.pk), str(m)) for m in meetings]


class CampaignForm(DsfrBaseForm):
    programme = forms.ModelChoiceField(label="Programme", queryset=Programme.objects.none())
    meeting = forms.ModelChoiceField(
        label="Avant le comité (facultatif)", queryset=Meeting.objects.none(), required=False
    )
    title = forms.CharField(label="Intitulé", max_length=_max(Campaign, "title"))
    due_on = forms.DateField(label="Réponse attendue le", widget=DateInput())
    message = forms.CharField(
        label="Message aux régions",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=_max(Campaign, "message"),
    )
    reminder_days = forms.IntegerField(
        label="Relancer tous les (jours)", min_value=1, max_value=30, initial=3
    )
    only_open_actions = forms.BooleanField(
        label="Actions non terminées seulement", required=False, initial=True
    )
    only_late_actions = forms.BooleanField(label="Actions en retard seulement", required=False)
    workstream_number = forms.IntegerField(
        label="Chantier (numéro, facultatif)", required=False, min_value=1, max_value=99
    )

    def __init__(self, *args: Any, programmes: list[Programme], **kwargs: Any):
        super().__init__(*args, **kwargs)
        ids = [p.pk for p in programmes]
        self.fields["programme"].queryset = Programme.objects.filter(pk__in=ids).order_by("code")
        self.fields["meeting"].queryset = Meeting.objects.filter(programme__in=ids, structure__isnull=True)


class ReviewForm(DsfrBaseForm):
    accept = forms.ChoiceField(
        label="Décision", choices=[("1", "Valider"), ("0", "Renvoyer pour compléments")]
    )
    comment = forms.CharField(label="Ce qui manque", required=False, max_length=2000)
