"""Steering at scale: the dashboard, the home pages, the comparison of two committees, the committee report.

    createdb -h 127.0.0.1 -U postgres bascule_bench   # once
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bascule_bench .venv/bin/python bench/steering_scale.py

On top of programmes_scale.py's data (10 programmes, 50,000 actions, 500,000 notes), generates once: 50 committees
of BENCH-0 (5,000 actions), two of them with a frozen state of 50,000 actions each (about 10 % changed between
them), the frozen state of BENCH-0 at its last committee, and 20,000 indicator measurements. Prints server-side
medians (Django test client: queries + template, in a process settled as config/wsgi.py settles the server's), query counts, and the same figures from one hand-written SQL
query, so that the overhead shows. Not a test: figures to read and to write down.
"""

from __future__ import annotations

import random
import sys
import time
import uuid
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import logging

from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.urls import reverse
from programmes_scale import generate as generate_programmes
from programmes_scale import median_ms, raw

from bascule.committees.models import Meeting, Snapshot, SnapshotAction
from bascule.committees.report import build_report, render_pdf
from bascule.committees.selectors import compare_meetings
from bascule.committees.services import meeting_create, meeting_decision_add, snapshot_take
from bascule.core.startup import settle
from bascule.core.system import SYSTEM
from bascule.indicators.models import Indicator, Measurement
from bascule.indicators.services import indicator_create
from bascule.organisation.models import Structure, StructureKind
from bascule.programmes.models import Programme, Status

logging.getLogger("weasyprint").setLevel(logging.WARNING)  # no progress lines in the printed figures
logging.getLogger("fontTools").setLevel(logging.WARNING)

BIG = 50_000
MEASUREMENTS = 20_000


