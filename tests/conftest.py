"""Shared fixtures: a small two-region world with users of every kind of access.

`base_world` is the organisation referential only; each module extends it in `tests/<module>/world.py`
(`extend_world(world)`, run in `ORDER`), and `world` is the base with every extension: a module's own tests and
the harnesses use `world`, tests of the referential alone can take `base_world`.
"""

from __future__ import annotations

import email
import email.policy
import importlib
import pkgutil
import socket
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.core.management import call_command

import tests
from bascule.core.roles import Role
from bascule.organisation.models import Assignment, Person, Structure, StructureKind
from tests.factories import PersonFactory, UserFactory, give_role, make_structure

K = StructureKind


class UnknownRightInTemplate(Exception):
    """A template asked for a right that its context does not hold (`can_chnage`, `abilities.publsh`)."""


class UnknownTemplateVariable(Exception):
    """A template of Bascule named a variable its context does not hold, or an attribute its object lacks."""


# Variables a page may leave out on purpose (`{% if … %}` tells the two cases apart): the DSFR base's breadcrumb and
# pagination, a form page's history and its object (absent when creating), optional hints and panels.
OPTIONAL_TEMPLATE_VARIABLES = frozenset(
    {
        "breadcrumb_data", "page_label", "history", "back_id", "columns_hint",
        "indicator", "sizing", "questionnaire", "survey", "question", "structure", "load", "within", "refused",
        "thanks",
    }
)  # fmt: skip
# Pages rendered by a library, outside the request's context processors (django-axes' lockout page, also answered
# to the API's token login): their context is the library's.
NOT_STRICT_TEMPLATES = ("accounts/locked.html",)
# Attributes read on objects that may lack them by design (the DSFR pagination's optional page list).
OPTIONAL_TEMPLATE_ATTRIBUTES = frozenset({"pages_list"})


def _strict_templates() -> None:
    """In tests, a template naming what its context does not hold fails the test instead of printing nothing.

    Django resolves an unknown variable to nothing, silently: `{% if can_chnage %}` hides the button for everyone,
    `{{ action.titel }}` leaves a cell empty. In Bascule's templates, a variable must be in the context (or listed
    as optional above) and an attribute must exist on its object (a None on the way is fine: `{{ s.parent.code }}`
    for a root; so is a missing key of a dict row); rights (`can_…`, keys of `abilities`) always.
    """
    from django.template import base

    resolve = base.Variable._resolve_lookup

    def strict(self: Any, context: Any) -> Any:
        try:
            return resolve(self, context)
        except base.VariableDoesNotExist:
            parts = [str(p) for p in (self.lookups or ())]
            if any(p.startswith("can_") for p in parts) or "abilities" in parts[:-1]:
                raise UnknownRightInTemplate(
                    f"« {self.var} » : ce droit n'est pas dans le contexte du gabarit"
                ) from None
            template = getattr(getattr(context, "template", None), "origin", None)
            name = str(getattr(template, "name", ""))
            if not parts or "/bascule/" not in name or name.endswith(NOT_STRICT_TEMPLATES):
                raise
            if parts[0] not in context:
                if parts[0] in OPTIONAL_TEMPLATE_VARIABLES:
                    raise
                raise UnknownTemplateVariable(
                    f"« {self.var} » : absent du contexte de {template.name}"
                ) from None
            current = context[parts[0]]
            for part in parts[1:]:
                if current is None or current == "" or isinstance(current, dict):
                    raise  # a None on the way, or a row (a dict) whose keys vary: optional by nature
                try:
                    current = _step(current, part)
                except (AttributeError, KeyError, IndexError, TypeError, ValueError):
                    if part in OPTIONAL_TEMPLATE_ATTRIBUTES:
                        raise base.VariableDoesNotExist(self.var) from None
                    raise UnknownTemplateVariable(
                        f"« {self.var} » : {type(current).__name__} n'a pas « {part} » ({template.name})"
                    ) from None
            raise

    base.Variable._resolve_lookup = strict


def _step(current: Any, part: str) -> Any:
    """One step of a template lookup, as Django tries them: key, attribute, index (a call when callable)."""
    try:
        value = current[part]
    except (TypeError, AttributeError, KeyError, ValueError, IndexError):
        try:
            value = getattr(current, part)
        except AttributeError:
            value = current[int(part)]
    if callable(value) and not getattr(value, "do_not_call_in_templates", False):
        value = value()
    return value


_strict_templates()


DATABASE_FIXTURES = {"db", "transactional_db", "django_db_reset_sequences", "django_db_serialized_rollback"}


