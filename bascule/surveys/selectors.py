"""Reads of surveys: the calendar, a questionnaire, a survey's response rates and results, the survey load on
structures (open requests, questions already answered), each user's and each structure's open requests.

Every page reads a fixed number of queries whatever the number of structures or answers: results are computed in
Python from one read of the answers (values kept by question code).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from bascule.core.access import can_write_path, has_perimeter
from bascule.core.charts import bar_chart_svg
from bascule.core.spreadsheets import normalise_label
from bascule.core.system import Actor
from bascule.organisation.models import Assignment, Structure, StructureKind
from bascule.programmes.models import Programme
from bascule.surveys.answers import as_number, cell_key, other_key
from bascule.surveys.models import Answer, Kind, Question, Questionnaire, Survey, Tag, Theme

REUSE_DAYS = 365  # an answer to the same question younger than this is offered for reuse
SUBMITTED = Answer.State.SUBMITTED


def piloted_questionnaires(*, user: Actor, programmes: list[Programme]) -> QuerySet[Questionnaire]:
    return Questionnaire.objects.visible_to(user).filter(programme__in=programmes)


def survey_calendar(*, user: Actor) -> QuerySet[Survey]:
    """Every survey, in one calendar: who is asked what, when (with its counts, one query)."""
    return (
        Survey.objects.visible_to(user)
        .select_related("questionnaire__programme", "root")
        .annotate(
            asked=Count("answers"),
            submitted=Count("answers", filter=Q(answers__state=SUBMITTED)),
        )
        .order_by("-opens_on", "title")
    )


def questionnaire_page(*, questionnaire: Questionnaire) -> dict[str, Any]:
    questions = list(
        questionnaire.questions.select_related(
            "section", "condition_on", "indicator", "coverage_of"
        ).order_by("section__position", "position")
    )
    sections = list(questionnaire.sections.order_by("position"))
    by_section: dict[Any, list[Question]] = defaultdict(list)
    for question in questions:
        by_section[question.section_id].append(question)
    return {
        "sections": [(s, by_section.get(s.pk, [])) for s in sections],
        "questions": questions,
        "surveys": list(questionnaire.surveys.order_by("-opens_on")),
    }


def ordered_questions(questionnaire: Questionnaire) -> list[Question]:
    return list(
        questionnaire.questions.select_related("section", "condition_on").order_by(
            "section__position", "position"
        )
    )


# --- rates ---------------------------------------------------------------------------------------------
@dataclass
class Rate:
    label: str
    asked: int = 0
    structure: Structure | None = None  # the line's structure, where the results drill down
    submitted: int = 0
    drafts: int = 0

    @property
    def percent(self) -> float:
        return round(100 * self.submitted / self.asked, 1) if self.asked else 0.0


def _answer_rows(survey: Survey, user: Actor, root: Structure | None = None) -> list[dict[str, Any]]:
    answers = Answer.objects.visible_to(user).filter(survey=survey)
    if root is not None:
        answers = answers.filter(structure__path__startswith=root.path)
    rows: Any = answers.values(
        "id",
        "state",
        "values",
        "submitted_at",
        "on_behalf",
        "reminders",
        "mail_error",
        "structure_id",
        "structure__code",
        "structure__name",
        "structure__kind",
        "structure__region",
        "structure__path",
    ).order_by("structure__path")
    return list(rows)


class Groups:
    """The lines of a consolidation under a root: one per child of the root (the regions at national level), the
    root's own level, and the structures above every region ("Niveau national")."""

    def __init__(self, user: Actor, root: Structure | None) -> None:
        self.root = root
        if root is None:
            children = Structure.objects.filter(kind=StructureKind.REGION)
        else:
            children = Structure.objects.visible_to(user).filter(parent=root)
        self.children = list(children.order_by("name"))
        # A line links to its structure's own results only if the user may open them (a departmental referent
        # reads its region's line, not the region).
        self.openable = set(
            Structure.objects.visible_to(user)
            .filter(pk__in=[c.pk for c in self.children])
            .values_list("pk", flat=True)
        )

    def of(self, path: str) -> tuple[str, Structure | None]:
        for child in self.children:
            if path.startswith(child.path):
                return child.name, child if child.pk in self.openable else None
        if self.root is not None:
            return f"{self.root.name} (niveau propre)", None
        return "Niveau national", None


