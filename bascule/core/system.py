"""The actor of command-line and scheduled work: national rights, no account, history author left empty."""

from __future__ import annotations

from typing import Any


class SystemActor:
    is_authenticated = True
    is_active = True
    is_superuser = True
    is_anonymous = False
    pk = None

    def __str__(self) -> str:
        return "Système"


SYSTEM = SystemActor()


def history_author(by: Any) -> Any:
    """The user to record in history (None for the system actor)."""
    return None if isinstance(by, SystemActor) else by
