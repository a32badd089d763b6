"""Optimistic locking: two people editing the same object never silently overwrite each other."""

from __future__ import annotations

from typing import TypeVar

from bascule.core.models import VersionedModel

V = TypeVar("V", bound=VersionedModel)


class ConflictError(Exception):
    """Raised when the object changed since the editor loaded it."""

    def __init__(self, obj: VersionedModel) -> None:
        self.current = obj
        super().__init__(
            "Cet élément a été modifié par quelqu'un d'autre pendant que vous le modifiiez "
            f"(version {obj.version}). Rechargez la page pour voir ses nouvelles valeurs, puis refaites "
            "votre modification."
        )


def lock_version(model: type[V], pk: object, expected_version: int) -> V:
    """Lock the row for the current transaction and check it is still the version the editor saw."""
    obj = model._default_manager.select_for_update().get(pk=pk)
    if obj.version != expected_version:
        raise ConflictError(obj)
    # The row is locked until the transaction ends (SQLite: IMMEDIATE transactions serialise writers).
    obj.version += 1
    return obj
