"""Setting a programme up at scale: instancing for 13 regions and 100 departments, moving a wave with 5,000 items.

    .venv/bin/python bench/programme_setup.py                       # SQLite, a file of its own: var/bench_setup.sqlite3
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bascule_bench .venv/bin/python bench/programme_setup.py

Generates once: the demo organisation, a programme with the seven standard workstreams and a wave covering the 13
metropolitan regions and 100 departments. Then times, each run inside a transaction rolled back (the same data every
time), median of RUNS:
- `workstreams_instantiate(wave=)` (bulk, with history rows) next to the naive path (one validated, historised save
  per workstream and per item — what instancing did before) and to raw SQL inserting the same rows;
- `wave_move` with every item dated (about 5,000 milestones and deliverables, history rows included) next to its
  preview and to one raw SQL UPDATE of the same rows.
Not a test: figures to read and to write down (bench/README.md). Targets (issue 26): both under 2 s.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
if not os.environ.get("DATABASE_URL"):
    os.environ.setdefault(
        "SQLITE_PATH", str(Path(__file__).resolve().parents[1] / "var" / "bench_setup.sqlite3")
    )

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from bascule.core.system import SYSTEM  # noqa: E402
from bascule.core.writes import save_historised  # noqa: E402
from bascule.organisation.models import Structure, StructureKind  # noqa: E402
from bascule.programmes import setup  # noqa: E402
from bascule.programmes.models import InstanceItem, Programme, Wave, Workstream  # noqa: E402
from bascule.programmes.services import programme_create, wave_create, workstreams_instantiate  # noqa: E402

RUNS = 5
CODE = "BENCH-SETUP"


class Rollback(Exception):
    pass


def generate() -> Wave:
    call_command("migrate", verbosity=0)
    if not Structure.objects.filter(code="INTERMIN").exists():
        from bascule.organisation.demo import load_demo

        load_demo()
    programme = Programme.objects.filter(code=CODE).first()
    if programme is None:
        programme = programme_create(
            by=SYSTEM,
            code=CODE,
            name="Banc de mise en place",
            owner=Structure.objects.get(code="DMAT/SDAT/BCAM"),
            standard_workstreams=True,
        )
        from bascule.organisation.services import structure_create

        intermin = Structure.objects.get(code="INTERMIN")
        for code, name in (
            ("971", "Guadeloupe"),
            ("972", "Martinique"),
            ("973", "Guyane"),
            ("974", "La Réunion"),
        ):
            if not Structure.objects.filter(
                code=f"D{code}"
            ).exists():  # the demo has the 96 metropolitan ones
                structure_create(
                    by=SYSTEM,
                    code=f"D{code}",
                    name=name,
                    kind=StructureKind.DEPARTMENT,
                    parent=intermin,
                    department=code,
                )
        regions = list(Structure.objects.filter(kind=StructureKind.REGION).order_by("code")[:13])
        departments = list(Structure.objects.filter(kind=StructureKind.DEPARTMENT).order_by("code")[:100])
        wave_create(
            by=SYSTEM,
            programme=programme,
            name="Vague unique",
            golive_date=date(2028, 1, 1),
            structures=[*regions, *departments],
        )
    return programme.waves.get()


def timed(work) -> tuple[float, object]:
    """Median seconds of `work()` run inside a transaction rolled back each time, and its last result."""
    durations, result = [], None
    for _ in range(RUNS):
        try:
            with transaction.atomic():
                start = time.perf_counter()
                result = work()
                durations.append(time.perf_counter() - start)
                raise Rollback
        except Rollback:
            pass
    return statistics.median(durations), result


def naive_instantiate(wave: Wave) -> int:
    """Instancing as it was: a validated, historised save per workstream and per item."""
    from bascule.organisation.selectors import steering_contact

    count = 0
    templates = list(wave.programme.templates.prefetch_related("items"))
    for structure in wave.structures.filter(
        kind__in=[StructureKind.REGION, StructureKind.DEPARTMENT]
    ).order_by("path"):
        pilot = steering_contact(structure)
        for template in templates:
            instance = Workstream(template=template, structure=structure, pilot=pilot)
            save_historised(instance, by=SYSTEM)
            for item in template.items.all():
                save_historised(
                    InstanceItem(workstream=instance, template_item=item, kind=item.kind, name=item.name),
                    by=SYSTEM,
                )
            count += 1
    return count


def raw_instantiate(wave: Wave) -> int:
    """The same rows by raw SQL (no history, no validation): the floor."""
    structures = list(
        wave.structures.filter(kind__in=[StructureKind.REGION, StructureKind.DEPARTMENT]).values_list(
            "pk", flat=True
        )
    )
    templates = list(wave.programme.templates.prefetch_related("items"))
    now = "2027-01-01 00:00:00"
    rows, items = [], []
    for structure in structures:
        for template in templates:
            pk = uuid.uuid4()
            rows.append(
                (
                    pk.hex if connection.vendor == "sqlite" else pk,
                    template.pk.hex if connection.vendor == "sqlite" else template.pk,
                    structure.hex if connection.vendor == "sqlite" else structure,
                    now,
                    now,
                )
            )
            for item in template.items.all():
                items.append(
                    (
                        uuid.uuid4().hex if connection.vendor == "sqlite" else uuid.uuid4(),
                        rows[-1][0],
                        item.pk.hex if connection.vendor == "sqlite" else item.pk,
                        item.kind,
                        item.name,
                        now,
                        now,
                    )
                )
    with connection.cursor() as cursor:
        cursor.executemany(
            "INSERT INTO programmes_workstream (id, template_id, structure_id, status, percent, synced_revision, note,"
            " version, created_at, updated_at) VALUES (%s, %s, %s, 'not_started', 0, 1, '', 1, %s, %s)",
            rows,
        )
        cursor.executemany(
            "INSERT INTO programmes_instanceitem (id, workstream_id, template_item_id, kind, name, created_at,"
            " updated_at) VALUES (%s, %s, %s, %s, %s, %s, %s)",
            items,
        )
    return len(rows)


def main() -> None:
    wave = generate()
    targets = wave.structures.filter(kind__in=[StructureKind.REGION, StructureKind.DEPARTMENT]).count()
    print(f"{connection.vendor} — vague de {targets} structures (régions et départements), 7 chantiers types")

    bulk, created = timed(
        lambda: len(workstreams_instantiate(by=SYSTEM, programme=wave.programme, wave=wave))
    )
    naive, _ = timed(lambda: naive_instantiate(wave))
    raw, _ = timed(lambda: raw_instantiate(wave))
    print(
        f"instanciation : {created} chantiers — {bulk:.2f} s (naïf, une sauvegarde par ligne : {naive:.2f} s ; SQL brut sans historique : {raw:.2f} s)"
    )

    def dated_items() -> None:
        """Instanced, then three local milestones more per workstream, every item dated: about 5,000."""
        created = workstreams_instantiate(by=SYSTEM, programme=wave.programme, wave=wave)
        InstanceItem.objects.bulk_create(
            InstanceItem(workstream=w, kind="milestone", name=f"Jalon local {n}")
            for w in created
            for n in range(3)
        )
        InstanceItem.objects.filter(workstream__template__programme=wave.programme).update(
            due_date=date(2027, 6, 1)
        )

    def move() -> int:
        dated_items()
        fresh = Wave.objects.get(pk=wave.pk)
        start = time.perf_counter()
        _, moved = setup.wave_move(
            by=SYSTEM, wave=fresh, version=fresh.version, golive_date=fresh.golive_date + timedelta(days=30)
        )
        move.seconds = time.perf_counter() - start  # type: ignore[attr-defined]
        return moved["programmes.items"]

    def preview() -> int:
        workstreams_instantiate(by=SYSTEM, programme=wave.programme, wave=wave)
        InstanceItem.objects.filter(workstream__template__programme=wave.programme).update(
            due_date=date(2027, 6, 1)
        )
        start = time.perf_counter()
        found = setup.wave_move_preview(
            by=SYSTEM, wave=wave, golive_date=wave.golive_date + timedelta(days=30)
        )
        preview.seconds = time.perf_counter() - start  # type: ignore[attr-defined]
        return sum(c.count for c in found)

    def raw_move() -> int:
        workstreams_instantiate(by=SYSTEM, programme=wave.programme, wave=wave)
        InstanceItem.objects.filter(workstream__template__programme=wave.programme).update(
            due_date=date(2027, 6, 1)
        )
        start = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE programmes_instanceitem SET due_date = %s WHERE due_date = %s",
                [date(2027, 7, 1), date(2027, 6, 1)],
            )
            count = cursor.rowcount
        raw_move.seconds = time.perf_counter() - start  # type: ignore[attr-defined]
        return count

    results = {}
    for name, work in (("move", move), ("preview", preview), ("raw", raw_move)):
        seconds = []
        for _ in range(RUNS):
            try:
                with transaction.atomic():
                    results[name] = work()
                    seconds.append(work.seconds)  # type: ignore[attr-defined]
                    raise Rollback
            except Rollback:
                pass
        results[name + "_s"] = statistics.median(seconds)
    print(
        f"déplacement d'une vague : {results['move']} jalons et livrables — {results['move_s']:.2f} s, historique compris"
        f" (aperçu : {results['preview_s']:.2f} s ; UPDATE SQL brut sans historique : {results['raw_s']:.3f} s)"
    )


if __name__ == "__main__":
    main()