def pytest_collection_modifyitems(config: Any, items: list[Any]) -> None:
    """On the second backend (`BASCULE_TESTS_DATABASE_ONLY=1`, set by `make test-postgres`), the tests that touch
    no database are left out: the SQLite run has already run them, and they would prove nothing more."""
    import os

    if os.environ.get("BASCULE_TESTS_DATABASE_ONLY") != "1":
        return
    kept, left = [], []
    for item in items:
        uses_database = item.get_closest_marker("django_db") is not None or bool(
            DATABASE_FIXTURES & set(getattr(item, "fixturenames", ()))
        )
        (kept if uses_database else left).append(item)
    if left:
        config.hook.pytest_deselected(items=left)
        items[:] = kept


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """What the harnesses walked (their `record_property("harnais", …)`), printed at the end of the run."""
    lines = sorted(
        str(value)
        for report in terminalreporter.stats.get("passed", [])
        for key, value in getattr(report, "user_properties", [])
        if key == "harnais"
    )
    if lines:
        terminalreporter.section("Couverture des harnais")
        for line in lines:
            terminalreporter.write_line(line)


@pytest.fixture
def django_assert_num_queries(django_assert_num_queries: Any) -> Any:
    """pytest-django's, counting from an emptied query log (tests/queries.py says why)."""
    return _from_empty_log(django_assert_num_queries)


@pytest.fixture
def django_assert_max_num_queries(django_assert_max_num_queries: Any) -> Any:
    """pytest-django's, counting from an emptied query log (tests/queries.py says why)."""
    return _from_empty_log(django_assert_max_num_queries)


def _from_empty_log(assert_queries: Any) -> Any:
    from contextlib import contextmanager

    from django.db import reset_queries

    @contextmanager
    def counted(*args: Any, **kwargs: Any) -> Any:
        reset_queries()
        with assert_queries(*args, **kwargs) as context:
            yield context
        assert len(context) > 0, "no query counted: the count proves nothing"

    return counted


