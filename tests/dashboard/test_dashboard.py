"""The consolidated dashboard: nation → region → structure → actions, in the perimeter, in constant queries."""

from __future__ import annotations

from datetime import date

from django.urls import reverse

from bascule.dashboard.selectors import Filters, dashboard
from tests.programmes.factories import ActionFactory
from tests.queries import count_queries


def _codes(board):
    return [row.structure.code if row.structure else "national" for row in board["lines"]]


def test_national_sees_every_region_and_its_figures(world):
    board = dashboard(user=world.national, filters=Filters(), root=None)
    assert _codes(board) == ["national", "R28", "R53"]
    rows = dict(zip(_codes(board), board["lines"], strict=True))
    assert (rows["R53"].actions, rows["R53"].late) == (1, 1) and rows["national"].late == 1
    assert sum(rows["R53"].counts) == 7  # the seven standard workstreams of Bretagne
    assert board["since"] == world.copil and board["changes"] is not None
    assert [i["indicator"].code for i in board["indicators"]] == ["FORM"]
    assert board["campaigns"][0]["rate"] == 0


def test_drill_down_to_a_region_then_its_departments(world):
    board = dashboard(user=world.national, filters=Filters(), root=world.bretagne)
    assert _codes(board) == ["R53"]  # the region's own actions and workstreams; no department has any yet
    ActionFactory(
        by=world.national,
        programme=world.programme,
        code="5-1",
        title="Départementale",
        structure=world.finistere,
        deliverables_text="2020",
    )
    board = dashboard(user=world.national, filters=Filters(), root=world.bretagne)
    assert _codes(board) == ["R53", "D29"] and board["lines"][1].late == 1
    assert [a.code for a in board["ancestors"]] == ["ETAT", "INTERMIN"]


def test_a_region_sees_only_itself_and_filters_apply(world):
    board = dashboard(user=world.lead_bzh, filters=Filters(), root=None)
    assert _codes(board) == ["national", "R53"]
    only_4 = dashboard(user=world.national, filters=Filters(workstream=4), root=None)
    assert {sum(row.counts) for row in only_4["lines"] if row.structure} == {1}
    involving = dashboard(user=world.national, filters=Filters(involving="D29"), root=None)
    assert [
        (c, r.actions) for c, r in zip(_codes(involving), involving["lines"], strict=True) if r.actions
    ] == [("R53", 1)]


def test_the_page_links_each_figure_and_costs_constant_queries(world, client):
    client.force_login(world.national)
    url = reverse("dashboard:dashboard")
    page = client.get(url).content.decode()
    assert "Chantiers par état" in page and "<svg" in page and "Données du graphique" in page
    assert f"?programme=CHORUS&amp;dans={world.bretagne.pk}" in page
    with count_queries() as few:
        client.get(url)
    for i in range(20):
        ActionFactory(
            by=world.national,
            programme=world.programme,
            code=f"8-{i}",
            title="x",
            structure=world.normandie if i % 2 else world.bretagne,
            deliverables_text="2030",
        )
    with count_queries() as many:
        client.get(url)
    assert len(many) == len(few)
    assert client.get(url, {"dans": str(world.normandie.pk)}).status_code == 200
    client.force_login(world.lead_bzh)  # another region's drill-down shows nothing of it
    other = client.get(url, {"dans": str(world.normandie.pk)}).content.decode()
    assert "Calvados" not in other
    assert date.today()


