"""Periodic jobs (reminders, digests): registered by the modules, run by the worker when due.

Each job has a row in `PeriodicRun`. A worker claims a due job by locking its row and stamping `last_started_at`
(so two workers never run it twice), runs it, then records its result or why it failed; a failing job never stops
the worker, and is tried again at its next period.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from bascule.core.models import PeriodicRun
from bascule.core.registry import PERIODIC, PeriodicJob

logger = logging.getLogger("bascule.periodic")


def _claim(job: PeriodicJob, now: datetime) -> bool:
    with transaction.atomic():
        PeriodicRun.objects.get_or_create(name=job.name)
        row = PeriodicRun.objects.select_for_update().get(name=job.name)
        if job.hour is not None:
            local = timezone.localtime(now)
            ran_today = (
                row.last_started_at is not None
                and timezone.localtime(row.last_started_at).date() >= local.date()
            )
            if ran_today or local.hour < job.hour:
                return False
        elif row.last_started_at is not None and now - row.last_started_at < job.every:
            return False
        row.last_started_at = now
        row.save(update_fields=["last_started_at"])
        return True


def run_due_jobs(*, now: datetime | None = None) -> list[str]:
    """Run every job whose period has elapsed; return one line per job run (its result or its error)."""
    moment = now or timezone.now()
    lines = []
    for job in sorted(PERIODIC.values(), key=lambda j: j.name):
        if not _claim(job, moment):
            continue
        try:
            result, error = job.run()[:2000], ""
        except Exception as exc:  # a job that fails says why; the worker goes on
            logger.exception("La tâche périodique %s a échoué", job.name)
            result, error = "", f"{type(exc).__name__} : {exc}"[:2000]
        PeriodicRun.objects.filter(name=job.name).update(
            last_finished_at=timezone.now(), last_result=result, last_error=error
        )
        lines.append(f"{job.name} : {error or result}")
    return lines
