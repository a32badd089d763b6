"""Rules the suite holds itself to, so that no check passes vacuously."""

from __future__ import annotations

from pathlib import Path

from django.urls import URLPattern, URLResolver, get_resolver

TESTS = Path(__file__).resolve().parents[1]


def test_queries_are_counted_by_the_one_helper():
    # CaptureQueriesContext alone counts nothing once Django's query log is full (tests/queries.py).
    direct = [
        str(p.relative_to(TESTS))
        for p in TESTS.rglob("*.py")
        if p.name != "queries.py" and p != Path(__file__) and "CaptureQueriesContext(" in p.read_text("utf-8")
    ]
    assert direct == []


def _unnamed(patterns: list, prefix: str = "") -> list[str]:
    found = []
    for entry in patterns:
        if isinstance(entry, URLResolver):
            found += _unnamed(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern) and not entry.name:
            found.append(prefix + str(entry.pattern))
    return found


def test_every_url_pattern_is_named():
    # The harnesses walk named patterns: an unnamed one would escape every one of them.
    assert [p for p in _unnamed(get_resolver().url_patterns) if not p.startswith("admin/")] == []
