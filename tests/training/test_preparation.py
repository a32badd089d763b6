"""Preparing training through its pages and services: curricula, plans, census (filters, export, exemptions),
rooms, trainers' availability as people type it; a session moved by hand (checked like a computed schedule, the
updated invitation sent with the next SEQUENCE); a trainee told when a later seat is released after an absence."""

from __future__ import annotations

import email
import email.policy
from datetime import date, timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from bascule.core.locking import ConflictError
from bascule.training import preparation, services
from bascule.training import problem as p
from bascule.training.models import Course, Room, Seat, Session, Trainee, Trainer, TrainingPlan
from tests.factories import PersonFactory
from tests.queries import count_queries

pytestmark = pytest.mark.django_db


# --- dates as people type them -------------------------------------------------------------------------------
@settings(max_examples=60, deadline=None)
@given(
    st.sets(
        st.tuples(st.integers(0, 60), st.sampled_from([p.AM, p.PM])),
        max_size=60,
    )
)
def test_half_days_read_back_what_they_write(picked: set[tuple[int, str]]) -> None:
    start = date(2026, 11, 30)
    half_days = sorted(
        p.HalfDay(start + timedelta(days=n), part)
        for n, part in picked
        if (start + timedelta(days=n)).weekday() < 5
    )
    assert p.read_half_days(p.half_days_text(half_days)) == half_days


def test_typed_availability_and_its_mistakes() -> None:
    christmas = frozenset({date(2026, 12, 25)})
    got = p.read_half_days("21/12/2026 au 28/12/2026\n29/12/2026 matin\n2026-12-30/PM", christmas)
    assert p.HalfDay(date(2026, 12, 25), p.AM) not in got  # a public holiday is not a working day
    assert p.HalfDay(date(2026, 12, 26), p.AM) not in got  # nor a Saturday
    assert p.HalfDay(date(2026, 12, 29), p.PM) not in got and p.HalfDay(date(2026, 12, 30), p.PM) in got
    assert len(got) == 2 * 5 + 2
    with pytest.raises(ValueError, match="ligne 2 : date illisible"):
        p.read_half_days("21/12/2026\n32/12/2026")
    with pytest.raises(ValueError, match="ni « matin » ni « après-midi »"):
        p.read_half_days("21/12/2026 soir")
    with pytest.raises(ValueError, match="précède son début"):
        p.read_days("05/01/2027 au 01/01/2027")
    assert (
        p.days_text(p.read_days("24/12/2026 au 26/12/2026\n02/01/2027"))
        == "24/12/2026 au 26/12/2026\n02/01/2027"
    )


# --- services ------------------------------------------------------------------------------------------------
def test_prerequisites_stay_in_order_and_never_loop(world):
    course1, course3 = world.course1, world.course3
    with pytest.raises(ValidationError, match="boucle"):
        preparation.course_update(
            by=world.national, course=course1, version=course1.version, prerequisites=[course3], step=3
        )
    with pytest.raises(ValidationError, match="ne peut précéder"):
        preparation.course_update(
            by=world.national, course=course1, version=course1.version, prerequisites=[course3]
        )
    with pytest.raises(PermissionDenied):
        preparation.course_update(by=world.lead_bzh, course=course1, version=course1.version, title="Autre")
    done = preparation.course_update(
        by=world.national, course=course1, version=course1.version, title="Fondamentaux Chorus", capacity=8
    )
    assert (done.title, done.capacity, done.version) == ("Fondamentaux Chorus", 8, course1.version + 1)
    with pytest.raises(ConflictError):  # the editor's version is stale: refused, never overwritten
        preparation.course_update(by=world.national, course=course1, version=course1.version, title="Écrasé")
    assert Course.objects.get(pk=course1.pk).title == "Fondamentaux Chorus"


def test_trainers_hold_the_trainer_role_and_rooms_read_their_dates(world):
    stranger = PersonFactory(structure=world.ddtm29)
    with pytest.raises(ValidationError, match="rôle « Formateur »"):
        preparation.trainer_add(
            by=world.lead_bzh, plan=world.plan_bzh, person=stranger, courses=[world.course1], available=[]
        )
    trainer = Trainer.objects.get(plan=world.plan_bzh)
    with pytest.raises(ValidationError, match="au moins un cours"):
        preparation.trainer_update(
            by=world.lead_bzh, trainer=trainer, version=trainer.version, courses=[], available=[]
        )
    room = Room.objects.get(plan=world.plan_bzh)
    updated = preparation.room_update(
        by=world.lead_bzh,
        room=room,
        version=room.version,
        unavailable=[date(2027, 1, 4), "2027-01-05"],
        capacity=12,
    )
    assert updated.unavailable == ["2027-01-04", "2027-01-05"] and updated.capacity == 12
    with pytest.raises(PermissionDenied):
        preparation.room_update(by=world.lead_nor, room=updated, version=updated.version, capacity=1)


