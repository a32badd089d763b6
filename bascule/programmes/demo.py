"""Demo programmes: a Chorus-like deployment with three waves and the seven workstreams instanced in every region
(varied progress, milestones reached, regional actions with fuzzy deadlines), and the sample action plan imported.

Deterministic (fixed seed); a second run leaves what exists alone.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from pathlib import Path

from django.db import transaction

from bascule.core.system import SYSTEM
from bascule.organisation.models import Structure, StructureKind
from bascule.programmes.importers import ActionPlanImporter
from bascule.programmes.models import Programme, Status, Workstream
from bascule.programmes.services import (
    action_create,
    item_schedule,
    programme_create,
    progress_add,
    wave_create,
    workstream_update,
    workstreams_instantiate,
)

CODE = "CHORUS-MAP"
SAMPLE = Path(__file__).resolve().parent / "data" / "plan_actions_exemple.xlsx"
WAVES = [("Vague 1", date(2027, 1, 1)), ("Vague 2", date(2027, 7, 1)), ("Vague 3", date(2028, 1, 1))]
REGIONAL_ACTIONS = [
    ("Recenser les utilisateurs à former dans les DDI", "Recensement consolidé d'ici fin 2026", 4),
    ("Fiabiliser le fichier des tiers avant la reprise", "Fichier des tiers fiabilisé — T1 2027", 3),
    ("Désigner les correspondants d'assistance de proximité", "Annuaire publié début 2027", 6),
]


@transaction.atomic
def load_demo() -> list[str]:
    if Programme.objects.filter(code=CODE).exists():
        return ["Programmes de démonstration déjà présents : conservés tels quels."]
    owner = Structure.objects.get(code="DMAT/SDAT/BCAM")
    rng = random.Random(2027)
    programme = programme_create(
        by=SYSTEM,
        code=CODE,
        name="Déploiement de Chorus – MAP/MEEDDAT",
        owner=owner,
        standard_workstreams=True,
        description="Bascule des services des deux ministères sur Chorus, par vagues, avec les centres de prestations "
        "comptables mutualisés.",
        reference_documents="Note de cadrage du programme\nCalendrier des vagues\nGuide du responsable déploiement",
    )
    regions = list(Structure.objects.filter(kind=StructureKind.REGION).order_by("code"))
    for index, (name, golive) in enumerate(WAVES):
        scope = regions[index::3]
        wave_create(
            by=SYSTEM,
            programme=programme,
            name=name,
            golive_date=golive,
            freeze_date=golive - timedelta(days=90),
            budget_programmes=["113", "135", "181", "217"],
            structures=scope,
            scope="Régions : " + ", ".join(r.name for r in scope),
        )
    golives = {
        s.pk: w.golive_date
        for w in programme.waves.prefetch_related("structures")
        for s in w.structures.all()
    }
    workstreams = sorted(
        (
            ws
            for wave in programme.waves.order_by("golive_date")
            for ws in workstreams_instantiate(by=SYSTEM, programme=programme, wave=wave)
        ),
        key=lambda ws: (ws.structure.path, ws.template.number),
    )
    statuses = [
        Status.DONE,
        Status.DONE,
        Status.IN_PROGRESS,
        Status.IN_PROGRESS,
        Status.IN_PROGRESS,
        Status.NOT_STARTED,
        Status.BLOCKED,
    ]
    for ws in workstreams:
        status = rng.choice(statuses)
        percent = {Status.DONE: 100, Status.NOT_STARTED: 0}.get(status, rng.randrange(10, 95, 5))
        ws = workstream_update(by=SYSTEM, workstream=ws, version=ws.version, status=status, percent=percent)
        golive = golives.get(ws.structure_id, WAVES[0][1])
        for item in ws.items.all():
            # Milestones fall due in the months before the region's go-live, workstream by workstream.
            order = item.template_item.order if item.template_item else 0
            due = golive - timedelta(days=240 - 25 * ws.template.number - 10 * order)
            done = None
            if ws.status == Status.DONE or (ws.status != Status.NOT_STARTED and rng.random() < 0.4):
                done = date(2026, 1, 5) + timedelta(days=rng.randrange(0, 300))
            item_schedule(by=SYSTEM, item=item, due_date=due, done_on=done)
    count = 0
    for region in regions:
        for number, (title, deliverable, template_number) in enumerate(REGIONAL_ACTIONS, start=1):
            workstream = Workstream.objects.get(
                template__programme=programme, template__number=template_number, structure=region
            )
            lead = f"{region.code}, en lien avec DREAL-{region.region} et CPCM-{region.region}"
            action = action_create(
                by=SYSTEM,
                programme=programme,
                code=f"{region.region}-{number}",
                title=title,
                lead_text=lead,
                deliverables_text=deliverable,
                workstream=workstream,
                structure=region,
                reference_date=date(2026, 9, 1),
            )
            status = rng.choice(
                [Status.IN_PROGRESS, Status.IN_PROGRESS, Status.DONE, Status.NOT_STARTED, Status.BLOCKED]
            )
            if status != Status.NOT_STARTED:
                progress_add(
                    by=SYSTEM,
                    action=action,
                    status=status,
                    on=date(2026, 10, 1),
                    percent=100 if status == Status.DONE else rng.randrange(10, 90, 10),
                    text=f"Point de la revue régionale : {rng.randrange(40, 95)} % des services ont répondu.",
                )
            count += 1
    plan = programme_create(
        by=SYSTEM,
        code="PA-DDI",
        name="Plan d'accompagnement des DDI — nouvelle organisation financière",
        owner=owner,
    )
    importer = ActionPlanImporter(user=SYSTEM, programme=plan)
    report = importer.apply(importer.read(SAMPLE.read_bytes(), SAMPLE.name))
    return [
        f"Programme {CODE} : 3 vagues, {len(workstreams)} chantiers régionaux, {count} actions régionales.",
        f"Plan d'actions exemple importé dans PA-DDI : {report.counts()['create']} actions.",
    ]