def test_changes_since_a_date_come_from_history(world):
    import datetime as dt

    from django.utils import timezone

    from bascule.programmes.models import Action, Status
    from bascule.programmes.services import action_update, progress_add

    # The world's actions as recorded on 1 January 2025; then, today, one is done and another's deadline moves.
    Action.history.update(history_date=timezone.make_aware(dt.datetime(2025, 1, 1)))
    progress_add(by=world.national, action=Action.objects.get(code="2-1"), status=Status.DONE)
    nor = Action.objects.get(code="3-1")
    action_update(by=world.national, action=nor, version=nor.version, deliverables_text="fin 2030")
    ActionFactory(
        by=world.national, programme=world.programme, code="6-1", title="Nouvelle", structure=world.bretagne
    )

    changes = dashboard(user=world.national, filters=Filters(since_date=date(2025, 6, 1)), root=None)[
        "changes"
    ]
    assert [r["code"] for r in changes.done] == ["2-1"]
    assert [r["code"] for r in changes.deadline_changed] == ["3-1"]
    assert [r["code"] for r in changes.new] == ["6-1"] and changes.removed == []
    breton = dashboard(user=world.lead_bzh, filters=Filters(since_date=date(2025, 6, 1)), root=None)[
        "changes"
    ]
    assert breton.deadline_changed == []  # the Norman action is not the Breton lead's
    before_all = dashboard(user=world.national, filters=Filters(since_date=date(2024, 1, 1)), root=None)[
        "changes"
    ]
    assert sorted(r["code"] for r in before_all.new) == ["1-1", "2-1", "3-1", "6-1"]


def test_as_of_a_committee_every_figure_is_the_frozen_one(world, client):
    from bascule.committees import services as committees
    from bascule.programmes.models import Action, Status, Workstream
    from bascule.programmes.services import progress_add, workstream_update
    from tests.committees.factories import MeetingFactory

    before = dashboard(user=world.national, filters=Filters(), root=None)  # nothing moved since the COPIL
    # After the COPIL of June 2025: the Breton action is done, a new one comes, a workstream starts.
    progress_add(by=world.national, action=Action.objects.get(code="2-1"), status=Status.DONE)
    ActionFactory(
        by=world.national,
        programme=world.programme,
        code="6-1",
        title="Après",
        structure=world.bretagne,
        deliverables_text="fin 2030",
    )
    started = Workstream.objects.filter(structure=world.bretagne).order_by("template__number").first()
    workstream_update(
        by=world.national, workstream=started, version=started.version, status=Status.IN_PROGRESS
    )

    today = dashboard(user=world.national, filters=Filters(), root=None)
    as_of = dashboard(user=world.national, filters=Filters(as_of=str(world.copil.pk)), root=None)
    rows_today = dict(zip(_codes(today), today["lines"], strict=True))
    rows_then = dict(zip(_codes(as_of), as_of["lines"], strict=True))
    assert (rows_today["R53"].actions, rows_today["R53"].late) == (2, 0)
    assert (rows_then["R53"].actions, rows_then["R53"].late) == (1, 1)  # late on the meeting's day
    assert rows_then["R53"].counts == next(r.counts for r in before["lines"] if r.structure == world.bretagne)
    assert rows_then["R53"].counts != rows_today["R53"].counts
    assert as_of["as_of"] == world.copil and as_of["today"] == world.copil.held_on
    assert as_of["changes"] is None  # no committee frozen before this one
    # Every figure links to the frozen rows behind it, never to today's list.
    state = reverse("committees:meeting_state", args=[world.copil.pk])
    assert rows_then["R53"].late_url == f"{state}?dans={world.bretagne.pk}&retard=on"
    assert rows_then["national"].actions_url == f"{state}?national=on"
    # Drilling down keeps the committee.
    assert f"au={world.copil.pk}" in rows_then["R53"].drill

    # A later committee: what changed since the June one is read from the two frozen states.
    september = MeetingFactory(by=world.national, programme=world.programme, held_on=date(2025, 9, 15))
    committees.snapshot_take(by=world.national, meeting=september)
    later = dashboard(user=world.national, filters=Filters(as_of=str(september.pk)), root=None)
    assert later["since"] == world.copil
    assert [r["code"] for r in later["changes"].done] == ["2-1"]
    assert [r["code"] for r in later["changes"].new] == ["6-1"]

    # A Breton reader sees the same frozen state, without Normandy; the page costs the same queries.
    breton = dashboard(user=world.reader_bzh, filters=Filters(as_of=str(world.copil.pk)), root=None)
    assert _codes(breton) == ["national", "R53"]
    client.force_login(world.national)
    url = reverse("dashboard:dashboard")
    with count_queries() as few:
        page = client.get(url, {"au": str(world.copil.pk)}).content.decode()
    assert "État figé au 01/06/2025" in page and f"{state}?dans={world.bretagne.pk}&amp;retard=on" in page
    for i in range(10):
        ActionFactory(
            by=world.national, programme=world.programme, code=f"9-{i}", title="x", structure=world.normandie
        )
    committees.snapshot_take(
        by=world.national,
        meeting=MeetingFactory(by=world.national, programme=world.programme, held_on=date(2025, 12, 1)),
    )
    with count_queries() as many:
        client.get(url, {"au": str(world.copil.pk)})
    assert len(many) == len(few)


