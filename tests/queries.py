"""Counting queries: the one helper every test uses (`count_queries`), and the pytest-django fixtures made safe.

Django keeps at most 9,000 queries in a connection's log: once full, `CaptureQueriesContext` reads from a stale
index and counts nothing, and « a constant number of queries » compares two zeros. So the log is emptied first,
and a count of zero fails (every page reads at least its user).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection, reset_queries
from django.test.utils import CaptureQueriesContext


@contextmanager
def count_queries(*, at_least: int = 1) -> Iterator[CaptureQueriesContext]:
    """`with count_queries() as queries: …` then `len(queries)`: the queries of the block, counted from zero."""
    reset_queries()
    with CaptureQueriesContext(connection) as captured:
        yield captured
    assert len(captured) >= at_least, f"{len(captured)} queries counted: the count proves nothing"
