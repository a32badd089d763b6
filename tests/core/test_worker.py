"""The background worker survives database errors, says it is alive, and /healthz tells when it is not."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.db import OperationalError, connection
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from bascule.core.models import TaskRun, WorkerHeartbeat
from bascule.core.services import taskrun_start
from bascule.core.worker import ResilientWorker

ROOT = Path(__file__).resolve().parents[2]
CSV = b"Code;Nom;Type;Rattachement\nSVC-1;Service un;Service;R53\n"


def _preview(user):
    return taskrun_start(
        kind="import",
        label="Aperçu",
        owner=user,
        input_file=ContentFile(CSV, name="s.csv"),
        params={"importer": "organisation.structures", "mode": "preview"},
    )


def _worker(**options):
    defaults = {
        "queue_names": ["default"],
        "interval": 0.01,
        "batch": True,
        "backend_name": "default",
        "startup_delay": False,
        "max_tasks": None,
        "worker_id": "test-worker",
        "excluded_queue_names": [],
    }
    return ResilientWorker(**{**defaults, **options})


@pytest.mark.django_db(transaction=True)
def test_healthz_says_503_when_tasks_wait_without_a_live_worker(world, client, monkeypatch):
    monkeypatch.setattr("bascule.core.worker.HEARTBEAT_SECONDS", 0)
    _preview(world.lead_bzh)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["worker"] == "absent" and response.json()["tasks_waiting"] == 1
    # A worker that beat a long time ago is not alive either.
    WorkerHeartbeat.objects.create(worker_id="old", last_seen=timezone.now() - timedelta(minutes=10))
    assert client.get("/healthz").status_code == 503
    _worker().run()  # processes the task and beats
    body = client.get("/healthz").json()
    assert body["status"] == "ok" and body["tasks_waiting"] == 0 and body["worker"] == "actif"
    assert TaskRun.objects.get(label="Aperçu").status == TaskRun.Status.SUCCEEDED


@pytest.mark.django_db(transaction=True)
def test_the_worker_keeps_going_after_database_errors(world, monkeypatch, caplog):
    """The first two turns meet a database error (as a dropped connection would): the worker waits and goes on."""
    run = _preview(world.lead_bzh)
    real_ready = DBTaskResult.objects.ready
    failures = iter([True, True])

    def flaky_ready(*args, **kwargs):
        if next(failures, False):
            raise OperationalError("server closed the connection unexpectedly")
        return real_ready(*args, **kwargs)

    monkeypatch.setattr(DBTaskResult.objects, "ready", flaky_ready)
    monkeypatch.setattr("bascule.core.worker.time.sleep", lambda seconds: None)
    _worker().run()
    run.refresh_from_db()
    assert run.status == TaskRun.Status.SUCCEEDED
    assert caplog.text.count("Base de données indisponible pour le worker") == 2


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs a server whose connections can be killed"
)
def test_killing_the_workers_database_connection_does_not_stop_it(world, settings, tmp_path):
    """A real worker process; its PostgreSQL connection is terminated; it reconnects and runs the next task."""
    env = _worker_env(settings, tmp_path, CONN_MAX_AGE="600")
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "worker", "--interval", "0.2", "--no-startup-delay"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        _wait(lambda: WorkerHeartbeat.objects.exists(), "the worker never beat")
        first = _preview(world.lead_bzh)
        _wait(lambda: TaskRun.objects.get(pk=first.pk).is_finished, "the first task never ran")
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        second = _preview(world.lead_bzh)
        _wait(lambda: TaskRun.objects.get(pk=second.pk).is_finished, "the task after the kill never ran")
        assert TaskRun.objects.get(pk=second.pk).status == TaskRun.Status.SUCCEEDED
        assert worker.poll() is None, "the worker died"
    finally:
        worker.terminate()
        output = worker.communicate(timeout=20)[0]
    assert "Traceback" not in output or "Base de données indisponible" in output


def _worker_env(settings, tmp_path, **extra):
    """The environment of a real `manage.py worker` process on the test's PostgreSQL database."""
    database = connection.settings_dict
    env = {k: v for k, v in os.environ.items() if k != "DEBUG"}
    env.update(
        DATABASE_URL=f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}",
        MEDIA_ROOT=str(settings.MEDIA_ROOT),
        BASCULE_VAR_DIR=str(tmp_path),
        **extra,
    )
    return env


