"""French full-text search (bascule/assistance/search.py): on PostgreSQL, `unaccent`, the `bascule_french`
configuration (unaccent then French Snowball stemming), a stored generated `search_vector` column and its GIN
index on each table; on SQLite, the FTS5 table that
the services keep in step. Each half runs only on its database; both are re-runnable."""

from django.db import migrations

POSTGRES_UP = [
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    """
    DO $$ BEGIN
      IF NOT EXISTS (SELECT 1 FROM pg_ts_config WHERE cfgname = 'bascule_french') THEN
        CREATE TEXT SEARCH CONFIGURATION bascule_french (COPY = french);
        ALTER TEXT SEARCH CONFIGURATION bascule_french
          ALTER MAPPING FOR hword, hword_part, word WITH unaccent, french_stem;
      END IF;
    END $$
    """,
    # A stored vector (PostgreSQL computes it on every write): ranking reads it instead of re-parsing the text.
    "ALTER TABLE assistance_ticket ADD COLUMN IF NOT EXISTS search_vector tsvector "
    "GENERATED ALWAYS AS (to_tsvector('bascule_french'::regconfig, search_document)) STORED",
    "ALTER TABLE assistance_article ADD COLUMN IF NOT EXISTS search_vector tsvector "
    "GENERATED ALWAYS AS (to_tsvector('bascule_french'::regconfig, search_document)) STORED",
    "CREATE INDEX IF NOT EXISTS assistance_ticket_fts ON assistance_ticket USING GIN (search_vector)",
    "CREATE INDEX IF NOT EXISTS assistance_article_fts ON assistance_article USING GIN (search_vector)",
]
POSTGRES_DOWN = [
    "DROP INDEX IF EXISTS assistance_ticket_fts",
    "DROP INDEX IF EXISTS assistance_article_fts",
    "ALTER TABLE assistance_ticket DROP COLUMN IF EXISTS search_vector",
    "ALTER TABLE assistance_article DROP COLUMN IF EXISTS search_vector",
]
SQLITE_UP = [
    # `kind` is indexed so that a search of articles never ranks the tickets' rows (`kind : article AND …`).
    "CREATE VIRTUAL TABLE IF NOT EXISTS assistance_search USING fts5("
    "kind, ref UNINDEXED, body, tokenize = 'unicode61 remove_diacritics 2')",
    # Which FTS row holds each object's text: FTS5 cannot index `ref`, and a scan per write grows with the table.
    "CREATE TABLE IF NOT EXISTS assistance_search_key ("
    "kind TEXT NOT NULL, ref TEXT NOT NULL, fts_rowid INTEGER NOT NULL, PRIMARY KEY (kind, ref))",
]
SQLITE_DOWN = ["DROP TABLE IF EXISTS assistance_search_key", "DROP TABLE IF EXISTS assistance_search"]


def _run(statements: dict[str, list[str]]):
    def run(apps, schema_editor):
        for statement in statements.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("assistance", "0001_tickets_and_knowledge")]

    operations = [
        migrations.RunPython(
            _run({"postgresql": POSTGRES_UP, "sqlite": SQLITE_UP}),
            _run({"postgresql": POSTGRES_DOWN, "sqlite": SQLITE_DOWN}),
        )
    ]
