"""Answers collected outside Bascule (by phone, e-mail or a filled-in copy of the export), imported by steering:
one row per structure, the export's columns (`Code structure`, then one per question, one per cell of a table).

Each row is checked as an answer typed on the page would be (`answers.check_values`, required questions), and
written by `services.answer_save` as a submission on the structure's behalf — so only a pilot of the survey's
programme, while it is open, for a structure that has not already sent its answer. Re-importing the same file
changes nothing; a structure whose answer was already sent with other values is rejected (reopen it first).
"""

from __future__ import annotations

from typing import Any

from bascule.core.imports import (
    CREATE,
    UNCHANGED,
    UPDATE,
    Column,
    Importer,
    Planned,
    RowReader,
    RowResult,
    register_importer,
    reject,
)
from bascule.core.spreadsheets import SpreadsheetError
from bascule.core.system import Actor
from bascule.surveys import selectors, services
from bascule.surveys.answers import cell_key, check_complete, check_values, other_key
from bascule.surveys.models import Answer, Kind, Question, Survey

STRUCTURE = Column("structure_code", "Code structure", aliases=("code",), required=True, max_length=80)
LIST_SEPARATOR = ";"


def question_columns(questions: list[Question]) -> list[Column]:
    """The columns of the export, question by question (their labels are the export's headers)."""
    columns = []
    for q in questions:
        if q.kind == Kind.TABLE:
            columns += [
                Column(cell_key(q.code, cell_key(r, c)), f"{q.code} {r} / {c}", max_length=40)
                for r in q.rows
                for c in q.columns
            ]
            continue
        columns.append(Column(q.code, f"{q.code} {q.text}"[:120], aliases=(q.code,), max_length=4000))
        if q.other:
            columns.append(Column(other_key(q.code), f"{q.code} autre (précisez)", max_length=255))
    return columns


@register_importer
class AnswerImporter(Importer):
    name = "surveys.answers"
    label = "Réponses à une enquête"
    columns = [STRUCTURE]  # and, for a given survey, one column per question (set in __init__)

    def __init__(self, *, user: Actor, survey: Survey) -> None:
        super().__init__(user=user)
        self.survey = survey
        self.questions = selectors.ordered_questions(survey.questionnaire)
        self.columns = [STRUCTURE, *question_columns(self.questions)]  # type: ignore[misc]

    @classmethod
    def from_params(cls, *, user: Actor, params: dict[str, Any]) -> AnswerImporter:
        survey = Survey.objects.select_related("questionnaire__programme__owner").get(pk=params["survey"])
        return cls(user=user, survey=survey)

    @classmethod
    def example_params(cls, *, user: Actor) -> dict[str, Any] | None:
        survey = (
            Survey.objects.visible_to(user).filter(state=Survey.State.OPEN).order_by("created_at").first()
        )
        return {"survey": str(survey.pk)} if survey else None

    def example_row(self) -> dict[str, str]:
        answer = (
            Answer.objects.visible_to(self.user)
            .filter(survey=self.survey, state=Answer.State.PENDING)
            .select_related("structure")
            .order_by("structure__code")
            .first()
        )
        if answer is None:
            return {}
        row = {"structure_code": answer.structure.code}
        for q in self.questions:  # every question answered (conditions met or not: a hidden one is dropped)
            if q.kind == Kind.TABLE:
                row.update({cell_key(q.code, cell_key(r, c)): "1" for r in q.rows for c in q.columns})
            elif q.kind == Kind.YES_NO:
                row[q.code] = "oui"
            elif q.kind in (Kind.SINGLE, Kind.MULTIPLE):
                row[q.code] = q.options[0]
            elif q.kind == Kind.NUMBER:
                row[q.code] = str(
                    q.minimum if q.minimum is not None else q.maximum if q.maximum is not None else 1
                )
            elif q.kind == Kind.DATE:
                row[q.code] = "01/09/2026"
            else:
                row[q.code] = "Réponse d'exemple"
        return row

    def _values(self, reader: RowReader) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for q in self.questions:
            if q.kind == Kind.TABLE:
                cells = {
                    cell_key(r, c): reader[cell_key(q.code, cell_key(r, c))].strip()
                    for r in q.rows
                    for c in q.columns
                    if reader.has(cell_key(q.code, cell_key(r, c)))
                }
                if any(cells.values()):
                    values[q.code] = {k: v for k, v in cells.items() if v}
                continue
            text = reader[q.code].strip() if reader.has(q.code) else ""
            if text:
                if q.kind == Kind.MULTIPLE:
                    values[q.code] = [part.strip() for part in text.split(LIST_SEPARATOR) if part.strip()]
                elif q.kind == Kind.YES_NO:
                    values[q.code] = text.lower()
                else:
                    values[q.code] = text
            if q.other and reader.has(other_key(q.code)) and reader[other_key(q.code)].strip():
                values[other_key(q.code)] = reader[other_key(q.code)].strip()
        return values

    def plan(self, readers: list[RowReader]) -> list[Planned]:
        survey = self.survey
        if not survey.get_abilities(self.user)["remind"]:  # a pilot, while the survey is open
            raise SpreadsheetError(
                "Seuls les pilotes du programme importent des réponses, et seulement tant que l'enquête est ouverte."
            )
        answers = {
            a.structure.code: a
            for a in Answer.objects.visible_to(self.user)
            .filter(survey=survey)
            .select_related("structure", "survey__questionnaire__programme__owner")
        }
        by_code = {q.code: q for q in self.questions}
        planned: list[Planned] = []
        seen: dict[str, int] = {}
        for reader in readers:
            code = reader["structure_code"].strip()
            answer = answers.get(code)
            if not code:
                reader.error("structure_code", "le code de la structure est obligatoire.")
            elif answer is None:
                reader.error(
                    "structure_code",
                    "cette structure n'est pas interrogée par cette enquête (ou hors périmètre).",
                )
            elif code in seen:
                reader.error("structure_code", f"cette structure a déjà sa réponse ligne {seen[code]}.")
            seen.setdefault(code, reader.number)
            values = self._values(reader)
            clean, errors = check_values(self.questions, values)
            if not errors:
                errors = check_complete(self.questions, clean)
            for question_code, message in errors.items():
                column = question_code if reader.has(question_code) else "structure_code"
                shown = values.get(question_code, "")
                text = " ; ".join(shown) if isinstance(shown, list) else str(shown)
                reader.error(
                    column, f"{question_code} — {by_code[question_code].text} : {message}", value=text
                )
            if answer is not None and not reader.errors and answer.is_submitted and answer.values != clean:
                reader.error(
                    "structure_code",
                    "la réponse de cette structure est déjà envoyée, avec d'autres valeurs : rouvrez-la d'abord.",
                )
            if reader.errors or answer is None:
                planned.append(reject(reader, code))
                continue
            if answer.is_submitted:
                planned.append(Planned(RowResult(row=reader.number, key=code, outcome=UNCHANGED)))
                continue
            changes = [
                (key, str(answer.values.get(key, "")), str(value))
                for key, value in clean.items()
                if answer.values.get(key) != value
            ]
            outcome = CREATE if answer.state == Answer.State.PENDING else UPDATE
            planned.append(
                Planned(
                    RowResult(row=reader.number, key=code, outcome=outcome, changes=changes), (answer, clean)
                )
            )
        return planned

    def write(self, planned: Planned) -> None:
        answer, values = planned.payload
        services.answer_save(by=self.user, answer=answer, values=values, submit=True, on_behalf=True)