def _wait(condition, message, seconds=40.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(message)


# --- issue 24: a run whose worker died is failed with a French reason, counted by /healthz, and restarted -----
def _running_on(run, worker_id, message="Lecture du fichier"):
    TaskRun.objects.filter(pk=run.pk).update(
        status=TaskRun.Status.RUNNING, worker_id=worker_id, message=message, started_at=timezone.now()
    )


@pytest.mark.django_db
def test_a_run_whose_worker_died_is_failed_counted_and_restarted_once(world, client):
    from django.core.exceptions import PermissionDenied

    from bascule.core.services import interrupted_runs, taskrun_reap, taskrun_restart

    run = _preview(world.lead_bzh)
    alive = _preview(world.lead_bzh)
    _running_on(run, "dead-worker")
    _running_on(alive, "live-worker")
    WorkerHeartbeat.objects.create(worker_id="dead-worker", last_seen=timezone.now() - timedelta(minutes=5))
    WorkerHeartbeat.objects.create(worker_id="live-worker", last_seen=timezone.now())
    assert list(interrupted_runs()) == [TaskRun.objects.get(pk=run.pk)]
    health = client.get("/healthz")
    assert health.status_code == 503 and health.json()["tasks_interrupted"] == 1

    assert taskrun_reap() == 1
    assert taskrun_reap() == 0  # once
    run.refresh_from_db()
    assert run.status == TaskRun.Status.FAILED and run.was_interrupted
    assert "interrompu" in run.error and "« Lecture du fichier »" in run.error
    assert run.input_file.name  # kept for the restart
    assert TaskRun.objects.get(pk=alive.pk).status == TaskRun.Status.RUNNING  # its worker is alive
    body = client.get("/healthz").json()
    assert body["tasks_interrupted"] == 0 and body["tasks_interrupted_24h"] == 1

    # Only who started it restarts it, once, through the page; the new run reads the same file.
    assert not run.get_abilities(world.lead_nor)["restart"]
    with pytest.raises(PermissionDenied):
        taskrun_restart(by=world.lead_nor, run=run)
    client.force_login(world.lead_nor)
    assert client.post(f"/traitements/{run.pk}/relancer/").status_code == 404
    client.force_login(world.lead_bzh)
    page = client.get(f"/traitements/{run.pk}/").content.decode()
    assert "Relancer ce traitement" in page
    response = client.post(f"/traitements/{run.pk}/relancer/")
    again = TaskRun.objects.filter(label="Aperçu").exclude(pk__in=[run.pk, alive.pk]).get()
    assert response.status_code == 302 and response["Location"] == f"/traitements/{again.pk}/"
    assert again.input_file.name == run.input_file.name and again.params["restart_of"] == str(run.pk)
    assert client.post(f"/traitements/{run.pk}/relancer/").status_code == 403
    assert "Relancer ce traitement" not in client.get(f"/traitements/{run.pk}/").content.decode()


@pytest.mark.django_db
def test_a_takeover_run_whose_worker_died_fails_then_runs_again(world):
    """The data takeover's own run (the probe's « En cours » for 28 minutes) follows its task."""
    from django.core.files.base import ContentFile as File

    from bascule.core.services import taskrun_execute, taskrun_reap, taskrun_restart
    from bascule.reprise import services as reprise
    from bascule.reprise.models import TakeoverRun
    from tests.reprise.world import sample_files

    files = sample_files()
    takeover = reprise.run_create(
        by=world.lead_bzh,
        structure=world.bretagne,
        kind="simulation",
        commitments=File(files["commitments"], name="engagements.csv"),
        third_parties=File(files["third_parties"], name="tiers.csv"),
    )
    task = TaskRun.objects.filter(kind="reprise.run", params__run=str(takeover.pk)).get()
    _running_on(task, "dead-worker", message="Lecture des engagements")
    TakeoverRun.objects.filter(pk=takeover.pk).update(status=TakeoverRun.Status.RUNNING, progress=5)
    assert taskrun_reap() == 1
    takeover.refresh_from_db()
    assert takeover.status == TakeoverRun.Status.FAILED and "interrompu" in takeover.error
    again = taskrun_restart(by=task.owner, run=TaskRun.objects.get(pk=task.pk))
    takeover.refresh_from_db()
    assert takeover.status == TakeoverRun.Status.PENDING and takeover.error == ""
    taskrun_execute(taskrun_id=str(again.pk))
    takeover.refresh_from_db()
    assert takeover.status == TakeoverRun.Status.SUCCEEDED
    reasons = list(takeover.history.values_list("history_change_reason", flat=True))
    assert "Relancée après une interruption" in reasons


@pytest.mark.django_db(transaction=True)
def test_the_heartbeat_thread_beats_while_the_main_thread_is_busy(world, monkeypatch):
    """A task running for minutes must not look like a dead worker: a thread of its own beats meanwhile."""
    import threading

    monkeypatch.setattr("bascule.core.worker.HEARTBEAT_SECONDS", 0.05)
    worker = _worker(worker_id="busy-worker")
    stop = threading.Event()
    beating = threading.Thread(target=worker.beat_while_running, args=(stop,))
    beating.start()
    try:
        _wait(lambda: WorkerHeartbeat.objects.filter(worker_id="busy-worker").exists(), "no beat", seconds=10)
        first = WorkerHeartbeat.objects.get(worker_id="busy-worker").last_seen
        time.sleep(0.3)  # the main thread is « busy »
        assert WorkerHeartbeat.objects.get(worker_id="busy-worker").last_seen > first
    finally:
        stop.set()
        beating.join(timeout=5)
    assert not beating.is_alive()


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="a real worker process shares the database")
def test_a_real_worker_killed_mid_task_leaves_a_run_that_is_failed_and_restartable(world, settings, tmp_path):
    """The probe's case for real: a worker process beats while it runs a long import, is killed (SIGKILL), stops
    beating; its run is then seen as interrupted (/healthz 503), failed with a French reason, and restartable."""
    import signal

    from bascule.core.services import interrupted_runs, taskrun_reap

    env = _worker_env(settings, tmp_path, BASCULE_WORKER_HEARTBEAT_SECONDS="0.2")
    rows = "".join(f"SVC-{n};Service {n};Service;R53\n" for n in range(90_000))
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "worker", "--interval", "0.1", "--no-startup-delay"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait(lambda: WorkerHeartbeat.objects.exists(), "the worker never beat")
        run = taskrun_start(
            kind="import",
            label="Gros aperçu",
            owner=world.lead_bzh,
            input_file=ContentFile(("Code;Nom;Type;Rattachement\n" + rows).encode(), name="gros.csv"),
            params={"importer": "organisation.structures", "mode": "preview"},
        )
        _wait(
            lambda: TaskRun.objects.get(pk=run.pk).status == TaskRun.Status.RUNNING, "never ran", seconds=60
        )
        running = TaskRun.objects.get(pk=run.pk)
        assert running.worker_id
        beat = WorkerHeartbeat.objects.get(worker_id=running.worker_id).last_seen
        time.sleep(0.8)  # the main thread is busy with the import; the heartbeat thread is not
        assert TaskRun.objects.get(pk=run.pk).status == TaskRun.Status.RUNNING, "the import was too short"
        assert WorkerHeartbeat.objects.get(worker_id=running.worker_id).last_seen > beat
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=20)
    finally:
        if worker.poll() is None:
            worker.kill()
    settings.BASCULE_WORKER_STALE_SECONDS = 1
    time.sleep(1.5)
    assert [r.pk for r in interrupted_runs()] == [run.pk]
    from django.test import Client

    health = Client().get("/healthz")
    assert health.status_code == 503 and health.json()["tasks_interrupted"] == 1
    assert taskrun_reap() == 1
    failed = TaskRun.objects.get(pk=run.pk)
    assert failed.status == TaskRun.Status.FAILED and "interrompu" in failed.error
    assert failed.get_abilities(world.lead_bzh)["restart"]
