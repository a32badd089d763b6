"""Committees: meetings, decisions followed up until closed, the state frozen at a meeting, two meetings compared."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from bascule.committees import selectors, services
from bascule.committees.models import Meeting, SnapshotAction
from bascule.programmes.models import Action, Decision, Status
from bascule.programmes.services import action_update, progress_add
from tests.committees.factories import MeetingDecisionFactory, MeetingFactory
from tests.programmes.factories import ActionFactory
from tests.queries import count_queries

T, F = True, False
USERS = ["national", "lead_bzh", "referent_29", "reader_bzh", "lead_nor", "nobody"]
MATRIX = {
    # national COPIL: seen by everyone with a perimeter, run by the programme's owners
    "copil": {"view": (T, T, T, T, T, F), "change": (T, F, F, F, F, F), "snapshot": (T, F, F, F, F, F)},
    # the Normandy regional committee: seen and run inside Normandy (and nationally)
    "committee_nor": {
        "view": (T, F, F, F, T, F),
        "change": (T, F, F, F, T, F),
        "add_decision": (T, F, F, F, T, F),
    },
    "copil_decision": {"view": (T, T, T, T, T, F), "follow_up": (T, F, F, F, F, F)},
    "decision_nor": {"view": (T, F, F, F, T, F), "follow_up": (T, F, F, F, T, F)},
}
CASES = [
    (obj, ability, user, expected[i])
    for obj, abilities in MATRIX.items()
    for ability, expected in abilities.items()
    for i, user in enumerate(USERS)
]


@pytest.mark.parametrize(
    ("obj", "ability", "user", "expected"), CASES, ids=[f"{c[0]}-{c[1]}-{c[2]}" for c in CASES]
)
def test_committee_ability_matrix(world, obj, ability, user, expected):
    assert getattr(world, obj).get_abilities(getattr(world, user))[ability] is expected


def test_a_regional_lead_convenes_in_its_region_only(world):
    meeting = services.meeting_create(
        by=world.lead_bzh,
        programme=world.programme,
        committee="regional",
        structure=world.bretagne,
        held_on=date(2025, 7, 1),
        title="Comité Bretagne",
    )
    assert meeting.history.count() == 1 and meeting.history.first().history_user == world.lead_bzh
    with pytest.raises(PermissionDenied):
        services.meeting_create(
            by=world.lead_bzh,
            programme=world.programme,
            committee="regional",
            structure=world.normandie,
            held_on=date(2025, 7, 1),
            title="Intrusion",
        )
    with pytest.raises(PermissionDenied):  # a national committee belongs to the programme's owners
        services.meeting_create(
            by=world.lead_bzh,
            programme=world.programme,
            committee="copil",
            held_on=date(2025, 7, 1),
            title="X",
        )
    with pytest.raises(ValidationError):
        services.meeting_create(
            by=world.national,
            programme=world.programme,
            committee="regional",
            held_on=date(2025, 7, 1),
            title="X",
        )


def test_open_decisions_are_followed_up_at_the_next_meetings_until_closed(world):
    later = MeetingFactory(by=world.national, programme=world.programme, held_on=date(2025, 9, 1))
    even_later = MeetingFactory(by=world.national, programme=world.programme, held_on=date(2025, 12, 1))
    # the COPIL's decision, and the one recorded on the programme page without a meeting (national scope)
    assert [d.title for d in selectors.decisions_to_follow(user=world.national, meeting=later)] == [
        "Lancer la vague 1",
        "Ouvrir la vague 2",
    ]
    # a regional decision is followed by its own committee, not the national one
    assert world.decision_nor not in selectors.decisions_to_follow(user=world.national, meeting=later)
    services.decision_follow_up(
        by=world.national,
        decision=world.copil_decision,
        follow_up="done",
        outcome="Vague lancée",
        on=date(2025, 9, 1),
    )
    assert [d.title for d in selectors.decisions_to_follow(user=world.national, meeting=even_later)] == [
        "Lancer la vague 1"
    ]
    decision = Decision.objects.get(pk=world.copil_decision.pk)
    assert decision.closed_on == date(2025, 9, 1) and decision.history.count() == 2
    with pytest.raises(PermissionDenied):
        services.decision_follow_up(by=world.lead_bzh, decision=decision, follow_up="open")


def test_the_frozen_state_does_not_move_and_two_committees_compare_exactly(world):
    copil = world.copil  # frozen by the world with the three actions
    assert copil.snapshot.action_count == 3
    with pytest.raises(PermissionDenied):
        services.snapshot_take(by=world.national, meeting=copil)
    bzh = Action.objects.get(pk=world.action_bzh.pk)
    nor = Action.objects.get(pk=world.action_nor.pk)
    # between the two committees: one action done, one deadline moved, one new action that is late
    progress_add(by=world.national, action=bzh, status=Status.DONE, on=date(2025, 6, 20))
    action_update(by=world.national, action=nor, version=nor.version, deliverables_text="fin 2026")
    ActionFactory(
        by=world.national,
        programme=world.programme,
        code="4-1",
        title="Nouvelle",
        deliverables_text="mars 2025",
    )
    september = MeetingFactory(by=world.national, programme=world.programme, held_on=date(2025, 9, 15))
    services.snapshot_take(by=world.national, meeting=september)
    frozen = SnapshotAction.objects.get(snapshot=copil.snapshot, code="2-1")
    assert frozen.status != Status.DONE  # the earlier state is kept

    result = selectors.compare_meetings(user=world.national, before=copil, after=september)
    assert [r["code"] for r in result.new] == ["4-1"]
    assert [r["code"] for r in result.done] == ["2-1"]
    assert [r["code"] for r in result.deadline_changed] == ["3-1"]
    assert [r["code"] for r in result.became_late] == ["4-1"] or [r["code"] for r in result.became_late] == []
    assert result.removed == [] and result.status_changed == []
    # the order of the two meetings does not matter; a Breton user compares only what it sees
    again = selectors.compare_meetings(user=world.national, before=september, after=copil)
    assert [r["code"] for r in again.done] == ["2-1"]
    breton = selectors.compare_meetings(user=world.lead_bzh, before=copil, after=september)
    assert [r["code"] for r in breton.done] == ["2-1"] and breton.deadline_changed == []


def test_late_is_judged_on_the_meeting_day(world):
    # "2020" ended before the COPIL of June 2025: the Norman action was late then
    assert SnapshotAction.objects.get(snapshot=world.copil.snapshot, code="3-1").late is True
    assert SnapshotAction.objects.get(snapshot=world.copil.snapshot, code="2-1").late is True  # T2 2024


def test_pages_and_compare_export(world, client):
    september = MeetingFactory(by=world.national, programme=world.programme, held_on=date(2025, 9, 15))
    services.snapshot_take(by=world.national, meeting=september)
    client.force_login(world.lead_bzh)
    listing = client.get(reverse("committees:meeting_list")).content.decode()
    assert "COPIL de juin" in listing and "Comité régional Normandie" not in listing
    page = client.get(reverse("committees:meeting_detail", args=[world.copil.pk])).content.decode()
    assert "Ouvrir la vague 2" in page and "Figer" not in page and "Enregistrer la décision" not in page
    url = reverse("committees:meeting_compare", args=[september.pk])
    export = client.get(url, {"other": str(world.copil.pk), "export": "csv"})
    assert export.status_code == 200 and export["Content-Type"].startswith("text/csv")
    assert client.get(reverse("committees:meeting_detail", args=[world.committee_nor.pk])).status_code == 404


def test_a_meeting_is_run_from_its_page(world, client):
    client.force_login(world.national)
    response = client.post(
        reverse("committees:meeting_create"),
        {
            "programme": world.programme.pk,
            "scope": "national",
            "committee": "cotech",
            "held_on": "2025-10-02",
            "title": "COTECH d'octobre",
        },
    )
    meeting = Meeting.objects.get(title="COTECH d'octobre")
    assert response.status_code == 302
    detail = reverse("committees:meeting_detail", args=[meeting.pk])
    client.post(
        reverse("committees:agenda_item_add", args=[meeting.pk]), {"title": "Point 2-1", "action_code": "2-1"}
    )
    client.post(
        reverse("committees:meeting_attendees", args=[meeting.pk]),
        {"people": "Agent.BZH@test.gouv.fr", "structures": "r53, R28"},
    )
    client.post(
        reverse("committees:decision_add", args=[meeting.pk]),
        {"title": "Reporter la vague 2", "owner_code": "R28", "due_on": "2025-12-31"},
    )
    client.post(reverse("committees:snapshot_take", args=[meeting.pk]))
    page = client.get(detail).content.decode()
    assert "Point 2-1" in page and "Reporter la vague 2" in page and "agent.bzh@test.gouv.fr" not in page
    meeting.refresh_from_db()
    assert meeting.agenda.get().action.code == "2-1"
    assert set(meeting.attending_structures.values_list("code", flat=True)) == {"R53", "R28"}
    assert list(meeting.attendees.values_list("email", flat=True)) == ["agent.bzh@test.gouv.fr"]
    assert meeting.decisions.get().owner.code == "R28" and meeting.snapshot.action_count == 3
    edit = client.post(
        reverse("committees:meeting_edit", args=[meeting.pk]),
        {
            "committee": "cotech",
            "held_on": "2025-10-02",
            "title": "COTECH d'octobre",
            "minutes": "Relevé",
            "version": 1,
        },
    )
    assert edit.status_code == 302
    stale = client.post(
        reverse("committees:meeting_edit", args=[meeting.pk]),
        {"committee": "cotech", "held_on": "2025-10-02", "title": "Autre", "minutes": "", "version": 1},
    )
    assert stale.status_code == 200 and Meeting.objects.get(pk=meeting.pk).title == "COTECH d'octobre"


def test_the_list_and_the_meeting_page_cost_constant_queries(world, client):
    client.force_login(world.national)

    def count(url):
        with count_queries() as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    listing = reverse("committees:meeting_list")
    detail = reverse("committees:meeting_detail", args=[world.copil.pk])
    # One earlier open decision to follow up, so that every list of the page is measured non-empty.
    earlier = MeetingFactory(by=world.national, programme=world.programme, held_on=date(2025, 2, 1))
    MeetingDecisionFactory(by=world.national, meeting=earlier, title="Antérieure")
    before = (count(listing), count(detail))
    for i in range(10):
        m = MeetingFactory(by=world.national, programme=world.programme, held_on=date(2025, 3, i + 1))
        MeetingDecisionFactory(by=world.national, meeting=m, title=f"D{i}")
        services.agenda_item_add(by=world.national, meeting=world.copil, title=f"Point {i}")
    assert (count(listing), count(detail)) == before


def test_api_lists_meetings_and_decisions_in_the_perimeter(world):
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(world.lead_bzh)
    meetings = api.get("/api/v1/committees/").json()["results"]
    assert [m["title"] for m in meetings] == ["COPIL de juin"]
    assert meetings[0]["decisions"][0]["title"] == "Ouvrir la vague 2"
    decisions = api.get("/api/v1/decisions/", {"follow_up": "open"}).json()["results"]
    assert "Former les gestionnaires du Calvados" not in [d["title"] for d in decisions]
    assert api.get(f"/api/v1/decisions/{world.decision_nor.pk}/").status_code == 404
    assert api.get("/api/v1/decisions/", {"follow_up": "n'importe"}).status_code == 400


def test_a_regional_committees_decisions_stay_in_its_region(world, client):
    """Neither the programme page nor the action form shows another region's committee decisions."""
    client.force_login(world.lead_bzh)
    page = client.get(reverse("programmes:programme_detail", args=[world.programme.pk])).content.decode()
    assert "Ouvrir la vague 2" in page and "Former les gestionnaires du Calvados" not in page
    form = client.get(reverse("programmes:action_edit", args=[world.action_bzh.pk])).content.decode()
    assert "Former les gestionnaires du Calvados" not in form
    client.force_login(world.lead_nor)
    page = client.get(reverse("programmes:programme_detail", args=[world.programme.pk])).content.decode()
    assert "Former les gestionnaires du Calvados" in page


