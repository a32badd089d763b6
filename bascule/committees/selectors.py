"""Reads of committees: meetings, decisions to follow up, the state frozen at a meeting and the comparison of two."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from bascule.committees.models import (
    AgendaItem,
    Campaign,
    Meeting,
    SnapshotAction,
    SnapshotWorkstream,
    UpdateRequest,
)
from bascule.core.system import Actor
from bascule.organisation.geography import REGIONS
from bascule.organisation.models import Structure, StructureKind
from bascule.programmes.models import FINISHED, Action, Decision, Programme, Status, Wave, Workstream, is_late


def meeting_scopes(*, user: Actor) -> tuple[list[Programme], list[Structure | None]]:
    """The programmes and scopes (None: national) where the user may convene a committee."""
    programmes = list(Programme.objects.visible_to(user).select_related("owner").order_by("code"))
    national = any(p.get_abilities(user)["change"] for p in programmes)
    regions = list(
        Structure.objects.editable_by(user)
        .filter(kind__in=[StructureKind.REGION, StructureKind.DEPARTMENT])
        .order_by("kind", "code")
    )
    scopes: list[Structure | None] = ([None] if national else []) + list(regions)
    return programmes, scopes


@dataclass(frozen=True)
class MeetingFilters:
    programme: str = ""  # code
    committee: str = ""


MEETING_COLUMNS = ["Programme", "Instance", "Périmètre", "Date", "Intitulé", "Lieu", "Décisions"]


def meeting_list(*, user: Actor, filters: MeetingFilters) -> QuerySet[Meeting]:
    meetings = Meeting.objects.visible_to(user).select_related("programme", "structure")
    if filters.programme:
        meetings = meetings.filter(programme__code=filters.programme)
    if filters.committee:
        meetings = meetings.filter(committee=filters.committee)
    return meetings.annotate(decision_count=Count("decisions")).order_by("-held_on", "title")


def meeting_rows(meetings: QuerySet[Meeting]) -> Any:
    for m in meetings:
        yield [
            m.programme.code,
            m.get_committee_display(),
            m.structure.code if m.structure else "national",
            m.held_on,
            m.title,
            m.location,
            m.decision_count,  # type: ignore[attr-defined]
        ]


# What a decision's row and its abilities read (its scope is its meeting's, or its programme's owner).
DECISION_RELATED = ("owner", "programme__owner", "meeting__structure", "meeting__programme__owner")


def agenda_workstreams(*, user: Actor, meeting: Meeting) -> QuerySet[Workstream]:
    """The regional workstreams an agenda item may be about: the meeting's programme, in its scope and the reader's."""
    workstreams = Workstream.objects.visible_to(user).filter(template__programme=meeting.programme)
    if meeting.structure is not None:
        workstreams = workstreams.filter(structure__path__startswith=meeting.structure.path)
    return workstreams.select_related("template", "structure").order_by("template__number", "structure__code")


def with_actions(decisions: QuerySet[Decision], *, user: Actor) -> QuerySet[Decision]:
    """Each decision's actions the reader may see, in one more query for the whole list (`decision.answers`)."""
    answers = Action.objects.visible_to(user).only("id", "code", "status", "decision_id").order_by("code")
    return decisions.prefetch_related(Prefetch("actions", queryset=answers, to_attr="answers"))


def decisions_to_follow(*, user: Actor, meeting: Meeting) -> QuerySet[Decision]:
    """Open decisions of the same programme and scope taken before this meeting: each meeting reviews them."""
    return (
        Decision.objects.visible_to(user)
        .filter(programme=meeting.programme, follow_up=Decision.FollowUp.OPEN, taken_on__lt=meeting.held_on)
        .filter(
            Q(meeting__structure=meeting.structure) if meeting.structure_id else Q(meeting__structure=None)
        )
        .select_related(*DECISION_RELATED)
        .order_by("taken_on", "title")
    )


