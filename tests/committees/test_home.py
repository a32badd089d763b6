"""Home pages that steer: each figure is the count of the list its link opens; constant queries."""

from __future__ import annotations

import re
from datetime import date

from django.urls import reverse

from bascule.committees import services
from bascule.programmes.models import Action
from tests.committees.factories import MeetingDecisionFactory
from tests.programmes.factories import ActionFactory
from tests.queries import count_queries


def _home(client):
    return client.get(reverse("core:home")).content.decode()


def test_each_figure_links_to_the_list_behind_it(world, client):
    client.force_login(world.lead_bzh)
    page = _home(client)
    late = re.search(r'href="([^"]+\?late=on)">(\d+) actions? en retard', page)
    listed = client.get(late.group(1).replace("&amp;", "&")).content.decode()
    assert f"{late.group(2)} action" in listed  # the list's count says the same number
    assert "Mises à jour qui vous sont demandées" in page  # the Breton request of the world's campaign
    assert "Campagnes de mise à jour ouvertes" in page and "1 réponse" not in page


def test_decisions_awaiting_the_users_structures(world, client):
    MeetingDecisionFactory(
        by=world.national, meeting=world.copil, title="Former les DDI", owner=world.finistere
    )
    client.force_login(world.referent_29)
    assert "Former les DDI" in _home(client)
    client.force_login(world.lead_nor)
    assert "Former les DDI" not in _home(client)


def test_a_reader_sees_the_same_figures_read_only(world, client):
    client.force_login(world.reader_bzh)
    page = _home(client)
    assert "en retard" in page and "Mises à jour qui vous sont demandées" not in page


def test_the_home_page_costs_constant_queries(world, client):
    client.force_login(world.national)

    def count():
        with count_queries() as queries:
            assert client.get(reverse("core:home")).status_code == 200
        return len(queries)

    count()
    before = count()
    for i in range(15):
        ActionFactory(
            by=world.national,
            programme=world.programme,
            code=f"7-{i}",
            title=f"A{i}",
            deliverables_text="mars 2020",
        )
        MeetingDecisionFactory(by=world.national, meeting=world.copil, title=f"D{i}", owner=world.bretagne)
    campaign = services.campaign_create(
        by=world.national, programme=world.programme, title="Encore une", due_on=date(2026, 1, 1)
    )
    services.campaign_open(by=world.national, campaign=campaign)
    assert Action.objects.count() > 15
    assert count() == before
