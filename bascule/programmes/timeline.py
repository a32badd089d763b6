"""A Gantt-like timeline of a programme: go-live dates, workstream milestones and action deadlines on one axis.

Positions are percentages of the window (first to last date shown, whole months), so the page needs no script.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.db.models import Max, Min
from django.utils import timezone

from bascule.core.system import Actor
from bascule.programmes.models import Action, InstanceItem, Programme


@dataclass
class Bar:
    label: str
    start: date
    end: date
    left: float = 0.0
    width: float = 0.0
    url: str = ""
    late: bool = False
    milestone: bool = False


@dataclass
class Row:
    title: str
    bars: list[Bar] = field(default_factory=list)
    group: str = ""


@dataclass
class Timeline:
    start: date
    end: date
    months: list[tuple[str, float, float]]  # label, left %, width %
    golives: list[Bar]
    rows: list[Row]
    today: float | None


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


MONTH_NAMES = (
    "janv.",
    "févr.",
    "mars",
    "avr.",
    "mai",
    "juin",
    "juil.",
    "août",
    "sept.",
    "oct.",
    "nov.",
    "déc.",
)
MAX_LABELS = 12  # about 8 rem a label at 1366 px: more would overlap


def _month_labels(start: date, end: date, span: int) -> list[tuple[str, float, float]]:
    """A tick per month; a label every `step` months (at most MAX_LABELS show), with its year when it changes."""
    firsts = []
    cursor = start
    while cursor < end:
        firsts.append(cursor)
        cursor = _next_month(cursor)
    step = max(1, -(-len(firsts) // MAX_LABELS))
    months = []
    last_year = None
    for index, first in enumerate(firsts):
        following = firsts[index + step] if index + step < len(firsts) else end
        shown = index % step == 0
        label = MONTH_NAMES[first.month - 1] + (f" {first:%Y}" if shown and first.year != last_year else "")
        last_year = first.year if shown else last_year
        months.append(
            (
                label if shown else "",
                round((first - start).days / span * 100, 2),
                round((following - first).days / span * 100, 2) if shown else 0.0,
            )
        )
    return months


def build_timeline(
    *, user: Actor, programme: Programme, limit: int = 300, today: date | None = None
) -> Timeline | None:
    """Rows: one per workstream (milestones due in the user's regions), then actions grouped by pain point."""
    from django.urls import reverse

    today = today or timezone.localdate()
    waves = list(programme.waves.all())
    items = (
        InstanceItem.objects.visible_to(user)
        .filter(workstream__template__programme=programme, due_date__isnull=False)
        .values("workstream__template__number", "workstream__template__name", "kind", "name")
        .annotate(first=Min("due_date"), last=Max("due_date"))
        .order_by("workstream__template__number", "first")
    )
    actions = list(
        Action.objects.visible_to(user)
        .filter(programme=programme, deadline_understood=True, deadline_end__isnull=False)
        .select_related("pain_point", "workstream__template", "structure")
        .order_by("pain_point__number", "workstream__template__number", "deadline_end", "code")[:limit]
    )
    dates = [w.golive_date for w in waves] + [i["first"] for i in items] + [i["last"] for i in items]
    dates += [a.deadline_start or a.deadline_end for a in actions] + [a.deadline_end for a in actions]
    dates = [d for d in dates if d]
    if not dates:
        return None
    start, end = _month_start(min(dates)), _next_month(max(dates))
    span = (end - start).days

    def place(bar: Bar) -> Bar:
        bar.left = round((bar.start - start).days / span * 100, 2)
        bar.width = max(round(((bar.end - bar.start).days + 1) / span * 100, 2), 0.6)
        return bar

    months = _month_labels(start, end, span)
    rows: dict[str, Row] = {}
    for item in items:
        title = f"Chantier {item['workstream__template__number']}. {item['workstream__template__name']}"
        label = f"{item['name']} : entre le {item['first']:%d/%m/%Y} et le {item['last']:%d/%m/%Y} selon les régions"
        rows.setdefault(title, Row(title)).bars.append(
            place(Bar(label, item["first"], item["last"], milestone=True))
        )
    ordered = list(rows.values())
    for action in actions:  # one row per action, under its pain point or its workstream
        if action.pain_point:
            group = f"Irritant {action.pain_point}"
        elif action.workstream:
            group = f"Actions du chantier {action.workstream.template}"
        else:
            group = "Autres actions"
        first = action.deadline_start or action.deadline_end
        where = f" ({action.structure.name})" if action.structure else ""
        label = f"{action.code} — {action.title[:60]}{where} : du {first:%d/%m/%Y} au {action.deadline_end:%d/%m/%Y}"
        url = reverse("programmes:action_detail", args=[action.pk])
        bar = place(Bar(label, first, action.deadline_end, url=url, late=action.is_late))  # type: ignore[arg-type]
        ordered.append(Row(f"{action.code}{where}", [bar], group=group))
    golives = [
        place(Bar(f"{w.name} : bascule le {w.golive_date:%d/%m/%Y}", w.golive_date, w.golive_date))
        for w in waves
    ]
    marker = round((today - start).days / span * 100, 2) if start <= today < end else None
    return Timeline(start=start, end=end, months=months, golives=golives, rows=ordered, today=marker)