def _agenda(user: Actor, meeting: Meeting) -> list[AgendaItem]:
    """The agenda; each item names its action or workstream only to a reader who may see it (`shown_action`,
    `shown_workstream`): the title of the item is the meeting's, the action may be another region's."""
    items = list(meeting.agenda.select_related("action", "workstream__template", "workstream__structure"))
    actions = set(
        Action.objects.visible_to(user)
        .filter(pk__in=[i.action_id for i in items if i.action_id])
        .values_list("pk", flat=True)
    )
    workstreams = set(
        Workstream.objects.visible_to(user)
        .filter(pk__in=[i.workstream_id for i in items if i.workstream_id])
        .values_list("pk", flat=True)
    )
    for item in items:
        item.shown_action = item.action if item.action_id in actions else None  # type: ignore[attr-defined]
        item.shown_workstream = item.workstream if item.workstream_id in workstreams else None  # type: ignore[attr-defined]
    return items


def meeting_page(*, user: Actor, meeting: Meeting) -> dict[str, Any]:
    attendees = list(
        meeting.attendees.visible_to(user).select_related("structure").order_by("last_name", "first_name")
    )
    structures = list(meeting.attending_structures.visible_to(user).order_by("code"))
    snapshot = getattr(meeting, "snapshot", None)
    summary = None
    if snapshot is not None:
        rows = SnapshotAction.objects.visible_to(user).filter(snapshot=snapshot)
        by_status = dict(rows.values_list("status").annotate(n=Count("id")).order_by())
        summary = {
            "total": sum(by_status.values()),
            "late": rows.filter(late=True).count(),
            "by_status": [(label, by_status.get(value, 0)) for value, label in Status.choices],
            "workstreams": frozen_workstreams(user=user, meeting=meeting),
        }
    earlier = (
        Meeting.objects.visible_to(user)
        .filter(programme=meeting.programme, structure=meeting.structure, held_on__lt=meeting.held_on)
        .filter(snapshot__isnull=False)
        .order_by("-held_on")
        .first()
    )
    return {
        # People and structures outside the reader's perimeter are counted, not named.
        "attendees": attendees,
        "attending_structures": structures,
        "hidden_attendees": meeting.attendees.count() - len(attendees),
        "hidden_structures": meeting.attending_structures.count() - len(structures),
        "agenda": _agenda(user, meeting),
        "decisions": list(
            with_actions(meeting.decisions.select_related(*DECISION_RELATED).order_by("title"), user=user)
        ),
        "to_follow": list(with_actions(decisions_to_follow(user=user, meeting=meeting), user=user)),
        "snapshot": snapshot,
        "summary": summary,
        "previous": earlier if snapshot is not None else None,
    }


# --- comparing two committees ----------------------------------------------------------------------
@dataclass
class Comparison:
    before: Meeting | None  # None: the state at the start of `since`, read from history
    after: Meeting | None  # None: today's state
    since: date | None = None
    new: list[dict[str, Any]] = field(default_factory=list)
    removed: list[dict[str, Any]] = field(default_factory=list)
    became_late: list[dict[str, Any]] = field(default_factory=list)
    done: list[dict[str, Any]] = field(default_factory=list)
    deadline_changed: list[dict[str, Any]] = field(default_factory=list)
    status_changed: list[dict[str, Any]] = field(default_factory=list)

    def sections(self) -> list[tuple[str, str, list[dict[str, Any]]]]:
        return [
            ("nouvelles", "Nouvelles actions", self.new),
            ("terminees", "Actions terminées depuis", self.done),
            ("retard", "Passées en retard", self.became_late),
            ("echeances", "Échéances modifiées", self.deadline_changed),
            ("etats", "Autres changements d'état", self.status_changed),
            ("retirees", "Actions retirées", self.removed),
        ]


_FIELDS = ("action_key", "action_id", "code", "title", "status", "percent", "deadline_end", "late")


def _state(user: Actor, meeting: Meeting) -> dict[Any, dict[str, Any]]:
    rows = SnapshotAction.objects.visible_to(user).filter(snapshot__meeting=meeting).values(*_FIELDS)
    return {row["action_key"]: row for row in rows}  # the dict holds every row: one fetch, no server cursor