def rates(rows: list[dict[str, Any]], groups: Groups) -> dict[str, Any]:
    overall = Rate("Ensemble")
    by_group: dict[str, Rate] = {}
    by_kind: dict[str, Rate] = {}
    kinds = dict(StructureKind.choices)
    for row in rows:
        label, child = groups.of(row["structure__path"])
        kind = row["structure__kind"]
        group = by_group.setdefault(label, Rate(label, structure=child))
        for rate in (overall, group, by_kind.setdefault(kind, Rate(kinds.get(kind, kind)))):
            rate.asked += 1
            rate.submitted += row["state"] == SUBMITTED
            rate.drafts += row["state"] == Answer.State.DRAFT
    return {
        "overall": overall,
        "regions": sorted(by_group.values(), key=lambda r: r.label),
        "kinds": sorted(by_kind.values(), key=lambda r: r.label),
    }


# --- results -----------------------------------------------------------------------------------------
@dataclass
class QuestionResult:
    question: Question
    answered: int = 0  # structures that answered it (among submitted answers where it showed)
    counts: list[tuple[str, int, float]] = field(default_factory=list)  # option, count, % of `answered`
    others: list[tuple[str, str]] = field(default_factory=list)  # structure, "other, specify" text
    numbers: dict[str, Any] = field(default_factory=dict)  # sum, average, minimum, maximum
    by_region: list[tuple[str, Decimal, int, Decimal]] = field(default_factory=list)  # region, sum, n, mean
    texts: list[tuple[str, str, list[str]]] = field(default_factory=list)  # structure, text, themes
    cells: list[tuple[str, list[Decimal]]] = field(default_factory=list)  # table row, sums per column
    chart: str = ""


def _percent(part: int, whole: int) -> float:
    return round(100 * part / whole, 1) if whole else 0.0


def results(*, user: Actor, survey: Survey, root: Structure | None = None) -> dict[str, Any]:
    """Response rates and, per question, counts and percentages, sums and averages per line (nation → regions, a
    structure → its children), free text with its themes, table sums — from the submitted answers within the
    user's perimeter, under `root` when given (five queries)."""
    rows = _answer_rows(survey, user, root)
    groups = Groups(user, root)
    questions = ordered_questions(survey.questionnaire)
    themes: dict[tuple[Any, str], list[str]] = defaultdict(list)
    seen = Answer.objects.visible_to(user).filter(survey=survey)
    if root is not None:
        seen = seen.filter(structure__path__startswith=root.path)
    for answer_id, code, name in Tag.objects.filter(answer__in=seen.values("pk")).values_list(
        "answer_id", "question_code", "theme__name"
    ):
        themes[(answer_id, code)].append(name)
    submitted = [r for r in rows if r["state"] == SUBMITTED]
    out = []
    for question in questions:
        result = QuestionResult(question=question)
        given = [(r, r["values"][question.code]) for r in submitted if question.code in r["values"]]
        result.answered = len(given)
        if question.kind in (Kind.YES_NO, Kind.SINGLE, Kind.MULTIPLE):
            counter: Counter[str] = Counter()
            for row, value in given:
                counter.update(value if isinstance(value, list) else [value])
                if other_key(question.code) in row["values"]:
                    result.others.append((row["structure__name"], row["values"][other_key(question.code)]))
            result.counts = [(o, counter[o], _percent(counter[o], result.answered)) for o in question.options]
            result.chart = bar_chart_svg(
                [(o.capitalize(), n) for o, n, _ in result.counts], title=question.text
            )
        elif question.kind == Kind.NUMBER:
            numbers = [as_number(v) or Decimal(0) for _, v in given]
            per_region: dict[str, list[Decimal]] = defaultdict(list)
            for (row, _), number in zip(given, numbers, strict=True):
                per_region[groups.of(row["structure__path"])[0]].append(number)
            if numbers:
                total = sum(numbers, Decimal(0))
                result.numbers = {
                    "sum": total,
                    "average": (total / len(numbers)).quantize(Decimal("0.01")),
                    "minimum": min(numbers),
                    "maximum": max(numbers),
                }
            result.by_region = sorted(
                (
                    label,
                    sum(v, Decimal(0)),
                    len(v),
                    (sum(v, Decimal(0)) / len(v)).quantize(Decimal("0.01")),
                )
                for label, v in per_region.items()
            )
            result.chart = bar_chart_svg(
                [(label, float(total)) for label, total, _, _ in result.by_region],
                title=f"{question.text} — somme par {'région' if root is None else 'structure'}",
                unit=f" {question.unit}" if question.unit else "",
            )
        elif question.kind == Kind.TABLE:
            sums = {
                key: sum((as_number(v.get(key)) or Decimal(0) for _, v in given), Decimal(0))
                for key in (cell_key(r, c) for r in question.rows for c in question.columns)
            }
            result.cells = [(r, [sums[cell_key(r, c)] for c in question.columns]) for r in question.rows]
        else:  # text and dates: listed, with the themes of the qualitative analysis
            result.texts = [
                (row["structure__name"], str(value), themes.get((row["id"], question.code), []))
                for row, value in given
            ]
        out.append(result)
    theme_counts = Counter(name for names in themes.values() for name in names)
    return {
        "rows": rows,
        "rates": rates(rows, groups),
        "root": root,
        "results": out,
        "themes": [(t, theme_counts.get(t.name, 0)) for t in survey.themes.all()],
    }


