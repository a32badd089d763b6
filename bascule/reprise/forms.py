"""Forms of the data takeover (DSFR): launching a run with its files, a saved header mapping, filtering
anomalies, recording a re-keyed line. Writes go through the services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.db.models import Q
from dsfr.forms import DsfrBaseForm

from bascule.core.access import editable_q
from bascule.core.forms import DateInput, UploadField, VersionedModelForm, version_field
from bascule.core.system import Actor
from bascule.organisation.models import Structure, StructureKind
from bascule.reprise.engine import BLOCKING, RULES, WARNING
from bascule.reprise.models import HeaderMapping, Kind

EXTRACTS = ".csv,.txt,.xlsx,.ods,.parquet"


def _upload(label: str, help_text: str, required: bool = True, accept: str = EXTRACTS) -> UploadField:
    return UploadField(
        label=label,
        help_text=help_text,
        required=required,
        spreadsheet=False,
        max_bytes=settings.BASCULE_TAKEOVER_MAX_BYTES,
        widget=forms.ClearableFileInput(attrs={"accept": accept}),
    )


def run_structures(user: Actor) -> Any:
    """Where the user may launch a run: the regions and the national level they write."""
    return (
        Structure.objects.filter(editable_q(user))
        .filter(Q(kind=StructureKind.REGION) | Q(parent__isnull=True))
        .order_by("path")
    )


class RunForm(DsfrBaseForm):
    structure = forms.ModelChoiceField(label="Structure", queryset=Structure.objects.none())
    kind = forms.ChoiceField(label="Type d'exécution", choices=Kind.choices, initial=Kind.SIMULATION)
    commitments = _upload("Engagements (lignes d'EJ)", "CSV (« ; » ou « , »), XLSX, ODS ou Parquet.")
    third_parties = _upload("Tiers", "Code tiers, SIRET, raison sociale, IBAN, BIC…")
    target = _upload(
        "Ré-extraction de la cible",
        "Facultatif : les lignes chargées dans le nouveau système, avec « N° EJ source », pour le rapprochement.",
        required=False,
    )
    reference = _upload(
        "Référentiel cible (ZIP)",
        "Facultatif : centres_financiers.csv, domaines_fonctionnels.csv, activites.csv, comptes_budgetaires.csv "
        "(colonnes Code;Libellé;Actif).",
        required=False,
        accept=".zip",
    )
    mappings = _upload(
        "Correspondances de valeurs",
        "Facultatif : Domaine;Valeur source;Valeur cible;Approuvé par.",
        required=False,
        accept=".csv,.txt",
    )
    header_mapping = forms.ModelChoiceField(
        label="Correspondance d'en-têtes de la source",
        queryset=HeaderMapping.objects.none(),
        required=False,
        empty_label="Aucune (en-têtes attendus et leurs variantes usuelles)",
    )
    cutoff = forms.DateField(
        label="Date de bascule",
        required=False,
        widget=DateInput(),
        help_text="Un EJ daté après cette date est signalé (R15).",
    )

    def __init__(self, *args: Any, user: Actor, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        structures = run_structures(user)
        self.fields["structure"].queryset = structures  # type: ignore[attr-defined]
        self.fields["header_mapping"].queryset = HeaderMapping.objects.filter(  # type: ignore[attr-defined]
            structure__in=structures
        ).select_related("structure")


class MappingForm(VersionedModelForm, DsfrBaseForm):
    class Meta:
        model = HeaderMapping
        fields = ["name", "lines"]
        widgets = {"lines": forms.Textarea(attrs={"rows": 6})}


class MappingCreateForm(MappingForm):
    structure = forms.ModelChoiceField(label="Structure", queryset=Structure.objects.none())

    class Meta(MappingForm.Meta):
        fields = ["structure", "name", "lines"]

    def __init__(self, *args: Any, user: Actor, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["structure"].queryset = run_structures(user)  # type: ignore[attr-defined]


class AnomalyFilterForm(DsfrBaseForm):
    regle = forms.ChoiceField(
        label="Règle",
        required=False,
        choices=[("", "Toutes"), ("LECTURE", "Rejet à la lecture")]
        + [(code, f"{code} — {label}") for code, (_, label) in RULES.items()],
    )
    gravite = forms.ChoiceField(
        label="Gravité",
        required=False,
        choices=[("", "Toutes"), (BLOCKING, "Bloquante"), (WARNING, "Avertissement")],
    )
    centre = forms.CharField(label="Centre financier", required=False, max_length=60)
    tiers = forms.CharField(label="Code tiers", required=False, max_length=60)
    texte = forms.CharField(label="Valeur ou message contenant", required=False, max_length=100)


class RekeyForm(DsfrBaseForm):
    version = version_field()
    target_number = forms.CharField(label="N° dans la cible", max_length=60, required=False)
    comment = forms.CharField(label="Commentaire", max_length=500, required=False)
    done = forms.BooleanField(label="Ressaisie", required=False, initial=True)
