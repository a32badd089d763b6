"""Every write of surveys: questionnaires and editions, surveys and their calendar, answers, themes.

Questionnaires and surveys are written by the programme's pilots; an answer by whoever edits its structure, by
steering on the structure's behalf (phone answers), or through the structure's own answer link (a signed,
one-time token: `answer_from_token`). E-mails leave after the commit, each failure kept on its answer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from bascule.core.access import require_ability
from bascule.core.mail import Mail, send_each
from bascule.core.roles import Role
from bascule.core.system import SYSTEM, Actor, history_author
from bascule.core.writes import check_fields, save_historised, update_versioned
from bascule.indicators.services import measurement_record
from bascule.organisation.models import Assignment, Person, Structure, StructureKind
from bascule.surveys.answers import as_number, check_complete, check_values
from bascule.surveys.models import (
    PILOTS_ONLY,
    Answer,
    Question,
    Questionnaire,
    Survey,
    Tag,
    Theme,
)
from bascule.surveys.selectors import reusable_answers, survey_targets

SURVEY_FIELDS = ("title", "message", "root", "kinds", "opens_on", "closes_on", "reminders_on")


# --- surveys -----------------------------------------------------------------------------------------
def _check_calendar(survey: Survey) -> None:
    errors: dict[str, str] = {}
    kinds = [k for k in survey.kinds if k in StructureKind.values]
    if not survey.kinds or len(kinds) != len(survey.kinds):
        errors["kinds"] = "Choisissez un ou plusieurs types de structures parmi ceux du référentiel."
    reminders: list[date] = []
    for value in survey.reminders_on or []:
        day = value if isinstance(value, date) else date.fromisoformat(str(value))
        if not survey.opens_on < day < survey.closes_on:
            errors["reminders_on"] = (
                f"La relance du {day:%d/%m/%Y} doit tomber entre l'ouverture et la clôture."
            )
        reminders.append(day)
    if len(reminders) > 10:
        errors["reminders_on"] = "Dix relances au plus."
    survey.reminders_on = [d.isoformat() for d in sorted(set(reminders))]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def survey_create(*, by: Actor, questionnaire: Questionnaire, **fields: Any) -> Survey:
    check_fields(fields, SURVEY_FIELDS, "enquête")
    require_ability(questionnaire, by, "send", PILOTS_ONLY)
    if Questionnaire.objects.filter(previous=questionnaire).exists():
        raise ValidationError("Ce questionnaire a une édition plus récente : envoyez celle-ci.")
    survey = Survey(questionnaire=questionnaire, **fields)
    _check_calendar(survey)
    save_historised(survey, by=by, reason="Création")
    return survey


@transaction.atomic
def survey_update(*, by: Actor, survey: Survey, version: int, **changes: Any) -> Survey:
    require_ability(
        survey,
        by,
        "change",
        "Cette enquête est envoyée : son calendrier et ses destinataires ne changent plus.",
    )
    return update_versioned(
        survey, by=by, version=version, changes=changes, allowed=SURVEY_FIELDS, before_save=_check_calendar
    )


@transaction.atomic
def survey_open(*, by: Actor, survey: Survey, reuse: bool = False, notify: bool = True) -> Survey:
    """Send: one answer per target structure (earlier answers to the same questions copied in when `reuse`), the
    questionnaire frozen, each structure's contacts e-mailed its answer link after the commit."""
    survey = Survey.objects.select_for_update().select_related("questionnaire").get(pk=survey.pk)
    require_ability(survey, by, "open", "Cette enquête n'est plus en préparation.")
    targets = list(survey_targets(survey))
    if not targets:
        raise ValidationError("Aucune structure de ces types dans ce périmètre : rien à envoyer.")
    reused: dict[Any, tuple[Survey, dict[str, Any]]] = {}
    if reuse:
        reused = reusable_answers(survey=survey, structures=targets)
    author = history_author(by)
    answers = []
    for structure in targets:
        earlier = reused.get(structure.pk)
        answers.append(
            Answer(
                survey=survey,
                structure=structure,
                state=Answer.State.DRAFT if earlier else Answer.State.PENDING,
                values=earlier[1] if earlier else {},
                reused_from=earlier[0] if earlier else None,
            )
        )
    Answer.objects.bulk_create(answers)
    history: Any = Answer.history  # type: ignore[attr-defined]
    history.bulk_history_create(answers, default_user=author, default_change_reason="Demande envoyée")
    questionnaire = survey.questionnaire
    if questionnaire.sent_at is None:
        questionnaire.sent_at = timezone.now()
        save_historised(questionnaire, by=by, reason=f"Envoyé : {survey.title}")
    survey.state = Survey.State.OPEN
    survey.opened_at = timezone.now()
    survey.version += 1
    save_historised(survey, by=by, reason=f"Envoyée à {len(answers)} structure(s)")
    if notify:
        transaction.on_commit(lambda: mail_answers(_to_mail(survey), kind="invitation"))
    return survey


