"""Training: the scheduler's plans hold every hard rule (checked independently), infeasibility explains itself,
re-planning keeps what is published, invitations carry valid iCalendar, attendance sends absentees back."""

from __future__ import annotations

import json
import random
from dataclasses import replace
from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from bascule.core.models import TaskRun
from bascule.core.services import taskrun_execute
from bascule.core.workdays import easter
from bascule.training import preparation, services
from bascule.training.check import violations
from bascule.training.models import Seat, Session, TrainingPlan
from bascule.training.problem import (
    Course,
    HalfDay,
    Problem,
    Room,
    Trainee,
    Trainer,
    from_json,
    to_json,
    working_half_days,
)
from bascule.training.solver import plan_greedy, solve

pytestmark = pytest.mark.django_db

CITIES = {
    "Rennes": (48.11, -1.68),
    "Brest": (48.39, -4.49),
    "Vannes": (47.66, -2.76),
    "Quimper": (48.0, -4.1),
}


def _problem(trainees: int = 80, seed: int = 1, trainer_share: float = 0.7) -> Problem:
    rng = random.Random(seed)
    horizon = working_half_days(date(2027, 1, 4), date(2027, 2, 26))
    courses = [
        Course("S1", 1, 2, 12, ("A", "B")),
        Course("S2", 2, 1, 12, ("A", "B")),
        Course("S3A", 3, 2, 10, ("A",), workstations=True),
        Course("S3B", 3, 1, 10, ("B",), workstations=True),
    ]
    rooms = [
        Room("R1", "Rennes", 12, True),
        Room("R2", "Brest", 10, True),
        Room("R3", "Vannes", 12, False, frozenset({date(2027, 1, 11)})),
    ]
    trainers = [
        Trainer(
            f"T{i}",
            frozenset({"S1", "S2", "S3A", "S3B"} if i < 2 else {"S1", "S2"}),
            frozenset(h for h in horizon if rng.random() < trainer_share),
        )
        for i in range(4)
    ]
    people = [
        Trainee(
            f"P{i:03}",
            rng.choice("AB"),
            rng.choice(list(CITIES)),
            date(2027, 2, 1) if i % 3 else date(2027, 3, 1),
        )
        for i in range(trainees)
    ]
    return Problem(courses, rooms, trainers, people, horizon, CITIES, region="Bretagne")


def test_the_solver_and_the_greedy_plan_hold_every_rule_and_the_solver_does_better():
    problem = _problem()
    greedy = plan_greedy(problem)
    best = solve(problem, seconds=10)
    assert violations(problem, greedy) == [] and violations(problem, best) == []
    assert not greedy.unscheduled and not best.unscheduled
    # what the solver minimises: sessions, then travel
    assert (
        best.stats["sessions"] * 150 + best.stats["travel_km"]
        <= greedy.stats["sessions"] * 150 + greedy.stats["travel_km"]
    )
    assert best.stats["solver_status"] in {"OPTIMAL", "FEASIBLE"}
    # every trainee follows the courses of their profile, in order, before go-live
    for trainee in problem.trainees:
        spans = sorted(
            (min(s.half_days), max(s.half_days), s.course) for s in best.sessions if trainee.id in s.trainees
        )
        assert [c for _, _, c in spans] == [c.code for c in problem.needed(trainee)]
        assert all(end.day < trainee.go_live for _, end, _ in spans)


