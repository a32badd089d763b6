"""Every link on every page of the demo, as every demo user, answers 200: no page offers what its target refuses.

A crawler starts from the home page of each demo account and follows the internal links it is shown (`<a href>`),
one page per kind of link (URL pattern and query parameters), and asserts each answers 200. Links are drawn from
the same abilities as the views that answer them, so a link to a refused page is a bug the crawler finds.
"""

from __future__ import annotations

import re
from collections import deque
from html import unescape
from urllib.parse import parse_qsl, urljoin, urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import Resolver404, resolve

from bascule.organisation.demo import DEMO_ACCOUNTS

HREF = re.compile(r'<a\b[^>]*\bhref="([^"]+)"')
SKIPPED_PREFIXES = ("/static/", "/media/", "/admin/")
MAX_PAGES = 300


def _signature(url: str) -> tuple[str, tuple[str, ...]] | None:
    parts = urlsplit(url)
    try:
        match = resolve(parts.path)
    except Resolver404:
        return ("404:" + parts.path, ())
    keys = tuple(sorted({k for k, _ in parse_qsl(parts.query, keep_blank_values=True)} - {"page"}))
    return (match.view_name, keys)


def _crawl(client: Client) -> tuple[int, list[str]]:
    seen: set[tuple[str, tuple[str, ...]]] = set()
    queue: deque[tuple[str, str]] = deque([("/", "(départ)")])
    failures: list[str] = []
    visited = 0
    while queue and visited < MAX_PAGES:
        url, source = queue.popleft()
        response = client.get(url)
        visited += 1
        if response.status_code != 200:
            failures.append(f"{url} → {response.status_code} (lien de {source})")
            continue
        if "text/html" not in response.get("Content-Type", ""):
            continue
        for href in HREF.findall(response.content.decode()):
            target = urljoin(url, unescape(href))
            parts = urlsplit(target)
            if parts.scheme in {"mailto", "tel"} or parts.netloc not in {"", "testserver"}:
                continue
            if not parts.path or parts.path.startswith(SKIPPED_PREFIXES) or target.startswith("#"):
                continue
            local = parts.path + (f"?{parts.query}" if parts.query else "")
            signature = _signature(local)
            if signature is not None and signature not in seen:
                seen.add(signature)
                queue.append((local, url))
    return visited, failures


@pytest.mark.django_db
@pytest.mark.parametrize("username", list(DEMO_ACCOUNTS))
def test_every_link_of_the_demo_answers_200_for_every_demo_user(demo, username):
    """One demo account per test, so that the workers share the crawl (the demo is replayed, not rebuilt)."""
    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    visited, failures = _crawl(client)
    assert visited > 20, (username, visited)
    assert not failures, "\n".join(f"{username}: {failure}" for failure in failures[:30])
