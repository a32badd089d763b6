"""Reads of programme steering: the matrix, filtered action lists, pages. Constant queries whatever the size."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db.models import Count, F, Prefetch, Q, QuerySet
from django.utils import timezone

from bascule.core.system import Actor
from bascule.organisation.models import Structure
from bascule.programmes.models import (
    FINISHED,
    Action,
    Programme,
    Status,
    Wave,
    Workstream,
    WorkstreamTemplate,
    late_q,
)

ACTION_SORTS: dict[str, tuple[Any, ...]] = {
    "echeance": (F("deadline_end").asc(nulls_last=True), "code"),
    "-echeance": (F("deadline_end").desc(nulls_last=True), "code"),
    "code": ("programme__code", "code"),
    "etat": ("status", "code"),
    "maj": ("-updated_at",),
}


def programme_list(*, user: Actor) -> QuerySet[Programme]:
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


def workstream_matrix(*, user: Actor, programme: Programme) -> Matrix:
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


NATIONAL = "national"  # the region filter's value for the programme's national actions (no structure)


@dataclass(frozen=True)
class ActionFilters:
    programme: str = ""  # code
    wave: str = ""  # id
    workstream: str = ""  # template number
    region: str = ""  # INSEE code, or NATIONAL: the programme's national actions
    involving: str = ""  # structure code, as involving or partner
    within: Structure | None = None  # the actions attached to this structure or below (`?dans=<id>`)
    own_level: bool = False  # with `within`: only the actions attached to it, not below (`?propre=on`)
    status: str = ""
    late: bool = False
    deadline_from: date | None = None
    deadline_to: date | None = None
    due_by: date | None = None  # open actions whose deadline ends by that day
    q: str = ""
    sort: str = "echeance"


def action_list(*, user: Actor, filters: ActionFilters) -> QuerySet[Action]:
    """Actions the user may see, filtered; sorted by deadline even when fuzzy (by the end of its interval)."""
    qs = Action.objects.visible_to(user).select_related("programme", "pain_point", "structure")
    if filters.programme:
        qs = qs.filter(programme__code=filters.programme)
    if filters.wave:
        wave = Wave.objects.filter(pk=filters.wave).first()
        qs = qs.filter(wave.covers_q()) if wave is not None else qs.none()
    if filters.workstream:
        qs = qs.filter(workstream__template__number=filters.workstream)
    if filters.region == NATIONAL:
        qs = qs.filter(structure__isnull=True)
    elif filters.region:
        qs = qs.filter(structure__region=filters.region)
    if filters.within is not None and filters.own_level:
        qs = qs.filter(structure=filters.within)
    elif filters.within is not None:
        qs = qs.filter(structure__path__startswith=filters.within.path)
    if filters.involving:
        qs = qs.filter(
            Q(lead_structures__code=filters.involving) | Q(partner_structures__code=filters.involving)
        ).distinct()
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.late:
        qs = qs.late()
    if filters.deadline_from:
        qs = qs.filter(deadline_end__gte=filters.deadline_from)
    if filters.deadline_to:
        qs = qs.filter(deadline_start__lte=filters.deadline_to)
    if filters.due_by:
        qs = qs.exclude(status__in=FINISHED).filter(deadline_end__lte=filters.due_by)
    if filters.q:
        qs = qs.filter(
            Q(title__icontains=filters.q) | Q(code__icontains=filters.q) | Q(lead_text__icontains=filters.q)
        )
    return qs.order_by(*ACTION_SORTS.get(filters.sort, ACTION_SORTS["echeance"]))


def with_structures(actions: QuerySet[Action]) -> QuerySet[Action]:
    """Lead and partner structures in two more queries for the whole page."""
    return actions.prefetch_related(
        Prefetch("lead_structures", queryset=Structure.objects.only("id", "code")),
        Prefetch("partner_structures", queryset=Structure.objects.only("id", "code")),
    )


def region_page(*, user: Actor, programme: Programme, region: Structure) -> dict[str, Any]:
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


def divergent_workstreams(*, user: Actor, programme: Programme) -> QuerySet[Workstream]:
    """Instances that have not taken the latest revision of their template."""
    return (
        Workstream.objects.visible_to(user)
        .filter(template__programme=programme, synced_revision__lt=F("template__revision"))
        .select_related("template", "structure")
        .order_by("template__number", "structure__name")
    )


def piloted_programmes(*, user: Actor) -> list[Programme]:
    """The programmes the user pilots (their `change` ability): where it defines indicators, opens campaigns,
    sets sizings and cost comparisons."""
    programmes = Programme.objects.visible_to(user).select_related("owner").order_by("code")
    return [p for p in programmes if p.get_abilities(user)["change"]]


def importable_programmes(*, user: Actor) -> list[Programme]:
    """The programmes into which the user may import an action plan (their `import_actions` ability)."""
    programmes = Programme.objects.visible_to(user).select_related("owner").order_by("code")
    return [p for p in programmes if p.get_abilities(user)["import_actions"]]


# --- the home page's steering panel ------------------------------------------------------------------
UPCOMING_DAYS = 30


def steering_summary(*, user: Actor) -> dict[str, Any] | None:
    """What the user steers, within their perimeter: workstreams by state, late actions, the next 30 days'
    deadlines, the next go-live and its readiness. Each figure links to the list behind it (constant queries)."""
    today = timezone.localdate()
    actions = Action.objects.visible_to(user)
    if not actions.exists() and not Workstream.objects.visible_to(user).exists():
        return None
    by_status = dict(
        Workstream.objects.visible_to(user).values_list("status").annotate(n=Count("id")).order_by()
    )
    soon_to = today + timedelta(days=UPCOMING_DAYS)
    counts = actions.aggregate(
        late=Count("id", filter=late_q(today)),
        soon=Count(
            "id", filter=Q(deadline_end__gte=today, deadline_end__lte=soon_to) & ~Q(status__in=FINISHED)
        ),
    )
    wave = (
        Wave.objects.filter(programme__in=Programme.objects.visible_to(user), golive_date__gte=today)
        .select_related("programme")
        .order_by("golive_date")
        .first()
    )
    readiness = None
    if wave is not None:
        ready = Workstream.objects.visible_to(user).filter(
            wave.covers_q(), template__programme=wave.programme
        )
        totals = ready.aggregate(total=Count("id"), done=Count("id", filter=Q(status=Status.DONE)))
        if totals["total"]:
            readiness = {**totals, "rate": round(100 * totals["done"] / totals["total"])}
    programmes = list(
        Workstream.objects.visible_to(user)
        .values("template__programme_id", "template__programme__code", "template__programme__name")
        .annotate(n=Count("id"), done=Count("id", filter=Q(status=Status.DONE)))
        .order_by("template__programme__code")
    )
    return {
        "programmes": [
            {
                "id": row["template__programme_id"],
                "code": row["template__programme__code"],
                "name": row["template__programme__name"],
                "count": row["n"],
                "done": row["done"],
            }
            for row in programmes
        ],
        "workstreams": [(label, by_status.get(value, 0), value) for value, label in Status.choices],
        "late": counts["late"],
        "soon": counts["soon"],
        "soon_from": today,
        "soon_to": soon_to,
        "days": UPCOMING_DAYS,
        "wave": wave,
        "readiness": readiness,
    }


@dataclass(frozen=True)
class SetupStep:
    label: str
    done: bool
    detail: str


def setup_checklist(*, programme: Programme) -> list[SetupStep]:
    """What is set up and what is missing: template, waves, structures, leads, then the parts other modules hold
    (indicators, support policy, curriculum). A fixed number of queries (one per registered part)."""
    from bascule.organisation.selectors import steering_contacts
    from bascule.programmes.setup import PROGRAMME_PARTS

    templates = programme.templates.count()
    waves = list(programme.waves.prefetch_related("structures"))
    structures = {s.pk: s for w in waves for s in w.structures.all()}
    empty = [w.name for w in waves if not w.structures.all()]
    leads = steering_contacts(structures.values())
    without = sorted(s.code for s in structures.values() if leads.get(s.pk) is None)
    steps = [
        SetupStep(
            "Modèle des chantiers",
            templates > 0,
            f"{templates} chantiers types" if templates else "aucun chantier type",
        ),
        SetupStep("Vagues", bool(waves), f"{len(waves)} vague(s)" if waves else "aucune vague"),
        SetupStep(
            "Structures des vagues",
            bool(structures) and not empty,
            f"{len(structures)} structure(s)" + (f" ; sans structure : {', '.join(empty)}" if empty else ""),
        ),
        SetupStep(
            "Responsables dans le référentiel",
            bool(structures) and not without,
            "chaque structure a son responsable"
            if structures and not without
            else ("sans responsable : " + ", ".join(without[:10]) if without else "aucune structure"),
        ),
    ]
    for part in PROGRAMME_PARTS.values():
        present = part.present(programme)
        steps.append(SetupStep(part.label, bool(present), present or "à définir"))
    return steps


SETUP_COLUMNS = [
    "Programme",
    "Nom",
    "Structure pilote",
    "Clos le",
    "Vague",
    "Bascule",
    "Gel",
    "Programmes budgétaires",
    "Structures",
]


def setup_rows(*, user: Actor) -> Iterator[list[Any]]:
    """The set-up of every programme the user sees, one row per wave (a programme without wave: one row); two
    queries whatever the number of programmes and waves."""
    programmes = (
        Programme.objects.visible_to(user)
        .select_related("owner")
        .prefetch_related(
            Prefetch("waves", queryset=Wave.objects.prefetch_related("structures").order_by("golive_date"))
        )
    )
    for programme in programmes.order_by("code"):
        head = [programme.code, programme.name, programme.owner.code, programme.closed_on]
        waves = list(programme.waves.all())
        if not waves:
            yield [*head, "", None, None, "", ""]
        for wave in waves:
            codes = ", ".join(sorted(s.code for s in wave.structures.all()))
            yield [
                *head,
                wave.name,
                wave.golive_date,
                wave.freeze_date,
                ", ".join(wave.budget_programmes),
                codes,
            ]
