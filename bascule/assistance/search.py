"""French full-text search over tickets and articles, on both databases.

- PostgreSQL: the text search configuration `bascule_french` (French Snowball stemming after `unaccent`), a stored
  generated column `search_vector = to_tsvector('bascule_french', search_document)` and its GIN index on each table
  (migration 0002, unknown to the models: PostgreSQL fills it); queries go through `websearch_to_tsquery` and are
  ranked by `ts_rank`.
- SQLite: an FTS5 table `assistance_search` whose text is the document already folded (accents removed, lower case)
  and stemmed by the same Snowball French stemmer, in Python (`terms`), kept in step by the services — the only
  write path — through `index_ticket` / `index_article`; `assistance_search_key` says which FTS row is whose.
Either way « reinitialiser » finds « Réinitialiser » and « factures » finds « facture ».
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Any, TypeVar

import nh3
import snowballstemmer
from django.db import connection
from django.db.models import BooleanField, FloatField, QuerySet
from django.db.models.expressions import RawSQL

from bascule.assistance.models import PUBLIC_KINDS, Article, Ticket

WORD = re.compile(r"\w+", re.UNICODE)
DOCUMENT_MAX = 60_000
M = TypeVar("M", Ticket, Article)


@lru_cache(maxsize=1)
def _stemmer() -> Any:
    return snowballstemmer.stemmer("french")


def fold(text: str) -> str:
    """Lower case, accents removed (« Réinitialiser » → « reinitialiser »)."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def terms(text: str) -> list[str]:
    """The folded, stemmed words of a text (« Factures réinitialisées » → ["factur", "reinitialis"])."""
    return [stem for stem in _stemmer().stemWords(WORD.findall(fold(text))) if stem]


def html_text(html: str) -> str:
    """The text of sanitised HTML (tags removed)."""
    return re.sub(r"\s+", " ", nh3.clean(html, tags=set())).strip()


def ticket_document(ticket: Ticket) -> str:
    """What a ticket is found by: its number, subject and public messages (never internal notes)."""
    bodies = (
        ticket.messages.filter(kind__in=PUBLIC_KINDS).order_by("created_at").values_list("body", flat=True)
    )
    return "\n".join([ticket.number, ticket.subject, *bodies])[:DOCUMENT_MAX]


def article_document(article: Article) -> str:
    return f"{article.question}\n{html_text(article.answer)}"[:DOCUMENT_MAX]


def _sqlite() -> bool:
    return connection.vendor == "sqlite"


def _index(kind: str, pk: Any, document: str) -> None:
    if not _sqlite():
        return  # PostgreSQL indexes the column itself (GIN expression index)
    with connection.cursor() as cursor:
        # The object's previous row is found through the key table (an FTS5 column cannot be indexed).
        cursor.execute(
            "SELECT fts_rowid FROM assistance_search_key WHERE kind = %s AND ref = %s", [kind, pk.hex]
        )
        previous = cursor.fetchone()
        if previous:
            cursor.execute("DELETE FROM assistance_search WHERE rowid = %s", [previous[0]])
        cursor.execute(
            "INSERT INTO assistance_search (kind, ref, body) VALUES (%s, %s, %s)",
            [kind, pk.hex, " ".join(terms(document))],
        )
        cursor.execute(
            "INSERT OR REPLACE INTO assistance_search_key (kind, ref, fts_rowid) VALUES (%s, %s, %s)",
            [kind, pk.hex, cursor.lastrowid],
        )


def index_ticket(ticket: Ticket) -> None:
    """Recompute the ticket's indexed text (after a public message)."""
    document = ticket_document(ticket)
    Ticket.objects.filter(pk=ticket.pk).update(search_document=document)
    ticket.search_document = document
    _index("ticket", ticket.pk, document)


def index_article(article: Article) -> None:
    document = article_document(article)
    Article.objects.filter(pk=article.pk).update(search_document=document)
    article.search_document = document
    _index("article", article.pk, document)


def _fts_query(query: str, *, match_any: bool = False) -> str:
    words = terms(query)
    # Each word must appear (or any, for a fallback); the last one may be unfinished (typed as we search).
    quoted = [f'"{w}"' for w in words]
    if quoted:
        quoted[-1] += "*"
    if match_any:
        return "(" + " OR ".join(quoted) + ")"
    return " AND ".join(quoted)


def search(queryset: QuerySet[M], query: str, *, limit: int = 20, match_any: bool = False) -> list[M]:
    """The objects of `queryset` (tickets or articles, already the visible ones) matching `query`, best first:
    every word, or (`match_any`) any of them, the objects with more of them first."""
    model = queryset.model
    kind = "ticket" if model is Ticket else "article"
    if not terms(query):
        return []
    if _sqlite():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT ref FROM assistance_search WHERE assistance_search MATCH %s ORDER BY rank LIMIT 2000",
                [f"kind : {kind} AND {_fts_query(query, match_any=match_any)}"],
            )
            refs = [row[0] for row in cursor.fetchall()]
        # Which of the best matches the user may see (ids only), then only those objects are built.
        visible = {pk.hex for pk in queryset.filter(pk__in=refs).values_list("pk", flat=True)}
        kept = [ref for ref in refs if ref in visible][:limit]
        order = {ref: position for position, ref in enumerate(kept)}
        found = list(queryset.filter(pk__in=kept))
        found.sort(key=lambda obj: order[obj.pk.hex])
        return found
    table = model._meta.db_table
    vector = f"{table}.search_vector"  # generated and indexed by PostgreSQL (migration 0002)
    if match_any:  # websearch syntax: « a or b or c »
        query = " or ".join(dict.fromkeys(WORD.findall(query)))
    condition = f"{vector} @@ websearch_to_tsquery('bascule_french'::regconfig, %s)"
    rank = f"ts_rank({vector}, websearch_to_tsquery('bascule_french'::regconfig, %s))"
    return list(
        queryset.annotate(search_rank=RawSQL(rank, [query], output_field=FloatField()))  # noqa: S611 - fixed SQL
        .filter(RawSQL(condition, [query], output_field=BooleanField()))  # noqa: S611 - query is a parameter
        .order_by("-search_rank")[:limit]
    )
