"""Support desk tests see the referential, programmes (workstreams) and the desk; a real IMAP server (Dovecot) and
a real SMTP sink run on loopback for the mail tests."""

from __future__ import annotations

from typing import Any

import pytest

from bascule.assistance import operations
from bascule.assistance.models import Mailbox
from bascule.core.roles import Role
from bascule.organisation.models import Person, StructureKind
from tests.assistance.imap import PASSWORD, Dovecot
from tests.assistance.world import extend_world
from tests.conftest import World, world_of
from tests.factories import UserFactory, give_role, make_structure
from tests.programmes.world import extend_world as extend_programmes


@pytest.fixture
def world(db: Any, request: Any, settings: Any) -> World:
    return world_of(request, [extend_programmes, extend_world])


@pytest.fixture
def desk(world: World) -> World:
    """The levels in person: a proximity referent of the DDTM du Finistère, Bretagne's support pole and its agent,
    a CPU of the project team (the programme's owner structure)."""
    world.pole_bzh = make_structure(
        "POLE-53",
        parent=world.bretagne,
        kind=StructureKind.SUPPORT_POLE,
        name="Pôle de diffusion Bretagne",
        region="53",
    )
    world.proximity = UserFactory(username="proximite", email="proximite@test.gouv.fr")
    give_role(world.proximity, Role.PROXIMITY_REFERENT, world.ddtm29)
    world.pole_agent = UserFactory(username="pole", email="pole@test.gouv.fr")
    give_role(world.pole_agent, Role.SUPPORT_POLE_AGENT, world.pole_bzh)
    world.cpu = UserFactory(username="cpu", email="cpu@test.gouv.fr")
    give_role(world.cpu, Role.CPU, world.national_office)
    for user in (world.proximity, world.pole_agent, world.cpu):
        Person.objects.filter(user=user).update(email=user.email)
    return world


@pytest.fixture(scope="session")
def dovecot() -> Any:
    server = Dovecot()
    yield server
    server.stop()


@pytest.fixture
def mailbox(dovecot: Dovecot, world: World) -> Mailbox:
    """A project mailbox of Bretagne on the local Dovecot, empty."""
    user = dovecot.new_user()
    return operations.mailbox_create(
        by=world.national,
        programme=world.programme,
        structure=world.bretagne,
        address=user,
        host="127.0.0.1",
        port=dovecot.port,
        use_ssl=False,
        username=user,
        password=PASSWORD,
    )