def test_plan_dates_are_checked_against_the_go_live(world):
    plan = TrainingPlan.objects.get(pk=world.plan_bzh.pk)  # the world's schedule moved its version on
    golive = plan.wave.golive_date
    with pytest.raises(ValidationError) as refused:
        preparation.plan_update(by=world.lead_bzh, plan=plan, version=plan.version, starts_on=golive)
    assert "avant la bascule" in str(refused.value)
    with pytest.raises(ValidationError):
        preparation.plan_update(
            by=world.lead_bzh, plan=plan, version=plan.version, ends_on=plan.starts_on - timedelta(days=1)
        )
    done = preparation.plan_update(
        by=world.lead_bzh, plan=plan, version=plan.version, ends_on=plan.starts_on + timedelta(days=14)
    )
    assert done.ends_on == plan.starts_on + timedelta(days=14)


def _calendars(smtp: Any) -> list[tuple[str, Any]]:
    from icalendar import Calendar

    found = []
    for raw in smtp.messages:
        message = email.message_from_bytes(raw, policy=email.policy.default)
        for part in message.iter_attachments():
            if part.get_content_type() == "text/calendar":
                found.append((str(message["To"]), Calendar.from_ical(part.get_payload(decode=True))))
    return found


def test_a_published_session_moved_by_hand_sends_the_update(world, smtp, django_capture_on_commit_callbacks):
    plan = world.plan_bzh
    with django_capture_on_commit_callbacks(execute=True):
        services.publish(by=world.lead_bzh, plan=plan)
    first = Session.objects.get(plan=plan, course=world.course1)
    last = Session.objects.get(plan=plan, course=world.course3)
    horizon = services.horizon(plan)
    # before its prerequisite: the checker refuses what the change would newly break
    with pytest.raises(ValidationError, match="enfreint une règle"):
        services.session_update(
            by=world.lead_bzh,
            session=last,
            version=last.version,
            room=last.room,
            trainer=last.trainer,
            start=p.HalfDay.parse(first.half_days[0]),
        )
    small = preparation.room_add(
        by=world.lead_bzh,
        plan=plan,
        code="PETITE",
        site="Annexe",
        city="Quimper",
        capacity=1,
        workstations=True,
    )
    with pytest.raises(ValidationError, match="places"):
        services.session_update(
            by=world.lead_bzh,
            session=last,
            version=last.version,
            room=small,
            trainer=last.trainer,
            start=horizon[-1],
        )
    with pytest.raises(ValidationError, match="jour ouvré"):
        services.session_update(
            by=world.lead_bzh,
            session=last,
            version=last.version,
            room=last.room,
            trainer=last.trainer,
            start=p.HalfDay(plan.wave.golive_date, p.AM),
        )
    TrainingPlan.objects.filter(pk=plan.pk).update(starts_on=timezone.localdate() - timedelta(days=14))
    past = services.horizon(TrainingPlan.objects.get(pk=plan.pk))[0]
    with pytest.raises(ValidationError, match="jour à venir"):
        services.session_update(
            by=world.lead_bzh,
            session=last,
            version=last.version,
            room=last.room,
            trainer=last.trainer,
            start=past,
        )
    smtp.messages.clear()
    smtp.received.clear()
    with django_capture_on_commit_callbacks(execute=True):
        moved = services.session_update(
            by=world.lead_bzh,
            session=last,
            version=last.version,
            room=last.room,
            trainer=last.trainer,
            start=horizon[-1],
        )
    assert (
        moved.half_days == [str(horizon[-1])] and moved.starts_on == horizon[-1].day and moved.sequence == 2
    )
    assert smtp.received.wait(10)
    calendars = _calendars(smtp)
    assert len(calendars) == moved.seats.count() + 1  # its trainees and its trainer
    for _to, cal in calendars:
        event = cal.walk("VEVENT")[0]
        assert str(cal["method"]) == "REQUEST"
        assert (str(event["uid"]), int(event["sequence"])) == (f"session-{moved.pk}@bascule", 2)
        assert event.decoded("dtstart").date() == horizon[-1].day
    with pytest.raises(ConflictError):  # a second editor who loaded the session before the move
        services.session_update(
            by=world.lead_bzh,
            session=last,
            version=last.version,
            room=last.room,
            trainer=last.trainer,
            start=horizon[-2],
        )


