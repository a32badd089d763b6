"""Reads of programme steering: the matrix, filtered action lists, pages. Constant queries whatever the size."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Count, F, Prefetch, Q, QuerySet
from django.utils import timezone

from bascule.organisation.models import Structure
from bascule.programmes.models import Action, Programme, Status, Workstream, WorkstreamTemplate, late_q

ACTION_SORTS: dict[str, tuple[Any, ...]] = {
    "echeance": (F("deadline_end").asc(nulls_last=True), "code"),
    "-echeance": (F("deadline_end").desc(nulls_last=True), "code"),
    "code": ("programme__code", "code"),
    "etat": ("status", "code"),
    "maj": ("-updated_at",),
}


def programme_list(*, user: Any) -> QuerySet[Programme]:
    today = timezone.localdate()
    return (
        Programme.objects.visible_to(user)
        .select_related("owner")
        .annotate(
            action_count=Count("actions", distinct=True),
            late_count=Count(
                "actions",
                filter=late_q(today, prefix="actions__"),
                distinct=True,
            ),
        )
    )


@dataclass
class Matrix:
    templates: list[WorkstreamTemplate]
    rows: list[tuple[Structure, list[Workstream | None]]]
    counts: dict[str, int]


def workstream_matrix(*, user: Any, programme: Programme) -> Matrix:
    """Regions × workstreams of the programme that the user may see (two queries)."""
    templates = list(programme.templates.order_by("number"))
    instances = (
        Workstream.objects.visible_to(user)
        .filter(template__programme=programme)
        .select_related("structure", "template", "pilot")
        .order_by("structure__code")
    )
    by_structure: dict[Any, dict[Any, Workstream]] = {}
    structures: dict[Any, Structure] = {}
    counts = dict.fromkeys(Status.values, 0)
    for instance in instances:
        structures[instance.structure_id] = instance.structure
        by_structure.setdefault(instance.structure_id, {})[instance.template_id] = instance
        counts[instance.status] += 1
    rows = [
        (structure, [by_structure[pk].get(t.pk) for t in templates])
        for pk, structure in sorted(structures.items(), key=lambda item: item[1].name)
    ]
    return Matrix(templates=templates, rows=rows, counts=counts)


@dataclass(frozen=True)
class ActionFilters:
    programme: str = ""  # code
    wave: str = ""  # id
    workstream: str = ""  # template number
    region: str = ""  # INSEE code
    lead: str = ""  # structure code, as lead or partner
    status: str = ""
    late: bool = False
    deadline_from: date | None = None
    deadline_to: date | None = None
    q: str = ""
    sort: str = "echeance"


def action_list(*, user: Any, filters: ActionFilters) -> QuerySet[Action]:
    """Actions the user may see, filtered; sorted by deadline even when fuzzy (by the end of its interval)."""
    qs = Action.objects.visible_to(user).select_related("programme", "pain_point", "structure")
    if filters.programme:
        qs = qs.filter(programme__code=filters.programme)
    if filters.wave:
        qs = qs.filter(structure__waves__id=filters.wave)
    if filters.workstream:
        qs = qs.filter(workstream__template__number=filters.workstream)
    if filters.region:
        qs = qs.filter(structure__region=filters.region)
    if filters.lead:
        qs = qs.filter(
            Q(lead_structures__code=filters.lead) | Q(partner_structures__code=filters.lead)
        ).distinct()
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.late:
        qs = qs.late()
    if filters.deadline_from:
        qs = qs.filter(deadline_end__gte=filters.deadline_from)
    if filters.deadline_to:
        qs = qs.filter(deadline_start__lte=filters.deadline_to)
    if filters.q:
        qs = qs.filter(
            Q(title__icontains=filters.q) | Q(code__icontains=filters.q) | Q(lead__icontains=filters.q)
        )
    return qs.order_by(*ACTION_SORTS.get(filters.sort, ACTION_SORTS["echeance"]))


def with_structures(actions: QuerySet[Action]) -> QuerySet[Action]:
    """Lead and partner structures in two more queries for the whole page."""
    return actions.prefetch_related(
        Prefetch("lead_structures", queryset=Structure.objects.only("id", "code")),
        Prefetch("partner_structures", queryset=Structure.objects.only("id", "code")),
    )


def region_page(*, user: Any, programme: Programme, region: Structure) -> dict[str, Any]:
    """A region's row of the matrix in detail, and its actions (late first, then by deadline)."""
    workstreams = (
        Workstream.objects.visible_to(user)
        .filter(template__programme=programme, structure=region)
        .select_related("template", "pilot")
        .annotate(
            item_count=Count("items"), done_count=Count("items", filter=Q(items__done_on__isnull=False))
        )
        .order_by("template__number")
    )
    actions = with_structures(
        action_list(user=user, filters=ActionFilters(programme=programme.code, region=region.region)).filter(
            structure__path__startswith=region.path
        )
    )
    return {
        "workstreams": list(workstreams),
        "actions": list(actions[:200]),
        "waves": list(region.waves.filter(programme=programme)),
    }


def divergent_workstreams(*, user: Any, programme: Programme) -> QuerySet[Workstream]:
    """Instances that have not taken the latest revision of their template."""
    return (
        Workstream.objects.visible_to(user)
        .filter(template__programme=programme, synced_revision__lt=F("template__revision"))
        .select_related("template", "structure")
        .order_by("template__number", "structure__name")
    )


def importable_programmes(*, user: Any) -> list[Programme]:
    """The programmes into which the user may import an action plan (their `import_actions` ability)."""
    programmes = Programme.objects.visible_to(user).select_related("owner").order_by("code")
    return [p for p in programmes if p.get_abilities(user)["import_actions"]]
