"""Forms of the organisation referential (DSFR rendering); writes go through the services."""

from __future__ import annotations

from typing import Any

from django import forms
from dsfr.forms import DsfrBaseForm

from bascule.core.fields import SEARCH_MAX
from bascule.core.forms import DateInput, UploadField, VersionedModelForm
from bascule.core.forms import model_max_length as _max
from bascule.core.system import Actor
from bascule.organisation.geography import DEPARTMENTS, REGIONS
from bascule.organisation.grants import grantable_roles, grantable_structures_q
from bascule.organisation.models import (
    Assignment,
    ContractVersion,
    Person,
    RoleDefinition,
    ServiceLink,
    Structure,
    StructureKind,
)
from bascule.organisation.ranks import role_choices
from bascule.organisation.services import (
    ASSIGNMENT_FIELDS,
    PERSON_FIELDS,
    STRUCTURE_FIELDS,
    STRUCTURE_POSITION_FIELDS,
)

REGION_CHOICES = [("", "—"), *sorted(REGIONS.items(), key=lambda item: item[1])]
DEPARTMENT_CHOICES = [("", "—"), *((code, f"{code} — {name}") for code, (name, _) in DEPARTMENTS.items())]


class StructureChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Structure) -> str:
        return f"{'· ' * obj.depth}{obj.code} — {obj.name}"