def _to_mail(survey: Survey, *, pending_only: bool = False) -> list[Answer]:
    answers = survey.answers.select_related("structure", "survey__questionnaire")
    if pending_only:
        answers = answers.exclude(state=Answer.State.SUBMITTED)
    return list(answers)


def contacts(structures: Sequence[Structure], *, on: date | None = None) -> dict[Any, list[Person]]:
    """Whom to write to for each structure: the people assigned to it, else its steering contact above."""
    found: dict[Any, list[Person]] = {}
    for assignment in (
        Assignment.objects.active(on)
        .filter(structure__in=[s.pk for s in structures])
        .select_related("person")
        .order_by("start_date")
    ):
        people = found.setdefault(assignment.structure_id, [])
        if assignment.person.email and assignment.person not in people:
            people.append(assignment.person)
    alone = [s for s in structures if not found.get(s.pk)]
    # Their steering contact (regional lead or departmental referent, the nearest above), for all in one query:
    # the rule of organisation.selectors.steering_contact.
    paths = {path for s in alone for path in _ancestor_paths(s.path)}
    nearest: dict[str, Person] = {}
    for assignment in (
        Assignment.objects.active(on)
        .filter(structure__path__in=paths, role__in=[Role.REGIONAL_LEAD, Role.DEPARTMENTAL_REFERENT])
        .select_related("person", "structure")
        .order_by("start_date")
    ):
        nearest.setdefault(assignment.structure.path, assignment.person)
    for structure in alone:
        contact = next((nearest[p] for p in reversed(_ancestor_paths(structure.path)) if p in nearest), None)
        found[structure.pk] = [contact] if contact is not None and contact.email else []
    return found


def _ancestor_paths(path: str) -> list[str]:
    """A structure's path and its ancestors', from the top down."""
    parts = [p for p in path.strip("/").split("/") if p]
    return ["/" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts))]


SUBJECTS = {
    "invitation": "Bascule : enquête — {title}",
    "reminder": "Bascule : rappel — enquête « {title} » avant le {closes:%d/%m/%Y}",
    "reopened": "Bascule : votre réponse à « {title} » est rouverte",
}


def mail_answers(answers: Sequence[Answer], *, kind: str, at: datetime | None = None) -> int:
    """E-mail each structure's contacts its answer link; record when it left, or why it did not."""
    people = contacts([a.structure for a in answers])

    def compose(answer: Answer) -> Mail | str:
        to = [p.email for p in people.get(answer.structure_id, [])]
        if not to:
            return "Aucun contact connu pour cette structure (ni affectation, ni référent au-dessus)."
        survey = answer.survey
        context = {"answer": answer, "survey": survey, "kind": kind, "url": public_url(answer)}
        body = render_to_string("surveys/mail/answer_link.txt", context)
        return Mail(SUBJECTS[kind].format(title=survey.title, closes=survey.closes_on), body, to)

    def record(answer: Answer, error: str) -> None:
        Answer.objects.filter(pk=answer.pk).update(
            mail_error=error, last_mailed_at=None if error else (at or timezone.now())
        )

    return send_each(answers, compose, record)


# --- the answer link (no login) ------------------------------------------------------------------------
_SIGNER = signing.Signer(salt="bascule.surveys.answer-link")


def answer_token(answer: Answer) -> str:
    """The structure's answer link token: the answer and its current nonce, signed (a reopening changes it)."""
    return _SIGNER.sign(f"{answer.pk}.{answer.token_nonce}")


def public_url(answer: Answer) -> str:
    return settings.BASCULE_SITE_URL.rstrip("/") + reverse(
        "surveys:public_answer", args=[answer_token(answer)]
    )


class LinkRefused(Exception):
    """Why an answer link does not open (in French, for the person who clicked it)."""


