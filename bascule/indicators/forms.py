"""Forms of indicators (DSFR); writes go through the services."""

from __future__ import annotations

from typing import Any

from django import forms
from dsfr.forms import DsfrBaseForm

from bascule.core.forms import DateInput
from bascule.core.forms import model_max_length as _max
from bascule.indicators.models import Aggregation, Indicator, Measurement
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
