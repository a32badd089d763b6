"""Reading spreadsheets: every format, every hostile input gives a French message, never a crash."""

from __future__ import annotations

import io
import zipfile
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bascule.core.exports import _is_number, write_csv, write_ods, write_xlsx
from bascule.core.spreadsheets import SpreadsheetError, read_table
from tests.workbooks import with_dimension as _with_dimension

HEADERS = ["Code", "Nom", "Date"]
ROWS = [
    ["A-1", "Élodie « Ŀ » d'Armor", date(2025, 9, 1)],
    ["B/2", "ligne 1\nligne 2", None],
    ["=1+1", "formule", None],
]


@pytest.mark.parametrize("writer", [write_csv, write_xlsx, write_ods], ids=["csv", "xlsx", "ods"])
def test_round_trip_every_format(writer):
    table = read_table(writer(HEADERS, ROWS), "x")
    assert table.headers == HEADERS
    assert table.rows[0].cells == ["A-1", "Élodie « Ŀ » d'Armor", "2025-09-01"]
    assert table.rows[1].cells[1] == "ligne 1\nligne 2"
    assert table.rows[0].number == 2


def test_formulas_are_written_as_text_and_flagged_on_read():
    csv_bytes = write_csv(HEADERS, ROWS)
    assert b"'=1+1" in csv_bytes  # neutralised for spreadsheet programs
    raw = b'Code;Nom\n=HYPERLINK("http://x");a\n'
    table = read_table(raw, "x.csv")
    assert table.rows[0].formulas == {0: '=HYPERLINK("http://x")'}


def test_xlsx_formula_cells_are_detected():
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["Code", "Nom"])
    ws.append(["A", "=CONCAT(A1,A1)"])
    buffer = io.BytesIO()
    wb.save(buffer)
    table = read_table(buffer.getvalue(), "f.xlsx")
    assert 1 in table.rows[0].formulas


def test_cp1252_and_bom():
    assert read_table("Code;Nom\nA;Préfecture\n".encode("cp1252")).rows[0].cells == ["A", "Préfecture"]
    assert read_table("\ufeffCode,Nom\nA,Été\n".encode()).headers == ["Code", "Nom"]


def test_ragged_rows_keep_their_extra_values():
    table = read_table(b"Code;Nom\nA\nB;b;surplus\n")
    assert table.rows[0].cells == ["A", ""]
    assert table.rows[1].extra == ["surplus"]


def test_title_rows_above_the_header_are_skipped():
    data = b"Plan d'actions 2025;;\n;;\nCode;Nom;X\nA;a;1\n"
    table = read_table(data, is_header=lambda cells: "Code" in cells)
    assert table.header_row == 3
    assert table.rows[0].number == 4


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "vide"),
        (b"   \n  ", "vide"),
        (b"Code;Nom\n", "aucune ligne"),
        (b"\x00\x01\x02binary", "tableur reconnu"),
        (b"PK\x03\x04broken zip", "endommagé"),
    ],
)
def test_unreadable_files_say_why(data, message):
    with pytest.raises(SpreadsheetError, match=message):
        read_table(data, "f.csv")


def test_zip_bomb_disguised_as_xlsx_is_refused_before_parsing():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\x00" * (50 * 1024 * 1024))
    with pytest.raises(SpreadsheetError, match=r"bombe zip|sécurité"):
        read_table(buffer.getvalue(), "bombe.xlsx")


def test_zip_that_is_not_a_spreadsheet():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "hello")
    with pytest.raises(SpreadsheetError, match="ni un classeur"):
        read_table(buffer.getvalue(), "x.zip")


def test_huge_files_are_refused(settings):
    settings.BASCULE_IMPORT_MAX_BYTES = 1000
    with pytest.raises(SpreadsheetError, match="Mo"):
        read_table(b"Code;Nom\n" + b"A;B\n" * 1000)
    settings.BASCULE_IMPORT_MAX_BYTES = 10**8
    settings.BASCULE_IMPORT_MAX_ROWS = 10
    with pytest.raises(SpreadsheetError, match="plus de 10 lignes"):
        read_table(b"Code;Nom\n" + b"A;B\n" * 11)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2000))