def test_a_released_seat_is_told_to_its_trainee(world, smtp, django_capture_on_commit_callbacks):
    plan = world.plan_nor
    services.publish(by=world.lead_nor, plan=plan, notify=False)
    first = Session.objects.get(plan=plan, course=world.course1)
    later = Session.objects.get(plan=plan, course=world.course3)
    absentee = later.seats.first().trainee
    Session.objects.filter(pk=first.pk).update(starts_on=timezone.localdate())
    first.refresh_from_db()
    services.attendance_record(
        by=world.lead_nor,
        session=first,
        present=[s.trainee_id for s in first.seats.all() if s.trainee_id != absentee.pk],
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.schedule(by=world.lead_nor, plan=plan, seconds=5)
    assert not Seat.objects.filter(session=later, trainee=absentee).exists()
    later.refresh_from_db()
    assert later.sequence == 2
    assert smtp.received.wait(10)
    [(to, cal)] = _calendars(smtp)
    assert absentee.email in to and str(cal["method"]) == "CANCEL"
    event = cal.walk("VEVENT")[0]
    assert (str(event["uid"]), int(event["sequence"])) == (f"session-{later.pk}@bascule", 2)
    assert absentee.email in str(event["attendee"])
    body = email.message_from_bytes(smtp.messages[0], policy=email.policy.default)
    assert "F1" in body.get_body(preferencelist=("plain",)).get_content()  # the course they missed


# --- pages ---------------------------------------------------------------------------------------------------
def test_census_filters_exports_and_keeps_a_constant_number_of_queries(world, client):
    client.force_login(world.lead_bzh)
    url = reverse("training:census", kwargs={"trainingplan_id": world.plan_bzh.pk})
    response = client.get(url, {"profile": "valideur"})
    assert response.status_code == 200
    assert response.context["page_obj"].paginator.count == 1
    exported = client.get(url, {"export": "csv", "q": "R53-1"})
    assert exported.status_code == 200 and b"Stagiaire R53-1" in exported.content
    assert b"Stagiaire R53-2" not in exported.content
    with count_queries() as few:
        client.get(url)
    for n in range(30):
        preparation.trainee_add(
            by=world.lead_bzh,
            plan=world.plan_bzh,
            structure=world.ddtm29,
            profile="gestionnaire",
            city="Quimper",
            name=f"Agent {n}",
            email=f"agent{n}@test.gouv.fr",
            exempt=[world.course3] if n % 2 else [],
            exemption_reason="Déjà formé" if n % 2 else "",
        )
    with count_queries() as many:
        response = client.get(url)
    assert len(many) == len(few)
    assert "Déjà formé" in response.content.decode()
    assert client.get(url, {"exempt_only": "on"}).context["page_obj"].paginator.count == 15


def test_a_lead_prepares_the_plan_through_its_pages(world, client):
    plan = world.plan_bzh
    client.force_login(world.lead_bzh)
    response = client.post(
        reverse("training:room_add", kwargs={"trainingplan_id": plan.pk}),
        {
            "code": "BRS-1",
            "site": "Sous-préfecture",
            "city": "Brest",
            "capacity": 14,
            "unavailable": "24/12/2026 au 26/12/2026",
        },
    )
    assert response.status_code == 302
    room = Room.objects.get(plan=plan, code="BRS-1")
    assert room.unavailable == ["2026-12-24", "2026-12-25", "2026-12-26"] and not room.workstations
    trainer = Trainer.objects.get(plan=plan)
    start = services.horizon(plan)[0].day
    response = client.post(
        reverse("training:trainer_edit", kwargs={"trainer_id": trainer.pk}),
        {
            "version": trainer.version,
            "courses": [world.course1.pk],
            "available": f"{start:%d/%m/%Y} matin\n{start + timedelta(days=1):%d/%m/%Y}",
            "city": "Quimper",
        },
    )
    assert response.status_code == 302, response.content.decode()
    trainer.refresh_from_db()
    assert trainer.available == sorted(
        [f"{start}/AM", f"{start + timedelta(days=1)}/AM", f"{start + timedelta(days=1)}/PM"]
    )
    assert list(trainer.courses.all()) == [world.course1]
    trainee = Trainee.objects.filter(plan=plan).first()
    edit = reverse("training:trainee_edit", kwargs={"trainee_id": trainee.pk})
    response = client.post(
        edit,
        {
            "version": trainee.version,
            "structure": world.ddtm29.pk,
            "profile": "gestionnaire",
            "city": "Brest",
            "exempt": [world.course3.pk],
            "exemption_reason": "",
        },
    )
    assert response.status_code == 200 and "Une dispense se motive." in response.content.decode()
    response = client.post(
        edit,
        {
            "version": trainee.version,
            "structure": world.ddtm29.pk,
            "profile": "gestionnaire",
            "city": "Brest",
            "exempt": [world.course3.pk],
            "exemption_reason": "Formé lors de la vague précédente",
        },
    )
    assert response.status_code == 302
    trainee.refresh_from_db()
    assert trainee.city == "Brest" and [c.code for c in trainee.exempt.all()] == ["F3"]
    problem = services.problem_for(plan)
    assert next(t for t in problem.trainees if t.id == str(trainee.pk)).exempt == frozenset({"F3"})
    page = client.get(reverse("training:plan_detail", kwargs={"trainingplan_id": plan.pk})).content.decode()
    assert "Communes sans coordonnées (trajets comptés 0 km) : Brest." in page


def test_curricula_are_the_pilots_and_plans_the_regions(world, client):
    client.force_login(world.lead_bzh)
    create = reverse("training:course_create", kwargs={"programme_id": world.programme.pk})
    assert client.get(create).status_code == 403
    client.force_login(world.national)
    response = client.post(
        create,
        {
            "code": "F2",
            "title": "Engagements complexes",
            "step": 2,
            "duration_half_days": 2,
            "capacity": 12,
            "profiles": "gestionnaire\nvalideur\n",
            "prerequisites": [world.course1.pk],
        },
    )
    assert response.status_code == 302, response.content.decode()
    course = Course.objects.get(programme=world.programme, code="F2")
    assert course.profiles == ["gestionnaire", "valideur"] and list(course.prerequisites.all()) == [
        world.course1
    ]
    client.force_login(world.lead_bzh)
    new = reverse("training:plan_create")
    form = client.get(new).context["form"]
    assert list(form.fields["region"].queryset) == [world.bretagne]  # only the regions one prepares
    wave = world.training_wave
    response = client.post(
        new,
        {
            "programme": world.programme.pk,
            "region": world.normandie.pk,
            "wave": wave.pk,
            "starts_on": timezone.localdate().isoformat(),
            "census_closes_on": timezone.localdate().isoformat(),
        },
    )
    assert response.status_code == 200 and TrainingPlan.objects.filter(region=world.normandie).count() == 1


def test_fundamentals_precede_the_takeover_workstreams_milestone(world):
    from bascule.programmes.models import InstanceItem

    plan = TrainingPlan.objects.get(pk=world.plan_bzh.pk)
    preparation.course_update(
        by=world.national, course=world.course1, version=world.course1.version, before_takeover=True
    )
    assert plan.takeover_on is None
    problem = services.problem_for(plan)
    assert problem.course("F1").deadline is None  # no date anywhere yet
    milestone = InstanceItem.objects.filter(
        workstream__structure=world.bretagne,
        workstream__template__name="Reprise des données",
        kind="milestone",
    ).first()
    due = plan.starts_on + timedelta(days=10)
    InstanceItem.objects.filter(pk=milestone.pk).update(due_date=due)
    assert services.problem_for(plan).course("F1").deadline == due - timedelta(days=1)
    assert services.problem_for(plan).course("F3").deadline is None
    page = _page(world, plan)
    assert f"fondamentaux avant le {due:%d/%m/%Y} (jalon « {milestone.name} »" in page
    own = plan.starts_on + timedelta(days=5)
    plan = preparation.plan_update(by=world.lead_bzh, plan=plan, version=plan.version, takeover_on=own)
    assert services.problem_for(plan).course("F1").deadline == own - timedelta(
        days=1
    )  # the plan's own date wins


def _page(world: Any, plan: TrainingPlan) -> str:
    from django.test import Client

    client = Client()
    client.force_login(world.lead_bzh)
    return client.get(reverse("training:plan_detail", kwargs={"trainingplan_id": plan.pk})).content.decode()


def test_the_list_shows_each_regions_share_trained_in_constant_queries(world, client):
    client.force_login(world.national)
    url = reverse("training:plan_list")
    with count_queries() as two:
        response = client.get(url)
    assert [plan.region for plan, _share in response.context["plans"]] == [world.bretagne, world.normandie]
    plan = world.plan_nor
    services.publish(by=world.lead_nor, plan=plan, notify=False)
    first = Session.objects.get(plan=plan, course=world.course1)
    Session.objects.filter(pk=first.pk).update(starts_on=timezone.localdate())
    first.refresh_from_db()
    services.attendance_record(
        by=world.lead_nor, session=first, present=[s.trainee_id for s in first.seats.all()]
    )
    from tests.factories import make_structure

    for n in range(3):  # more plans: the same number of queries
        region = make_structure(f"R9{n}", name=f"Région {n}", kind="region", parent=world.bretagne.parent)
        wave = world.training_wave
        preparation.plan_create(
            by=world.national,
            programme=world.programme,
            region=region,
            wave=wave,
            starts_on=plan.starts_on,
            census_closes_on=plan.census_closes_on,
        )
    with count_queries() as five:
        response = client.get(url)
    assert len(five) == len(two)
    shares = {p.region.code: share for p, share in response.context["plans"]}
    # Normandy: 3 trainees need F1 (all attended), 2 need F3 → 3 of 5 needs trained
    assert shares[world.normandie.code] == (5, 3, 60)
    assert shares[world.bretagne.code][1] == 0
