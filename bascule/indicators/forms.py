"""Forms of indicators (DSFR); writes go through the services."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from dsfr.forms import DsfrBaseForm

from bascule.core.forms import DateInput, VersionedModelForm, version_field
from bascule.core.forms import model_max_length as _max
from bascule.indicators.models import Aggregation, Indicator, Measurement
from bascule.indicators.services import INDICATOR_FIELDS
from bascule.organisation.models import Structure, StructureKind
from bascule.programmes.models import Programme


class IndicatorForm(DsfrBaseForm):
    programme = forms.ModelChoiceField(label="Programme", queryset=Programme.objects.none())
    code = forms.CharField(label="Code", max_length=_max(Indicator, "code"))
    name = forms.CharField(label="Intitulé", max_length=_max(Indicator, "name"))
    description = forms.CharField(
        label="Définition", required=False, widget=forms.Textarea(attrs={"rows": 3}), max_length=4000
    )
    unit = forms.CharField(label="Unité", required=False, max_length=_max(Indicator, "unit"))
    aggregation = forms.ChoiceField(label="Consolidation", choices=Aggregation.choices)
    target_value = forms.DecimalField(label="Cible", required=False, max_digits=14, decimal_places=2)
    target_date = forms.DateField(label="Date de la cible", required=False, widget=DateInput())
    expected_kind = forms.ChoiceField(
        label="Répondants attendus", choices=StructureKind.choices, initial=StructureKind.DEPARTMENT
    )

    def __init__(self, *args: Any, programmes: list[Programme], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["programme"].queryset = Programme.objects.filter(pk__in=[p.pk for p in programmes])


class IndicatorEditForm(VersionedModelForm, DsfrBaseForm):
    """The definition of an existing indicator (its programme does not change)."""

    class Meta:
        model = Indicator
        fields = list(INDICATOR_FIELDS)
        widgets = {"target_date": DateInput(), "description": forms.Textarea(attrs={"rows": 3})}


class LinkedActionsForm(DsfrBaseForm):
    version = version_field()
    codes = forms.CharField(
        label="N° des actions liées",
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Séparés par des virgules ou des espaces, par exemple « 2-1, 3-4 ». Vide : aucune action liée.",
    )

    def codes_list(self) -> list[str]:
        return [code for code in re.split(r"[\s,;]+", self.cleaned_data["codes"]) if code]


class MeasurementForm(DsfrBaseForm):
    structure = forms.ModelChoiceField(label="Structure", queryset=Structure.objects.none())
    measured_on = forms.DateField(label="Date", widget=DateInput())
    value = forms.DecimalField(label="Valeur", max_digits=14, decimal_places=2)
    coverage = forms.DecimalField(
        label="Base (pour un pourcentage pondéré)",
        required=False,
        max_digits=14,
        decimal_places=2,
        min_value=0,
    )
    source = forms.CharField(label="Source", required=False, max_length=_max(Measurement, "source"))

    def __init__(self, *args: Any, structures: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["structure"].queryset = structures
