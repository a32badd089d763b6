"""The consolidated dashboard: nation → region → structure → actions, for one programme, within the perimeter.

Every figure is computed from a handful of queries whatever the number of actions, workstreams or measurements
(one more per indicator of the programme), and each links to the list behind it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from bascule.committees.models import Campaign, Meeting, SnapshotAction, SnapshotWorkstream
from bascule.committees.selectors import (
    Comparison,
    campaign_page,
    compare_meetings,
    compare_since,
    compare_with_today,
)
from bascule.core.access import perimeter_tops
from bascule.core.charts import bar_chart_svg
from bascule.core.parsing import is_uuid
from bascule.core.system import Actor
from bascule.indicators.selectors import indicator_panels
from bascule.organisation.models import Structure, StructureKind
from bascule.programmes.models import FINISHED, Action, Programme, Status, Wave, Workstream, is_late
from bascule.programmes.selectors import NATIONAL

UPCOMING_DAYS = 30


@dataclass(frozen=True)
class Filters:
    programme: str = ""  # code; the first visible programme when empty
    wave: str = ""  # id
    workstream: int | None = None  # template number
    involving: str = ""  # structure code, lead or partner
    since: str = ""  # meeting id whose frozen state the changes are counted from
    since_date: date | None = None  # or a date: the former state read from the actions' history
    as_of: str = ""  # meeting id: every figure as it stood at that committee (its frozen state)


@dataclass
class Row:
    structure: Structure | None  # None: the programme's national actions
    statuses: dict[str, int] = field(default_factory=dict)
    late: int = 0
    soon: int = 0
    actions: int = 0
    drill: str = ""  # the dashboard one level down ("" at the bottom)
    counts: list[int] = field(default_factory=list)  # workstreams per status, in the order of Status
    actions_url: str = ""  # the rows behind `actions`, `late` and `soon`
    late_url: str = ""
    soon_url: str = ""


@dataclass(frozen=True)
class _Links:
    """Where each figure of a row is checked row by row: today's action list, or the state frozen at a meeting."""

    programme: Programme
    as_of: Meeting | None
    wave: str
    workstream: int | None
    involving: str  # the lead filter: a structure code, as lead or partner
    today: date

    def fill(self, row: Row, structure: Structure | None, *, own_level: bool) -> None:
        # The same subtree the row counts (`dans`, `propre` for the root's own level), the same filters.
        if self.as_of is not None:
            where: dict[str, str] = {"national": "on"} if structure is None else {"dans": str(structure.pk)}
            if own_level:
                where["propre"] = "on"
            if self.wave:
                where["vague"] = self.wave
            if self.workstream:
                where["chantier"] = str(self.workstream)
            if self.involving:
                where["pilote"] = self.involving
            url = reverse("committees:meeting_state", args=[self.as_of.pk]) + "?" + urlencode(where)
            row.actions_url, row.late_url = url, url + "&retard=on"
            row.soon_url = url + f"&a_jours={UPCOMING_DAYS}"
            return
        where = {"programme": self.programme.code}
        if self.wave:
            where["wave"] = self.wave
        if self.workstream:
            where["workstream"] = str(self.workstream)
        if self.involving:
            where["involving"] = self.involving
        if structure is None:
            where["region"] = NATIONAL
        else:
            where["dans"] = str(structure.pk)
            if own_level:
                where["propre"] = "on"
        url = reverse("programmes:action_list") + "?" + urlencode(where)
        row.actions_url, row.late_url = url, url + "&late=on"
        soon_to = self.today + timedelta(days=UPCOMING_DAYS)
        row.soon_url = url + f"&deadline_from={self.today:%Y-%m-%d}&due_by={soon_to:%Y-%m-%d}"


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
    meetings = list(
        Meeting.objects.visible_to(user)
        .filter(programme=programme, snapshot__isnull=False)
        .select_related("structure", "programme__owner")
        .order_by("-held_on")
    )
    as_of = next((m for m in meetings if str(m.pk) == filters.as_of), None)
    # "As of" a committee, every figure is read from the state frozen at it, judged on its day.
    today = as_of.held_on if as_of is not None else timezone.localdate()
    soon_to = today + timedelta(days=UPCOMING_DAYS)
    children = _children(user, root)
    wave = (
        Wave.objects.filter(programme=programme, pk=filters.wave).first() if is_uuid(filters.wave) else None
    )

    workstreams: QuerySet[Any]
    actions: QuerySet[Any]
    if as_of is not None:
        workstreams = SnapshotWorkstream.objects.visible_to(user).filter(snapshot__meeting=as_of)
        actions = SnapshotAction.objects.visible_to(user).filter(snapshot__meeting=as_of)
        number, action_number, through = "number", "workstream_number", "action__"
    else:
        workstreams = Workstream.objects.visible_to(user).filter(template__programme=programme)
        actions = Action.objects.visible_to(user).filter(programme=programme)
        number, action_number, through = "template__number", "workstream__template__number", ""
    if root is not None:
        workstreams = workstreams.filter(structure__path__startswith=root.path)
        actions = actions.filter(structure__path__startswith=root.path)
    if wave is not None:
        in_wave = wave.covers_q()
        workstreams = workstreams.filter(in_wave)
        actions = actions.filter(in_wave)
    if filters.workstream:
        workstreams = workstreams.filter(**{number: filters.workstream})
        actions = actions.filter(**{action_number: filters.workstream})
    if filters.involving:
        # As of a committee, an action's leads and partners are today's (they are not frozen).
        actions = actions.filter(
            Q(**{f"{through}lead_structures__code": filters.involving})
            | Q(**{f"{through}partner_structures__code": filters.involving})
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
    # Late: as frozen at the committee, or today's rule on the rows just read (no second query). The id stays in
    # the columns so that `distinct()` (lead filter) never merges two actions.
    read: Iterable[tuple[Any, str | None, str, date | None, bool]]
    if as_of is not None:
        frozen_columns = ("id", "structure__path", "status", "deadline_end", "late")  # SnapshotAction's
        read = actions.values_list(*frozen_columns)
    else:
        read = (
            (pk, at, state, end, is_late(state, end, today))
            for pk, at, state, end in actions.values_list("id", "structure__path", "status", "deadline_end")
        )
    for _pk, at, state, end, late in read:
        row = row_for(at)
        if row is None:
            continue
        row.actions += 1
        row.late += late
        row.soon += state not in FINISHED and end is not None and today <= end <= soon_to

    base = {"programme": programme.code, **({"vague": filters.wave} if filters.wave else {})}
    if filters.workstream:
        base["chantier"] = str(filters.workstream)
    if filters.involving:
        base["structure"] = filters.involving
    if as_of is not None:
        base["au"] = str(as_of.pk)
    links = _Links(
        programme=programme,
        as_of=as_of,
        wave=str(wave.pk) if wave else "",
        workstream=filters.workstream,
        involving=filters.involving,
        today=today,
    )
    for child in children:
        row = rows[child.pk]
        has_below = child.kind in {StructureKind.REGION, StructureKind.INTERMINISTERIAL} or child.depth < 3
        row.drill = "?" + urlencode({**base, "dans": str(child.pk)}) if has_below else ""
        links.fill(row, child, own_level=False)
    for r in [*rows.values(), national, own]:
        r.counts = [r.statuses.get(value, 0) for value, _ in Status.choices]
    lines = [r for r in rows.values() if r.actions or r.statuses]
    if root is None and (national.actions or national.statuses):
        links.fill(national, None, own_level=False)
        lines.insert(0, national)
    if root is not None and (own.actions or own.statuses):
        links.fill(own, root, own_level=True)
        lines.insert(0, own)

    totals: dict[str, int] = {}
    for r in [*rows.values(), national, own]:
        for state, n in r.statuses.items():
            totals[state] = totals.get(state, 0) + n
    status_rows = [(label, totals.get(value, 0)) for value, label in Status.choices]
    changes: Comparison | None = None
    if as_of is not None:
        # What changed from an earlier committee to this one (by default the one just before).
        earlier = [m for m in meetings if m.held_on < as_of.held_on]
        since = next((m for m in earlier if str(m.pk) == filters.since), earlier[0] if earlier else None)
        if since is not None:
            changes = compare_meetings(user=user, before=since, after=as_of)
        campaigns_of = Campaign.objects.visible_to(user).filter(programme=programme, meeting=as_of)
    else:
        since = next((m for m in meetings if str(m.pk) == filters.since), meetings[0] if meetings else None)
        if filters.since_date is not None:
            since = None
            changes = compare_since(user=user, programme=programme, day=filters.since_date, root=root)
        elif since is not None:
            changes = compare_with_today(user=user, meeting=since)
        campaigns_of = Campaign.objects.visible_to(user).filter(
            programme=programme, state=Campaign.State.OPEN
        )
    campaigns = [
        {"campaign": c, **campaign_page(user=user, campaign=c)}
        for c in campaigns_of.select_related("programme__owner", "meeting")
    ]
    indicators = indicator_panels(user=user, programme=programme, root=root, on=today)
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
        "as_of": as_of,
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