class StructureForm(VersionedModelForm, DsfrBaseForm):
    position_locked = False  # code, parent, region and department belong to the level above
    region = forms.ChoiceField(label="Région", choices=REGION_CHOICES, required=False)
    department = forms.ChoiceField(label="Département", choices=DEPARTMENT_CHOICES, required=False)

    class Meta:
        model = Structure
        fields = list(STRUCTURE_FIELDS)
        field_classes = {"parent": StructureChoiceField}
        widgets = {"valid_from": DateInput(), "valid_to": DateInput()}

    def __init__(self, *args: Any, user: Actor, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["parent"].queryset = Structure.objects.editable_by(user).order_by("path")  # type: ignore[attr-defined]
        self.fields["parent"].required = False
        if not self.instance._state.adding:
            # A structure cannot move under itself: its subtree is not offered.
            self.fields["parent"].queryset = self.fields["parent"].queryset.exclude(  # type: ignore[attr-defined]
                path__startswith=self.instance.path
            )
            if not self.instance.get_abilities(user)["reposition"]:
                self.position_locked = True
                for name in STRUCTURE_POSITION_FIELDS:
                    self.fields[name].disabled = True
                # The current parent stays displayable even when it is outside the editable perimeter.
                self.fields["parent"].queryset = Structure.objects.filter(pk=self.instance.parent_id)  # type: ignore[attr-defined]


class PersonForm(VersionedModelForm, DsfrBaseForm):
    class Meta:
        model = Person
        fields = list(PERSON_FIELDS)
        field_classes = {"structure": StructureChoiceField}

    def __init__(self, *args: Any, user: Actor, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["structure"].queryset = Structure.objects.editable_by(user).order_by("path")  # type: ignore[attr-defined]
        self.fields["ministry_of_origin"].queryset = Structure.objects.filter(  # type: ignore[attr-defined]
            kind=StructureKind.MINISTRY
        ).order_by("code")


class AssignmentForm(VersionedModelForm, DsfrBaseForm):
    role = forms.ChoiceField(label="Rôle")  # the catalogue's roles the author may grant (set below)

    class Meta:
        model = Assignment
        fields = list(ASSIGNMENT_FIELDS)
        field_classes = {"structure": StructureChoiceField}
        widgets = {"start_date": DateInput(), "end_date": DateInput()}
        help_texts = {
            "start_date": "Les nominations prennent souvent effet le 1er septembre ou le 1er janvier."
        }

    def __init__(self, *args: Any, user: Actor, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Only what the grant matrix lets the author give is offered; the service decides each (role, structure).
        self.fields["structure"].queryset = Structure.objects.filter(  # type: ignore[attr-defined]
            grantable_structures_q(user)
        ).order_by("path")
        allowed = set(grantable_roles(user))
        self.fields["role"].choices = [c for c in role_choices(user) if c[0] in allowed]  # type: ignore[attr-defined]


class StructureFilterForm(DsfrBaseForm):
    q = forms.CharField(label="Rechercher (code ou nom)", required=False, max_length=SEARCH_MAX)
    kind = forms.ChoiceField(label="Type", choices=[("", "Tous"), *StructureKind.choices], required=False)
    region = forms.ChoiceField(label="Région", choices=[("", "Toutes"), *REGION_CHOICES[1:]], required=False)
    state = forms.ChoiceField(
        label="Validité",
        choices=[("actives", "En activité"), ("dissoutes", "Dissoutes"), ("toutes", "Toutes")],
        required=False,
    )


class PersonFilterForm(DsfrBaseForm):
    q = forms.CharField(label="Rechercher (nom, prénom, courriel)", required=False, max_length=SEARCH_MAX)
    structure = forms.CharField(
        label="Structure (code, avec ses sous-structures)", required=False, max_length=60
    )
    region = forms.ChoiceField(label="Région", choices=[("", "Toutes"), *REGION_CHOICES[1:]], required=False)
    category = forms.ChoiceField(
        label="Catégorie", choices=[("", "Toutes"), ("A", "A"), ("B", "B"), ("C", "C")], required=False
    )
    role = forms.ChoiceField(
        label="Rôle actif", choices=lambda: [("", "Tous"), *role_choices()], required=False
    )


class GrantLogFilterForm(DsfrBaseForm):
    q = forms.CharField(label="Rechercher (personne ou auteur)", required=False, max_length=100)
    role = forms.ChoiceField(label="Rôle", choices=lambda: [("", "Tous"), *role_choices()], required=False)
    structure = forms.CharField(
        label="Structure (code, avec ses sous-structures)", required=False, max_length=60
    )


class ImportForm(DsfrBaseForm):
    importer = forms.ChoiceField(
        label="Que voulez-vous importer ?",
        choices=[
            ("organisation.structures", "Des structures"),
            ("organisation.people", "Des personnes et leurs affectations"),
        ],
        widget=forms.RadioSelect,
    )
    file = UploadField(
        label="Fichier",
        help_text="CSV (séparateur ; ou ,), XLSX (Excel) ou ODS (LibreOffice), 20 Mo au plus.",
    )


class RoleForm(VersionedModelForm, DsfrBaseForm):
    class Meta:
        model = RoleDefinition
        fields = ["code", "name", "description", "rank", "scope"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.instance._state.adding:
            del self.fields["code"]  # assignments carry it

    def values(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self._meta.fields or () if name in self.fields}


class ServiceLinkForm(VersionedModelForm, DsfrBaseForm):
    class Meta:
        model = ServiceLink
        fields = [
            "client",
            "provider",
            "kind",
            "start_date",
            "end_date",
            "contract_state",
            "contract_review_on",
            "note",
        ]
        field_classes = {"client": StructureChoiceField, "provider": StructureChoiceField}
        widgets = {
            "start_date": DateInput(),
            "end_date": DateInput(),
            "contract_review_on": DateInput(),
            "note": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args: Any, user: Actor, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        editable = Structure.objects.editable_by(user).order_by("path")
        if self.instance._state.adding:
            self.fields["client"].queryset = editable  # type: ignore[attr-defined]
            self.fields["provider"].queryset = editable  # type: ignore[attr-defined]
        else:  # the two ends of a link stay; a new pair is a new link
            del self.fields["client"]
            del self.fields["provider"]

    def values(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.fields if name != "version"}


class ContractForm(DsfrBaseForm):
    upload = UploadField(label="Contrat de service (PDF, ODT, DOCX…)", spreadsheet=False)
    comment = forms.CharField(
        label="Commentaire", required=False, max_length=_max(ContractVersion, "comment")
    )
