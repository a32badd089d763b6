"""Bulk writes of programme steering (imports): the rules of the single-object services, in constant queries.

`actions_write_bulk` does for many rows what `action_create`, `action_update` and `progress_add` do for one —
same versions, progress notes, current state and history rows (tests/programmes/test_write_paths.py proves it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import models
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from bascule.core.access import require_ability
from bascule.core.system import Actor, history_author
from bascule.organisation.selectors import structure_index
from bascule.programmes.models import Action, PainPoint, Programme, ProgressNote, Status
from bascule.programmes.services import DERIVED_FIELDS, action_derive, status_from_text


@dataclass
class ActionRow:
    """One action as a plan states it: matched by code, its texts, its pain point, its progress narrative."""

    code: str
    title: str
    lead_text: str
    deliverables_text: str
    pain_point: PainPoint | None
    progress: str


def pain_points_ensure(
    *, by: Actor, programme: Programme, wanted: dict[int, str], reason: str = ""
) -> dict[int, PainPoint]:
    """Create the missing pain points and retitle the changed ones (by number); all of the programme's, by number."""
    require_ability(
        programme, by, "import_actions", "Ce programme est hors de votre périmètre de modification."
    )
    author = history_author(by)
    pains = {p.number: p for p in PainPoint.objects.filter(programme=programme)}
    created = [
        PainPoint(programme=programme, number=n, title=t[:255]) for n, t in wanted.items() if n not in pains
    ]
    bulk_create_with_history(created, PainPoint, default_user=author, default_change_reason=reason or None)
    retitled = [pains[n] for n, t in wanted.items() if n in pains and pains[n].title != t[:255]]
    for pain in retitled:
        pain.title = wanted[pain.number][:255]
    if retitled:
        bulk_update_with_history(
            retitled, PainPoint, ["title"], default_user=author, default_change_reason=reason or None
        )
    pains.update({p.number: p for p in created})
    return pains


TEXT_FIELDS = ("title", "lead_text", "deliverables_text", "pain_point")
SAVED_ON_UPDATE = [
    "title",
    "lead_text",
    "deliverables_text",
    "pain_point",
    "reference_date",
    *DERIVED_FIELDS,
    "version",
    "updated_at",
]
SAVED_ON_PROGRESS = ["status", "progress", "percent", "version", "updated_at"]


def actions_write_bulk(
    *,
    by: Actor,
    programme: Programme,
    rows: list[ActionRow],
    reference_date: date | None,
    derive: Any = None,
    reason: str = "",
) -> None:
    """Create or update many actions and record their progress, with the rules of the single-object services.

    As `action_create` then `progress_add`, or `action_update` then `progress_add`, row by row: a new action is
    version 1, not started; changed texts are one history row (version + 1, derived deadline and lead, the reference
    date of this plan); a changed progress narrative is a progress note dated `reference_date` (today otherwise)
    whose status is read from the text, and it becomes the action's current state only when no note of the action
    is dated later — one more history row "Point d'avancement" (version + 1). `derive(action)` reads the texts
    (`action_derive` by default; an import passes the values it read before its transaction).
    """
    require_ability(
        programme, by, "import_actions", "Ce programme est hors de votre périmètre de modification."
    )
    author = history_author(by)
    day = reference_date or timezone.localdate()
    index = structure_index() if derive is None else None
    read = derive or (lambda action: action_derive(action, index))
    existing = {
        a.code: a
        for a in Action.objects.select_for_update().filter(
            programme=programme, code__in=[r.code for r in rows]
        )
    }
    latest = dict(
        ProgressNote.objects.filter(action__in=existing.values())
        .values("action")
        .annotate(last=models.Max("on"))
        .values_list("action", "last")
    )
    creates: list[Action] = []
    updates: list[Action] = []
    progressed: list[tuple[Action, str, str]] = []
    notes: list[ProgressNote] = []
    links: dict[Any, tuple[list[Any], list[Any]]] = {}
    for row in rows:
        action = existing.get(row.code)
        texts = {
            "title": row.title,
            "lead_text": row.lead_text,
            "deliverables_text": row.deliverables_text,
            "pain_point": row.pain_point,
        }
        if action is None:  # as action_create: a note only for a narrative
            action = Action(programme=programme, code=row.code, reference_date=reference_date, **texts)
            creates.append(action)
            rewritten, noted = True, bool(row.progress)
        else:  # as action_update when a text changed, then progress_add when the narrative changed
            rewritten = any(getattr(action, name) != value for name, value in texts.items())
            noted = row.progress != action.progress
            if rewritten:
                for name, value in texts.items():
                    setattr(action, name, value)
                action.reference_date = reference_date or action.reference_date
                action.version += 1
                updates.append(action)
        if rewritten:
            leads, partners = read(action)
            links[action.pk] = ([s.pk for s in leads], [s.pk for s in partners])
        if noted:
            status = status_from_text(row.progress)
            notes.append(ProgressNote(action=action, on=day, status=status, text=row.progress, author=author))
            last = latest.get(action.pk)
            if last is None or day >= last:  # the latest note by date is the current state
                progressed.append((action, status, row.progress))
    now = timezone.now()
    bulk_create_with_history(
        creates, Action, batch_size=1000, default_user=author, default_change_reason=reason or None
    )
    for action in updates:
        action.updated_at = now
    bulk_update_with_history(
        updates,
        Action,
        SAVED_ON_UPDATE,
        batch_size=1000,
        default_user=author,
        default_change_reason=reason or None,
    )
    ProgressNote.objects.bulk_create(notes, batch_size=2000)
    current = []
    for action, status, text in progressed:
        action.status, action.progress = status, text
        if status == Status.DONE:
            action.percent = 100
        action.version += 1
        action.updated_at = now
        current.append(action)
    bulk_update_with_history(
        current,
        Action,
        SAVED_ON_PROGRESS,
        batch_size=1000,
        default_user=author,
        default_change_reason="Point d'avancement",
    )
    for relation, position in ((Action.lead_structures, 0), (Action.partner_structures, 1)):
        through: Any = relation.through
        through.objects.filter(action_id__in=[a.pk for a in updates]).delete()
        through.objects.bulk_create(
            [through(action_id=pk, structure_id=sid) for pk, pair in links.items() for sid in pair[position]],
            batch_size=5000,
        )