def test_any_bytes_give_a_table_or_a_french_error(data):
    try:
        table = read_table(data, "fuzz.csv")
    except SpreadsheetError as exc:
        assert str(exc)
    else:
        assert table.headers


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.lists(
            st.text(alphabet=st.characters(blacklist_categories=["Cs", "Cc"]), max_size=20),
            min_size=2,
            max_size=2,
        ),
        min_size=1,
        max_size=20,
    )
)
def test_csv_round_trip_preserves_text(rows):
    rows = [[cell.strip() for cell in row] for row in rows]
    rows = [row for row in rows if any(row)]
    if not rows:
        return
    table = read_table(write_csv(["A", "B"], rows))
    read_back = [r.cells for r in table.rows]
    expected = [
        [("'" + c if c.startswith(("=", "+", "-", "@")) and not _is_number(c) else c) for c in row]
        for row in rows
    ]
    assert read_back == expected


def _padded_workbook(writer, empty_rows: int) -> bytes:
    """A real workbook (XLSX or ODS) with a header, one row, then many empty but present rows."""
    data = writer(HEADERS, [["A-1", "Un", None]], title="Feuille")
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                rows = "".join(f'<row r="{n}"><c r="A{n}" s="0"/></row>' for n in range(3, empty_rows + 3))
                content = content.replace(b"</sheetData>", rows.encode() + b"</sheetData>")
            target.writestr(item, content)
    return buffer.getvalue()


def test_a_workbook_padded_with_empty_rows_stops_at_the_row_limit(settings):
    import time

    settings.BASCULE_IMPORT_MAX_ROWS = 1000
    data = _padded_workbook(write_xlsx, 400_000)  # about 16 MB of sheet XML, a few hundred kB on disk
    started = time.perf_counter()
    with pytest.raises(SpreadsheetError, match="plus de 2 000 lignes"):
        read_table(data, "rempli.xlsx")
    assert time.perf_counter() - started < 2.0


# --- issue 24: a sheet's declared size is never trusted; repeated rows and columns are expanded lazily ---------
def test_rows_beyond_a_declared_dimension_are_read():
    rows = [[f"C-{n}", f"nom {n}", None] for n in range(1000)]
    data = _with_dimension(write_xlsx(HEADERS, rows), "A1:B6")
    assert b'<dimension ref="A1:B6"/>' in data or b"A1:B6" in zipfile.ZipFile(io.BytesIO(data)).read(
        "xl/worksheets/sheet1.xml"
    )
    table = read_table(data, "x.xlsx")
    assert len(table.rows) == 1000
    assert table.headers == HEADERS  # the third column, beyond the declared B, is read too
    assert table.rows[-1].cells[:2] == ["C-999", "nom 999"]


@settings(max_examples=40, deadline=None)
@given(
    data_rows=st.integers(min_value=1, max_value=120),
    declared_rows=st.integers(min_value=1, max_value=200),
    declared_column=st.sampled_from(["A", "B", "C", "P"]),
    blanks=st.sets(st.integers(min_value=0, max_value=119), max_size=10),
)
def test_crafted_dimensions_never_change_what_is_read(data_rows, declared_rows, declared_column, blanks):
    """Whatever size a workbook declares, every row it holds is read (none added, none lost)."""
    rows = [
        [f"C-{n}", "x", "2025-01-01"] if n not in blanks else [None, None, None] for n in range(data_rows)
    ]
    if not any(row[0] for row in rows):
        return
    data = _with_dimension(write_xlsx(HEADERS, rows), f"A1:{declared_column}{declared_rows}")
    table = read_table(data, "x.xlsx")
    assert [row.cells[0] for row in table.rows] == [row[0] for row in rows if row[0]]
    assert all(row.cells[2] == "2025-01-01" for row in table.rows)


