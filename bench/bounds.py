"""Bounded input: the deadline parser's time against text size, next to the quadratic implementation it replaced,
and the time to refuse an oversized text through the API (a 5 MB `deliverables_text`), on the embedded SQLite.

    .venv/bin/python bench/bounds.py
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.pop("DATABASE_URL", None)
os.environ["BASCULE_VAR_DIR"] = tempfile.mkdtemp(prefix="bascule-bench-")

import django

django.setup()

from bascule.core import deadlines  # noqa: E402


def naive_leftover(norm: str, points: list) -> str:
    """The former way of blanking the understood expressions: a new string per expression (quadratic)."""
    leftover = norm
    for point in reversed(points):
        leftover = leftover[: point.begin] + " " + leftover[point.finish :]
    return leftover


def best_of(function, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - started)
    return best


def parsers() -> None:
    print("| text | parse_deadline (uncapped, linear) | former blanking step alone (quadratic) |")
    print("| --- | --- | --- |")
    deadlines.DEADLINE_MAX_CHARS = 10**9
    for size in (100_000, 200_000, 400_000, 800_000):
        text = ("fin 2021 " * (size // 9 + 1))[:size]
        norm = deadlines.normalise(text)
        points = deadlines._points(norm)
        linear = best_of(lambda: deadlines.parse_deadline(text))  # noqa: B023
        quadratic = best_of(lambda: naive_leftover(norm, points), repeat=1)  # noqa: B023
        print(f"| {size // 1000} kB | {linear * 1000:.0f} ms | {quadratic * 1000:.0f} ms |")
    deadlines.DEADLINE_MAX_CHARS = 4000
    huge = "fin 2021 " * 580_000
    print(
        f"\nCapped (the application's setting), 5 MB text: {best_of(lambda: deadlines.parse_deadline(huge)) * 1e6:.0f} µs"
    )


def api_refusal() -> None:
    from django.core.management import call_command
    from rest_framework.test import APIClient

    from bascule.programmes.models import Action

    call_command("migrate", verbosity=0)
    call_command("demo_data", verbosity=0)
    from django.contrib.auth import get_user_model

    client = APIClient()
    client.force_login(get_user_model().objects.get(username="national"))
    action = Action.objects.first()
    body = {"deliverables_text": "fin 2021 " * 580_000, "version": action.version}
    url = f"/api/v1/actions/{action.pk}/"
    timings = []
    for _ in range(5):
        started = time.perf_counter()
        response = client.patch(url, body, format="json")
        timings.append(time.perf_counter() - started)
        assert response.status_code == 400
    timings.sort()
    print(
        f"PATCH of a 5 MB deliverables_text refused (400): median {timings[2] * 1000:.0f} ms over 5 requests"
    )


if __name__ == "__main__":
    parsers()
    api_refusal()
