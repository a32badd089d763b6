"""The support desk at scale (issue 9): French full-text search over many tickets and articles, the ticket list's
queries, and mail intake from a real local IMAP server.

    createdb -h 127.0.0.1 -U postgres bascule_bench_desk   # once
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bascule_bench_desk .venv/bin/python bench/support_scale.py --tickets 1000000
    SQLITE_PATH=var/bench-desk.sqlite3 .venv/bin/python bench/support_scale.py --tickets 100000
    .venv/bin/python bench/support_scale.py --intake 10000      # needs Debian's dovecot-imapd (as `make test`)

Generates once (bulk rows, not the services: the point is the reads) tickets whose subjects and bodies are drawn
from the words of real support questions plus a long tail of other words, and articles; then prints, for each query,
the median time of `search.search` over the tickets a national user sees (what the pages and the API call), next to
the same query written by hand in SQL (the floor). `--intake N` delivers N messages to a fresh Dovecot mailbox,
polls it once (messages/s), then polls again (nothing new: its time). Not a test: figures to read and write down.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import override_settings  # noqa: E402
from django.utils import timezone  # noqa: E402

from bascule.assistance import search  # noqa: E402
from bascule.assistance.models import Article, Review, Ticket  # noqa: E402
from bascule.organisation.models import Structure, StructureKind  # noqa: E402
from bascule.programmes.models import Programme  # noqa: E402

RUNS = 15
CORE = [  # the words of real support questions (domain.md §5-§7)
    *[
        "réinitialiser",
        "mot",
        "de",
        "passe",
        "compte",
        "bloqué",
        "connexion",
        "habilitation",
        "profil",
        "valideur",
        "facture",
        "rejetée",
    ],
    *[
        "tiers",
        "SIRET",
        "engagement",
        "juridique",
        "reprise",
        "données",
        "poste",
        "certificat",
        "navigateur",
        "formation",
        "session",
    ],
    *[
        "inscription",
        "interface",
        "flux",
        "demande",
        "achat",
        "service",
        "fait",
        "paiement",
        "mandat",
        "titre",
        "centre",
        "financier",
    ],
    *["domaine", "fonctionnel", "activité", "budget"],
]
QUERIES = [
    "reinitialiser mot de passe",
    "factures rejetees tiers",
    "habilitation profil valideur",
    "certificat",
]


def _tail(rng: random.Random) -> str:
    return "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(5, 9)))


def generate(tickets: int, articles: int) -> None:
    call_command("migrate", verbosity=0)
    programme = Programme.objects.filter(code="CHORUS-MAP").first()
    if programme is None:
        call_command("demo_data", verbosity=0)
        programme = Programme.objects.get(code="CHORUS-MAP")
    have = Ticket.objects.count()
    if have >= tickets:
        return
    started = time.perf_counter()
    rng = random.Random(5)
    tail = [_tail(rng) for _ in range(20_000)]
    regions = list(Structure.objects.filter(kind=StructureKind.REGION))
    now = timezone.now()
    batch: list[Ticket] = []
    sqlite = connection.vendor == "sqlite"

    def flush() -> None:
        Ticket.objects.bulk_create(batch)
        if sqlite:
            with connection.cursor() as cursor:
                cursor.executemany(
                    "INSERT INTO assistance_search (kind, ref, body) VALUES ('ticket', %s, %s)",
                    [(t.pk.hex, " ".join(search.terms(t.search_document))) for t in batch],
                )
        batch.clear()

    with transaction.atomic():
        for n in range(have, tickets):
            words = rng.sample(CORE, 3) + [rng.choice(tail) for _ in range(25)]
            rng.shuffle(words)
            subject = " ".join(words[:6]).capitalize()
            body = " ".join(words[6:])
            region = regions[n % len(regions)]
            number = f"2025-{n + 1:07d}"[:20]
            batch.append(
                Ticket(
                    number=number,
                    programme=programme,
                    structure=region,
                    level1_structure=region,
                    level2_structure=region,
                    handling_structure=region,
                    requester_email=f"agent{n}@bench.gouv.fr",
                    subject=subject,
                    status=rng.choice(["new", "assigned", "solved", "closed"]),
                    created_at=now - timedelta(minutes=n),
                    search_document=f"{number}\n{subject}\n{body}",
                )
            )
            if len(batch) == 10_000:
                flush()
        if batch:
            flush()
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
        from bascule.assistance import knowledge
        from bascule.core.system import SYSTEM

        for _ in range(Article.objects.count(), articles):
            words = rng.sample(CORE, 2) + [rng.choice(tail) for _ in range(30)]
            knowledge.article_create(
                by=SYSTEM,
                programme=programme,
                question=" ".join(words[:8]).capitalize() + " ?",
                answer="<p>" + " ".join(words[8:]) + "</p>",
                review=Review.PUBLISHED,
            )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE assistance_ticket")
    print(f"generated {tickets - have:,} tickets in {time.perf_counter() - started:.0f} s")


def median_ms(fn) -> float:  # type: ignore[no-untyped-def]
    fn()
    samples = []
    for _ in range(RUNS):
        begin = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - begin) * 1000)
    return statistics.median(samples)


def hand_sql(query: str) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT ref FROM assistance_search WHERE assistance_search MATCH %s AND kind = 'ticket' "
                "ORDER BY rank LIMIT 20",
                [search._fts_query(query)],
            )
        else:
            cursor.execute(
                "SELECT id FROM assistance_ticket WHERE search_vector @@ websearch_to_tsquery('bascule_french', %s) "
                "ORDER BY ts_rank(search_vector, websearch_to_tsquery('bascule_french', %s)) DESC LIMIT 20",
                [query, query],
            )
        cursor.fetchall()


def searches() -> None:
    user = get_user_model().objects.get(username="national")
    tickets = Ticket.objects.visible_to(user)
    print(f"{connection.vendor}: {Ticket.objects.count():,} tickets, {Article.objects.count():,} articles")
    print(f"{'query':32} {'matches':>9} {'search (ms)':>12} {'hand SQL (ms)':>14}")
    for query in QUERIES:
        matches = len(search.search(tickets, query, limit=10**7)) if Ticket.objects.count() <= 200_000 else -1
        ours = median_ms(lambda q=query: list(search.search(tickets, q, limit=20)))
        floor = median_ms(lambda q=query: hand_sql(q))
        shown = f"{matches:,}" if matches >= 0 else "—"
        print(f"{query:32} {shown:>9} {ours:12.1f} {floor:14.1f}")
    articles = Article.objects.published()
    ours = median_ms(lambda: list(search.search(articles, "reinitialiser mot de passe", limit=5)))
    print(f"{'articles: reinitialiser mot de passe':32} {'':>9} {ours:12.1f}")
    client = Client()
    client.force_login(user)
    status = client.get("/assistance/?etat=open", HTTP_HOST="127.0.0.1").status_code
    page = median_ms(lambda: client.get("/assistance/?etat=open", HTTP_HOST="127.0.0.1"))
    print(
        f"ticket list page, national, open tickets (HTTP {status}): {page:.0f} ms (constant queries: tests)"
    )
    tickets = Ticket.objects.visible_to(user).filter(status__in=["new", "assigned", "waiting"])
    count = median_ms(lambda: tickets.count())
    first = median_ms(lambda: list(tickets.order_by("-created_at", "-number")[:25]))
    print(f"  of which: count of the open tickets {count:.0f} ms, first page {first:.0f} ms")


def intake(messages: int) -> None:
    from bascule.assistance import mailin, operations
    from bascule.core.system import SYSTEM
    from tests.assistance.imap import PASSWORD, Dovecot
    from tests.assistance.mails import raw_mail

    call_command("migrate", verbosity=0)
    programme = Programme.objects.filter(code="CHORUS-MAP").first()
    if programme is None:
        call_command("demo_data", verbosity=0)
        programme = Programme.objects.get(code="CHORUS-MAP")
    server = Dovecot()
    try:
        user = server.new_user()
        from imap_tools import MailBoxUnencrypted

        started = time.perf_counter()
        with MailBoxUnencrypted("127.0.0.1", server.port).login(user, PASSWORD) as box:
            for n in range(messages):
                box.append(
                    raw_mail(
                        sender=f"agent{n % 500}@exemple.fr",
                        subject=f"[Reprise] Question {n}",
                        body=f"Question numéro {n} sur un engagement.",
                        message_id=f"<bench-{n}@exemple.fr>",
                    ),
                    "INBOX",
                )
        print(f"delivered {messages:,} messages to Dovecot in {time.perf_counter() - started:.1f} s")
        region = Structure.objects.get(code="R53")
        mailbox = operations.mailbox_create(
            by=SYSTEM,
            programme=programme,
            structure=region,
            address=user,
            host="127.0.0.1",
            port=server.port,
            use_ssl=False,
            username=user,
            password=PASSWORD,
        )
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
            started = time.perf_counter()
            result = mailin.poll(mailbox)
            elapsed = time.perf_counter() - started
            print(f"intake: {result.line()}")
            print(
                f"intake: {messages / elapsed:.0f} messages/s ({elapsed:.1f} s, ticket + acknowledgement each)"
            )
            started = time.perf_counter()
            again = mailin.poll(mailbox)
            print(f"re-poll: {again.read} read, {time.perf_counter() - started:.2f} s")
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tickets", type=int, default=0)
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--intake", type=int, default=0)
    args = parser.parse_args()
    if args.tickets:
        generate(args.tickets, args.articles)
        searches()
    if args.intake:
        intake(args.intake)


if __name__ == "__main__":
    main()
