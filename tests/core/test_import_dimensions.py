"""Every spreadsheet import reads every row a workbook holds, whatever size the workbook declares (issue 24).

A sheet's <dimension> is written by whatever made the file: a workbook declaring `A1:B3` above 25 data rows must
give 25 rows to every importer, each planned (accepted or rejected with its reason), none silently dropped.
"""

from __future__ import annotations

from bascule.core.exports import write_xlsx
from bascule.core.imports import IMPORTERS
from tests.workbooks import with_dimension as _with_dimension

ROWS = 25


def test_a_crafted_dimension_drops_no_row_of_any_import(world):
    assert len(IMPORTERS) >= 7
    for name in sorted(IMPORTERS):
        _check(world, name)


def _check(world, name):
    importer_cls = IMPORTERS[name]
    user = world.national
    params = importer_cls.example_params(user=user)
    assert params is not None, f"{name}: national steering has something to import into"
    headers = [column.label for column in importer_cls.columns]
    rows = [[f"V{n}-{index}" for index, _ in enumerate(headers)] for n in range(ROWS)]
    data = _with_dimension(write_xlsx(headers, rows), "A1:B3")
    importer = importer_cls.from_params(user=user, params=params)
    table = importer.read(data, "dimension.xlsx")
    assert len(table.rows) == ROWS
    assert [row.cells[0] for row in table.rows] == [f"V{n}-0" for n in range(ROWS)]
    report = importer.preview(table)
    numbers = {result.row for result in report.rows}
    assert numbers, f"{name}: the preview planned no row"
    assert max(numbers) == ROWS + 1, f"{name}: the last row ({ROWS + 1}) is planned"
