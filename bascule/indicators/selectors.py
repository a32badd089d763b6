"""Reads of indicators: the consolidation up the structure tree (one query for the measurements whatever their
number), the trend over the last months, the lists."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Max, QuerySet

from bascule.core.access import perimeter_tops
from bascule.core.charts import line_chart_svg
from bascule.core.system import Actor
from bascule.indicators.models import Aggregation, Indicator, Measurement
from bascule.organisation.models import Structure, StructureKind
from bascule.programmes.models import Action, Programme


def indicator_list(*, user: Actor) -> QuerySet[Indicator]:
    return Indicator.objects.visible_to(user).select_related("programme").order_by("programme__code", "code")


def aggregate(rule: str, rows: Iterable[tuple[date, Decimal, Decimal | None]]) -> Decimal | None:
    """Consolidate (date, value, coverage) rows by the indicator's rule; None when there is nothing to add up."""
    found = list(rows)
    if not found:
        return None
    if rule == Aggregation.SUM:
        return sum((value for _, value, _ in found), Decimal(0))
    if rule == Aggregation.LATEST:
        return max(found, key=lambda r: r[0])[1]
    if rule == Aggregation.WEIGHTED:
        weighted = [(value, coverage) for _, value, coverage in found if coverage]
        if weighted:
            base = sum((coverage for _, coverage in weighted), Decimal(0))
            return sum((value * coverage for value, coverage in weighted), Decimal(0)) / base
    return sum((value for _, value, _ in found), Decimal(0)) / len(found)  # average (and unweighted %)


@dataclass
class Line:
    structure: Structure | None  # None: the whole scope
    value: Decimal | None
    answered: int
    expected: int

    @property
    def rate(self) -> int | None:
        return round(100 * self.answered / self.expected) if self.expected else None


@dataclass
class Consolidation:
    indicator: Indicator
    root: Structure | None
    on: date
    total: Line
    lines: list[Line] = field(default_factory=list)


def _latest_per_structure(
    indicator: Indicator, user: Actor, on: date, prefix: str
) -> dict[Any, tuple[str, str, date, Decimal, Decimal | None]]:
    """Each structure's latest measurement on or before `on`, in two queries reading only those rows: the last
    date of each structure (grouped on the (indicator, structure, date) index), then the rows of those dates."""
    scope = Measurement.objects.visible_to(user).filter(
        indicator=indicator, measured_on__lte=on, structure__path__startswith=prefix
    )
    last = dict(
        scope.values("structure_id").annotate(day=Max("measured_on")).values_list("structure_id", "day")
    )
    # Structures answer on a few common dates: ask for those dates, keep each structure's own last one (one row
    # per structure and date). A filter OR-ing one (structure, date) pair per structure cost more to compile
    # than to run.
    rows = scope.filter(structure_id__in=list(last), measured_on__in=set(last.values())).values_list(
        "structure_id", "structure__path", "structure__kind", "measured_on", "value", "coverage"
    )
    return {row[0]: row[1:] for row in rows if last[row[0]] == row[3]}


def consolidate(
    *, user: Actor, indicator: Indicator, root: Structure | None = None, on: date | None = None
) -> Consolidation:
    """The indicator under `root` (the user's whole perimeter when None), one line per child of the root — the
    regions, for national steering — with how many of the expected structures answered. Three queries."""
    day = on or date.today()
    tops = perimeter_tops(user)
    if root is not None:
        prefix = root.path
        children = list(Structure.objects.visible_to(user).filter(parent=root).order_by("code"))
    elif tops is None:
        prefix = "/"
        children = list(Structure.objects.filter(kind=StructureKind.REGION).order_by("code"))
    else:
        prefix = "/"
        children = list(Structure.objects.filter(path__in=tops).order_by("code"))
    latest = _latest_per_structure(indicator, user, day, prefix)
    expected = list(
        Structure.objects.visible_to(user)
        .filter(kind=indicator.expected_kind, path__startswith=prefix)
        .values_list("id", "path")
    )
    lines = []
    for child in children:
        inside = {sid: row for sid, row in latest.items() if row[0].startswith(child.path)}
        wanted = [sid for sid, path in expected if path.startswith(child.path)]
        lines.append(
            Line(
                structure=child,
                value=aggregate(indicator.aggregation, ((d, v, c) for _, _, d, v, c in inside.values())),
                answered=sum(1 for sid in wanted if sid in inside),
                expected=len(wanted),
            )
        )
    total = Line(
        structure=root,
        value=aggregate(indicator.aggregation, ((d, v, c) for _, _, d, v, c in latest.values())),
        answered=sum(1 for sid, _ in expected if sid in latest),
        expected=len(expected),
    )
    return Consolidation(indicator=indicator, root=root, on=day, total=total, lines=lines)


