"""Each importer's example row is one it accepts from a user who may write: the harnesses that fill every
importer's own columns with it (then vary who, where and which role) really reach the writes."""

from __future__ import annotations

import pytest

from bascule.core.imports import IMPORTERS
from tests.workbooks import example_csv


@pytest.mark.parametrize("name", sorted(IMPORTERS))
def test_the_example_row_is_accepted_by_a_writer(world, name):
    importer_cls = IMPORTERS[name]
    params = importer_cls.example_params(user=world.national)
    assert params is not None, f"{name}: the world has nothing to import into"
    importer = importer_cls.from_params(user=world.national, params=params)
    row = importer.example_row()
    assert row, f"{name}: no example row for national steering"
    assert set(row) <= {c.key for c in importer.columns}, name
    report = importer.preview(importer.read(example_csv(importer, [row]), "exemple.csv"))
    assert [r.messages for r in report.rows] == [[]], name
    assert [r.outcome for r in report.rows] != ["reject"]