def test_the_checker_catches_each_broken_rule():
    problem = _problem(trainees=30)
    plan = plan_greedy(problem)
    assert violations(problem, plan) == []
    first, second = plan.sessions[0], plan.sessions[1]
    broken = [
        (replace(first, trainees=first.trainees + [t.id for t in problem.trainees][:20]), "places"),
        (replace(first, trainer="T9"), "inconnu"),
        (replace(first, half_days=first.half_days[:1]), "demi-journées pour un cours"),
        (
            replace(second, room=first.room, half_days=first.half_days, course=first.course),
            "dans deux sessions",
        ),
    ]
    for session, message in broken:
        sessions = [
            session if s is (first if session.id == first.id else second) else s for s in plan.sessions
        ]
        found = violations(problem, replace(plan, sessions=sessions))
        assert any(message in v for v in found), (message, found[:3])
    # a trainee's second course moved before the first one
    trainee = problem.trainees[0]
    mine = [s for s in plan.sessions if trainee.id in s.trainees]
    later = replace(
        mine[-1],
        half_days=[HalfDay(date(2027, 1, 4), "AM"), HalfDay(date(2027, 1, 4), "PM")][
            : problem.course(mine[-1].course).duration_half_days
        ],
    )
    sessions = [later if s is mine[-1] else s for s in plan.sessions]
    assert any(
        "avant d'avoir fini" in v or "dans deux sessions" in v
        for v in violations(problem, replace(plan, sessions=sessions))
    )
    # a needed course neither scheduled nor explained
    dropped = replace(
        plan,
        sessions=[replace(s, trainees=[t for t in s.trainees if t != trainee.id]) for s in plan.sessions],
    )
    assert any("ni planifié ni expliqué" in v for v in violations(problem, dropped))


def test_an_infeasible_region_explains_itself():
    problem = _problem(trainees=120, trainer_share=0.04)
    plan = solve(problem, seconds=5)
    assert violations(problem, plan) == []
    assert plan.unscheduled
    reasons = {u.reason for u in plan.unscheduled}
    assert any("pas assez de jours de formateur en Bretagne avant le" in r for r in reasons), reasons


def test_the_json_is_checkable_without_the_solver():
    problem = _problem(trainees=20)
    plan = solve(problem, seconds=5)
    data = json.loads(json.dumps(to_json(problem, plan)))
    again_problem, again_plan = from_json(data)
    assert violations(again_problem, again_plan) == []
    assert set(data["stats"]) >= {
        "sessions",
        "travel_km",
        "solver_status",
        "objective",
        "best_bound",
        "seconds",
    }
    assert data["sessions"][0]["half_days"][0].endswith(("/AM", "/PM"))


# --- the plan in the database -----------------------------------------------------------------------------
def test_scheduling_writes_sessions_that_hold_every_rule(world):
    result = services.schedule(by=world.lead_bzh, plan=world.plan_bzh, seconds=5)
    assert not result.unscheduled
    sessions = Session.objects.filter(plan=world.plan_bzh)
    assert sessions.count() == len(result.sessions) >= 2
    assert Seat.objects.filter(session__plan=world.plan_bzh).count() == 3 + 2  # F1 for all, F3 for two
    problem = services.problem_for(world.plan_bzh, keep_published=False)
    assert violations(problem, result) == []
    with pytest.raises(PermissionDenied):
        services.schedule(by=world.lead_nor, plan=world.plan_bzh)
    with pytest.raises(PermissionDenied):
        services.schedule(by=world.reader_bzh, plan=world.plan_bzh)


def test_publishing_invites_with_icalendar_and_replanning_keeps_what_is_published(
    world, smtp, django_capture_on_commit_callbacks
):
    from icalendar import Calendar

    services.schedule(by=world.lead_bzh, plan=world.plan_bzh, seconds=5)
    with django_capture_on_commit_callbacks(execute=True):
        count = services.publish(by=world.lead_bzh, plan=world.plan_bzh)
    assert count == Session.objects.filter(plan=world.plan_bzh).count()
    assert smtp.received.wait(10)
    import email

    calendars = []
    for raw in smtp.messages:
        message = email.message_from_bytes(raw, policy=email.policy.default)
        for part in message.iter_attachments():
            if part.get_content_type() == "text/calendar":
                calendars.append(Calendar.from_ical(part.get_payload(decode=True)))
    assert (
        len(calendars) == Seat.objects.filter(session__plan=world.plan_bzh).count() + count
    )  # trainees + trainer
    event = calendars[0].walk("VEVENT")[0]
    assert str(event["uid"]).startswith("session-") and int(event["sequence"]) == 1
    assert event.decoded("dtstart") < event.decoded("dtend")
    published = set(Session.objects.filter(plan=world.plan_bzh).values_list("pk", flat=True))
    services.schedule(by=world.lead_bzh, plan=world.plan_bzh, seconds=5)
    assert set(Session.objects.filter(plan=world.plan_bzh).values_list("pk", flat=True)) == published  # kept
    # re-planning everything cancels the published invitations (same UID, next SEQUENCE)
    smtp.messages.clear()
    services.schedule(by=world.lead_bzh, plan=world.plan_bzh, seconds=5, keep_published=False)
    cancelled = Session.objects.filter(plan=world.plan_bzh, cancelled=True)
    assert cancelled.count() == len(published) and all(s.sequence == 2 for s in cancelled)
    with django_capture_on_commit_callbacks(execute=True):
        services.publish(by=world.lead_bzh, plan=world.plan_bzh)
    methods = set()
    for raw in smtp.messages:
        message = email.message_from_bytes(raw, policy=email.policy.default)
        for part in message.iter_attachments():
            cal = Calendar.from_ical(part.get_payload(decode=True))
            methods.add(str(cal["method"]))
            if str(cal["method"]) == "CANCEL":
                assert str(cal.walk("VEVENT")[0]["uid"]) in {f"session-{pk}@bascule" for pk in published}
    assert methods == {"REQUEST", "CANCEL"}