def trend(
    *,
    user: Actor,
    indicator: Indicator,
    root: Structure | None = None,
    months: int = 12,
    on: date | None = None,
) -> list[tuple[str, Decimal | None]]:
    """The consolidated value at the end of each of the last `months` months (two queries: each structure's latest
    value before the window, then the measurements inside it)."""
    day = on or date.today()
    prefix = root.path if root is not None else "/"
    ends = []
    for back in range(months - 1, -1, -1):
        year, month = day.year, day.month - back
        while month <= 0:
            year, month = year - 1, month + 12
        end = min(date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1), day)
        ends.append((f"{month:02d}/{str(year)[2:]}", end))
    window = ends[0][1].replace(day=1)
    before = _latest_per_structure(indicator, user, window - timedelta(days=1), prefix)
    rows = list(
        Measurement.objects.visible_to(user)
        .filter(
            indicator=indicator,
            measured_on__gte=window,
            measured_on__lte=day,
            structure__path__startswith=prefix,
        )
        .order_by("measured_on")
        .values_list("structure_id", "measured_on", "value", "coverage")
    )
    # One pass over the window in date order: at each month end, each structure's latest value so far.
    latest: dict[Any, tuple[date, Decimal, Decimal | None]] = {
        sid: (measured_on, value, coverage) for sid, (_, _, measured_on, value, coverage) in before.items()
    }
    points = []
    position = 0
    for label, end in ends:
        while position < len(rows) and rows[position][1] <= end:
            structure_id, measured_on, value, coverage = rows[position]
            latest[structure_id] = (measured_on, value, coverage)
            position += 1
        points.append((label, aggregate(indicator.aggregation, latest.values())))
    return points


def indicator_panel(
    *,
    user: Actor,
    indicator: Indicator,
    root: Structure | None = None,
    on: date | None = None,
    months: int = 6,
    size: tuple[int, int] = (420, 180),
) -> dict[str, Any]:
    """One indicator as its page, the dashboard and the committee report show it: the consolidation on `on` under
    `root` (value, who answered, one line per child), and the trend of the last months as a chart (with its data)."""
    day = on or date.today()
    consolidation = consolidate(user=user, indicator=indicator, root=root, on=day)
    points = trend(user=user, indicator=indicator, root=root, months=months, on=day)
    target = float(indicator.target_value) if indicator.target_value is not None else None
    chart = line_chart_svg(
        [(label, float(v) if v is not None else None) for label, v in points],
        title=f"{indicator.name} : {months} derniers mois",
        target=target,
        unit=indicator.unit if indicator.unit == "%" else "",
        width=size[0],
        height=size[1],
    )
    return {
        "indicator": indicator,
        "consolidation": consolidation,
        "total": consolidation.total,
        "points": points,
        "chart": chart,
    }


def indicator_panels(
    *, user: Actor, programme: Programme, root: Structure | None = None, on: date | None = None
) -> list[dict[str, Any]]:
    """Every indicator of the programme as a panel (see `indicator_panel`)."""
    return [
        indicator_panel(user=user, indicator=indicator, root=root, on=on)
        for indicator in Indicator.objects.filter(programme=programme).order_by("code")
    ]


def linked_actions(*, user: Actor, indicator: Indicator) -> list[Action]:
    """The actions the indicator measures that the reader may see."""
    return list(
        indicator.actions.all()
        .filter(pk__in=Action.objects.visible_to(user).values("pk"))
        .select_related("structure")
        .order_by("code")
    )


def recent_measurements(
    *, user: Actor, indicator: Indicator, root: Structure | None = None
) -> QuerySet[Measurement]:
    qs = (
        Measurement.objects.visible_to(user)
        .filter(indicator=indicator)
        .select_related("structure", "indicator")
    )
    if root is not None:
        qs = qs.filter(structure__path__startswith=root.path)
    return qs.order_by("-measured_on", "structure__code")


MEASUREMENT_COLUMNS = ["Indicateur", "Structure", "Date", "Valeur", "Base", "Source"]


def measurement_rows(measurements: QuerySet[Measurement]) -> Any:
    for m in measurements.iterator(chunk_size=2000):
        yield [m.indicator.code, m.structure.code, m.measured_on, m.value, m.coverage, m.source]


def off_target_panel(*, user: Actor, on: date | None = None) -> dict[str, Any] | None:
    """The home page's panel: the indicators whose consolidated value (in the user's perimeter) is below target.

    Two queries whatever the number of indicators and measurements."""
    day = on or date.today()
    indicators = {i.pk: i for i in indicator_list(user=user).exclude(target_value=None)}
    if not indicators:
        return None
    rows = (
        Measurement.objects.visible_to(user)
        .filter(indicator_id__in=list(indicators), measured_on__lte=day)
        .order_by("indicator_id", "structure_id", "-measured_on")
        .values_list("indicator_id", "structure_id", "measured_on", "value", "coverage")
    )
    latest: dict[Any, dict[Any, tuple[date, Decimal, Decimal | None]]] = {}
    for indicator_id, structure_id, measured_on, value, coverage in rows.iterator(chunk_size=5000):
        latest.setdefault(indicator_id, {}).setdefault(structure_id, (measured_on, value, coverage))
    below = []
    for pk, indicator in indicators.items():
        current = aggregate(indicator.aggregation, latest.get(pk, {}).values())
        if current is not None and indicator.target_value is not None and current < indicator.target_value:
            below.append({"indicator": indicator, "value": current})
    return {"below": below} if below else None
