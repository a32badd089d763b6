"""The history harness: every business model is historised (django-simple-history), or says in itself why not
(`no_history`, a sentence). A new model without either fails here, so nothing is left out by forgetting."""

from __future__ import annotations

from django.apps import apps
from simple_history.models import registered_models

MODELS = [
    m
    for m in apps.get_models()
    if m.__module__.startswith("bascule.") and not m.__name__.startswith("Historical")
]


def _historised(model: type) -> bool:
    return model in registered_models.values()


def test_every_model_is_historised_or_says_why_not():
    unexplained = [m._meta.label for m in MODELS if not _historised(m) and not getattr(m, "no_history", "")]
    assert unexplained == [], "add HistoricalRecords, or a `no_history` sentence saying why"
    both = [m._meta.label for m in MODELS if _historised(m) and getattr(m, "no_history", "")]
    assert both == [], "historised, yet says it is not"


def test_the_models_without_history_are_these():
    # The list a reviewer reads (each reason is in its model): logs, counters, frozen records, reference data.
    assert sorted(m._meta.label for m in MODELS if not _historised(m)) == [
        "accounts.User",
        "assistance.Attachment",
        "assistance.InboundMail",
        "assistance.OutgoingMail",
        "assistance.SearchMiss",
        "assistance.TicketCounter",
        "committees.Snapshot",
        "committees.SnapshotAction",
        "committees.SnapshotWorkstream",
        "core.PeriodicRun",
        "core.TaskRun",
        "core.WorkerHeartbeat",
        "programmes.ProgressNote",
        "reprise.RunCentre",
        "training.City",
    ]
