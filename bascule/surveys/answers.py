"""Reading one structure's answer: which questions show (conditions), and each value checked (French messages).

One function for every way in — the answer page, the public link, steering's phone entry and the API — so that a
value refused in one is refused in all. Values are kept as JSON by question code: "oui"/"non", a choice label (or a
list of them), a number as a decimal string, a text, an ISO date, or a table {"ligne|colonne": number}. The text
of « Autre, précisez » is kept under "<code>:autre".
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from bascule.core.parsing import parse_date, parse_decimal
from bascule.surveys.models import CHOICE_KINDS, NO, OTHER, YES, Kind, Question

TEXT_MAX = 4000
OTHER_MAX = 255


def other_key(code: str) -> str:
    return f"{code}:autre"


def cell_key(row: str, column: str) -> str:
    return f"{row}|{column}"


def shows(question: Question, values: Mapping[str, Any], by_id: Mapping[Any, Question]) -> bool:
    """Whether a question is asked, given the values so far (a condition on a hidden question is unmet)."""
    if question.condition_on_id is None:
        return True
    source = by_id.get(question.condition_on_id)
    if source is None or not shows(source, values, by_id):
        return False
    given = values.get(source.code)
    if isinstance(given, list):
        return question.condition_value in given
    return given == question.condition_value


LARGEST = Decimal("1e12")


def _number(text: str, question: Question) -> str:
    """A number as people type it (`1 234,5`, `12.5`, `80 %` meaning 80): the percent sign is the unit's."""
    value = parse_decimal(text.strip().rstrip("%"))
    if value is None:
        raise ValueError("nombre attendu.")
    if abs(value) >= LARGEST or value != value.quantize(Decimal("0.01")):
        raise ValueError("nombre trop grand ou trop précis (deux décimales au plus).")
    if question.minimum is not None and value < question.minimum:
        raise ValueError(f"au moins {_fr(question.minimum)}{_unit(question)}")
    if question.maximum is not None and value > question.maximum:
        raise ValueError(f"au plus {_fr(question.maximum)}{_unit(question)}")
    return str(value)


def _fr(value: Decimal) -> str:
    return format(value.normalize(), "f").replace(".", ",")


def _unit(question: Question) -> str:
    return f" {question.unit}" if question.unit else ""


def read_values(
    questions: Sequence[Question],
    get: Callable[[str], str],
    get_list: Callable[[str], list[str]],
) -> tuple[dict[str, Any], dict[str, str]]:
    """Values of the shown questions from a form (`get` one field, `get_list` a multiple one), and errors.

    Fields: `q_<code>` (and `q_<code>_autre`; `q_<code>__<row index>__<column index>` for tables). Blank fields are
    left out; a required shown question left blank is an error — the check of `check_complete`.
    """
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    raw_get = get
    get = lambda key: raw_get(key) or ""  # noqa: E731 — a missing field reads as blank
    for question in questions:
        name = f"q_{question.code}"
        try:
            if question.kind == Kind.MULTIPLE:
                ticked = [v for v in get_list(name) if v]
                if ticked:
                    values[question.code] = ticked
            elif question.kind == Kind.TABLE:
                cells: dict[str, str] = {}
                for r, row in enumerate(question.rows):
                    for c, column in enumerate(question.columns):
                        text = get(f"{name}__{r}__{c}").strip()
                        if text:
                            try:
                                cells[cell_key(row, column)] = _number(text, question)
                            except ValueError as exc:
                                raise ValueError(f"« {row} » / « {column} » : {exc}") from exc
                if cells:
                    values[question.code] = cells
            else:
                text = get(name).strip()
                if text:
                    values[question.code] = text
            if question.kind in CHOICE_KINDS and question.other:
                other = get(f"{name}_autre").strip()
                if other:
                    values[other_key(question.code)] = other
        except ValueError as exc:
            errors[question.code] = str(exc)
    clean, more = check_values(questions, values)
    errors.update({k: v for k, v in more.items() if k not in errors})
    return clean, errors