def test_attendees_outside_the_perimeter_are_counted_not_named(world, client):
    from rest_framework.test import APIClient

    services.meeting_set_attendees(
        by=world.national,
        meeting=world.copil,
        people=[world.person_bzh, world.person_nor],
        structures=[world.normandie],
    )
    client.force_login(world.lead_bzh)
    page = client.get(reverse("committees:meeting_detail", args=[world.copil.pk])).content.decode()
    assert str(world.person_bzh) in page and str(world.person_nor) not in page
    assert "et 1 participant(s), 1 structure(s) hors de votre périmètre" in page
    api = APIClient()
    api.force_authenticate(world.lead_bzh)
    meeting = api.get(f"/api/v1/committees/{world.copil.pk}/").json()
    assert meeting["attendees"] == ["agent.bzh@test.gouv.fr"]


def test_workstreams_are_frozen_with_the_actions_and_the_frozen_rows_are_listed(world, client):
    from bascule.committees.models import SnapshotWorkstream
    from bascule.programmes.models import Workstream
    from bascule.programmes.services import workstream_update

    snapshot = world.copil.snapshot
    everyone = Workstream.objects.filter(template__programme=world.programme)
    assert snapshot.workstream_count == everyone.count() > 0
    breton = everyone.filter(structure=world.bretagne).order_by("template__number").first()
    workstream_update(by=world.national, workstream=breton, version=breton.version, status=Status.DONE)
    kept = SnapshotWorkstream.objects.get(snapshot=snapshot, workstream=breton)
    assert kept.status != Status.DONE and kept.number == breton.template.number  # the frozen state stays
    # An action of a workstream keeps its workstream's number in the states frozen afterwards.
    ActionFactory(by=world.national, programme=world.programme, code="5-1", title="x", workstream=breton)
    later = MeetingFactory(by=world.national, programme=world.programme, held_on=date(2025, 9, 1))
    services.snapshot_take(by=world.national, meeting=later)
    assert (
        SnapshotAction.objects.get(snapshot=later.snapshot, code="5-1").workstream_number
        == breton.template.number
    )
    frozen = SnapshotAction.objects.get(snapshot=snapshot, code="2-1")

    # The matrix as of the meeting counts only what the reader may see.
    matrix = selectors.frozen_workstreams(user=world.lead_bzh, meeting=world.copil)
    assert sum(sum(line["counts"]) for line in matrix) == everyone.filter(structure=world.bretagne).count()

    client.force_login(world.lead_bzh)
    url = reverse("committees:meeting_state", args=[world.copil.pk])
    page = client.get(url).content.decode()
    assert ">2-1<" in page and ">3-1<" not in page  # Normandy's action is not the Breton lead's
    late = client.get(url, {"retard": "on"}).content.decode()
    assert '<p role="status">2 actions' in late and ">1-1<" in late  # its own and the national one
    number = breton.template.number
    later_url = reverse("committees:meeting_state", args=[later.pk])
    assert ">5-1<" in client.get(later_url, {"chantier": str(number)}).content.decode()
    assert ">5-1<" not in client.get(later_url, {"chantier": str(number + 1)}).content.decode()
    # Asking for another region's rows shows nothing of it (a cell: the page's UUIDs may hold the text "3-1").
    assert ">3-1<" not in client.get(url, {"dans": str(world.normandie.pk)}).content.decode()
    export = client.get(url, {"export": "csv"})
    cells = {
        cell
        for row in csv.reader(io.StringIO(export.content.decode("utf-8-sig")), delimiter=";")
        for cell in row
    }
    assert export.status_code == 200 and "2-1" in cells and "3-1" not in cells
    detail = client.get(reverse("committees:meeting_detail", args=[world.copil.pk])).content.decode()
    assert f"{url}?chantier={number}" in detail and f"au={world.copil.pk}" in detail
    assert frozen.late and frozen.workstream_number is None
    client.force_login(world.lead_nor)
    assert client.get(reverse("committees:meeting_state", args=[world.committee_nor.pk])).status_code == 200
    client.force_login(world.lead_bzh)
    assert client.get(reverse("committees:meeting_state", args=[world.committee_nor.pk])).status_code == 404


