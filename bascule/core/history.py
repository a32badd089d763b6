"""Readable history of a business object (who, when, what changed), from django-simple-history records.

Diffs are computed in Python between consecutive records fetched in one query; foreign keys are shown by name
with one query per related model, so a history page costs a constant number of queries.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.db import models
from django.utils import formats, timezone

IGNORED_FIELDS = {"updated_at", "created_at", "version", "path", "depth", "id"}
KIND_LABELS = {"+": "Création", "~": "Modification", "-": "Suppression"}


@dataclass
class HistoryEntry:
    when: datetime
    who: str
    kind: str
    reason: str = ""
    changes: list[tuple[str, str, str]] = field(default_factory=list)


def _display(field_obj: models.Field[Any, Any], value: Any, names: dict[tuple[type, Any], str]) -> str:
    if value is None or value == "":
        return "—"
    if field_obj.is_relation and field_obj.related_model is not None:
        return names.get((field_obj.related_model, value), str(value))
    if field_obj.choices:
        return str(dict(field_obj.flatchoices).get(value, value))
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, datetime):
        return formats.date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT")
    if isinstance(value, date):
        return formats.date_format(value, "SHORT_DATE_FORMAT")
    return str(value)


def history_entries(obj: models.Model, *, limit: int = 100) -> list[HistoryEntry]:
    """The object's changes, newest first; each with the fields that changed and their old and new values."""
    records = list(
        obj.history.select_related("history_user").order_by("-history_date", "-history_id")[: limit + 1]  # type: ignore[attr-defined]
    )
    tracked = {f.attname for f in obj.history.model._meta.concrete_fields}  # type: ignore[attr-defined]
    # Fields the history does not keep (excluded_fields: a password, a derived text) are not shown.
    fields = [f for f in obj._meta.concrete_fields if f.name not in IGNORED_FIELDS and f.attname in tracked]
    # Resolve every foreign key value shown, one query per related model.
    wanted: dict[type, set[Any]] = {}
    for record in records:
        for f in fields:
            value = getattr(record, f.attname)
            if f.is_relation and f.related_model is not None and value is not None:
                wanted.setdefault(f.related_model, set()).add(value)
    names: dict[tuple[type, Any], str] = {}
    for model, ids in wanted.items():
        for pk, instance in model._default_manager.in_bulk(list(ids)).items():  # type: ignore[attr-defined]
            names[(model, pk)] = str(instance)

    entries: list[HistoryEntry] = []
    for index, record in enumerate(records[:limit]):
        previous = records[index + 1] if index + 1 < len(records) else None
        changes = []
        for f in fields:
            new = getattr(record, f.attname)
            old = getattr(previous, f.attname) if previous is not None else None
            if previous is None and record.history_type == "+" and new in (None, ""):
                continue
            if previous is not None and old == new:
                continue
            if record.history_type == "-":
                continue
            changes.append((str(f.verbose_name), _display(f, old, names), _display(f, new, names)))
        user = record.history_user
        who = (user.get_full_name() or user.get_username()) if user else "Système (import ou traitement)"
        entries.append(
            HistoryEntry(
                when=record.history_date,
                who=who,
                kind=KIND_LABELS.get(record.history_type, record.history_type),
                reason=record.history_change_reason or "",
                changes=changes,
            )
        )
    return entries
