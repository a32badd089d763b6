"""Build each test world once per worker, then give every test its own copy in a few milliseconds.

A world (the base referential plus some modules' `extend_world`) runs services, two CP-SAT solves, two takeover
engine runs and a mail intake: seconds of work, and a thousand tests ask for one. The first test of a worker that
asks for a given world builds it as before, inside its own transaction, while every write it sends to the database
is recorded (the SQL and its parameters, as Django's cursor received them; reads are left out; a write undone by a
rolled-back savepoint is forgotten with it). The world's objects are then kept as they were right after the build,
and so are the files it wrote under MEDIA_ROOT.

Every later test that asks for the same world gets the recorded writes replayed in its own transaction — the same
rows, with the same primary keys, since the id sequences are put back where they stood before the build — a deep
copy of the kept objects, and a copy of the files. Its transaction is rolled back at its end as before, so no test
sees another's changes. A test with real transactions (`transaction=True`) gets the same replay, in autocommit
mode; the database is flushed after it as before.

Nothing is cached across workers or runs: each process records its own worlds from the code of this run.
"""

from __future__ import annotations

import copy
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.db import connection, transaction

_WRITE_VERBS = ("INSERT", "UPDATE", "DELETE", "REPLACE")


@dataclass
class _Recording:
    statements: list[tuple[str, Any, bool]] = field(default_factory=list)
    savepoints: list[tuple[str, int]] = field(default_factory=list)

    def __call__(self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        if many and not isinstance(params, list | tuple):
            params = list(params)  # a generator is read once: keep what was sent
        result = execute(sql, params, many, context)
        head = sql.lstrip()[:40].upper()
        if head.startswith("SAVEPOINT "):
            self.savepoints.append((head.split()[1].strip('"'), len(self.statements)))
        elif head.startswith("ROLLBACK TO SAVEPOINT "):
            name = head.split()[3].strip('"')
            while self.savepoints:
                saved, position = self.savepoints[-1]
                if saved == name:
                    del self.statements[position:]  # undone: the savepoint itself stays open
                    break
                self.savepoints.pop()
        elif head.startswith("RELEASE SAVEPOINT "):
            name = head.split()[2].strip('"')
            while self.savepoints and self.savepoints.pop()[0] != name:
                pass
        elif head.startswith(_WRITE_VERBS):
            self.statements.append((sql, copy.deepcopy(params), many))
        return result


@dataclass
class _Built:
    world: Any
    statements: list[tuple[str, Any, bool]]
    sequences: list[tuple[str, Any]]
    media: Path | None


_BUILT: dict[tuple[str, ...], _Built] = {}
_MEDIA_CACHE: list[Path] = []


def _sequences() -> list[tuple[str, Any]]:
    """Where the id sequences stand (PostgreSQL sequences, SQLite's sqlite_sequence rows)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = current_schema()"
            )
            return list(cursor.fetchall())
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_sequence'")
        if not cursor.fetchone():
            return []
        cursor.execute("SELECT name, seq FROM sqlite_sequence")
        return list(cursor.fetchall())


def _put_back(sequences: list[tuple[str, Any]]) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT sequencename FROM pg_sequences WHERE schemaname = current_schema()")
            known = dict(sequences)
            for (name,) in cursor.fetchall():
                value = known.get(name)
                # a sequence never used stands before its start: setval(…, 1, false) gives 1 next
                if value is None:
                    cursor.execute("SELECT setval(%s, 1, false)", [name])
                else:
                    cursor.execute("SELECT setval(%s, %s, true)", [name, value])
            return
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_sequence'")
        if not cursor.fetchone():
            return
        cursor.execute("DELETE FROM sqlite_sequence")
        if sequences:
            cursor.executemany("INSERT INTO sqlite_sequence (name, seq) VALUES (%s, %s)", sequences)


def _media_root() -> Path:
    return Path(settings.MEDIA_ROOT)


def _keep_media(tmp_factory: Any) -> Path | None:
    root = _media_root()
    if not root.exists() or not any(root.rglob("*")):
        return None
    kept = Path(tmp_factory.mktemp("world-media"))
    shutil.copytree(root, kept, dirs_exist_ok=True)
    return kept


def world_of(request: Any, build_base: Callable[[], Any], extensions: Sequence[Callable[[Any], None]]) -> Any:
    """The world made of the base and `extensions` (in order), built once per worker, replayed for each test."""
    key = tuple(f"{e.__module__}.{e.__qualname__}" for e in extensions)
    transactional = _is_transactional(request)
    built = _BUILT.get(key)
    if built is not None:
        _replay(built)
        return copy.deepcopy(built.world)
    if transactional:
        # Outside a transaction, a rolled-back atomic block is not a savepoint the recording could see: build it
        # plainly; a later test in a transaction records it.
        world = build_base()
        for extension in extensions:
            extension(world)
        return world
    sequences = _sequences()
    recording = _Recording()
    with connection.execute_wrapper(recording):
        world = build_base()
        for extension in extensions:
            extension(world)
    media = _keep_media(request.getfixturevalue("tmp_path_factory"))
    _BUILT[key] = _Built(copy.deepcopy(world), recording.statements, sequences, media)
    return world


def _replay(built: _Built) -> None:
    with transaction.atomic():  # one commit in autocommit mode, a savepoint inside a test's transaction
        _put_back(built.sequences)
        with connection.cursor() as cursor:
            for sql, params, many in built.statements:
                if many:
                    cursor.executemany(sql, params)
                else:
                    cursor.execute(sql, params)
    if built.media is not None:
        shutil.copytree(built.media, _media_root(), dirs_exist_ok=True)


def demo_data(request: Any) -> None:
    """`manage.py demo_data` into the test's database: run once per worker (recorded), replayed afterwards.

    The build runs inside one atomic block, so that every transaction of the demo is a savepoint the recording
    sees (a rolled-back one is forgotten); in a test with real transactions that block commits at its end, as
    the command's own transactions would have.
    """
    key = ("manage.py demo_data",)
    built = _BUILT.get(key)
    if built is not None:
        _replay(built)
        return
    sequences = _sequences()
    recording = _Recording()
    with transaction.atomic(), connection.execute_wrapper(recording):
        call_command("demo_data", verbosity=0)
    media = _keep_media(request.getfixturevalue("tmp_path_factory"))
    _BUILT[key] = _Built(None, recording.statements, sequences, media)


def _is_transactional(request: Any) -> bool:
    marker = request.node.get_closest_marker("django_db")
    if marker is not None and (marker.kwargs.get("transaction") or (marker.args and marker.args[0])):
        return True
    return "transactional_db" in request.fixturenames or "live_server" in request.fixturenames
