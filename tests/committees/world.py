"""What committees add to the test world: a national COPIL (agenda, a decision, its state frozen) and a regional
committee in Normandy with its own decision (outside Bretagne, for the access harness), and an open update campaign
with a request to each region."""

from __future__ import annotations

from datetime import date
from typing import Any

from bascule.committees import services
from bascule.committees.models import UpdateRequest
from tests.committees.factories import MeetingDecisionFactory, MeetingFactory

ORDER = 20  # after programmes


def extend_world(world: Any) -> None:
    national = world.national
    world.copil = MeetingFactory(
        by=national, programme=world.programme, held_on=date(2025, 6, 1), title="COPIL de juin"
    )
    services.agenda_item_add(by=national, meeting=world.copil, title="Retards", action=world.action_bzh)
    world.copil_decision = MeetingDecisionFactory(
        by=national,
        meeting=world.copil,
        title="Ouvrir la vague 2",
        owner=world.bretagne,
        due_on=date(2025, 9, 30),
    )
    services.snapshot_take(by=national, meeting=world.copil)
    world.committee_nor = MeetingFactory(
        by=world.lead_nor,
        programme=world.programme,
        committee="regional",
        structure=world.normandie,
        held_on=date(2025, 6, 15),
        title="Comité régional Normandie",
    )
    world.decision_nor = MeetingDecisionFactory(
        by=world.lead_nor, meeting=world.committee_nor, title="Former les gestionnaires du Calvados"
    )
    # An open update campaign: one request per region holding actions (Bretagne, Normandy).
    world.campaign = services.campaign_create(
        by=national,
        programme=world.programme,
        title="Mise à jour avant le COPIL d'octobre",
        due_on=date(2025, 9, 30),
        meeting=world.copil,
    )
    world.campaign = services.campaign_open(by=national, campaign=world.campaign)
    world.request_bzh = UpdateRequest.objects.get(campaign=world.campaign, structure=world.bretagne)
    world.request_nor = UpdateRequest.objects.get(campaign=world.campaign, structure=world.normandie)
