"""Readable at 1366 px and at 320 px: the action list shows every column, the timeline's month labels never
overlap, and nothing widens the page on a phone. Screenshots land in test-results/."""

from __future__ import annotations

import pytest

from bascule.programmes.models import Programme
from tests.e2e.test_action_plan_journey import _accessible, _login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TABLE_FITS = """() => {
  const table = document.querySelector('#resultats table');
  const box = table.closest('.fr-table__container') || table.parentElement;
  return [table.getBoundingClientRect().width, box.clientWidth];
}"""
LABELS_OVERLAP = """() => {
  const labels = [...document.querySelectorAll('.bascule-gantt__month')].filter(l => l.textContent.trim());
  const boxes = labels.map(l => { const r = l.getBoundingClientRect(); return [r.left, r.left + Math.min(l.scrollWidth, 1000)]; });
  return boxes.slice(1).filter((b, i) => b[0] < boxes[i][1] - 1).length;
}"""
PAGE_WIDTH = "() => [document.documentElement.scrollWidth, window.innerWidth]"


def test_action_list_and_timeline_are_readable_at_1366_and_320(demo, live_server, browser, artifacts):
    page = browser.new_context(locale="fr-FR", viewport={"width": 1366, "height": 900}).new_page()
    _login(page, live_server.url, "national")
    page.wait_for_url(f"{live_server.url}/")
    programme = Programme.objects.get(code="CHORUS-MAP")
    for width in (1366, 320):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"{live_server.url}/programmes/actions/")
        table_width, box_width = page.evaluate(TABLE_FITS)
        if width == 1366:
            assert table_width <= box_width + 1, (table_width, box_width)  # no column cut or hidden
        scroll_width, inner_width = page.evaluate(PAGE_WIDTH)
        assert scroll_width <= inner_width, (width, scroll_width)  # the page itself never scrolls sideways
        page.screenshot(path=str(artifacts / f"actions-{width}px.png"))
        page.goto(f"{live_server.url}/programmes/{programme.pk}/calendrier/")
        assert page.evaluate(LABELS_OVERLAP) == 0
        scroll_width, inner_width = page.evaluate(PAGE_WIDTH)
        assert scroll_width <= inner_width, (width, scroll_width)
        page.screenshot(path=str(artifacts / f"calendrier-{width}px.png"), full_page=True)
    _accessible(page)
