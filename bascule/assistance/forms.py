"""Forms of the support desk (every text bounded; the services decide what is allowed)."""

from __future__ import annotations

from typing import Any

from django import forms

from bascule.assistance.models import (
    Anomaly,
    AnomalyStatus,
    Article,
    Audience,
    Category,
    Level,
    Mailbox,
    Priority,
    Review,
    SupportPolicy,
    TicketStatus,
)
from bascule.assistance.operations import MAILBOX_FIELDS
from bascule.core.fields import SEARCH_MAX
from bascule.core.forms import DateInput, VersionedModelForm, version_field
from bascule.organisation.models import ServiceKind
from bascule.programmes.models import Programme, WorkstreamTemplate

BODY_MAX = 20_000


def _programmes(user: Any) -> Any:
    return Programme.objects.visible_to(user).order_by("code")


def _workstreams(user: Any) -> Any:
    return (
        WorkstreamTemplate.objects.visible_to(user)
        .select_related("programme")
        .order_by("programme__code", "number")
    )


class TicketFilterForm(forms.Form):
    q = forms.CharField(label="Rechercher (objet, messages, numéro)", required=False, max_length=SEARCH_MAX)
    etat = forms.ChoiceField(
        label="État", required=False, choices=[("", "Tous"), ("open", "Ouverts"), *TicketStatus.choices]
    )
    niveau = forms.TypedChoiceField(
        label="Niveau", required=False, coerce=int, empty_value=None, choices=[("", "Tous"), *Level.choices]
    )
    programme = forms.ModelChoiceField(label="Programme", required=False, queryset=Programme.objects.none())
    chantier = forms.ModelChoiceField(
        label="Chantier", required=False, queryset=WorkstreamTemplate.objects.none()
    )
    structure = forms.CharField(label="Structure (code)", required=False, max_length=40)
    mes_tickets = forms.BooleanField(label="Seulement les miens", required=False)
    tri = forms.ChoiceField(
        label="Trier par",
        required=False,
        choices=[
            ("-created_at", "Plus récents"),
            ("created_at", "Plus anciens"),
            ("resolution_due", "Échéance la plus proche"),
            ("number", "Numéro"),
        ],
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["programme"].queryset = _programmes(user)  # type: ignore[attr-defined]
        self.fields["chantier"].queryset = _workstreams(user)  # type: ignore[attr-defined]


class TicketForm(forms.Form):
    """A request written by its requester (web form)."""

    programme = forms.ModelChoiceField(label="Programme", queryset=Programme.objects.none())
    workstream = forms.ModelChoiceField(
        label="Chantier concerné", required=False, queryset=WorkstreamTemplate.objects.none()
    )
    category = forms.ChoiceField(label="Catégorie", choices=Category.choices, initial=Category.QUESTION)
    domain = forms.ChoiceField(
        label="Domaine",
        choices=[("", "Non précisé"), *ServiceKind.choices],
        required=False,
        help_text="La comptabilité et la paie vont au centre qui sert la structure du demandeur pour ce domaine.",
    )
    subject = forms.CharField(label="Objet", max_length=255)
    body = forms.CharField(
        label="Votre question", max_length=BODY_MAX, widget=forms.Textarea(attrs={"rows": 6})
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Any agent asks for help about any programme (their own request), whatever their perimeter.
        self.fields["programme"].queryset = Programme.objects.order_by("code")  # type: ignore[attr-defined]
        self.fields["workstream"].queryset = WorkstreamTemplate.objects.select_related("programme").order_by(  # type: ignore[attr-defined]
            "programme__code", "number"
        )


class PhoneIntakeForm(TicketForm):
    """One screen for a call: who calls (searched as you type), what about, solved now or not."""

    requester = forms.UUIDField(
        label="Demandeur (personne choisie)", required=False, widget=forms.HiddenInput
    )
    requester_email = forms.EmailField(
        label="Ou courriel d'un demandeur hors référentiel", required=False, max_length=254
    )
    requester_name = forms.CharField(label="Nom de ce demandeur", required=False, max_length=200)
    priority = forms.ChoiceField(label="Priorité", choices=Priority.choices, initial=Priority.NORMAL)
    answer = forms.CharField(
        label="Réponse donnée au téléphone (si résolu)",
        required=False,
        max_length=BODY_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    field_order = [
        "requester",
        "requester_email",
        "requester_name",
        "programme",
        "workstream",
        "category",
        "domain",
        "priority",
        "subject",
        "body",
        "answer",
    ]


class ReplyForm(forms.Form):
    version = version_field()
    body = forms.CharField(
        label="Réponse au demandeur", max_length=BODY_MAX, widget=forms.Textarea(attrs={"rows": 6})
    )
    then = forms.ChoiceField(
        label="Ensuite",
        choices=[
            (TicketStatus.ASSIGNED, "Laisser le ticket pris en charge"),
            (TicketStatus.WAITING, "Attendre le demandeur (les délais s'arrêtent)"),
            (TicketStatus.SOLVED, "Marquer comme résolu"),
        ],
        initial=TicketStatus.SOLVED,
    )


class NoteForm(forms.Form):
    body = forms.CharField(
        label="Note interne (jamais envoyée au demandeur)",
        max_length=BODY_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class EscalateForm(forms.Form):
    version = version_field()
    diagnosis = forms.CharField(
        label="Diagnostic (ce qui a été vérifié, pourquoi le niveau supérieur)",
        max_length=BODY_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class AnswerDownForm(forms.Form):
    version = version_field()
    body = forms.CharField(
        label="Réponse (transmise au demandeur par le niveau 1)",
        max_length=BODY_MAX,
        widget=forms.Textarea(attrs={"rows": 6}),
    )


class VersionForm(forms.Form):
    version = version_field()


class RequesterReplyForm(forms.Form):
    body = forms.CharField(
        label="Votre réponse", max_length=BODY_MAX, widget=forms.Textarea(attrs={"rows": 4})
    )


class RateForm(forms.Form):
    score = forms.TypedChoiceField(
        label="Cette réponse vous a-t-elle satisfait ?",
        coerce=int,
        choices=[(5, "5 — tout à fait"), (4, "4"), (3, "3"), (2, "2"), (1, "1 — pas du tout")],
        widget=forms.RadioSelect,
    )


class LinkAnomalyForm(forms.Form):
    version = version_field()
    anomaly = forms.ModelChoiceField(label="Anomalie", required=False, queryset=Anomaly.objects.none())

    def __init__(self, *args: Any, programme: Programme, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["anomaly"].queryset = Anomaly.objects.filter(programme=programme)  # type: ignore[attr-defined]


class SearchForm(forms.Form):
    q = forms.CharField(
        label="Rechercher dans la base de connaissances", required=False, max_length=SEARCH_MAX
    )
    programme = forms.ModelChoiceField(label="Programme", required=False, queryset=Programme.objects.none())

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["programme"].queryset = _programmes(user)  # type: ignore[attr-defined]


class ArticleForm(VersionedModelForm):
    workstreams = forms.ModelMultipleChoiceField(
        label="Chantiers",
        required=False,
        queryset=WorkstreamTemplate.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Article
        fields = ["question", "answer", "audience", "review", "valid_from", "valid_until"]
        widgets = {
            "valid_from": DateInput(),
            "valid_until": DateInput(),
            "answer": forms.Textarea(attrs={"rows": 10}),
        }
        help_texts = {
            "answer": "Texte mis en forme autorisé : paragraphes, listes, gras, liens (le reste est retiré)."
        }

    def __init__(self, *args: Any, programme: Programme, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["workstreams"].queryset = WorkstreamTemplate.objects.filter(programme=programme)  # type: ignore[attr-defined]
        if not self.instance._state.adding:
            self.fields["workstreams"].initial = list(self.instance.workstreams.all())
        self.fields["audience"].choices = Audience.choices  # type: ignore[attr-defined]
        self.fields["review"].choices = Review.choices  # type: ignore[attr-defined]


class ArticleCreateForm(ArticleForm):
    programme = forms.ModelChoiceField(label="Programme", queryset=Programme.objects.none())

    class Meta(ArticleForm.Meta):
        fields = ["programme", "question", "answer", "audience", "review", "valid_from", "valid_until"]

    def __init__(self, *args: Any, user: Any, programme: Programme, **kwargs: Any) -> None:
        super().__init__(*args, programme=programme, **kwargs)
        self.fields["programme"].queryset = _programmes(user)  # type: ignore[attr-defined]


class AnomalyForm(VersionedModelForm):
    class Meta:
        model = Anomaly
        fields = ["title", "description", "status", "reference"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = AnomalyStatus.choices  # type: ignore[attr-defined]


class AnomalyCreateForm(forms.Form):
    programme = forms.ModelChoiceField(label="Programme", queryset=Programme.objects.none())
    title = forms.CharField(label="Intitulé", max_length=255)
    description = forms.CharField(
        label="Description", required=False, max_length=10_000, widget=forms.Textarea(attrs={"rows": 4})
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["programme"].queryset = _programmes(user)  # type: ignore[attr-defined]


class PolicyForm(forms.ModelForm):  # type: ignore[type-arg]
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = SupportPolicy
        fields = [
            "working_hours",
            "first_response_1",
            "resolution_1",
            "first_response_2",
            "resolution_2",
            "first_response_3",
            "resolution_3",
            "warn_before",
            "escalate_on_breach",
            "mail_cap_per_recipient",
            "mail_cap_per_ticket",
        ]


class MailboxForm(VersionedModelForm):
    password = forms.CharField(
        label="Mot de passe",
        required=False,
        max_length=255,
        widget=forms.PasswordInput(render_value=False),
        help_text="Laissé vide : le mot de passe enregistré est gardé.",
    )

    class Meta:
        model = Mailbox
        fields = list(MAILBOX_FIELDS)  # the fields operations.mailbox_create/update write

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from bascule.organisation.models import Structure

        self.fields["programme"].queryset = _programmes(user)  # type: ignore[attr-defined]
        self.fields["structure"].queryset = Structure.objects.editable_by(user).order_by("path")  # type: ignore[attr-defined]
