"""Shared fixtures: a small two-region world with users of every kind of access."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.core.management import call_command

from bascule.core.roles import Role
from bascule.organisation.models import Assignment, Person, Structure, StructureKind
from tests.factories import PersonFactory, UserFactory, give_role, make_structure

K = StructureKind


@pytest.fixture(autouse=True)
def _test_settings(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    # Argon2 is slow by design; tests that are not about hashing use a fast hasher (see test_auth for Argon2).
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@dataclass
class World:
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


@pytest.fixture
def world(db: Any) -> World:
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
    from bascule.programmes.services import action_create, programme_create, workstreams_instantiate

    programme = programme_create(by=users["national"], code="CHORUS", name="Déploiement de Chorus", owner=office,
                                 standard_workstreams=True)  # fmt: skip
    workstreams_instantiate(by=users["national"], programme=programme, root=intermin)
    action_create(
        by=users["national"],
        programme=programme,
        code="1-1",
        title="Action nationale",
        deliverable="fin 2021",
    )
    action_create(by=users["national"], programme=programme, code="2-1", title="Action bretonne", structure=bretagne,
                  lead="DDTM-29, en lien avec D29", deliverable="T2 2024")  # fmt: skip
    action_create(by=users["national"], programme=programme, code="3-1", title="Action normande", structure=normandie,
                  deliverable="2020")  # fmt: skip
    from django.core.files.base import ContentFile

    from bascule.programmes.models import InstanceItem
    from bascule.programmes.services import decision_create, deliverable_deposit

    decision_create(
        by=users["national"],
        programme=programme,
        committee="copil",
        taken_on="2025-06-01",
        title="Lancer la vague 1",
    )
    for region in (bretagne, normandie):
        item = InstanceItem.objects.filter(workstream__structure=region, kind="deliverable").first()
        deliverable_deposit(
            by=users["national"],
            item=item,
            upload=ContentFile(b"inventaire", name=f"inventaire-{region.code}.csv"),
        )
    return World(root, ministry, office, bretagne, finistere, ddtm29, normandie, calvados, ddtm14, person_bzh, person_nor,
                 assignment_bzh, assignment_nor, **users)  # fmt: skip


def run_worker() -> None:
    """Process every queued background task with the real database worker, then return.

    The worker closes connections that are inside a transaction, as a real one would: tests using it are
    `transaction=True`, so that what it reads was really committed.
    """
    call_command("worker", batch=True, startup_delay=False, verbosity=0)


__all__ = ["World", "run_worker"]
