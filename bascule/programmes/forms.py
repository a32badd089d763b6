"""Forms of programme steering (DSFR); writes go through the services."""

from __future__ import annotations

from typing import Any

from django import forms
from dsfr.forms import DsfrBaseForm

from bascule.core.fields import SEARCH_MAX
from bascule.core.forms import DateInput, UploadField, VersionedModelForm
from bascule.core.forms import model_max_length as _max
from bascule.organisation.forms import StructureChoiceField
from bascule.organisation.geography import REGIONS
from bascule.organisation.models import Person, Structure, StructureKind
from bascule.programmes.models import (
    Action,
    Decision,
    DeliverableVersion,
    ItemKind,
    Programme,
    ProgrammeDocument,
    ProgressNote,
    Status,
    Wave,
    Workstream,
)
from bascule.programmes.selectors import NATIONAL
from bascule.programmes.services import ACTION_EDITABLE


class ActionForm(VersionedModelForm, DsfrBaseForm):
    class Meta:
        model = Action
        fields = list(ACTION_EDITABLE)
        widgets = {
            "title": forms.Textarea(attrs={"rows": 3}),
            "lead_text": forms.TextInput(),
            "deliverables_text": forms.Textarea(attrs={"rows": 2}),
        }
        help_texts = {
            "lead_text": "Tel qu'écrit, par exemple « DMAT/SDAT, en lien avec les SGAR » : les structures sont reconnues.",
            "deliverables_text": "Livrable et échéance en toutes lettres : « Guide publié d'ici fin 2022 », « T3 2023 »…",
        }

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The decisions the editor may see: a regional committee's decisions stay in its region.
        decisions = Decision.objects.visible_to(user).filter(programme=self.instance.programme)
        self.fields["decision"].queryset = decisions  # type: ignore[attr-defined]


class ProgressForm(DsfrBaseForm):
    on = forms.DateField(label="Date du point", widget=DateInput())
    status = forms.ChoiceField(label="État", choices=Status.choices)
    percent = forms.IntegerField(label="Avancement (%)", min_value=0, max_value=100, required=False)
    text = forms.CharField(
        label="Note",
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=_max(ProgressNote, "text"),
    )


class WorkstreamForm(VersionedModelForm, DsfrBaseForm):
    class Meta:
        model = Workstream
        fields = ["status", "percent", "note"]
        widgets = {"note": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)


class TemplateItemForm(DsfrBaseForm):
    kind = forms.ChoiceField(label="Type", choices=ItemKind.choices)
    name = forms.CharField(label="Intitulé", max_length=255)