def answer_from_token(token: str, *, today: date | None = None) -> Answer:
    """The one answer a link opens, or `LinkRefused` saying why (tampered, replaced, closed, already sent)."""
    try:
        answer_id, nonce = _SIGNER.unsign(token[:200]).split(".", 1)
        answer = Answer.objects.select_related("survey__questionnaire__programme__owner", "structure").get(
            pk=answer_id, token_nonce=nonce
        )
    except (signing.BadSignature, ValueError, ValidationError, Answer.DoesNotExist):
        raise LinkRefused(
            "Ce lien de réponse n'est pas valide (il a pu être modifié ou remplacé par un lien plus récent)."
        ) from None
    survey = answer.survey
    day = today or timezone.localdate()
    if survey.state == Survey.State.CLOSED or day > survey.closes_on:
        raise LinkRefused(
            f"L'enquête « {survey.title} » est close depuis le {survey.closes_on:%d/%m/%Y} : ce lien a expiré."
        )
    if survey.state != Survey.State.OPEN:
        raise LinkRefused("Cette enquête n'est pas ouverte.")
    if answer.is_submitted:
        when = timezone.localtime(answer.submitted_at) if answer.submitted_at else None
        raise LinkRefused(
            "La réponse de cette structure a déjà été envoyée"
            + (f" le {when:%d/%m/%Y à %H:%M}" if when else "")
            + " : ce lien ne sert qu'une fois. Pour la corriger, demandez au pilotage de la rouvrir."
        )
    return answer


# --- answers -----------------------------------------------------------------------------------------
def _questions(answer: Answer) -> list[Question]:
    return list(
        answer.survey.questionnaire.questions.select_related("section", "indicator").order_by(
            "section__position", "position"
        )
    )


def _write(
    answer: Answer,
    *,
    values: Mapping[str, Any],
    submit: bool,
    version: int | None,
    author: Any,
    who: str,
    on_behalf: bool,
) -> Answer:
    current = (
        Answer.objects.select_for_update()
        .select_related("survey__questionnaire", "structure")
        .get(pk=answer.pk)
    )
    if current.is_submitted:  # decided on the locked row: a second submission at the same time stops here
        raise ValidationError(
            "Cette réponse a déjà été envoyée : elle ne change plus, sauf si le pilotage la rouvre."
        )
    if current.survey.state != Survey.State.OPEN or timezone.localdate() > current.survey.closes_on:
        raise ValidationError("Cette enquête est close : la réponse ne peut plus être enregistrée.")
    if version is not None and current.version != version:
        raise ValidationError(
            "Cette réponse a été modifiée entre-temps par quelqu'un d'autre : rechargez la page pour voir sa "
            "version avant de la modifier."
        )
    questions = _questions(current)
    clean, errors = check_values(questions, values)
    if submit and not errors:
        errors = check_complete(questions, clean)
    if errors:
        by_code = {q.code: q for q in questions}
        raise ValidationError(
            {
                code: f"{code} — {by_code[code].text if code in by_code else ''} : {message}"
                for code, message in errors.items()
            }
        )
    current.values = clean
    current.version += 1
    current.on_behalf = current.on_behalf or on_behalf
    if submit:
        current.state = Answer.State.SUBMITTED
        current.submitted_at = timezone.now()
        current.submitted_by = who[:255]
    else:
        current.state = Answer.State.DRAFT
    current.full_clean()
    current._history_user = author  # type: ignore[attr-defined]
    reason = ("Envoyée" if submit else "Brouillon") + (" (saisie par le pilotage)" if on_behalf else "")
    current._change_reason = reason  # type: ignore[attr-defined]
    current.save()
    if submit:
        _feed_indicators(current, questions)
    return current


def _feed_indicators(answer: Answer, questions: Sequence[Question]) -> None:
    """Each number question linked to an indicator becomes a measurement of the structure, with its base."""
    source = f"Enquête « {answer.survey.title} »"[:255]
    day = timezone.localdate(answer.submitted_at)
    for question in questions:
        if question.indicator is None:
            continue
        value = as_number(answer.values.get(question.code))
        if value is None:
            continue
        coverage = as_number(answer.values.get(question.coverage_of.code)) if question.coverage_of else None
        # The answer was authorised (its structure's editor, steering or its own link): the system records it.
        measurement_record(
            by=SYSTEM,
            indicator=question.indicator,
            structure=answer.structure,
            measured_on=day,
            value=value,
            coverage=coverage,
            source=source,
        )


@transaction.atomic
def answer_save(
    *,
    by: Actor,
    answer: Answer,
    values: Mapping[str, Any],
    version: int | None = None,
    submit: bool = False,
    on_behalf: bool = False,
) -> Answer:
    """Save a draft or submit (every required shown question answered); steering may answer on the structure's
    behalf (a phone answer, marked as such)."""
    ability = "on_behalf" if on_behalf else "answer"
    message = (
        "Seul le pilotage saisit une réponse pour le compte d'une structure, tant que l'enquête est ouverte."
        if on_behalf
        else "Cette réponse n'attend rien de vous (enquête close, réponse envoyée, ou structure hors de votre périmètre)."
    )
    require_ability(answer, by, ability, message)
    name = getattr(by, "get_full_name", lambda: "")() or getattr(by, "username", "")
    who = f"{name} (pour la structure, par téléphone)" if on_behalf else name
    return _write(
        answer,
        values=values,
        submit=submit,
        version=version,
        author=history_author(by),
        who=who,
        on_behalf=on_behalf,
    )


