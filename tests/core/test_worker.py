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
    assert TaskRun.objects.get().status == TaskRun.Status.SUCCEEDED


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
    database = connection.settings_dict
    env = {k: v for k, v in os.environ.items() if k != "DEBUG"}
    env.update(
        DATABASE_URL=f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}",
        MEDIA_ROOT=str(settings.MEDIA_ROOT),
        BASCULE_VAR_DIR=str(tmp_path),
        CONN_MAX_AGE="600",
    )
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


def _wait(condition, message, seconds=40.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(message)