@pytest.fixture(autouse=True)
def _test_settings(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    # Argon2 is slow by design; tests that are not about hashing use a fast hasher (see test_auth for Argon2).
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.BASCULE_DEMO_SOLVER_WORK = 1.0  # the demo's schedule: a short, deterministic search


@dataclass
class World:
    """The base world's objects; module extensions add theirs as attributes (e.g. `world.programme`)."""

    root: Structure
    ministry: Structure
    national_office: Structure
    bretagne: Structure
    finistere: Structure
    ddtm29: Structure
    normandie: Structure
    calvados: Structure
    ddtm14: Structure
    person_bzh: Person
    person_nor: Person
    assignment_bzh: Assignment
    assignment_nor: Assignment
    national: Any
    lead_bzh: Any
    reader_bzh: Any
    referent_29: Any
    lead_nor: Any
    nobody: Any

    def users(self) -> dict[str, Any]:
        return {
            "national": self.national,
            "lead_bzh": self.lead_bzh,
            "reader_bzh": self.reader_bzh,
            "referent_29": self.referent_29,
            "lead_nor": self.lead_nor,
            "nobody": self.nobody,
        }


def _extensions() -> list[Any]:
    """Every module's `tests/<module>/world.py` (its `extend_world(world)`), in their ORDER."""
    found = []
    for info in pkgutil.iter_modules(tests.__path__):
        if info.ispkg and (Path(tests.__path__[0]) / info.name / "world.py").exists():
            found.append(importlib.import_module(f"tests.{info.name}.world"))
    return sorted(found, key=lambda module: (getattr(module, "ORDER", 100), module.__name__))


WORLD_EXTENSIONS = _extensions()


@pytest.fixture
def world(db: Any, request: Any) -> World:
    """The base world plus what every module adds (`tests/<module>/world.py`): what the harnesses walk.

    Built once per worker and replayed for each test (tests/worldcache.py); each module's conftest asks for its
    own world the same way, with `world_of(request, <its extensions>)`.
    """
    return world_of(request, [extension.extend_world for extension in WORLD_EXTENSIONS])


@pytest.fixture
def base_world(db: Any, request: Any) -> World:
    """Organisation only (the world of a test that asks for both: one world, the same objects)."""
    if "world" in request.fixturenames:
        return request.getfixturevalue("world")  # type: ignore[no-any-return]
    return world_of(request, [])


@pytest.fixture
def demo(db: Any, request: Any) -> None:
    """The full demo (`manage.py demo_data`), built once per worker and replayed (tests/worldcache.py)."""
    from tests.worldcache import demo_data

    demo_data(request)


def world_of(request: Any, extensions: list[Any]) -> World:
    """The base world extended by `extensions` in order, built once per worker (tests/worldcache.py)."""
    from tests.worldcache import world_of as cached

    return cached(request, build_base_world, extensions)  # type: ignore[no-any-return]


def build_base_world() -> World:
    """Organisation only: the structures of two regions, people, and a user for each kind of access."""
    root = make_structure("ETAT", kind=K.STATE, name="État")
    ministry = make_structure("MI", parent=root, kind=K.MINISTRY, name="Ministère de l'Intérieur")
    office = make_structure("DMAT/SDAT/BCAM", parent=ministry, kind=K.BUREAU, name="Bureau BCAM")
    intermin = make_structure("INTERMIN", parent=root, kind=K.INTERMINISTERIAL)
    bretagne = make_structure("R53", parent=intermin, kind=K.REGION, name="Bretagne", region="53")
    finistere = make_structure(
        "D29", parent=bretagne, kind=K.DEPARTMENT, name="Finistère", region="53", department="29"
    )
    ddtm29 = make_structure(
        "DDTM-29",
        parent=finistere,
        kind=K.DEPARTMENTAL_DIRECTORATE,
        name="DDTM du Finistère",
        region="53",
        department="29",
    )
    normandie = make_structure("R28", parent=intermin, kind=K.REGION, name="Normandie", region="28")
    calvados = make_structure(
        "D14", parent=normandie, kind=K.DEPARTMENT, name="Calvados", region="28", department="14"
    )
    ddtm14 = make_structure(
        "DDTM-14",
        parent=calvados,
        kind=K.DEPARTMENTAL_DIRECTORATE,
        name="DDTM du Calvados",
        region="28",
        department="14",
    )
    person_bzh = PersonFactory(structure=ddtm29, email="agent.bzh@test.gouv.fr", ministry_of_origin=ministry)
    person_nor = PersonFactory(structure=ddtm14, email="agent.nor@test.gouv.fr")
    assignment_bzh = Assignment.objects.create(
        person=person_bzh, role=Role.BUSINESS_REFERENT, structure=ddtm29, start_date="2021-01-01"
    )
    assignment_nor = Assignment.objects.create(
        person=person_nor, role=Role.BUSINESS_REFERENT, structure=ddtm14, start_date="2021-01-01"
    )
    users = {
        name: UserFactory(username=name)
        for name in ("national", "lead_bzh", "reader_bzh", "referent_29", "lead_nor", "nobody")
    }
    give_role(users["national"], Role.NATIONAL_STEERING, office)
    give_role(users["lead_bzh"], Role.REGIONAL_LEAD, bretagne)
    give_role(users["reader_bzh"], Role.READER, bretagne)
    give_role(users["referent_29"], Role.DEPARTMENTAL_REFERENT, finistere)
    give_role(users["lead_nor"], Role.REGIONAL_LEAD, normandie)
    return World(
        root,
        ministry,
        office,
        bretagne,
        finistere,
        ddtm29,
        normandie,
        calvados,
        ddtm14,
        person_bzh,
        person_nor,
        assignment_bzh,
        assignment_nor,
        **users,
    )


class SmtpSink:
    """A real SMTP server on loopback (aiosmtpd) that keeps what it receives."""

    def __init__(self) -> None:
        self.messages: list[bytes] = []
        self.received = threading.Event()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(envelope.content)
        self.received.set()
        return "250 OK"

    def mails(self) -> list[dict[str, str]]:
        """Each message as its recipient, subject and plain-text body (transfer encodings undone)."""
        found = []
        for raw in self.messages:
            message = email.message_from_bytes(raw, policy=email.policy.default)
            body = message.get_body(preferencelist=("plain",))
            found.append(
                {
                    "to": str(message["To"]),
                    "subject": str(message["Subject"]),
                    "body": body.get_content() if body else "",
                }
            )
        return found


@pytest.fixture
def smtp(settings: Any) -> Any:
    """Mail goes through Django's SMTP backend to a real server on a free loopback port."""
    sink = SmtpSink()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    yield sink
    controller.stop()


def run_worker() -> None:
    """Process every queued background task with the real database worker, then return.

    The worker closes connections that are inside a transaction, as a real one would: tests using it are
    `transaction=True`, so that what it reads was really committed.
    """
    call_command("worker", batch=True, startup_delay=False, verbosity=0)


__all__ = ["World", "build_base_world", "run_worker", "world_of"]