def compare_meetings(*, user: Actor, before: Meeting, after: Meeting) -> Comparison:
    """What changed between the states frozen at two meetings (two queries, whatever the number of actions)."""
    if before.held_on > after.held_on:
        before, after = after, before
    return diff_states(_state(user, before), _state(user, after), before=before, after=after)


_NOW_FIELDS = ("id", "code", "title", "status", "percent", "deadline_end")


def _today_state(user: Actor, programme: Programme, root: Structure | None) -> dict[Any, dict[str, Any]]:
    today = timezone.localdate()
    actions = Action.objects.visible_to(user).filter(programme=programme)
    if root is not None:
        actions = actions.filter(structure__path__startswith=root.path)
    return {
        row["id"]: {
            **row,
            "action_key": row["id"],
            "action_id": row["id"],
            "late": is_late(row["status"], row["deadline_end"], today),
        }
        for row in actions.values(*_NOW_FIELDS)
    }


def compare_with_today(*, user: Actor, meeting: Meeting) -> Comparison:
    """What changed since the state frozen at `meeting`, in the same scope (three queries)."""
    now = _today_state(user, meeting.programme, meeting.structure)
    return diff_states(_state(user, meeting), now, before=meeting, after=None)


def compare_since(
    *, user: Actor, programme: Programme, day: date, root: Structure | None = None
) -> Comparison:
    """What changed since the start of `day`, the former state read from the actions' history (as of that day)."""
    moment = timezone.make_aware(datetime.combine(day, time.min))
    seen = Structure.objects.visible_to(user)
    if root is not None:
        seen = seen.filter(path__startswith=root.path)
    former = Action.history.as_of(moment).filter(programme_id=programme.pk)
    national = Q(structure_id__isnull=True) if root is None else Q(pk__in=[])
    former = former.filter(national | Q(structure_id__in=seen.values("id")))
    old = {
        row["id"]: {
            **row,
            "action_key": row["id"],
            "action_id": row["id"],
            "late": is_late(row["status"], row["deadline_end"], day),
        }
        for row in former.values(*_NOW_FIELDS)
    }
    return diff_states(old, _today_state(user, programme, root), before=None, after=None, since=day)


def diff_states(
    old: dict[Any, dict[str, Any]],
    new: dict[Any, dict[str, Any]],
    *,
    before: Meeting | None,
    after: Meeting | None,
    since: date | None = None,
) -> Comparison:
    """The sections of a comparison between two states of the same actions (keyed by action)."""
    result = Comparison(before=before, after=after, since=since)
    labels = dict(Status.choices)
    done = Status.DONE
    for key, row in new.items():
        previous = old.get(key)
        if previous is None:
            result.new.append({**row, "status_label": labels.get(row["status"], row["status"])})
            continue
        status, was = row["status"], previous["status"]
        finished = status == done and was != done
        other_status = status != was and not finished
        became_late = row["late"] and not previous["late"]
        moved = row["deadline_end"] != previous["deadline_end"]
        if not (finished or other_status or became_late or moved):
            continue  # most actions: unchanged, nothing copied
        row = {
            **row,
            "status_label": labels.get(status, status),
            "before": {**previous, "status_label": labels.get(was, was)},
        }
        if finished:
            result.done.append(row)
        elif other_status:
            result.status_changed.append(row)
        if became_late:
            result.became_late.append(row)
        if moved:
            result.deadline_changed.append(row)
    result.removed = [
        {
            "code": row["code"],
            "title": row["title"],
            "status_label": "",
            "deadline_end": None,
            "before": {**row, "status_label": labels.get(row["status"], row["status"])},
        }
        for key, row in old.items()
        if key not in new
    ]
    for section in (result.new, result.removed, result.became_late, result.done, result.deadline_changed):
        section.sort(key=lambda r: _code_key(r["code"]))
    result.status_changed.sort(key=lambda r: _code_key(r["code"]))
    return result


