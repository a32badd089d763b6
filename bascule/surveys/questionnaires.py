"""Writes of questionnaires: sections, questions and their rules (`check_question`), and new editions once sent.

Written by the programme's pilots, while the questionnaire has not been sent; afterwards it changes only as a new
edition (its sections and questions copied, conditions and indicator bases kept on the copies).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from bascule.core.access import require_ability
from bascule.core.system import Actor, history_author
from bascule.core.writes import check_fields, save_historised, update_versioned
from bascule.indicators.models import Aggregation
from bascule.programmes.models import Programme
from bascule.surveys.models import CHOICE_KINDS, PILOTS_ONLY, Kind, Question, Questionnaire, Section

FROZEN = "Ce questionnaire a été envoyé : il ne change plus. Créez-en une nouvelle édition."
QUESTIONNAIRE_FIELDS = ("title", "description")
QUESTION_FIELDS = (
    "section",
    "position",
    "code",
    "text",
    "help",
    "kind",
    "required",
    "choices",
    "other",
    "unit",
    "minimum",
    "maximum",
    "rows",
    "columns",
    "condition_on",
    "condition_value",
    "indicator",
    "coverage_of",
)

LIST_MAX = 60  # choices, rows or columns of one question
LABEL_MAX = 120


# --- questionnaires ----------------------------------------------------------------------------------
@transaction.atomic
def questionnaire_create(
    *, by: Actor, programme: Programme, title: str, description: str = ""
) -> Questionnaire:
    require_ability(programme, by, "change", PILOTS_ONLY)
    questionnaire = Questionnaire(programme=programme, title=title.strip(), description=description.strip())
    save_historised(questionnaire, by=by, reason="Création")
    return questionnaire


@transaction.atomic
def questionnaire_update(
    *, by: Actor, questionnaire: Questionnaire, version: int, **changes: Any
) -> Questionnaire:
    require_ability(questionnaire, by, "change", FROZEN)
    return update_versioned(
        questionnaire, by=by, version=version, changes=changes, allowed=QUESTIONNAIRE_FIELDS
    )


def _editable(questionnaire: Questionnaire, by: Actor) -> Questionnaire:
    """The questionnaire locked for a change of its sections or questions (version bumped: one editor at a time)."""
    current = Questionnaire.objects.select_for_update().get(pk=questionnaire.pk)
    require_ability(current, by, "change", FROZEN)
    current.version += 1
    save_historised(current, by=by, reason="Questions modifiées")
    return current


@transaction.atomic
def section_add(*, by: Actor, questionnaire: Questionnaire, title: str) -> Section:
    questionnaire = _editable(questionnaire, by)
    last = questionnaire.sections.order_by("-position").values_list("position", flat=True).first() or 0
    section = Section(questionnaire=questionnaire, title=title.strip(), position=last + 1)
    save_historised(section, by=by, reason="Section ajoutée")
    return section


def _labels(values: Iterable[Any], what: str) -> list[str]:
    labels = [str(v).strip() for v in values if str(v).strip()]
    if len(labels) > LIST_MAX:
        raise ValidationError(f"{LIST_MAX} {what} au plus.")
    for label in labels:
        if len(label) > LABEL_MAX:
            raise ValidationError(f"« {label[:40]}… » : {LABEL_MAX} caractères au plus par {what[:-1]}.")
    if len(set(labels)) != len(labels):
        raise ValidationError(f"Deux {what} portent le même libellé.")
    return labels


def check_question(question: Question) -> None:
    """The rules of one question, in French, before it is saved (pages, API and editions alike)."""
    errors: dict[str, str] = {}
    question.choices = _labels(question.choices or [], "choix") if question.kind in CHOICE_KINDS else []
    if question.kind in CHOICE_KINDS and len(question.choices) < 2 - int(question.other):
        errors["choices"] = "Proposez au moins deux choix (un par ligne)."
    if question.kind not in CHOICE_KINDS:
        question.other = False
    if question.kind == Kind.TABLE:
        question.rows = _labels(question.rows or [], "lignes")
        question.columns = _labels(question.columns or [], "colonnes")
        if not question.rows or not question.columns:
            errors["rows"] = "Un tableau a au moins une ligne et une colonne."
    else:
        question.rows, question.columns = [], []
    if question.kind not in (Kind.NUMBER, Kind.TABLE):
        question.minimum = question.maximum = None
        question.unit = "" if question.kind != Kind.NUMBER else question.unit
    source = question.condition_on
    if source is not None:
        if source.questionnaire_id != question.questionnaire_id or source.pk == question.pk:
            errors["condition_on"] = "La condition porte sur une autre question de ce questionnaire."
        elif (source.section.position, source.position) >= (question.section.position, question.position):
            errors["condition_on"] = (
                f"La condition porte sur « {source.code} », qui n'est pas avant cette question : "
                "une question ne dépend que d'une question posée avant elle."
            )
        elif source.kind not in (Kind.YES_NO, *CHOICE_KINDS):
            errors["condition_on"] = "Une condition porte sur une question oui / non ou à choix."
        elif question.condition_value not in source.options:
            listed = ", ".join(f"« {o} »" for o in source.options)
            errors["condition_value"] = f"Valeur attendue parmi : {listed}."
    else:
        question.condition_value = ""
    if question.indicator is not None:
        if question.kind != Kind.NUMBER:
            errors["indicator"] = "Seule une question « Nombre » alimente un indicateur."
        elif question.indicator.programme_id != question.questionnaire.programme_id:
            errors["indicator"] = "L'indicateur doit être du même programme que le questionnaire."
        elif question.indicator.aggregation == Aggregation.WEIGHTED and (
            question.minimum is None
            or question.minimum < 0
            or question.maximum is None
            or question.maximum > 100
        ):
            errors["maximum"] = "Un pourcentage pondéré : bornez la question entre 0 et 100."
    if question.coverage_of is not None and (
        question.coverage_of.questionnaire_id != question.questionnaire_id
        or question.coverage_of.kind != Kind.NUMBER
        or question.coverage_of.pk == question.pk
    ):
        errors["coverage_of"] = "La base est une autre question « Nombre » de ce questionnaire."
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def question_add(*, by: Actor, section: Section, **fields: Any) -> Question:
    check_fields(fields, QUESTION_FIELDS, "question")
    questionnaire = _editable(section.questionnaire, by)
    fields.pop("section", None)
    if "position" not in fields:
        last = section.questions.order_by("-position").values_list("position", flat=True).first() or 0
        fields["position"] = last + 1
    question = Question(questionnaire=questionnaire, section=section, **fields)
    check_question(question)
    save_historised(question, by=by, reason="Question ajoutée")
    return question


@transaction.atomic
def question_update(*, by: Actor, question: Question, **changes: Any) -> Question:
    check_fields(changes, QUESTION_FIELDS, "question")
    _editable(question.questionnaire, by)
    current = Question.objects.select_for_update().get(pk=question.pk)
    for name, value in changes.items():
        setattr(current, name, value.strip() if isinstance(value, str) else value)
    if current.section.questionnaire_id != current.questionnaire_id:
        raise ValidationError({"section": "Cette section est d'un autre questionnaire."})
    check_question(current)
    for dependent in current.dependents.all():  # the questions that depend on it still come after it
        check_question(dependent)
    save_historised(current, by=by, reason="Question modifiée")
    return current


@transaction.atomic
def question_delete(*, by: Actor, question: Question) -> None:
    _editable(question.questionnaire, by)
    dependents = list(question.dependents.values_list("code", flat=True))
    if dependents:
        raise ValidationError(
            f"La question {', '.join(dependents)} dépend de « {question.code} » : "
            "retirez d'abord sa condition, puis supprimez cette question."
        )
    question._history_user = history_author(by)  # type: ignore[attr-defined]
    question.delete()


@transaction.atomic
def questionnaire_new_edition(*, by: Actor, questionnaire: Questionnaire) -> Questionnaire:
    """A sent questionnaire changes only as a new edition: its sections and questions copied, conditions kept."""
    current = Questionnaire.objects.select_for_update().get(pk=questionnaire.pk)
    require_ability(
        current, by, "new_edition", "Ce questionnaire a déjà une édition plus récente, ou n'a pas été envoyé."
    )
    edition = Questionnaire(
        programme=current.programme,
        title=current.title,
        description=current.description,
        edition=current.edition + 1,
        previous=current,
    )
    save_historised(edition, by=by, reason=f"Nouvelle édition de l'édition {current.edition}")
    sections = {}
    for section in current.sections.all():
        section_copy = Section(questionnaire=edition, title=section.title, position=section.position)
        save_historised(section_copy, by=by, reason="Nouvelle édition")
        sections[section.pk] = section_copy
    copies: dict[Any, Question] = {}
    questions = list(current.questions.select_related("section").order_by("section__position", "position"))
    for question in questions:
        copy = Question(
            questionnaire=edition,
            section=sections[question.section_id],
            **{
                f: getattr(question, f)
                for f in QUESTION_FIELDS
                if f not in {"section", "condition_on", "coverage_of"}
            },
        )
        copy.condition_on = copies.get(question.condition_on_id) if question.condition_on_id else None
        save_historised(copy, by=by, reason="Nouvelle édition")
        copies[question.pk] = copy
    for question in questions:
        if question.coverage_of_id:
            copy = copies[question.pk]
            copy.coverage_of = copies[question.coverage_of_id]
            save_historised(copy, by=by, reason="Nouvelle édition")
    return edition
