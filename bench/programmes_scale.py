"""Programme steering at scale: generate, then time the matrix, the action list and a 5,000-row plan import.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bascule_bench .venv/bin/python bench/programmes_scale.py

Generates (once; reused if present): the demo organisation, 10 programmes with the 7 standard workstreams
instanced in the 13 regions, 50,000 actions and 500,000 progress notes (bulk inserts: volume, not history).
Prints server-side medians (Django test client, whole view: queries + template), the number of SQL queries, and
the ratio to the same data fetched in raw SQL. Not a test: figures to read and to write down.
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402

from bascule.core.exports import write_xlsx  # noqa: E402
from bascule.core.system import SYSTEM  # noqa: E402
from bascule.organisation.models import Structure, StructureKind  # noqa: E402
from bascule.programmes.importers import ACTION_COLUMNS, ActionPlanImporter  # noqa: E402
from bascule.programmes.models import Action, Programme, ProgressNote, Status  # noqa: E402
from bascule.programmes.services import programme_create, workstreams_instantiate  # noqa: E402

PROGRAMMES, ACTIONS, NOTES_PER_ACTION, RUNS = 10, 50_000, 10, 15
DEADLINES = [
    "fin 2026",
    "T1 2027",
    "mi-2027",
    "1er semestre 2027",
    "Immédiat",
    "à définir",
    "rentrée 2026",
    "2028",
]


def generate() -> None:
    call_command("migrate", verbosity=0)
    call_command("demo_data", verbosity=0)
    if Programme.objects.filter(code="BENCH-0").exists():
        return
    rng = random.Random(7)
    owner = Structure.objects.get(code="DMAT/SDAT/BCAM")
    root = Structure.objects.get(code="INTERMIN")
    regions = list(Structure.objects.filter(kind=StructureKind.REGION))
    started = time.perf_counter()
    programmes = []
    for n in range(PROGRAMMES):
        programme = programme_create(
            by=SYSTEM,
            code=f"BENCH-{n}",
            name=f"Programme de mesure {n}",
            owner=owner,
            standard_workstreams=True,
        )
        workstreams_instantiate(by=SYSTEM, programme=programme, root=root)
        programmes.append(programme)
    statuses = list(Status.values)
    actions = []
    for i in range(ACTIONS):
        start = date(2026, 1, 1) + timedelta(days=rng.randrange(0, 900))
        understood = rng.random() > 0.1
        actions.append(
            Action(
                id=uuid.uuid4(),
                programme=programmes[i % PROGRAMMES],
                code=f"{i // 10}-{i % 10}",
                title=f"Action de mesure {i}",
                lead_text="DMAT/SDAT, en lien avec les SGAR",
                deliverables_text=rng.choice(DEADLINES),
                deadline_text="texte",
                deadline_start=start if understood else None,
                deadline_end=start + timedelta(days=rng.randrange(0, 180)) if understood else None,
                deadline_understood=understood,
                status=rng.choice(statuses),
                structure=rng.choice(regions) if rng.random() < 0.7 else None,
            )
        )
    Action.objects.bulk_create(actions, batch_size=5000)
    through = Action.lead_structures.through
    through.objects.bulk_create(
        [through(action_id=a.id, structure_id=owner.id) for a in actions], batch_size=10000
    )
    for chunk in range(0, ACTIONS, 5000):
        ProgressNote.objects.bulk_create(
            [
                ProgressNote(
                    action_id=a.id,
                    on=date(2026, 1, 1) + timedelta(days=k * 30),
                    status=a.status,
                    text=f"Point {k}",
                )
                for a in actions[chunk : chunk + 5000]
                for k in range(NOTES_PER_ACTION)
            ],
            batch_size=10000,
        )
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ANALYZE")
    print(f"génération : {time.perf_counter() - started:.0f} s")


def median_ms(fn, runs: int = RUNS) -> float:  # type: ignore[no-untyped-def]
    fn()  # warm-up
    samples = []
    for _ in range(runs):
        begin = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - begin) * 1000)
    return statistics.median(samples)


def raw(sql: str, params: list[object]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        cursor.fetchall()


def main() -> None:
    generate()
    print(
        f"base : {connection.vendor} ; {Action.objects.count():,} actions, {ProgressNote.objects.count():,} notes, "
        f"{Programme.objects.count()} programmes".replace(",", " ")
    )
    users = {name: get_user_model().objects.get(username=name) for name in ("national", "bretagne")}
    programme = Programme.objects.get(code="BENCH-0")
    table = Action._meta.db_table
    struct = Structure._meta.db_table
    bretagne = Structure.objects.get(code="R53")
    for name, user in users.items():
        client = Client()
        client.force_login(user)
        for label, url, sql, params in [
            (
                "matrice des chantiers",
                reverse("programmes:programme_detail", args=[programme.pk]),
                "SELECT w.id, w.status, w.percent, s.name, t.number FROM programmes_workstream w "
                "JOIN programmes_workstreamtemplate t ON t.id = w.template_id JOIN organisation_structure s "
                "ON s.id = w.structure_id WHERE t.programme_id = %s"
                + (" AND s.path LIKE %s" if name == "bretagne" else ""),
                [programme.pk.hex if connection.vendor == "sqlite" else programme.pk]
                + ([bretagne.path + "%"] if name == "bretagne" else []),
            ),
            (
                "liste des actions (page 1, tri par échéance)",
                reverse("programmes:action_list"),
                f"SELECT a.id, a.code, a.title, a.status, a.deadline_end FROM {table} a LEFT JOIN {struct} s ON s.id = a.structure_id "
                + ("WHERE a.structure_id IS NULL OR s.path LIKE %s " if name == "bretagne" else "")
                + "ORDER BY a.deadline_end ASC NULLS LAST, a.code LIMIT 50",
                [bretagne.path + "%"] if name == "bretagne" else [],
            ),
        ]:
            queries: list[str] = []
            with connection.execute_wrapper(
                lambda execute, sql, *rest, queries=queries: queries.append(sql) or execute(sql, *rest)
            ):
                assert client.get(url).status_code == 200
            view = median_ms(lambda url=url, client=client: client.get(url))
            sql_ms = median_ms(lambda sql=sql, params=params: raw(sql, params))
            print(
                f"{name:9} {label:45} médiane {view:7.1f} ms  {len(queries):2} requêtes  "
                f"SQL brut {sql_ms:6.1f} ms  rapport {view / sql_ms:5.1f}"
            )
    rows = [
        [
            f"{i // 10 + 1}-{i % 10 + 1}",
            f"{i // 10 + 1}. Irritant {i // 10 + 1}",
            f"Action importée {i}",
            "DMAT/SDAT, en lien avec les SGAR et DREAL-53",
            DEADLINES[i % len(DEADLINES)],
            f"Avancement {i}",
        ]
        for i in range(5000)
    ]
    data = write_xlsx([c.label for c in ACTION_COLUMNS], rows)
    target = Programme.objects.filter(code="BENCH-IMPORT").first() or programme_create(
        by=SYSTEM, code="BENCH-IMPORT", name="Import de mesure", owner=programme.owner
    )
    Action.objects.filter(programme=target).delete()
    importer = ActionPlanImporter(user=SYSTEM, programme=target, reference_date=date(2026, 11, 1))
    begin = time.perf_counter()
    report = importer.apply(importer.read(data, "plan.xlsx"))
    first = time.perf_counter() - begin
    begin = time.perf_counter()
    again = ActionPlanImporter(user=SYSTEM, programme=target, reference_date=date(2026, 11, 1))
    again.apply(again.read(data, "plan.xlsx"))
    second = time.perf_counter() - begin
    print(
        f"import d'un plan de 5 000 lignes (XLSX) : {first:.1f} s ({report.counts()['create']} créées) ; "
        f"réimport identique : {second:.1f} s"
    )


if __name__ == "__main__":
    main()