def generate() -> None:
    generate_programmes()
    programme = Programme.objects.get(code="BENCH-0")
    if Meeting.objects.filter(programme=programme).exists():
        return
    started = time.perf_counter()
    rng = random.Random(11)
    meetings = [
        meeting_create(
            by=SYSTEM,
            programme=programme,
            committee="copil" if n % 2 else "cotech",
            held_on=date(2024, 1, 1) + timedelta(days=15 * n),
            title=f"Comité de mesure {n}",
        )
        for n in range(50)
    ]
    for meeting in meetings[:-3]:
        for k in range(3):
            meeting_decision_add(by=SYSTEM, meeting=meeting, title=f"Décision {k} du {meeting.held_on}")
    # Two committees with a frozen state of 50,000 actions, about 10 % of them changed in between.
    keys = [uuid.uuid4() for _ in range(BIG)]
    statuses = list(Status.values)
    regions = list(Structure.objects.filter(kind=StructureKind.REGION))
    for meeting, changed in ((meetings[-3], 0.0), (meetings[-2], 0.1)):
        snapshot = Snapshot.objects.create(meeting=meeting, action_count=BIG)
        rng_state = random.Random(5)  # the same base for both, then `changed` of them differ
        SnapshotAction.objects.bulk_create(
            (
                SnapshotAction(
                    snapshot=snapshot,
                    action_key=key,
                    code=f"{i // 10}-{i % 10}",
                    title=f"Action figée {i}",
                    structure=rng_state.choice(regions),
                    status=rng.choice(statuses) if rng.random() < changed else statuses[i % len(statuses)],
                    deadline_end=date(2026, 1, 1)
                    + timedelta(days=i % 700 + (30 if rng.random() < changed else 0)),
                    late=bool(i % 3 == 0),
                )
                for i, key in enumerate(keys)
            ),
            batch_size=5000,
        )
    snapshot_take(by=SYSTEM, meeting=meetings[-1])  # BENCH-0's own 5,000 actions, for the report
    indicator = indicator_create(
        by=SYSTEM,
        programme=programme,
        code="FORM",
        name="Agents formés",
        unit="%",
        aggregation="weighted",
        target_value=Decimal(95),
        expected_kind=StructureKind.DEPARTMENT,
    )
    departments = list(Structure.objects.filter(kind=StructureKind.DEPARTMENT))
    per = MEASUREMENTS // len(departments) + 1
    Measurement.objects.bulk_create(
        (
            Measurement(
                indicator=indicator,
                structure=department,
                measured_on=date(2025, 1, 1) + timedelta(days=3 * k),
                value=Decimal(min(100, k // 2)),
                coverage=Decimal(rng.randrange(20, 200)),
            )
            for department in departments
            for k in range(per)
        ),
        batch_size=5000,
    )
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ANALYZE")
    print(f"génération des comités et indicateurs : {time.perf_counter() - started:.0f} s")


def report_meeting(programme: Programme, title: str = "Comité de mesure — relevé") -> Meeting:
    """A committee held mid-2027, its state frozen: about half of BENCH-0's 5,000 actions are late on its day."""
    meeting = Meeting.objects.filter(programme=programme, title=title).first()
    if meeting is None:
        meeting = meeting_create(
            by=SYSTEM, programme=programme, committee="copil", held_on=date(2027, 6, 1), title=title
        )
        snapshot_take(by=SYSTEM, meeting=meeting)
    return meeting


def main() -> None:
    generate()
    programme = Programme.objects.get(code="BENCH-0")
    print(
        f"base : {connection.vendor} ; {Meeting.objects.filter(programme=programme).count()} comités, "
        f"{SnapshotAction.objects.count():,} actions figées, {Measurement.objects.count():,} mesures".replace(
            ",", " "
        )
    )
    users = {name: get_user_model().objects.get(username=name) for name in ("national", "bretagne")}
    # The server process settles before its first request (config/wsgi.py); measured here without, then with.
    client = Client()
    client.force_login(users["national"])
    url = reverse("dashboard:dashboard") + "?programme=BENCH-0"
    unsettled = median_ms(lambda: client.get(url), runs=9)
    frozen = settle()
    print(
        f"national  tableau de bord, processus non préparé (sans gc.freeze) : médiane {unsettled:.1f} ms ; "
        f"préparé comme config/wsgi.py : {frozen:,} objets de démarrage gelés".replace(",", " ")
    )
    pid = programme.pk.hex if connection.vendor == "sqlite" else programme.pk
    for name, user in users.items():
        client = Client()
        client.force_login(user)
        for label, url, sql, params in [
            (
                "tableau de bord (BENCH-0)",
                reverse("dashboard:dashboard") + "?programme=BENCH-0",
                "SELECT s.region, w.status, count(*) FROM programmes_workstream w JOIN programmes_workstreamtemplate t "
                "ON t.id = w.template_id JOIN organisation_structure s ON s.id = w.structure_id "
                "WHERE t.programme_id = %s GROUP BY s.region, w.status",
                [pid],
            ),
            (
                "page d'accueil",
                reverse("core:home"),
                "SELECT count(*) FILTER (WHERE deadline_end < CURRENT_DATE AND status NOT IN ('done','abandoned')) "
                "FROM programmes_action",
                [],
            ),
        ]:
            queries: list[str] = []
            with connection.execute_wrapper(
                lambda execute, sql, *rest, queries=queries: queries.append(sql) or execute(sql, *rest)
            ):
                assert client.get(url).status_code == 200
            view = median_ms(lambda url=url, client=client: client.get(url), runs=9)
            sql_ms = median_ms(lambda sql=sql, params=params: raw(sql, params), runs=9)
            print(
                f"{name:9} {label:32} médiane {view:7.1f} ms  {len(queries):2} requêtes  "
                f"SQL brut {sql_ms:6.1f} ms  rapport {view / max(sql_ms, 0.01):5.1f}"
            )
    national = users["national"]
    # Pages first, the heavy one-off work after (the comparison and the PDF leave long-lived objects behind).
    # The dashboard as it stood at a committee (workstreams and actions frozen by snapshot_take).
    frozen = report_meeting(programme, title="Comité de mesure — tableau au")
    client = Client()
    client.force_login(national)
    url = reverse("dashboard:dashboard") + f"?programme=BENCH-0&au={frozen.pk}"
    queries = []
    with connection.execute_wrapper(lambda execute, sql, *rest: queries.append(sql) or execute(sql, *rest)):
        assert client.get(url).status_code == 200
    view = median_ms(lambda: client.get(url), runs=9)
    sql_ms = median_ms(
        lambda: raw(
            "SELECT s.region, a.status, a.late, count(*) FROM committees_snapshotaction a "
            "LEFT JOIN organisation_structure s ON s.id = a.structure_id WHERE a.snapshot_id = %s "
            "GROUP BY s.region, a.status, a.late",
            [frozen.snapshot.pk],
        ),
        runs=9,
    )
    print(
        f"national  tableau de bord au comité ({frozen.snapshot.action_count:,} actions figées) : médiane {view:.0f} ms, "
        f"{len(queries)} requêtes ; SQL brut {sql_ms:.1f} ms".replace(",", " ")
    )
    indicator = Indicator.objects.get(programme=programme, code="FORM")
    client = Client()
    client.force_login(national)
    url = reverse("indicators:indicator_detail", args=[indicator.pk])
    view = median_ms(lambda: client.get(url), runs=9)
    print(
        f"national  page d'un indicateur ({Measurement.objects.filter(indicator=indicator).count():,} mesures) : médiane {view:.0f} ms".replace(
            ",", " "
        )
    )
    big = list(Meeting.objects.filter(programme=programme, snapshot__action_count=BIG).order_by("held_on"))
    before, after = big[0], big[1]
    compare = median_ms(lambda: compare_meetings(user=national, before=before, after=after), runs=5)
    result = compare_meetings(user=national, before=before, after=after)
    sql = (
        "SELECT count(*) FILTER (WHERE a.status <> b.status), count(*) FILTER (WHERE a.deadline_end <> b.deadline_end) "
        "FROM committees_snapshotaction a JOIN committees_snapshotaction b ON a.action_key = b.action_key "
        "WHERE a.snapshot_id = %s AND b.snapshot_id = %s"
    )
    sql_ms = median_ms(lambda: raw(sql, [before.snapshot.pk, after.snapshot.pk]), runs=5)
    print(
        f"comparaison de deux comités ({BIG:,} actions) : médiane {compare:.0f} ms — {len(result.done)} terminées, "
        f"{len(result.deadline_changed)} échéances modifiées ; SQL brut (comptes seuls) {sql_ms:.0f} ms".replace(
            ",", " "
        )
    )
    last = report_meeting(programme)
    begin = time.perf_counter()
    report = build_report(user=national, meeting=last)
    built = time.perf_counter() - begin
    begin = time.perf_counter()
    pdf = render_pdf(report)
    rendered = time.perf_counter() - begin
    sql_ms = median_ms(
        lambda: raw(
            "SELECT code, title, deadline_end FROM committees_snapshotaction WHERE snapshot_id = %s AND late "
            "ORDER BY deadline_end",
            [last.snapshot.pk],
        ),
        runs=5,
    )
    print(
        f"relevé du comité ({report.total:,} actions, {len(report.late):,} en retard) : données {built:.1f} s, "
        f"PDF {rendered:.1f} s ({len(pdf) / 1e6:.1f} Mo) ; SQL brut des retards {sql_ms:.0f} ms".replace(
            ",", " "
        )
    )


if __name__ == "__main__":
    main()
