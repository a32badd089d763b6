"""A refusal (403) is logged as one line; a traceback is for faults (issue 24)."""

from __future__ import annotations

import io
import logging

import pytest
from django.urls import reverse

from bascule.core.logging import OneLineRefusals


@pytest.mark.django_db
def test_a_403_is_one_line_in_the_log(base_world, client):
    handler = next(
        h for h in logging.getLogger().handlers if any(isinstance(f, OneLineRefusals) for f in h.filters)
    )
    stream = io.StringIO()
    previous = handler.setStream(stream)  # type: ignore[attr-defined]
    try:
        client.force_login(base_world.reader_bzh)  # sees Bretagne, changes nothing
        url = reverse("organisation:structure_edit", args=[base_world.bretagne.pk])
        response = client.post(url, {"name": "x"})
    finally:
        handler.setStream(previous)  # type: ignore[attr-defined]
    assert response.status_code == 403
    logged = stream.getvalue()
    assert "Forbidden" in logged and url in logged
    assert "Traceback" not in logged and len(logged.strip().splitlines()) == 1


def test_errors_keep_their_traceback():
    record = logging.LogRecord("django.request", logging.ERROR, __file__, 1, "boom", None, None)
    try:
        raise ValueError("boom")
    except ValueError:
        import sys

        record.exc_info = sys.exc_info()
    record.status_code = 500
    OneLineRefusals().filter(record)
    assert record.exc_info is not None