def _assert_each_figure_is_its_list(client, board):
    for row in board["lines"]:
        for figure, url in (
            (row.actions, row.actions_url),
            (row.late, row.late_url),
            (row.soon, row.soon_url),
        ):
            listing = client.get(url).content.decode()
            assert f'<p role="status">{figure} action' in listing, (row.structure, url)


def test_each_figure_is_the_count_of_the_list_behind_it_at_every_level(world, client):
    """Nation, region, department, with the lead filter, today and as of a committee: every late, 30-day and
    action figure links to a list holding exactly that many rows."""
    from django.utils import timezone

    from bascule.committees import services as committees
    from tests.committees.factories import MeetingFactory

    today = timezone.localdate()
    ActionFactory(
        by=world.national,
        programme=world.programme,
        code="7-1",
        title="Bientôt",
        structure=world.bretagne,
        deliverables_text=today.isoformat(),
    )
    # A Finistère action led by the region: counted under D29 below Bretagne, not under "R53 at its level".
    ActionFactory(
        by=world.national,
        programme=world.programme,
        code="7-2",
        title="Départementale en retard",
        structure=world.finistere,
        lead_text="R53",
        deliverables_text="2020",
    )
    ActionFactory(
        by=world.national,
        programme=world.programme,
        code="7-3",
        title="Départementale bientôt",
        structure=world.finistere,
        deliverables_text=today.isoformat(),
    )
    client.force_login(world.national)
    boards = {
        "national": dashboard(user=world.national, filters=Filters(), root=None),
        "bretagne": dashboard(user=world.national, filters=Filters(), root=world.bretagne),
        "lead": dashboard(user=world.national, filters=Filters(involving="R53"), root=world.bretagne),
    }
    drill = {_codes(boards["bretagne"])[i]: r for i, r in enumerate(boards["bretagne"]["lines"])}
    assert (drill["D29"].actions, drill["D29"].late, drill["D29"].soon) == (2, 1, 1)
    nation = dict(zip(_codes(boards["national"]), boards["national"]["lines"], strict=True))
    # The region's figure is its own level plus what is below it.
    assert nation["R53"].actions == drill["R53"].actions + drill["D29"].actions
    meeting = MeetingFactory(by=world.national, programme=world.programme, held_on=today)
    committees.snapshot_take(by=world.national, meeting=meeting)
    as_of = str(meeting.pk)
    boards["as of, national"] = dashboard(user=world.national, filters=Filters(as_of=as_of), root=None)
    boards["as of, bretagne"] = dashboard(
        user=world.national, filters=Filters(as_of=as_of, involving="R53"), root=world.bretagne
    )
    for name, board in boards.items():
        assert board["lines"], name
        _assert_each_figure_is_its_list(client, board)
    # A subtree the user may not see is not found, not silently ignored.
    client.force_login(world.lead_bzh)
    listing = reverse("programmes:action_list")
    assert client.get(listing, {"dans": str(world.normandie.pk)}).status_code == 404
    assert client.get(listing, {"dans": str(world.finistere.pk)}).status_code == 200