def _ods_with_rows(row_xml: str) -> bytes:
    """A minimal, valid ODS whose first table holds `row_xml`."""
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        f"<office:body><office:spreadsheet><table:table table:name='F'>{row_xml}</table:table>"
        "</office:spreadsheet></office:body></office:document-content>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet", zipfile.ZIP_STORED)
        archive.writestr("content.xml", content, zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def test_ods_repeats_are_expanded_as_written_and_trailing_padding_costs_nothing():
    cell = '<table:table-cell office:value-type="string"><text:p>{}</text:p></table:table-cell>'
    data = _ods_with_rows(
        "<table:table-row>" + cell.format("Code") + cell.format("Nom") + "</table:table-row>"
        '<table:table-row table:number-rows-repeated="3">'
        '<table:table-cell office:value-type="float" office:value="12.50" table:number-columns-repeated="2"/>'
        '<table:table-cell table:number-columns-repeated="16000"/></table:table-row>'
        '<table:table-row table:number-rows-repeated="1048000"><table:table-cell '
        'table:number-columns-repeated="1024"/></table:table-row>'
    )
    table = read_table(data, "x.ods")
    assert table.headers == ["Code", "Nom"]
    assert [row.cells for row in table.rows] == [["12.5", "12.5"]] * 3


def test_a_tiny_ods_repeating_a_row_200000_times_is_refused_in_bounded_memory(tmp_path):
    """The probe's 1,360-byte ODS: one row × 100 columns repeated 200,000 times. Read in a fresh process, the
    reader must refuse it at the row limit without expanding the sheet first (it took 2.7 GB and more)."""
    import subprocess
    import sys

    cells = '<table:table-cell office:value-type="string" table:number-columns-repeated="100"><text:p>x</text:p></table:table-cell>'
    data = _ods_with_rows(
        "<table:table-row>" + cells + "</table:table-row>"
        '<table:table-row table:number-rows-repeated="200000">' + cells + "</table:table-row>"
    )
    assert len(data) < 2000
    path = tmp_path / "bombe.ods"
    path.write_bytes(data)
    script = (
        "import sys\n"
        "from bascule.core.spreadsheets import iter_raw_rows\n"
        "kind, rows = iter_raw_rows(open(sys.argv[1], 'rb').read(), max_bytes=None)\n"
        "count = 0\n"
        "for cells, _ in rows:\n"
        "    count += 1\n"
        "    if count >= 110_000: break\n"  # read_table's raw limit at the default 100,000 rows
        "peak = [l for l in open('/proc/self/status') if l.startswith('VmHWM')][0].split()[1]\n"
        "print(count, peak)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script, str(path)], capture_output=True, text=True, timeout=120, check=True
    ).stdout.split()
    count, peak_kib = int(out[0]), int(out[1])
    assert count == 110_000
    assert peak_kib < 400 * 1024, f"{peak_kib / 1024:.0f} MiB"


def test_ods_text_spaces_line_breaks_dates_booleans_and_formulas():
    data = _ods_with_rows(
        "<table:table-row>"
        '<table:table-cell office:value-type="string"><text:p>A</text:p></table:table-cell>'
        '<table:table-cell office:value-type="string"><text:p>B</text:p></table:table-cell>'
        '<table:table-cell office:value-type="string"><text:p>C</text:p></table:table-cell>'
        '<table:table-cell office:value-type="string"><text:p>D</text:p></table:table-cell>'
        "</table:table-row><table:table-row>"
        '<table:table-cell office:value-type="string"><text:p>un<text:s text:c="2"/>deux</text:p>'
        "<text:p>trois</text:p></table:table-cell>"
        '<table:table-cell office:value-type="date" office:date-value="2025-09-01"/>'
        '<table:table-cell office:value-type="boolean" office:boolean-value="true"/>'
        '<table:table-cell table:formula="of:=1+1" office:value-type="float" office:value="2"/>'
        "</table:table-row>"
    )
    row = read_table(data, "x.ods").rows[0]
    assert row.cells == ["un  deux\ntrois", "2025-09-01", "oui", "2"]
    assert row.formulas == {3: "of:=1+1"}


@pytest.mark.parametrize("fmt", ["xlsx", "ods"])
def test_a_sheet_broken_after_its_first_rows_is_a_french_error(fmt):
    rows = [[f"C-{n}", "x", None] for n in range(50)]
    data = (write_xlsx if fmt == "xlsx" else write_ods)(HEADERS, rows)
    member = "xl/worksheets/sheet1.xml" if fmt == "xlsx" else "content.xml"
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == member:
                content = content[: len(content) // 2] + b"<<<broken"
            target.writestr(item, content)
    with pytest.raises(SpreadsheetError, match="endommagé après la ligne"):
        read_table(buffer.getvalue(), f"x.{fmt}")


def test_the_frame_writer_writes_what_the_row_writer_writes():
    """Issue 24: one rule for every CSV export — a takeover's anomalies (a Polars frame) are neutralised as any list."""
    import polars as pl

    from bascule.core.exports import write_csv_frame

    rows = [
        ['=HYPERLINK("http://x")', "+33 1 02", 1],
        ["-12.5", "@SUM(A1)", 2],
        ["-cmd|' /C calc'!A0", 'texte; avec « guillemets » "doubles"', 3],
        ["\tTAB", "ligne 1\nligne 2", -4],
        ["Rennes", "", 5],
    ]
    headers = ["Valeur", "Autre", "Nombre"]
    frame = pl.DataFrame(rows, schema=headers, orient="row")
    assert write_csv_frame(frame) == write_csv(headers, rows)
    table = read_table(write_csv_frame(frame), "a.csv")
    assert all(not row.formulas for row in table.rows)
    assert table.rows[0].cells[0].startswith("'=") and table.rows[1].cells[0] == "-12.5"
