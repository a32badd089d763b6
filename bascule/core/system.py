"""The actor of command-line and scheduled work: national rights, no account, history author left empty."""

from __future__ import annotations

from typing import Any, Protocol


class Actor(Protocol):
    """Who acts: a user account (or the anonymous user) of a request, or the system actor below.

    Every service takes one as `by`, every ability and visibility question as `user`.
    """

    @property
    def pk(self) -> Any: ...

    @property
    def is_authenticated(self) -> bool: ...

    @property
    def is_active(self) -> bool: ...

    @property
    def is_superuser(self) -> bool: ...


class SystemActor:
    is_authenticated = True
    is_active = True
    is_superuser = True
    is_anonymous = False
    pk = None

    def __str__(self) -> str:
        return "Système"


SYSTEM = SystemActor()


def history_author(by: Actor) -> Any:
    """The user to record in history (None for the system actor)."""
    return None if isinstance(by, SystemActor) else by
