"""The demo's two COPIL compare to exactly what the demo changed between them."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management import call_command

from bascule.committees.models import Campaign, Meeting
from bascule.committees.selectors import campaign_page, compare_meetings, decisions_to_follow
from bascule.indicators.models import Indicator


def test_demo_committees_compare_and_follow_up(demo):
    first, second, third = Meeting.objects.filter(committee="copil").order_by("held_on")
    national = get_user_model().objects.get(username="national")
    result = compare_meetings(user=national, before=first, after=second)
    assert len(result.done) == 3 and len(result.deadline_changed) == 1
    assert [r["code"] for r in result.new] == ["N-1"] and result.removed == []
    followed = [d.title for d in decisions_to_follow(user=national, meeting=second)]
    assert followed == ["Renforcer l'accompagnement des régions en retard sur le recensement"]
    bretagne = get_user_model().objects.get(username="bretagne")
    assert Meeting.objects.visible_to(bretagne).count() == 4
    assert [r["code"] for r in compare_meetings(user=bretagne, before=first, after=second).new] == [
        "N-1"
    ]  # national: seen
    campaign = Campaign.objects.get(meeting=third)
    page = campaign_page(user=national, campaign=campaign)
    assert page["answered"] == 5 and len(page["requests"]) == campaign.requests.count() == 11  # one sent back
    assert first.snapshot.workstream_count > 0  # the dashboard "as of" each committee has its matrix
    assert Indicator.objects.get(code="FORM").actions.exists()  # linked to the plan's training actions
    call_command("demo_data", verbosity=0)  # a second run keeps what exists
    assert Meeting.objects.count() == 4
