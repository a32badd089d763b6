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
