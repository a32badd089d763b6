"""`manage.py worker`: the background task worker (django-tasks-db's options), resilient to database errors."""

from __future__ import annotations

from typing import Any

from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand

from bascule.core.worker import ResilientWorker


class Command(DbWorkerCommand):
    help = "Exécute les traitements en arrière-plan ; survit aux erreurs de base de données (reprise progressive)."

    def handle(self, *args: Any, **options: Any) -> None:
        self.configure_logging(options["verbosity"])
        excluded = options["exclude_queues"]
        worker = ResilientWorker(
            queue_names=options["queue_name"].split(","),
            interval=options["interval"],
            batch=options["batch"],
            backend_name=options["backend_name"],
            startup_delay=options["startup_delay"],
            max_tasks=options["max_tasks"],
            worker_id=options["worker_id"],
            excluded_queue_names=excluded.split(",") if excluded else [],
        )
        worker.configure_signals()
        worker.run()
