"""A `{# … #}` comment ends on its own line in Django: one spread over several lines is printed to the user."""

from __future__ import annotations

import re
from pathlib import Path

import bascule

OPEN_COMMENT = re.compile(r"\{#(?![^\n]*#\})")


def test_no_template_prints_a_comment():
    root = Path(bascule.__file__).parent
    found = [
        str(p.relative_to(root)) for p in root.rglob("*.html") if OPEN_COMMENT.search(p.read_text("utf-8"))
    ]
    assert found == []
