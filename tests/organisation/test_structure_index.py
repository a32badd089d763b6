"""The structure index other modules read structures in free text with: cached, and never stale."""

from __future__ import annotations

from bascule.organisation.models import Structure
from bascule.organisation.selectors import structure_index
from bascule.organisation.services import structure_update
from tests.factories import make_structure
from tests.queries import count_queries


def test_the_index_is_built_once_and_checked_with_one_query(world):
    first = structure_index()
    with count_queries() as queries:
        again = structure_index()
    assert again is first
    assert len(queries) == 1  # the freshness check, not a read of the whole referential
    assert first.find("ddtm 29") == world.ddtm29
    assert first.find("Bureau BCAM") == world.national_office  # by its (unambiguous) name


def test_a_changed_added_or_removed_structure_rebuilds_it(world):
    before = structure_index()
    structure_update(
        by=world.national, structure=world.ddtm29, version=world.ddtm29.version, code="DDTM29-NEW"
    )
    renamed = structure_index()
    assert renamed is not before
    assert renamed.find("DDTM29-NEW") == world.ddtm29 and renamed.find("DDTM-29") is None
    make_structure("NOUVEAU", parent=world.finistere)
    assert structure_index().find("NOUVEAU") is not None
    Structure.objects.filter(code="NOUVEAU").delete()
    assert structure_index().find("NOUVEAU") is None


def test_an_ambiguous_name_is_not_recognised(world):
    make_structure("X1", parent=world.bretagne, name="Service commun")
    make_structure("X2", parent=world.normandie, name="Service commun")
    index = structure_index()
    assert index.find("Service commun") is None
    assert index.find("X1") is not None
