"""One write path per entity: an import (bulk services) and the same changes made one action at a time through the
services the pages call give exactly the same actions, progress notes, statuses and history."""

from __future__ import annotations

from datetime import date

from bascule.core.exports import write_csv
from bascule.core.imports import CREATE, UPDATE
from bascule.programmes import bulk, services
from bascule.programmes.importers import ACTION_COLUMNS, ActionPlanImporter, export_rows
from bascule.programmes.models import Action, ProgressNote
from tests.factories import make_structure
from tests.programmes.test_action_plan_import import SAMPLE

REASON = "Import du plan d'actions"
LATER = date(2012, 3, 1)


def _later_version(rows: list[list]) -> bytes:
    """The plan three months later: a narrative rewritten, a deadline moved, an action retitled, a new pain point."""
    rows = [list(r) for r in rows]
    rows[0][5] = "Terminé : ateliers tenus dans toutes les DDI."
    rows[1][4] = "Guide publié fin 2012"
    rows[2][2] = rows[2][2] + " (élargi aux SGAR)"
    rows[2][5] = "Relance prévue en avril ; bloqué par l'outil."
    rows.append(
        ["5-1", "5. Outils de suivi", "Mettre en place un tableau de bord", "DMAT/SDAT/BCAM", "T2 2012", ""]
    )
    return write_csv([c.label for c in ACTION_COLUMNS], rows)


def _by_import(user, programme, data: bytes, name: str, reference_date: date | None) -> None:
    importer = ActionPlanImporter(user=user, programme=programme, reference_date=reference_date)
    importer.apply(importer.read(data, name))


def _one_by_one(user, programme, data: bytes, name: str, reference_date: date | None) -> None:
    """The same plan, each accepted row through action_create / action_update / progress_add."""
    importer = ActionPlanImporter(user=user, programme=programme, reference_date=reference_date)
    table = importer.read(data, name)
    plans = [
        p.payload
        for p in importer.plan(list(importer.readers(table)))
        if p.result.outcome in {CREATE, UPDATE}
    ]
    wanted = {plan.pain[0]: plan.pain[1] for plan in plans if plan.pain}
    pains = bulk.pain_points_ensure(by=user, programme=programme, wanted=wanted, reason=REASON)
    day = importer.reference_date
    for plan in plans:
        pain = pains.get(plan.pain[0]) if plan.pain else None
        action = Action.objects.filter(programme=programme, code=plan.code).first()
        status = services.status_from_text(plan.progress)
        if action is None:
            services.action_create(
                by=user,
                programme=programme,
                code=plan.code,
                pain_point=pain,
                reference_date=day,
                progress=plan.progress,
                status=status,
                reason=REASON,
                **plan.fields,
            )
            continue
        texts = {**plan.fields, "pain_point": pain}
        if any(getattr(action, k) != v for k, v in texts.items()):
            action = services.action_update(
                by=user,
                action=action,
                version=action.version,
                reason=REASON,
                reference_date=day or action.reference_date,
                **texts,
            )
        if action.progress != plan.progress:
            services.progress_add(by=user, action=action, status=status, text=plan.progress, on=day)


def _state(programme) -> dict:
    number = {p.pk: p.number for p in programme.pain_points.all()}
    state = {}
    for a in Action.objects.filter(programme=programme).prefetch_related(
        "lead_structures", "partner_structures"
    ):
        history = [
            (
                h.history_type,
                h.history_change_reason,
                h.history_user_id,
                h.version,
                h.title,
                h.lead_text,
                h.deliverables_text,
                number.get(h.pain_point_id),
                h.reference_date,
                h.deadline_start,
                h.deadline_end,
                h.deadline_understood,
                h.lead_unrecognised,
                h.status,
                h.progress,
                h.percent,
            )
            for h in a.history.order_by("history_id")
        ]
        notes = [
            (n.on, n.status, n.text, n.percent, n.author_id)
            for n in ProgressNote.objects.filter(action=a).order_by("on", "created_at")
        ]
        state[a.code] = {
            "action": (
                a.title,
                a.lead_text,
                a.deliverables_text,
                number.get(a.pain_point_id),
                a.reference_date,
                a.deadline_text,
                a.deadline_start,
                a.deadline_end,
                a.deadline_precision,
                a.deadline_understood,
                a.deadline_stages,
                a.lead_unrecognised,
                a.status,
                a.progress,
                a.percent,
                a.version,
            ),
            "leads": sorted(s.code for s in a.lead_structures.all()),
            "partners": sorted(s.code for s in a.partner_structures.all()),
            "notes": notes,
            "history": history,
        }
    return state


def test_an_import_and_the_same_changes_one_by_one_give_the_same_result(world):
    make_structure("AIFE", parent=world.ministry, name="Agence pour l'informatique financière de l'État")
    make_structure("DGFIP", parent=world.ministry, name="Direction générale des finances publiques")
    bulk = services.programme_create(
        by=world.national, code="PA-A", name="Par import", owner=world.national_office
    )
    single = services.programme_create(
        by=world.national, code="PA-B", name="Pas à pas", owner=world.national_office
    )

    for write, programme in ((_by_import, bulk), (_one_by_one, single)):
        write(world.national, programme, SAMPLE.read_bytes(), SAMPLE.name, None)
    assert _state(bulk) == _state(single)

    later = _later_version(export_rows(Action.objects.filter(programme=bulk)))
    for write, programme in ((_by_import, bulk), (_one_by_one, single)):
        write(world.national, programme, later, "plan-mars-2012.csv", LATER)
    after = _state(bulk)
    assert after == _state(single)
    # The changes really happened: a narrative rewritten makes a note and a history row "Point d'avancement".
    assert len(after) == 10 and after["5-1"]["action"][3] == 5
    changed = [code for code, s in after.items() if s["notes"] and s["notes"][-1][0] == LATER]
    assert len(changed) == 2
    assert any(h[1] == "Point d'avancement" and h[3] >= 3 for s in after.values() for h in s["history"])


def test_an_older_review_does_not_replace_the_current_state(world):
    """As progress_add: a narrative dated before the latest note is recorded, but the current state stays."""
    programme = services.programme_create(
        by=world.national, code="PA-C", name="C", owner=world.national_office
    )
    row = bulk.ActionRow(
        code="1-1", title="Action", lead_text="", deliverables_text="", pain_point=None, progress="En cours"
    )
    bulk.actions_write_bulk(
        by=world.national, programme=programme, rows=[row], reference_date=date(2012, 6, 1)
    )
    older = bulk.ActionRow(
        code="1-1", title="Action", lead_text="", deliverables_text="", pain_point=None, progress="Terminé"
    )
    bulk.actions_write_bulk(
        by=world.national, programme=programme, rows=[older], reference_date=date(2012, 1, 1)
    )
    action = Action.objects.get(programme=programme)
    assert action.progress == "En cours" and action.notes.count() == 2