def export_rows(*, user: Actor, survey: Survey) -> tuple[list[str], list[list[Any]]]:
    """One row per structure asked: who, state, when, then one column per question (per cell for a table)."""
    questions = ordered_questions(survey.questionnaire)
    headers = [
        "Code structure",
        "Structure",
        "Type",
        "Région",
        "État",
        "Envoyée le",
        "Saisie par le pilotage",
    ]
    for q in questions:
        if q.kind == Kind.TABLE:
            headers += [f"{q.code} {r} / {c}" for r in q.rows for c in q.columns]
        else:
            headers.append(f"{q.code} {q.text}"[:120])
            if q.other:
                headers.append(f"{q.code} autre (précisez)")
    kinds = dict(StructureKind.choices)
    states = dict(Answer.State.choices)
    lines = []
    for row in _answer_rows(survey, user):
        values = row["values"] if row["state"] != Answer.State.PENDING else {}
        when = (
            timezone.localtime(row["submitted_at"]).strftime("%d/%m/%Y %H:%M") if row["submitted_at"] else ""
        )
        line: list[Any] = [
            row["structure__code"],
            row["structure__name"],
            kinds.get(row["structure__kind"], row["structure__kind"]),
            row["structure__region"],
            states.get(row["state"], row["state"]),
            when,
            "oui" if row["on_behalf"] else "",
        ]
        for q in questions:
            value = values.get(q.code)
            if q.kind == Kind.TABLE:
                line += [as_number((value or {}).get(cell_key(r, c))) for r in q.rows for c in q.columns]
                continue
            if isinstance(value, list):
                line.append(" ; ".join(value))
            elif q.kind == Kind.NUMBER:
                line.append(as_number(value))
            else:
                line.append(value or "")
            if q.other:
                line.append(values.get(other_key(q.code), ""))
        lines.append(line)
    return headers, lines


def survey_targets(survey: Survey) -> QuerySet[Structure]:
    """The structures asked: of the chosen kinds, in the perimeter, valid on the opening day."""
    structures = Structure.objects.active(survey.opens_on).filter(kind__in=survey.kinds)
    if survey.root_id is not None:
        structures = structures.filter(path__startswith=survey.root.path)  # type: ignore[union-attr]
    return structures.order_by("path")


# --- survey load -----------------------------------------------------------------------------------------
def _same(question: Question) -> tuple[str, str]:
    """What makes two questions "the same question": their kind and their text, without case or accents."""
    return question.kind, normalise_label(question.text)