def test_an_absentee_goes_back_into_the_census(world):
    session = world.session_nor
    services.publish(by=world.lead_nor, plan=world.plan_nor, notify=False)
    session.refresh_from_db()
    with pytest.raises(ValidationError, match="à partir du premier jour"):
        services.attendance_record(by=world.lead_nor, session=session, present=[])
    Session.objects.filter(pk=session.pk).update(starts_on=timezone.localdate())
    session.refresh_from_db()
    seats = list(session.seats.all())
    here, absent = services.attendance_record(
        by=world.lead_nor, session=session, present=[s.trainee_id for s in seats[1:]]
    )
    assert (here, absent) == (len(seats) - 1, 1)
    problem = services.problem_for(world.plan_nor)
    kept = next(s for s in problem.kept if s.id == str(session.pk))
    assert str(seats[0].trainee_id) not in kept.trainees  # their course is needed again


def test_the_census_belongs_to_the_region_and_closes(world):
    with pytest.raises(ValidationError, match="structure de la région"):
        preparation.trainee_add(
            by=world.national,
            plan=world.plan_bzh,
            structure=world.ddtm14,
            profile="valideur",
            city="Caen",
            name="Intrus",
        )
    TrainingPlan.objects.filter(pk=world.plan_bzh.pk).update(
        census_closes_on=timezone.localdate() - timedelta(days=1)
    )
    with pytest.raises(ValidationError, match="recensement est clos"):
        preparation.trainee_add(
            by=world.lead_bzh,
            plan=TrainingPlan.objects.get(pk=world.plan_bzh.pk),
            structure=world.ddtm29,
            profile="valideur",
            city="Quimper",
            name="Tardif",
        )


def test_training_counts_the_public_holidays():
    year = timezone.localdate().year
    assert easter(year) + timedelta(days=1) in services.holidays()  # Easter Monday, this year
    assert date(year + 1, 11, 11) in services.holidays()


def test_the_cli_writes_a_checkable_schedule(world, tmp_path):
    out = tmp_path / "planning.json"
    call_command("training_schedule", programme="CHORUS", region="R53", json=out, seconds=5)
    problem, plan = from_json(json.loads(out.read_text()))
    assert plan.sessions and violations(problem, plan) == []


def test_pages_within_the_perimeter(world, client):
    client.force_login(world.lead_nor)
    page = client.get(reverse("training:plan_detail", args=[world.plan_nor.pk])).content.decode()
    assert "Avancement par étape et par profil" in page and "F1" in page
    assert client.get(reverse("training:session_detail", args=[world.session_nor.pk])).status_code == 200
    assert client.get(reverse("training:plan_detail", args=[world.plan_bzh.pk])).status_code == 404
    response = client.post(reverse("training:plan_schedule", args=[world.plan_nor.pk]))
    run = TaskRun.objects.get(kind="training.schedule")
    assert response.status_code == 302 and response["Location"] == reverse(
        "core:taskrun_detail", args=[run.pk]
    )
    taskrun_execute(taskrun_id=str(run.pk))
    run.refresh_from_db()
    assert run.status == TaskRun.Status.SUCCEEDED, run.error
    assert run.result["sessions"] >= 1 and run.result["unscheduled"] == 0
    client.force_login(world.reader_bzh)
    assert client.post(reverse("training:plan_publish", args=[world.plan_bzh.pk])).status_code == 403


