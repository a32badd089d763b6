"""The consolidated dashboard: nation → region → structure → actions, for one programme, within the perimeter.

Every figure is computed from a handful of queries whatever the number of actions, workstreams or measurements
(one more per indicator of the programme), and each links to the list behind it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from bascule.committees.models import Campaign, Meeting
from bascule.committees.selectors import Comparison, campaign_page, compare_since, compare_with_today
from bascule.core.access import perimeter_tops
from bascule.core.charts import bar_chart_svg, line_chart_svg
from bascule.core.system import Actor
from bascule.indicators.models import Indicator
from bascule.indicators.selectors import consolidate, trend
from bascule.organisation.models import Structure, StructureKind
from bascule.programmes.models import FINISHED, Action, Programme, Status, Wave, Workstream, late_q

UPCOMING_DAYS = 30


@dataclass(frozen=True)
class Filters:
    programme: str = ""  # code; the first visible programme when empty
    wave: str = ""  # id
    workstream: int | None = None  # template number
    involving: str = ""  # structure code, lead or partner
    since: str = ""  # meeting id whose frozen state the changes are counted from
    since_date: date | None = None  # or a date: the former state read from the actions' history


@dataclass
class Row:
    structure: Structure | None  # None: the programme's national actions
    statuses: dict[str, int] = field(default_factory=dict)
    late: int = 0
    soon: int = 0
    actions: int = 0
    drill: str = ""  # the dashboard one level down ("" at the bottom)
    counts: list[int] = field(default_factory=list)  # workstreams per status, in the order of Status
    actions_url: str = ""


def _children(user: Actor, root: Structure | None) -> list[Structure]:
    if root is not None:
        return list(Structure.objects.visible_to(user).filter(parent=root).order_by("kind", "code"))
    tops = perimeter_tops(user)
    if tops is None:
        return list(Structure.objects.filter(kind=StructureKind.REGION).order_by("code"))
    return list(Structure.objects.filter(path__in=tops).order_by("code"))


def dashboard(*, user: Actor, filters: Filters, root: Structure | None) -> dict[str, Any] | None:
    programmes = list(Programme.objects.visible_to(user).order_by("code"))
    programme = next(
        (p for p in programmes if p.code == filters.programme), programmes[0] if programmes else None
    )
    if programme is None:
        return None
    today = timezone.localdate()
    soon_to = today + timedelta(days=UPCOMING_DAYS)
    children = _children(user, root)
    wave = Wave.objects.filter(programme=programme, pk=filters.wave).first() if _uuid(filters.wave) else None

    workstreams = Workstream.objects.visible_to(user).filter(template__programme=programme)
    actions = Action.objects.visible_to(user).filter(programme=programme)
    if root is not None:
        workstreams = workstreams.filter(structure__path__startswith=root.path)
        actions = actions.filter(structure__path__startswith=root.path)
    if wave is not None:
        wave_paths = list(wave.structures.values_list("path", flat=True))
        in_wave = Q(pk__in=[])
        for path in wave_paths:
            in_wave |= Q(structure__path__startswith=path)
        workstreams = workstreams.filter(in_wave)
        actions = actions.filter(in_wave)
    if filters.workstream:
        workstreams = workstreams.filter(template__number=filters.workstream)
        actions = actions.filter(workstream__template__number=filters.workstream)
    if filters.involving:
        actions = actions.filter(
            Q(lead_structures__code=filters.involving) | Q(partner_structures__code=filters.involving)
        ).distinct()

    rows = {child.pk: Row(structure=child) for child in children}
    national = Row(structure=None)
    own = Row(structure=root)  # what is attached to the root itself (a region's own actions and workstreams)

    def row_for(path: str | None) -> Row | None:
        if path is None:
            return national if root is None else None
        if root is not None and path == root.path:
            return own
        for child in children:
            if path.startswith(child.path):
                return rows[child.pk]
        return None

    for path, state in workstreams.values_list("structure__path", "status"):
        row = row_for(path)
        if row is not None:
            row.statuses[state] = row.statuses.get(state, 0) + 1
    late_ids = set(actions.filter(late_q(today)).values_list("id", flat=True))
    for pk, path, state, end in actions.values_list("id", "structure__path", "status", "deadline_end"):
        row = row_for(path)
        if row is None:
            continue
        row.actions += 1
        row.late += pk in late_ids
        row.soon += state not in FINISHED and end is not None and today <= end <= soon_to

    base = {"programme": programme.code, **({"vague": filters.wave} if filters.wave else {})}
    if filters.workstream:
        base["chantier"] = str(filters.workstream)
    if filters.involving:
        base["structure"] = filters.involving
    for child in children:
        row = rows[child.pk]
        has_below = child.kind in {StructureKind.REGION, StructureKind.INTERMINISTERIAL} or child.depth < 3
        row.drill = "?" + urlencode({**base, "dans": str(child.pk)}) if has_below else ""
        # A region's actions by its INSEE code; below, the actions that name the structure (lead or partner).
        where = {"region": child.region} if child.kind == StructureKind.REGION else {"involving": child.code}
        row.actions_url = (
            reverse("programmes:action_list") + "?" + urlencode({"programme": programme.code, **where})
        )
    for r in [*rows.values(), national, own]:
        r.counts = [r.statuses.get(value, 0) for value in Status.values]
    lines = [r for r in rows.values() if r.actions or r.statuses]
    if root is None and (national.actions or national.statuses):
        national.actions_url = (
            reverse("programmes:action_list") + "?" + urlencode({"programme": programme.code})
        )
        lines.insert(0, national)
    if root is not None and (own.actions or own.statuses):
        where = {"region": root.region} if root.kind == StructureKind.REGION else {"involving": root.code}
        own.actions_url = (
            reverse("programmes:action_list") + "?" + urlencode({"programme": programme.code, **where})
        )
        lines.insert(0, own)

    totals: dict[str, int] = {}
    for r in [*rows.values(), national, own]:
        for state, n in r.statuses.items():
            totals[state] = totals.get(state, 0) + n
    status_rows = [(label, totals.get(value, 0)) for value, label in Status.choices]
    meetings = list(
        Meeting.objects.visible_to(user)
        .filter(programme=programme, snapshot__isnull=False)
        .select_related("structure", "programme__owner")
        .order_by("-held_on")
    )
    since = next((m for m in meetings if str(m.pk) == filters.since), meetings[0] if meetings else None)
    changes: Comparison | None = None
    if filters.since_date is not None:
        since = None
        changes = compare_since(user=user, programme=programme, day=filters.since_date, root=root)
    elif since is not None:
        changes = compare_with_today(user=user, meeting=since)
    campaigns = [
        {"campaign": c, **campaign_page(user=user, campaign=c)}
        for c in Campaign.objects.visible_to(user)
        .filter(programme=programme, state=Campaign.State.OPEN)
        .select_related("programme__owner", "meeting")
    ]
    indicators = []
    for indicator in Indicator.objects.filter(programme=programme).order_by("code"):
        consolidation = consolidate(user=user, indicator=indicator, root=root, on=today)
        points = trend(user=user, indicator=indicator, root=root, months=6, on=today)
        indicators.append(
            {
                "indicator": indicator,
                "total": consolidation.total,
                "points": points,
                "chart": line_chart_svg(
                    [(label, float(v) if v is not None else None) for label, v in points],
                    title=f"{indicator.name} : six derniers mois",
                    target=float(indicator.target_value) if indicator.target_value is not None else None,
                    width=420,
                    height=180,
                ),
            }
        )
    return {
        "programme": programme,
        "programmes": programmes,
        "waves": list(Wave.objects.filter(programme=programme).order_by("golive_date")),
        "root": root,
        "ancestors": _ancestors(user, root),
        "lines": lines,
        "statuses": Status.choices,
        "status_rows": status_rows,
        "status_chart": bar_chart_svg(status_rows, title="Chantiers par état"),
        "late": sum(r.late for r in lines),
        "soon": sum(r.soon for r in lines),
        "days": UPCOMING_DAYS,
        "meetings": meetings,
        "since": since,
        "changes": changes,
        "campaigns": campaigns,
        "indicators": indicators,
        "today": today,
    }


def _ancestors(user: Actor, root: Structure | None) -> list[Structure]:
    if root is None:
        return []
    parts = [p for p in root.path.strip("/").split("/") if p]
    paths = ["/" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts) - 1)]
    return list(Structure.objects.visible_to(user).filter(path__in=paths).order_by("depth"))


def _uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True