class ActionFilterForm(DsfrBaseForm):
    q = forms.CharField(label="Rechercher", required=False, max_length=SEARCH_MAX)
    programme = forms.ChoiceField(label="Programme", required=False)
    wave = forms.ChoiceField(label="Vague", required=False)
    region = forms.ChoiceField(
        label="Région",
        choices=[
            ("", "Toutes"),
            (NATIONAL, "Actions nationales"),
            *sorted(REGIONS.items(), key=lambda i: i[1]),
        ],
        required=False,
    )
    workstream = forms.IntegerField(label="Chantier (numéro)", required=False, min_value=1)
    involving = forms.CharField(
        label="Pilote ou partenaire (code de structure)", required=False, max_length=SEARCH_MAX
    )
    status = forms.ChoiceField(label="État", choices=[("", "Tous"), *Status.choices], required=False)
    late = forms.BooleanField(label="En retard seulement", required=False)
    deadline_from = forms.DateField(label="Échéance à partir du", widget=DateInput(), required=False)
    deadline_to = forms.DateField(label="Échéance jusqu'au", widget=DateInput(), required=False)
    due_by = forms.DateField(
        label="Non terminées, à finir au plus tard le", widget=DateInput(), required=False
    )

    def __init__(self, *args: Any, programmes: list[Programme], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["programme"].choices = [("", "Tous"), *((p.code, str(p)) for p in programmes)]  # type: ignore[attr-defined]
        waves = Wave.objects.filter(programme__in=programmes).select_related("programme")
        self.fields["wave"].choices = [
            ("", "Toutes"),
            *((str(w.pk), f"{w.programme.code} — {w}") for w in waves),
        ]  # type: ignore[attr-defined]


class ActionPlanImportForm(DsfrBaseForm):
    programme = forms.ModelChoiceField(label="Programme", queryset=Programme.objects.none())
    reference_date = forms.DateField(
        label="Date de référence du plan",
        required=False,
        widget=DateInput(),
        help_text="Date de la revue ; sinon lue au-dessus de l'en-tête (« revue du 1er décembre 2011 ») ; sert à « Immédiat ».",
    )
    file = UploadField(label="Plan d'actions", help_text="XLSX, ODS ou CSV, 20 Mo au plus.")

    def __init__(self, *args: Any, programmes: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["programme"].queryset = programmes  # type: ignore[attr-defined]


class DepositForm(DsfrBaseForm):
    file = UploadField(label="Document", help_text="20 Mo au plus.", spreadsheet=False)
    comment = forms.CharField(
        label="Commentaire",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=_max(DeliverableVersion, "comment"),
    )


class DecisionForm(DsfrBaseForm):
    committee = forms.ChoiceField(label="Instance", choices=Decision.Committee.choices)
    taken_on = forms.DateField(label="Date", widget=DateInput())
    title = forms.CharField(label="Décision", max_length=255)
    text = forms.CharField(
        label="Détail",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=_max(Decision, "text"),
    )


class ActionCreateForm(DsfrBaseForm):
    programme = forms.ModelChoiceField(label="Programme", queryset=Programme.objects.none())
    structure = forms.ModelChoiceField(
        label="Région ou département",
        queryset=Structure.objects.none(),
        required=False,
        help_text="Vide : action nationale du programme (réservée à ceux qui modifient le programme).",
    )
    code = forms.CharField(label="N°", max_length=30, help_text="Par exemple 3-2 (irritant 3, action 2).")
    title = forms.CharField(
        label="Action", widget=forms.Textarea(attrs={"rows": 3}), max_length=_max(Action, "title")
    )
    lead_text = forms.CharField(
        label="Pilote",
        required=False,
        max_length=_max(Action, "lead_text"),
        help_text="Tel qu'écrit : « DMAT/SDAT, en lien avec les SGAR ».",
    )
    deliverables_text = forms.CharField(
        label="Livrables et échéances",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=_max(Action, "deliverables_text"),
    )

    decision = forms.ModelChoiceField(
        label="En réponse à la décision",
        queryset=Decision.objects.none(),
        required=False,
        help_text="Facultatif : la décision de comité que cette action met en œuvre.",
    )

    def __init__(self, *args: Any, programmes: Any, structures: Any, decisions: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["programme"].queryset = programmes  # type: ignore[attr-defined]
        self.fields["structure"].queryset = structures  # type: ignore[attr-defined]
        self.fields["decision"].queryset = decisions  # type: ignore[attr-defined]


# --- programme set-up -------------------------------------------------------------------------------------
class ProgrammeForm(VersionedModelForm, DsfrBaseForm):
    pilots = forms.ModelMultipleChoiceField(label="Pilotes", queryset=Person.objects.none(), required=False)
    standard_workstreams = forms.BooleanField(
        label="Partir des sept chantiers standard (jalons, livrables, prérequis)",
        required=False,
        initial=True,
    )

    class Meta:
        model = Programme
        fields = ["code", "name", "owner", "description", "reference_documents", "starts_on", "ends_on"]
        field_classes = {"owner": StructureChoiceField}
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "reference_documents": forms.Textarea(attrs={"rows": 3}),
            "starts_on": DateInput(),
            "ends_on": DateInput(),
        }

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = Structure.objects.editable_by(user).order_by("path")  # type: ignore[attr-defined]
        self.fields["pilots"].queryset = Person.objects.visible_to(user).order_by("last_name", "first_name")  # type: ignore[attr-defined]
        if not self.instance._state.adding:
            self.fields["pilots"].initial = list(self.instance.pilots.all())
            del self.fields["standard_workstreams"]  # a creation choice

    def values(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in (*(self._meta.fields or ()), "pilots")}


class ProgrammeCopyForm(DsfrBaseForm):
    code = forms.CharField(label="Code du nouveau programme", max_length=_max(Programme, "code"))
    name = forms.CharField(label="Nom", max_length=_max(Programme, "name"))
    owner = StructureChoiceField(label="Structure pilote", queryset=Structure.objects.none())

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = Structure.objects.editable_by(user).order_by("path")  # type: ignore[attr-defined]


class DocumentForm(DsfrBaseForm):
    title = forms.CharField(
        label="Titre",
        max_length=_max(ProgrammeDocument, "title"),
        help_text="Le même titre : une nouvelle version.",
    )
    upload = UploadField(label="Document", spreadsheet=False)
    comment = forms.CharField(
        label="Commentaire", required=False, max_length=_max(ProgrammeDocument, "comment")
    )


class WaveForm(VersionedModelForm, DsfrBaseForm):
    budget_text = forms.CharField(
        label="Programmes budgétaires",
        required=False,
        max_length=500,
        help_text="Codes séparés par des virgules : 354, 216, 723.",
    )
    structures = forms.ModelMultipleChoiceField(
        label="Structures choisies dans l'arbre", queryset=Structure.objects.none(), required=False
    )
    codes = forms.CharField(
        label="Ou leurs codes (colonne d'un tableur collée)",
        required=False,
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    codes_file = UploadField(
        label="Ou un tableur de codes (CSV, XLSX, ODS : colonne « Code »)", required=False
    )
    kinds = forms.MultipleChoiceField(
        label="Ou toutes les structures de ces types…", choices=StructureKind.choices, required=False
    )
    below = forms.ModelMultipleChoiceField(
        label="… sous ces structures (régions)", queryset=Structure.objects.none(), required=False
    )

    class Meta:
        model = Wave
        fields = ["name", "golive_date", "freeze_date", "scope"]
        widgets = {
            "golive_date": DateInput(),
            "freeze_date": DateInput(),
            "scope": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        visible = Structure.objects.visible_to(user).order_by("path")
        self.fields["structures"].queryset = visible  # type: ignore[attr-defined]
        roots = visible.filter(
            kind__in=[StructureKind.REGION, StructureKind.STATE, StructureKind.INTERMINISTERIAL]
        )
        self.fields["below"].queryset = roots  # type: ignore[attr-defined]
        if not self.instance._state.adding:
            del self.fields["golive_date"]  # moved by « Déplacer la vague »
            self.fields["structures"].initial = list(self.instance.structures.all())
            self.fields["budget_text"].initial = ", ".join(self.instance.budget_programmes)

    def values(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in (self._meta.fields or ()) if name in self.fields}


class WaveMoveForm(DsfrBaseForm):
    golive_date = forms.DateField(label="Nouvelle date de bascule", widget=DateInput())
    version = forms.IntegerField(widget=forms.HiddenInput)
    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)


class ItemScheduleForm(DsfrBaseForm):
    due_date = forms.DateField(label="Échéance", required=False, widget=DateInput())
    done_on = forms.DateField(label="Réalisé le", required=False, widget=DateInput())
    seen_due = forms.DateField(required=False, widget=forms.HiddenInput)
    seen_done = forms.DateField(required=False, widget=forms.HiddenInput)
