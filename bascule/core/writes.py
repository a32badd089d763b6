"""The shapes every service shares: a validated, historised save and a version-checked update.

Services of every module call these rather than `obj.save()`: the history records who did it (none for the system
actor), the model's validation runs (bounded text, choices, constraints with French messages), and an update
refuses a version the editor did not see (optimistic locking).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from bascule.core.locking import lock_version
from bascule.core.models import VersionedModel
from bascule.core.system import Actor, history_author

V = TypeVar("V", bound=VersionedModel)


def save_historised(obj: Any, *, by: Actor, reason: str = "") -> None:
    """Validate then save `obj`, its history row signed by `by` (with an optional reason)."""
    obj.full_clean()
    obj._history_user = history_author(by)
    if reason:
        obj._change_reason = reason[:100]
    obj.save()


def check_fields(changes: dict[str, Any], allowed: Iterable[str], what: str) -> None:
    unknown = set(changes) - set(allowed)
    if unknown:
        raise TypeError(f"Unknown {what} fields: {sorted(unknown)}")


def update_versioned(
    obj: V,
    *,
    by: Actor,
    version: int,
    changes: dict[str, Any],
    allowed: Iterable[str],
    reason: str = "",
    before_save: Callable[[V], None] | None = None,
) -> V:
    """Lock the row, check the version the editor saw, apply `changes` (text stripped), save with history.

    `before_save(current)` runs on the locked row once the changes are set (derived fields, further checks).
    """
    check_fields(changes, allowed, type(obj).__name__)
    current = lock_version(type(obj), obj.pk, version)
    for name, value in changes.items():
        setattr(current, name, value.strip() if isinstance(value, str) else value)
    if before_save is not None:
        before_save(current)
    save_historised(current, by=by, reason=reason)
    return current


def deposit_version(
    version: Any,
    *,
    by: Actor,
    upload: Any,
    lock: Any,
    siblings: Any,
    reason: str = "",
    default_name: str = "document",
) -> Any:
    """Save a new numbered version of a deposited file (a deliverable's, a contract's, a reference document's).

    `lock` (a queryset of the parent row) is locked first, so two deposits never take the same number; the
    number follows the highest of `siblings`; `reason` may name it (« Dépôt de la version {number} »).
    """
    list(lock.select_for_update())
    version.number = (siblings.order_by("-number").values_list("number", flat=True).first() or 0) + 1
    version.filename = (getattr(upload, "name", "") or default_name)[:255]
    version.deposited_by = history_author(by)
    version.file.save(version.filename, upload, save=False)
    save_historised(version, by=by, reason=reason.format(number=version.number))
    return version