def _import_trainees(world, user, text: str, *, apply: bool):
    from bascule.training.importers import TraineeImporter

    importer = TraineeImporter(user=user, plan=TrainingPlan.objects.get(pk=world.plan_bzh.pk))
    table = importer.read(text.encode("utf-8"), "stagiaires.csv")
    return importer.apply(table) if apply else importer.preview(table)


def test_extra_trainees_are_imported_once_and_each_rejected_row_explained(world):
    text = (
        "Nom;Courriel;Structure;Profil;Commune;Dispenses;Motif de dispense\n"
        "Anne Le Goff;anne.legoff@test.gouv.fr;DDTM-29;gestionnaire;Quimper;F1;Formée en 2025\n"
        "Yann Kerbrat;yann.kerbrat@test.gouv.fr;DDTM-14;valideur;Caen;;\n"
        "Sans Profil;sans.profil@test.gouv.fr;DDTM-29;astronaute;Quimper;;\n"
        "Dispensé;dispense@test.gouv.fr;DDTM-29;valideur;Quimper;F1;\n"
    )
    preview = _import_trainees(world, world.lead_bzh, text, apply=False)
    assert [r.outcome for r in preview.rows] == ["create", "reject", "reject", "reject"]
    messages = [m for r in preview.rows for m in r.messages]
    assert any(
        "Ligne 3" in m and "« DDTM-14 »" in m and "aucune structure de ce code en Bretagne" in m
        for m in messages
    )
    assert any("Ligne 4" in m and "profil inconnu" in m for m in messages)
    assert any("Ligne 5" in m and "une dispense se motive" in m for m in messages)
    _import_trainees(world, world.lead_bzh, text, apply=True)
    anne = TrainingPlan.objects.get(pk=world.plan_bzh.pk).trainees.get(email="anne.legoff@test.gouv.fr")
    assert [c.code for c in anne.exempt.all()] == ["F1"]
    again = _import_trainees(world, world.lead_bzh, text, apply=True)
    assert again.rows[0].outcome == "unchanged"
    with pytest.raises(Exception, match="responsable de déploiement"):
        _import_trainees(world, world.lead_nor, text, apply=False)


def test_attendance_moves_the_regions_training_workstream(world, django_capture_on_commit_callbacks):
    from bascule.programmes.models import Status, Workstream

    workstream = Workstream.objects.get(
        template__programme=world.programme, structure=world.normandie, template__name="Formation"
    )
    assert workstream.percent == 0
    services.publish(by=world.lead_nor, plan=world.plan_nor, notify=False)
    Session.objects.filter(plan=world.plan_nor).update(starts_on=timezone.localdate())
    for session in Session.objects.filter(plan=world.plan_nor):
        with django_capture_on_commit_callbacks(execute=True):
            services.attendance_record(
                by=world.lead_nor, session=session, present=[s.trainee_id for s in session.seats.all()]
            )
    workstream.refresh_from_db()
    # 3 trainees need F1, 2 of them F3: every session held with everyone present
    assert (workstream.percent, workstream.status) == (100, Status.DONE)


def test_the_attendance_sheet_is_a_pdf_of_the_sessions_trainees(world, client):
    import pypdfium2

    from bascule.core.services import taskrun_execute

    client.force_login(world.lead_nor)
    response = client.post(reverse("training:session_sheet", args=[world.session_nor.pk]))
    run = TaskRun.objects.get(kind="training.attendance_sheet")
    assert response["Location"] == reverse("core:taskrun_detail", args=[run.pk])
    taskrun_execute(taskrun_id=str(run.pk))
    run.refresh_from_db()
    assert run.status == TaskRun.Status.SUCCEEDED, run.error
    download = client.get(reverse("core:taskrun_download", args=[run.pk]))
    text = pypdfium2.PdfDocument(b"".join(download.streaming_content))[0].get_textpage().get_text_range()
    names = [seat.trainee.name for seat in world.session_nor.seats.all()]
    assert names and all(name in text for name in names)