def reusable_answers(
    *, survey: Survey, structures: list[Structure]
) -> dict[Any, tuple[Survey, dict[str, Any]]]:
    """For each structure, its latest submitted answers (within REUSE_DAYS) to the same questions in earlier
    surveys, under this questionnaire's codes (three queries)."""
    ours = {_same(q): q for q in survey.questionnaire.questions.all()}
    since = timezone.now() - timedelta(days=REUSE_DAYS)
    earlier = (
        Answer.objects.filter(
            structure__in=[s.pk for s in structures], state=SUBMITTED, submitted_at__gte=since
        )
        .exclude(survey=survey)
        .select_related("survey")
        .order_by("submitted_at")
    )
    earlier_list = list(earlier)
    theirs = Question.objects.filter(
        questionnaire__surveys__in={a.survey_id for a in earlier_list}
    ).distinct()
    mapping: dict[Any, dict[str, str]] = defaultdict(dict)  # questionnaire → their code → our code
    for question in theirs:
        match = ours.get(_same(question))
        if match is not None:
            mapping[question.questionnaire_id][question.code] = match.code
    found: dict[Any, tuple[Survey, dict[str, Any]]] = {}
    for answer in earlier_list:  # oldest first: the latest answer wins, question by question
        codes = mapping.get(answer.survey.questionnaire_id, {})
        values = {
            ours_code: answer.values[code] for code, ours_code in codes.items() if code in answer.values
        }
        if values:
            previous = found.get(answer.structure_id, (answer.survey, {}))[1]
            found[answer.structure_id] = (answer.survey, {**previous, **values})
    return found


def survey_load(*, survey: Survey) -> dict[str, Any]:
    """Before sending: the structures it targets that other open surveys already ask, and the questions they have
    recently answered elsewhere (offered for reuse)."""
    targets = list(survey_targets(survey))
    busy = (
        Answer.objects.filter(structure__in=[t.pk for t in targets], survey__state=Survey.State.OPEN)
        .exclude(survey=survey)
        .values("survey_id", "survey__title", "survey__closes_on")
        .annotate(structures=Count("structure", distinct=True))
        .order_by("survey__closes_on")
    )
    busy_structures = (
        Answer.objects.filter(structure__in=[t.pk for t in targets], survey__state=Survey.State.OPEN)
        .exclude(survey=survey)
        .values("structure")
        .distinct()
        .count()
    )
    reusable = reusable_answers(survey=survey, structures=targets)
    per_question = Counter(code for _, values in reusable.values() for code in values)
    return {
        "targets": targets,
        "busy": list(busy),
        "busy_structures": busy_structures,
        "reusable_structures": len(reusable),
        "reusable_questions": sorted(per_question.items()),
    }


# --- open requests -------------------------------------------------------------------------------------
def _open_requests(user: Actor) -> QuerySet[Answer]:
    return (
        Answer.objects.visible_to(user)
        .filter(survey__state=Survey.State.OPEN)
        .exclude(state=SUBMITTED)
        .select_related("survey", "structure")
        .order_by("survey__closes_on", "structure__code")
    )


def my_requests(*, user: Actor) -> QuerySet[Answer]:
    """Open surveys waiting on a structure where the user holds an assignment (what they are asked to fill)."""
    if user.pk is None:
        return Answer.objects.none()
    mine = Assignment.objects.active().filter(person__user_id=user.pk).values("structure_id")
    return _open_requests(user).filter(structure__in=mine)


def structure_requests(*, user: Actor, structure: Structure) -> QuerySet[Answer]:
    """Every survey a structure is asked, open or answered, newest deadline first (its one list)."""
    return (
        Answer.objects.visible_to(user)
        .filter(structure=structure)
        .exclude(survey__state=Survey.State.DRAFT)
        .select_related("survey")
        .order_by("-survey__closes_on")
    )


def surveys_home(*, user: Actor) -> dict[str, Any] | None:
    """The home panel: what the user's structures are asked; for pilots, the open surveys and their rates."""
    if not has_perimeter(user):
        return None
    requests = list(my_requests(user=user)[:10])
    piloted = [
        s
        for s in survey_calendar(user=user)
        .filter(state=Survey.State.OPEN)
        .select_related("questionnaire__programme__owner")[:10]
        if can_write_path(user, s.questionnaire.programme.owner.path)
    ]
    if not (requests or piloted):
        return None
    return {"requests": requests, "surveys": piloted}


def themes_of(survey: Survey) -> list[Theme]:
    return list(survey.themes.all())
