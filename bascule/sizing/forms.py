"""Forms of sizing (DSFR); writes go through the services."""

from __future__ import annotations

from typing import Any

from django import forms
from dsfr.forms import DsfrBaseForm

from bascule.core.forms import UploadField, VersionedModelForm
from bascule.core.forms import model_max_length as _max
from bascule.organisation.models import Structure, StructureKind
from bascule.programmes.models import Programme, Wave
from bascule.sizing.models import CostCategory, CostComparison, CostLine, Rounding, Sizing
from bascule.sizing.services import COMPARISON_FIELDS, PARAMETER_FIELDS


class SizingForm(VersionedModelForm, DsfrBaseForm):
    """The parameters of a sizing (on creation, its programme too)."""

    programme = forms.ModelChoiceField(label="Programme", queryset=Programme.objects.none(), required=False)

    class Meta:
        model = Sizing
        fields = list(PARAMETER_FIELDS)
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, programmes: list[Programme] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        ministries = Structure.objects.filter(kind=StructureKind.MINISTRY).order_by("code")
        self.fields["ministry_a"].queryset = ministries  # type: ignore[attr-defined]
        self.fields["ministry_b"].queryset = ministries  # type: ignore[attr-defined]
        if self.instance._state.adding:
            self.fields["programme"].required = True
            self.fields["programme"].queryset = Programme.objects.filter(  # type: ignore[attr-defined]
                pk__in=[p.pk for p in programmes or []]
            )
        else:
            del self.fields["programme"]


class ScenarioForm(DsfrBaseForm):
    name = forms.CharField(label="Nom du scénario", max_length=_max(Sizing, "name"))
    productivity_gain = forms.DecimalField(
        label="Gain de productivité (%)",
        initial=0,
        max_digits=6,
        decimal_places=2,
        min_value=-99,
        max_value=1000,
    )
    volume_growth = forms.DecimalField(
        label="Évolution des volumes (%)",
        initial=0,
        max_digits=6,
        decimal_places=2,
        min_value=-100,
        max_value=1000,
    )
    extra_antennas = forms.IntegerField(
        label="Antennes supplémentaires par centre", initial=0, min_value=0, max_value=20
    )
    payment_coefficient = forms.DecimalField(
        label="Coefficient par mandat",
        required=False,
        max_digits=8,
        decimal_places=4,
        min_value=0,
        help_text="Vide : celui du dimensionnement copié.",
    )
    rounding = forms.ChoiceField(
        label="Arrondi", choices=[("", "Celui du dimensionnement copié"), *Rounding.choices], required=False
    )

    def levers(self) -> dict[str, Any]:
        data = self.cleaned_data
        levers = {k: data[k] for k in ("productivity_gain", "volume_growth", "extra_antennas")}
        if data.get("payment_coefficient") is not None:
            levers["payment_coefficient"] = data["payment_coefficient"]
        if data.get("rounding"):
            levers["rounding"] = data["rounding"]
        return levers


class CentreInputForm(DsfrBaseForm):
    """One centre at one wave: host, antennas, and the volumes of the sizing's two ministries."""

    wave = forms.ModelChoiceField(label="Vague", queryset=Wave.objects.none())
    host = forms.CharField(label="Direction hôte", max_length=40, help_text="Sigle, par exemple DREAL.")
    antennas = forms.IntegerField(label="Antennes", min_value=0, max_value=50, initial=0)
    mandats_a = forms.IntegerField(label="Mandats par an", min_value=0, max_value=100_000_000)
    titres_a = forms.IntegerField(label="Titres par an", min_value=0, max_value=100_000_000)
    mandats_b = forms.IntegerField(label="Mandats par an", min_value=0, max_value=100_000_000)
    titres_b = forms.IntegerField(label="Titres par an", min_value=0, max_value=100_000_000)

    def __init__(self, *args: Any, sizing: Sizing, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["wave"].queryset = Wave.objects.filter(programme=sizing.programme).order_by(  # type: ignore[attr-defined]
            "golive_date"
        )
        for suffix, ministry in (("a", sizing.ministry_a), ("b", sizing.ministry_b)):
            self.fields[f"mandats_{suffix}"].label = f"Mandats par an — {ministry.code}"
            self.fields[f"titres_{suffix}"].label = f"Titres par an — {ministry.code}"


class ExceptionForm(DsfrBaseForm):
    reason = forms.CharField(
        label="Exception à la règle d'encadrement (motif)",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Vide : la règle s'applique (chef issu du ministère hôte, adjoint de l'autre).",
    )


class SizingImportForm(DsfrBaseForm):
    file = UploadField(label="Volumes des centres", help_text="XLSX, ODS ou CSV, 20 Mo au plus.")


class CostComparisonForm(VersionedModelForm, DsfrBaseForm):
    programme = forms.ModelChoiceField(label="Programme", queryset=Programme.objects.none(), required=False)

    class Meta:
        model = CostComparison
        fields = list(COMPARISON_FIELDS)
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args: Any, programmes: list[Programme] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance._state.adding:
            self.fields["programme"].required = True
            self.fields["programme"].queryset = Programme.objects.filter(  # type: ignore[attr-defined]
                pk__in=[p.pk for p in programmes or []]
            )
        else:
            del self.fields["programme"]


class CostLineForm(DsfrBaseForm):
    option = forms.CharField(label="Option", max_length=_max(CostLine, "option"))
    category = forms.ChoiceField(label="Nature", choices=CostCategory.choices)
    label = forms.CharField(label="Libellé", max_length=_max(CostLine, "label"))
    recurring = forms.BooleanField(label="Coût récurrent (chaque année)", required=False, initial=True)
    from_year = forms.IntegerField(label="Année (ou première année)", min_value=2000, max_value=2100)
    to_year = forms.IntegerField(
        label="Dernière année (récurrent)", required=False, min_value=2000, max_value=2100
    )
    amount = forms.DecimalField(
        label="Montant annuel (€)", initial=0, min_value=0, max_digits=14, decimal_places=2
    )
    days = forms.DecimalField(
        label="Jours-homme par an", initial=0, min_value=0, max_digits=10, decimal_places=2
    )
    daily_cost = forms.DecimalField(
        label="Coût journalier (€)", initial=0, min_value=0, max_digits=10, decimal_places=2
    )

    def values(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            k: data[k]
            for k in ("category", "recurring", "from_year", "to_year", "amount", "days", "daily_cost")
        }


class CostImportForm(DsfrBaseForm):
    file = UploadField(label="Lignes de coût", help_text="XLSX, ODS ou CSV (les colonnes de l'export).")