def test_the_frozen_rows_cost_constant_queries(world, client):
    client.force_login(world.national)
    url = reverse("committees:meeting_state", args=[world.copil.pk])
    with count_queries() as few:
        client.get(url)
    for i in range(15):
        ActionFactory(
            by=world.national, programme=world.programme, code=f"8-{i}", title="x", structure=world.bretagne
        )
    later = MeetingFactory(by=world.national, programme=world.programme, held_on=date(2025, 12, 1))
    services.snapshot_take(by=world.national, meeting=later)
    with count_queries() as many:
        client.get(reverse("committees:meeting_state", args=[later.pk]))
    assert len(many) == len(few)


def test_a_decision_gets_its_actions_from_the_meeting_page(world, client):
    client.force_login(world.national)
    detail = reverse("committees:meeting_detail", args=[world.copil.pk])
    create = reverse("programmes:action_create")
    page = client.get(detail).content.decode()
    assert f"{create}?decision={world.copil_decision.pk}" in page
    form = client.get(create, {"decision": str(world.copil_decision.pk)}).content.decode()
    assert f'<option value="{world.copil_decision.pk}" selected>' in form
    response = client.post(
        create,
        {
            "programme": str(world.programme.pk),
            "structure": str(world.bretagne.pk),
            "code": "9-9",
            "title": "Préparer la vague 2",
            "deliverables_text": "fin 2025",
            "decision": str(world.copil_decision.pk),
        },
    )
    assert response.status_code == 302
    assert Action.objects.get(code="9-9").decision == world.copil_decision
    assert ">9-9</a>" in client.get(detail).content.decode()
    # The Normandy committee's decision is not the Breton lead's to answer, whatever is posted.
    with pytest.raises(ValidationError):
        ActionFactory(
            by=world.lead_bzh,
            programme=world.programme,
            code="9-8",
            title="x",
            structure=world.bretagne,
            decision=world.decision_nor,
        )