def _code_key(code: str) -> tuple[tuple[int, int, str], ...]:
    """Natural order of action numbers ("2-10" after "2-9"); numbers before words in each part, any codes mixed."""
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in code.replace("-", ".").split("."))


COMPARISON_COLUMNS = ["Changement", "N°", "Action", "Avant", "Après", "Échéance avant", "Échéance après"]


def comparison_rows(comparison: Comparison) -> Any:
    for _, label, rows in comparison.sections():
        for row in rows:
            before = row.get("before") or {}
            yield [
                label,
                row["code"],
                row["title"],
                before.get("status_label", ""),
                row["status_label"],
                before.get("deadline_end"),
                row["deadline_end"],
            ]


# --- the state "as of" a committee --------------------------------------------------------------------
@dataclass(frozen=True)
class FrozenFilters:
    structure: Structure | None = None  # its actions and those below; None: every frozen action
    national: bool = False  # only the programme's national actions (no structure)
    own_level: bool = False  # with `structure`: only the actions attached to it, not below
    wave: Wave | None = None  # what goes live with it
    workstream: int | None = None  # template number
    status: str = ""
    late: bool = False
    soon_days: int | None = None  # not finished, deadline within that many days of the meeting
    involving: str = ""  # structure code, lead or partner (today's: leads and partners are not frozen)


def frozen_actions(*, user: Actor, meeting: Meeting, filters: FrozenFilters) -> QuerySet[SnapshotAction]:
    """The actions as they stood at `meeting` (empty when its state was not frozen), within the perimeter."""
    rows = SnapshotAction.objects.visible_to(user).filter(snapshot__meeting=meeting)
    if filters.national:
        rows = rows.filter(structure__isnull=True)
    elif filters.structure is not None and filters.own_level:
        rows = rows.filter(structure=filters.structure)
    elif filters.structure is not None:
        rows = rows.filter(structure__path__startswith=filters.structure.path)
    if filters.wave is not None:
        rows = rows.filter(filters.wave.covers_q())
    if filters.workstream:
        rows = rows.filter(workstream_number=filters.workstream)
    if filters.status in Status.values:
        rows = rows.filter(status=filters.status)
    if filters.late:
        rows = rows.filter(late=True)
    if filters.involving:
        rows = rows.filter(
            Q(action__lead_structures__code=filters.involving)
            | Q(action__partner_structures__code=filters.involving)
        ).distinct()
    if filters.soon_days is not None:
        until = meeting.held_on + timedelta(days=filters.soon_days)
        rows = rows.exclude(status__in=FINISHED).filter(
            deadline_end__gte=meeting.held_on, deadline_end__lte=until
        )
    return rows.select_related("structure").order_by("code")


FROZEN_COLUMNS = [
    "N°",
    "Action",
    "Structure",
    "Chantier",
    "État",
    "Avancement (%)",
    "Fin d'échéance",
    "En retard",
]


def frozen_rows(rows: QuerySet[SnapshotAction]) -> Any:
    for row in rows.iterator(chunk_size=2000):
        yield [
            row.code,
            row.title,
            row.structure.name if row.structure else "national",
            row.workstream_number,
            row.get_status_display(),
            row.percent,
            row.deadline_end,
            "oui" if row.late else "non",
        ]


def frozen_workstreams(*, user: Actor, meeting: Meeting) -> list[dict[str, Any]]:
    """The workstreams' status matrix as it stood at `meeting`: one line per workstream, counts by status."""
    counts: dict[tuple[int, str], dict[str, int]] = {}
    rows = SnapshotWorkstream.objects.visible_to(user).filter(snapshot__meeting=meeting)
    for number, name, state, n in (
        rows.values_list("number", "name", "status").annotate(n=Count("id")).order_by("number")
    ):
        by_status = counts.setdefault((number, name), {})
        by_status[state] = n
    return [
        {
            "number": number,
            "name": name,
            "counts": [by_status.get(v, 0) for v in Status.values],
            "cells": [(label, by_status.get(v, 0)) for v, label in Status.choices],
        }
        for (number, name), by_status in sorted(counts.items())
    ]