@transaction.atomic
def answer_save_by_link(
    *, token: str, values: Mapping[str, Any], submit: bool, version: int | None = None
) -> Answer:
    """The same, through the structure's answer link (no account): the link opens that one answer only."""
    try:
        answer = answer_from_token(token)
    except LinkRefused as exc:
        raise PermissionDenied(str(exc)) from exc
    return _write(
        answer,
        values=values,
        submit=submit,
        version=version,
        author=None,
        who="Lien de réponse",
        on_behalf=False,
    )


@transaction.atomic
def answer_reopen(*, by: Actor, answer: Answer, reason: str) -> Answer:
    """Steering reopens a submitted answer: back to draft, a new link (the old one stops working), e-mailed."""
    current = Answer.objects.select_for_update().get(pk=answer.pk)
    require_ability(current, by, "reopen", "Seule une réponse envoyée, d'une enquête ouverte, se rouvre.")
    if not reason.strip():
        raise ValidationError({"reason": "Dites à la structure pourquoi sa réponse est rouverte."})
    current.state = Answer.State.DRAFT
    current.token_nonce = Answer._meta.get_field("token_nonce").get_default()
    current.version += 1
    save_historised(current, by=by, reason=f"Rouverte : {reason.strip()}"[:100])
    transaction.on_commit(lambda: mail_answers([current], kind="reopened"))
    return current


@transaction.atomic
def survey_close(*, by: Actor, survey: Survey) -> Survey:
    survey = Survey.objects.select_for_update().get(pk=survey.pk)
    require_ability(survey, by, "close", "Cette enquête n'est pas ouverte.")
    survey.state = Survey.State.CLOSED
    survey.closed_at = timezone.now()
    survey.version += 1
    save_historised(survey, by=by, reason="Close")
    return survey


def survey_remind(*, by: Actor, survey: Survey) -> int:
    """Remind now every structure that has not submitted (steering's button)."""
    require_ability(survey, by, "remind", "Cette enquête n'est pas ouverte.")
    due = _to_mail(survey, pending_only=True)
    sent = mail_answers(due, kind="reminder")
    Answer.objects.filter(pk__in=[a.pk for a in due], mail_error="").update(reminders=F("reminders") + 1)
    return sent


def surveys_follow_calendar(*, today: date | None = None) -> str:
    """The periodic job: on each reminder date, remind who has not submitted; after the closing date, close."""
    day = today or timezone.localdate()
    reminded = closed = 0
    for survey in Survey.objects.filter(state=Survey.State.OPEN).select_related(
        "questionnaire__programme__owner"
    ):
        if day > survey.closes_on:
            survey_close(by=SYSTEM, survey=survey)
            closed += 1
            continue
        due_dates = [date.fromisoformat(d) for d in survey.reminders_on]
        if any(d <= day for d in due_dates) and (
            survey.last_reminder_on is None or max(d for d in due_dates if d <= day) > survey.last_reminder_on
        ):
            Survey.objects.filter(pk=survey.pk).update(last_reminder_on=day)  # once per reminder date
            reminded += survey_remind(by=SYSTEM, survey=survey)
    return f"{reminded} relance(s) envoyée(s), {closed} enquête(s) close(s) à leur date."


# --- qualitative analysis ------------------------------------------------------------------------------
@transaction.atomic
def theme_add(*, by: Actor, survey: Survey, name: str) -> Theme:
    require_ability(survey, by, "analyse", "Les thèmes se posent après la clôture, par le pilotage.")
    theme = Theme(survey=survey, name=name.strip())
    save_historised(theme, by=by, reason="Thème ajouté")
    return theme


@transaction.atomic
def answer_tag(*, by: Actor, answer: Answer, question_code: str, themes: Sequence[Theme]) -> None:
    """File one free-text answer under these themes (replacing its earlier ones)."""
    require_ability(answer, by, "tag", "Les réponses se classent après la clôture, par le pilotage.")
    if any(t.survey_id != answer.survey_id for t in themes):
        raise ValidationError("Ces thèmes sont d'une autre enquête.")
    if not answer.values.get(question_code):
        raise ValidationError("Cette structure n'a rien écrit à cette question.")
    author = history_author(by)
    for tag in Tag.objects.filter(answer=answer, question_code=question_code).exclude(theme__in=themes):
        tag._history_user = author  # type: ignore[attr-defined]
        tag.delete()
    for theme in themes:
        if not Tag.objects.filter(answer=answer, question_code=question_code, theme=theme).exists():
            tag = Tag(answer=answer, question_code=question_code, theme=theme)
            save_historised(tag, by=by, reason="Classée")
