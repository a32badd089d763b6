"""What modules tell the core, so that the core imports no module.

A module registers, from its `AppConfig.ready()`:
- the source of assignments, from which perimeters are computed (`register_assignment_source`, one only);
- its navigation entries (`register_navigation`) and the panels of the home and account pages
  (`register_home_panel`, `register_account_panel`): a panel is a template name and a function that returns its
  context for a user (or None to hide the panel).
- its periodic jobs (`register_periodic`): reminders, digests… run by the worker when due (bascule.core.periodic).
Demo data is discovered by `manage.py demo_data` (`bascule.<module>.demo.load_demo`), importers by
`bascule.core.imports.register_importer`, background handlers by `bascule.core.taskruns.register_handler`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from bascule.core.system import Actor

# (user, day) → the active (role, structure path, perimeter scope) of the user on that day; the scope is one of
# core.roles' EVERYWHERE, SUBTREE (the structure and below) or STRUCTURE_ONLY.
AssignmentSource = Callable[[Any, date], Iterable[tuple[str, str, str]]]


@dataclass(frozen=True)
class NavEntry:
    url_name: str
    label: str
    prefix: str  # the entry is "current" for every page under this path ("" : only its own URL)
    order: int
    ability: str = ""  # shown only to users with this page-level ability ("": every logged-in user)


@dataclass(frozen=True)
class PeriodicJob:
    name: str  # "<module>.<job>"
    every: timedelta
    run: Callable[[], str]  # does the work, returns what it did (in French), raises to say why it failed
    hour: int | None = None  # daily jobs: once a day, from this local hour on (e.g. 7 for a morning digest)


@dataclass(frozen=True)
class Panel:
    template: str
    context: Callable[[Any], dict[str, Any] | None]
    order: int


_assignment_source: list[AssignmentSource] = []
# Abilities that belong to no object ("may create a structure", "may import an action plan"): one function each,
# asked by the view that guards the page (404 when false) and by the templates that draw its links.
USER_ABILITIES: dict[str, Callable[[Any], bool]] = {}
NAVIGATION: list[NavEntry] = []
HOME_PANELS: list[Panel] = []
PERIODIC: dict[str, PeriodicJob] = {}
ACCOUNT_PANELS: list[Panel] = []


def register_assignment_source(source: AssignmentSource) -> None:
    """The function that lists a user's active (role, structure path, scope); one module owns assignments."""
    _assignment_source[:] = [source]


def assignment_rows(user: Actor, day: date) -> list[tuple[str, str, str]]:
    if not _assignment_source:
        return []
    return list(_assignment_source[0](user, day))


def register_user_ability(name: str, rule: Callable[[Any], bool]) -> None:
    """`name` is "<module>.<ability>", e.g. "programmes.import_actions"."""
    USER_ABILITIES[name] = rule


def user_can(user: Actor, name: str) -> bool:
    """Whether the user has a page-level ability (computed once per user object, i.e. per request)."""
    if not getattr(user, "is_authenticated", False):
        return False
    cache: dict[str, bool] = user.__dict__.setdefault("_bascule_user_abilities", {})
    if name not in cache:
        cache[name] = bool(USER_ABILITIES[name](user))
    return cache[name]


def register_navigation(entry: NavEntry) -> None:
    NAVIGATION[:] = sorted(
        [e for e in NAVIGATION if e.url_name != entry.url_name] + [entry], key=lambda e: e.order
    )


def register_home_panel(panel: Panel) -> None:
    HOME_PANELS[:] = sorted(
        [p for p in HOME_PANELS if p.template != panel.template] + [panel], key=lambda p: p.order
    )


def register_account_panel(panel: Panel) -> None:
    ACCOUNT_PANELS[:] = sorted(
        [p for p in ACCOUNT_PANELS if p.template != panel.template] + [panel], key=lambda p: p.order
    )


def panels_for(panels: list[Panel], user: Actor) -> list[tuple[str, dict[str, Any]]]:
    """The (template, context) of each panel the user is shown."""
    shown = []
    for panel in panels:
        context = panel.context(user)
        if context is not None:
            shown.append((panel.template, context))
    return shown


def register_periodic(job: PeriodicJob) -> None:
    PERIODIC[job.name] = job