def meetings_with_snapshot(*, user: Actor, meeting: Meeting) -> list[Meeting]:
    """The other meetings of the same programme whose state was frozen (to compare with)."""
    return list(
        Meeting.objects.visible_to(user)
        .filter(programme=meeting.programme, snapshot__isnull=False)
        .exclude(pk=meeting.pk)
        .select_related("structure")
        .order_by("-held_on")
    )


# --- update campaigns --------------------------------------------------------------------------------


def campaign_list(*, user: Actor) -> QuerySet[Campaign]:
    return (
        Campaign.objects.visible_to(user)
        .select_related("programme__owner", "meeting")
        .annotate(
            request_count=Count("requests", filter=Q(requests__in=UpdateRequest.objects.visible_to(user))),
            answered_count=Count(
                "requests",
                filter=Q(requests__in=UpdateRequest.objects.visible_to(user))
                & Q(requests__state__in=[UpdateRequest.State.ANSWERED, UpdateRequest.State.VALIDATED]),
            ),
        )
        .order_by("-due_on", "title")
    )


def campaign_page(*, user: Actor, campaign: Campaign) -> dict[str, Any]:
    """The requests the user sees, and the response rate per region (constant queries)."""
    requests = list(
        UpdateRequest.objects.visible_to(user)
        .filter(campaign=campaign)
        .select_related("structure", "respondent", "campaign__programme__owner")
        .annotate(action_count=Count("actions"))
        .order_by("structure__region", "structure__code")
    )
    regions: dict[str, dict[str, Any]] = {}
    for request in requests:
        code = request.structure.region or request.structure.code
        row = regions.setdefault(code, {"region": REGIONS.get(code, code), "total": 0, "answered": 0})
        row["total"] += 1
        row["answered"] += request.is_answered
    rates = sorted(regions.values(), key=lambda r: r["region"])
    for row in rates:
        row["rate"] = round(100 * row["answered"] / row["total"])
    answered = sum(r["answered"] for r in rates)
    return {
        "requests": requests,
        "rates": rates,
        "answered": answered,
        "rate": round(100 * answered / len(requests)) if requests else 0,
    }


def request_page(*, user: Actor, request: UpdateRequest) -> dict[str, Any]:
    actions = list(request.actions.visible_to(user).select_related("programme", "structure").order_by("code"))
    return {"actions": actions}


def my_requests(*, user: Actor) -> QuerySet[UpdateRequest]:
    """Requests of open campaigns waiting on the user (as their respondent)."""
    if user.pk is None:
        return UpdateRequest.objects.none()
    return (
        UpdateRequest.objects.visible_to(user)
        .filter(
            campaign__state=Campaign.State.OPEN,
            respondent__user_id=user.pk,
            state__in=[UpdateRequest.State.PENDING, UpdateRequest.State.RETURNED],
        )
        .select_related("campaign", "structure")
        .order_by("campaign__due_on")
    )


def requests_panel(*, user: Actor) -> dict[str, Any] | None:
    """The home page's committee panel: updates asked of the user, open decisions their structures carry, open
    campaigns and their answers in the user's perimeter (hidden when all are empty; constant queries)."""
    requests = list(my_requests(user=user)[:20])
    decisions = list(
        Decision.objects.visible_to(user)
        .filter(follow_up=Decision.FollowUp.OPEN, owner__in=Structure.objects.editable_by(user))
        .select_related(*DECISION_RELATED)
        .order_by("due_on", "taken_on")[:20]
    )
    open_campaigns = campaign_list(user=user).filter(state=Campaign.State.OPEN)[:10]
    campaigns = [c for c in open_campaigns if getattr(c, "request_count", 0)]  # with requests the user sees
    if not (requests or decisions or campaigns):
        return None
    return {"requests": requests, "decisions": decisions, "campaigns": campaigns}