def check_values(
    questions: Sequence[Question], values: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, str]]:
    """Keep the values of shown questions, each checked against its question; errors by question code."""
    by_id = {q.pk: q for q in questions}
    clean: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for question in questions:
        code = question.code
        if not shows(question, values, by_id):
            continue  # a hidden question's value is dropped (its condition is not met)
        if code not in values:
            continue
        try:
            clean[code] = _check(question, values[code])
            if question.kind in CHOICE_KINDS and question.other and other_key(code) in values:
                other = str(values[other_key(code)]).strip()
                if len(other) > OTHER_MAX:
                    raise ValueError(f"« Autre » : {OTHER_MAX} caractères au plus.")
                picked = clean[code] if isinstance(clean[code], list) else [clean[code]]
                if other and OTHER in picked:
                    clean[other_key(code)] = other
        except ValueError as exc:
            errors[code] = str(exc)
    return clean, errors


def _check(question: Question, value: Any) -> Any:
    kind = question.kind
    if kind == Kind.YES_NO:
        text = str(value).strip().lower()
        if text not in {YES, NO}:
            raise ValueError(f"répondez « oui » ou « non » (reçu « {str(value)[:40]} »).")
        return text
    if kind == Kind.SINGLE:
        if str(value) not in question.options:
            raise ValueError(f"« {str(value)[:60]} » n'est pas un des choix proposés.")
        return str(value)
    if kind == Kind.MULTIPLE:
        if not isinstance(value, list) or not value:
            raise ValueError("cochez un ou plusieurs des choix proposés.")
        unknown = [v for v in value if str(v) not in question.options]
        if unknown:
            raise ValueError(f"« {str(unknown[0])[:60]} » n'est pas un des choix proposés.")
        return [o for o in question.options if o in {str(v) for v in value}]  # the questionnaire's order
    if kind == Kind.NUMBER:
        try:
            return _number(str(value), question)
        except ValueError as exc:
            raise ValueError(_message(exc)) from exc
    if kind == Kind.TEXT:
        text = str(value).strip()
        if len(text) > TEXT_MAX:
            raise ValueError(f"{TEXT_MAX} caractères au plus (ici {len(text)}).")
        return text
    if kind == Kind.DATE:
        try:
            day = value if isinstance(value, date) else parse_date(str(value))
            if day is None:
                raise ValueError("date attendue.")
        except ValueError as exc:
            raise ValueError(_message(exc)) from exc
        return day.isoformat()
    if kind == Kind.TABLE:
        if not isinstance(value, Mapping):
            raise ValueError("un tableau de nombres est attendu.")
        allowed = {cell_key(r, c) for r in question.rows for c in question.columns}
        cells = {}
        for key, number in value.items():
            if key not in allowed:
                raise ValueError(f"la case « {str(key)[:60]} » n'existe pas dans ce tableau.")
            try:
                cells[key] = _number(str(number), question)
            except ValueError as exc:
                raise ValueError(f"« {key.replace('|', ' » / « ')} » : {_message(exc)}") from exc
        return cells
    raise ValueError(f"type de question inconnu : {kind}")


def _message(exc: ValueError) -> str:
    text = str(exc)
    return text[0].lower() + text[1:] if text else "valeur non comprise."


def check_complete(questions: Iterable[Question], values: Mapping[str, Any]) -> dict[str, str]:
    """Before submitting: every required question that shows has a value."""
    questions = list(questions)
    by_id = {q.pk: q for q in questions}
    return {
        q.code: "réponse obligatoire."
        for q in questions
        if q.required and shows(q, values, by_id) and values.get(q.code) in (None, "", [], {})
    }


def as_number(value: Any) -> Decimal | None:
    """A stored number value (decimal string) as Decimal; None when absent."""
    if value in (None, ""):
        return None
    return Decimal(str(value))
