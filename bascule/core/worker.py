"""The task worker that survives its database: it retries with backoff, logs, keeps polling, and says it is alive.

django-tasks-db's worker stops at the first database error it does not expect (a dropped connection, a restarted
server, a long lock); then imports wait "pending" forever. This one catches database errors around each turn,
closes the broken connections, waits (1 s, 2 s, 4 s… up to 30 s) and goes on. Every few seconds it records a
heartbeat (`WorkerHeartbeat`), which `/healthz` reads: tasks waiting with no live worker answer 503.

The heartbeat is beaten by a thread of its own, so a task that runs for minutes (a ten-million-line takeover) keeps
its worker alive; a worker that is killed stops beating, and the runs it held are failed with a French reason by
the next worker's check (`services.taskrun_reap`, every 30 s and at start), ready to be restarted.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from typing import Any

from django.conf import settings
from django.db import DatabaseError, close_old_connections, connections
from django.utils import timezone
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction

from bascule.core.models import WorkerHeartbeat
from bascule.core.periodic import run_due_jobs
from bascule.core.services import taskrun_reap
from bascule.core.taskruns import CURRENT_WORKER

logger = logging.getLogger("bascule.worker")

HEARTBEAT_SECONDS = settings.BASCULE_WORKER_HEARTBEAT_SECONDS
PERIODIC_CHECK_SECONDS = 30.0
MAX_BACKOFF_SECONDS = 30.0


class ResilientWorker(Worker):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._last_beat = 0.0
        self._last_periodic = -PERIODIC_CHECK_SECONDS

    def heartbeat(self, *, force: bool = False) -> None:
        now = time.monotonic()
        if force or now - self._last_beat >= HEARTBEAT_SECONDS:
            WorkerHeartbeat.objects.update_or_create(
                worker_id=self.worker_id, defaults={"last_seen": timezone.now(), "pid": os.getpid()}
            )
            self._last_beat = now

    def beat_while_running(self, stop: threading.Event) -> None:
        """The heartbeat thread: beats every HEARTBEAT_SECONDS until `stop`, whatever the main thread is doing."""
        while not stop.wait(HEARTBEAT_SECONDS):
            try:
                WorkerHeartbeat.objects.update_or_create(
                    worker_id=self.worker_id, defaults={"last_seen": timezone.now(), "pid": os.getpid()}
                )
            except DatabaseError as exc:  # a locked or restarted database: the next beat tries again
                logger.warning("Signe de vie du worker non enregistré (%s).", exc)
            finally:
                connections.close_all()  # this thread's own connections

    def periodic(self) -> None:
        """Run the periodic jobs that are due (checked every 30 s; a failing job is recorded, not raised)."""
        now = time.monotonic()
        if now - self._last_periodic >= PERIODIC_CHECK_SECONDS:
            self._last_periodic = now
            reaped = taskrun_reap()
            if reaped:
                logger.warning(
                    "%s traitement(s) interrompu(s) par l'arrêt de leur worker : marqués en échec.", reaped
                )
            for line in run_due_jobs():
                logger.info("Tâche périodique — %s", line)

    def run_one(self) -> bool:
        """Claim and run one ready task; False when there was none."""
        close_old_connections()
        tasks = DBTaskResult.objects.ready().filter(backend_name=self.backend_name)
        if not self.process_all_queues:
            tasks = tasks.filter(queue_name__in=self.queue_names)
        if self.excluded_queue_names:
            tasks = tasks.exclude(queue_name__in=self.excluded_queue_names)
        with exclusive_transaction(tasks.db):
            task_result = tasks.get_locked()
            if task_result is not None:
                task_result.claim(self.worker_id)
        if task_result is None:
            return False
        self.run_task(task_result)
        return True

    def run(self) -> None:
        logger.info("Démarrage du traitement en arrière-plan (worker %s)", self.worker_id)
        CURRENT_WORKER.set(self.worker_id)
        stop = threading.Event()
        beating = threading.Thread(
            target=self.beat_while_running, args=(stop,), name="heartbeat", daemon=True
        )
        if not self.batch:
            beating.start()
        try:
            self._loop()
        finally:
            stop.set()

    def _loop(self) -> None:
        backoff = 1.0
        first = True
        while self.running:
            try:
                self.heartbeat(force=first)
                first = False
                if not self.batch:  # a batch run (tests, one-off) only drains the queue
                    self.periodic()
                ran = self.run_one()
                backoff = 1.0
            except DatabaseError as exc:
                logger.warning(
                    "Base de données indisponible pour le worker (%s) ; nouvel essai dans %.0f s.",
                    exc,
                    backoff,
                )
                connections.close_all()  # a broken connection is reopened on the next turn
                time.sleep(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)
                first = True
                continue
            if self.batch and not ran:
                return
            if self.max_tasks is not None and self._run_tasks >= self.max_tasks:
                return
            if self.running and not ran:
                time.sleep(self.interval)