def test_the_meeting_page_lists_decisions_actions_in_constant_queries(world, client):
    client.force_login(world.national)
    detail = reverse("committees:meeting_detail", args=[world.copil.pk])
    with count_queries() as few:
        client.get(detail)
    for i in range(8):
        ActionFactory(
            by=world.national,
            programme=world.programme,
            code=f"7-{i}",
            title="x",
            decision=world.copil_decision,
        )
        MeetingDecisionFactory(by=world.national, meeting=world.copil, title=f"Autre {i}")
    with count_queries() as many:
        page = client.get(detail).content.decode()
    assert len(many) == len(few) and ">7-7</a>" in page


def test_changes_list_any_mix_of_action_numbers_in_natural_order():
    codes = ["B", "2-10", "A-1", "1-2", "2-9", "2.a"]
    new = {c: {"code": c, "status": Status.NOT_STARTED, "deadline_end": None, "late": False} for c in codes}
    result = selectors.diff_states({}, new, before=None, after=None)
    assert [r["code"] for r in result.new] == ["1-2", "2-9", "2-10", "2.a", "A-1", "B"]


def test_an_agenda_item_about_a_workstream_names_it_only_to_who_may_see_it(world, client):
    from bascule.programmes.models import Workstream

    norman = Workstream.objects.filter(structure=world.normandie).order_by("template__number").first()
    client.force_login(world.national)
    detail = reverse("committees:meeting_detail", args=[world.copil.pk])
    assert f'value="{norman.pk}"' in client.get(detail).content.decode()  # offered in the agenda form
    response = client.post(
        reverse("committees:agenda_item_add", args=[world.copil.pk]),
        {"title": "Retard normand", "workstream": str(norman.pk)},
    )
    assert response.status_code == 302
    link = reverse("programmes:workstream_detail", args=[norman.pk])
    assert link in client.get(detail).content.decode()
    client.force_login(world.lead_bzh)
    page = client.get(detail).content.decode()
    assert "Retard normand" in page and link not in page
