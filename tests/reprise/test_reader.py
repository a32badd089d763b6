"""The raw reader never drops a line: every record is read as it is or rejected with its line number and a French
reason, whatever the encoding, the delimiter, ragged or blank lines, formulas or broken quotes."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bascule.reprise.columns import THIRD_PARTY_COLUMNS, HeaderError
from bascule.reprise.reader import LINE, RawRead, read_csv, read_csv_exact, read_file

HEADER = "Code tiers;SIRET;Raison sociale;Adresse;Code postal;Commune;Pays;IBAN;BIC;Titulaire du compte"


def _line(code: str, name: str = "Société", city: str = "Rennes") -> str:
    return f"{code};73282932000074;{name};1 rue de la Paix;35000;{city};France;FR1420041010050500013M02606;BNPAFRPP;{name}"


def test_every_line_is_read_or_rejected_with_its_reason():
    text = "\n".join(
        [
            HEADER,
            _line("T1"),
            "T2;123;trop court",
            _line("T3") + ";en trop",
            "",
            _line("=SOMME(A1:A2)"),
            _line("T6", city="Saint-Malo"),
        ]
    )
    read = read_csv(("\ufeff" + text + "\n").encode("utf-8"), THIRD_PARTY_COLUMNS)
    assert (read.rows_in_file, read.rows_read, len(read.rejected)) == (6, 2, 4)
    assert read.frame[LINE].to_list() == [2, 7] and read.frame["commune"].to_list() == [
        "Rennes",
        "Saint-Malo",
    ]
    assert [(r.line, r.reason) for r in read.rejected] == [
        (3, "3 champs au lieu de 10 (séparateur « ; »)"),
        (4, "11 champs au lieu de 10 (séparateur « ; »)"),
        (5, "ligne vide"),
        (6, "formule au lieu d'une valeur : « =SOMME(A1:A2) »"),
    ]


def test_windows_1252_commas_and_quoted_cells():
    text = (
        HEADER.replace(";", ",")
        + "\r\n"
        + '"T1",,"Dupont, Durand et Cie","2 rue\r\ndu Port",29200,Brest,France,,,\r\n'
    )
    text += "T2,,Crêperie,,,Quimper,France,,,\r\n"
    read = read_csv(text.encode("cp1252"), THIRD_PARTY_COLUMNS)
    assert (read.encoding, read.delimiter, read.rows_in_file, read.rows_read) == ("windows-1252", ",", 2, 2)
    assert read.frame["raison"].to_list() == ["Dupont, Durand et Cie", "Crêperie"]
    assert read.frame["adresse"][0] == "2 rue\r\ndu Port" and read.frame[LINE].to_list() == [2, 4]


def test_unreadable_files_say_why():
    with pytest.raises(HeaderError, match="vide"):
        read_csv(b"  \n", THIRD_PARTY_COLUMNS)
    with pytest.raises(HeaderError, match="Encodage illisible"):
        read_csv((HEADER + "\nT1;\x81\n").encode("latin-1"), THIRD_PARTY_COLUMNS)
    with pytest.raises(HeaderError, match="« Raison sociale »"):
        read_csv(b"Code tiers;IBAN\nT1;FR76\n", THIRD_PARTY_COLUMNS)


def test_a_broken_quote_rejects_its_lines_and_reading_goes_on():
    text = "\n".join([HEADER, _line("T1"), 'T2;"73282932000074"x;Nom;;;;;;;', _line("T3")]) + "\n"
    read = read_csv(text.encode(), THIRD_PARTY_COLUMNS)
    assert read.rows_in_file == read.rows_read + len(read.rejected)
    assert read.frame["tiers"].to_list() == ["T1", "T3"]
    assert [r.line for r in read.rejected] == [3] and "illisible" in read.rejected[0].reason
    swallowed = (
        HEADER
        + "\n"
        + _line("T1").replace("Société", '"Société', 1)
        + "\n"
        + "\n".join(["x" * 100] * 150)
        + '"\n'
    )
    read = read_csv((swallowed + _line("T9") + "\n").encode(), THIRD_PARTY_COLUMNS)
    assert [(r.line, r.reason[:26]) for r in read.rejected] == [(2, "cellule de plus de 10000 c")]
    assert read.frame["tiers"].to_list() == ["T9"] and read.frame[LINE].to_list() == [153]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.tuples(st.just("ok"), st.text("abcdéèô ,'-", max_size=12)),
            st.tuples(st.just("short"), st.integers(1, 9)),
            st.tuples(st.just("long"), st.integers(11, 14)),
            st.tuples(st.just("blank"), st.just("")),
        ),
        max_size=40,
    ),
    st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]),
)
def test_nothing_is_lost_whatever_the_mix(records, encoding):
    lines, kept = [HEADER], []
    for kind, value in records:
        if kind == "ok":
            name = value.strip() or "x"
            lines.append(_line(f"T{len(lines)}", name=f'"{name}"' if "," in name else name))
            kept.append((len(lines), name))
        elif kind in ("short", "long"):
            lines.append(";".join(["v"] * value))
        else:
            lines.append("")
    data = ("\n".join(lines) + "\n").encode(encoding)
    read = read_csv(data, THIRD_PARTY_COLUMNS)
    _same(read, read_csv_exact(data, THIRD_PARTY_COLUMNS))
    assert read.rows_in_file == len(records) == read.rows_read + len(read.rejected)
    assert list(zip(read.frame[LINE].to_list(), read.frame["raison"].to_list(), strict=True)) == kept
    assert sorted(r.line for r in read.rejected) == sorted(
        set(range(2, len(lines) + 1)) - {n for n, _ in kept}
    )


def _same(fast: RawRead, exact: RawRead) -> None:
    assert fast.frame.equals(exact.frame)
    assert (fast.rows_in_file, fast.encoding, fast.delimiter) == (
        exact.rows_in_file,
        exact.encoding,
        exact.delimiter,
    )
    assert [(r.line, r.reason) for r in fast.rejected] == [(r.line, r.reason) for r in exact.rejected]


def test_the_fast_path_reads_and_rejects_as_the_exact_one():
    text = "\r\n".join(
        [
            HEADER,
            _line("T1"),
            "T2;123",
            "",
            "   ",
            _line("T5", name=" =1+1"),
            _line("T6", city="x" * 10_001),
            _line("T7"),
        ]
    )
    for data in (text.encode(), ("\ufeff" + text).encode(), text.encode("cp1252")):
        fast = read_csv(data, THIRD_PARTY_COLUMNS)
        _same(fast, read_csv_exact(data, THIRD_PARTY_COLUMNS))
        assert fast.frame["tiers"].to_list() == ["T1", "T7"] and fast.rows_in_file == 7
    clean = "\n".join([HEADER, _line("T1"), _line("T2", city="Brest")]).encode("cp1252")
    _same(read_csv(clean, THIRD_PARTY_COLUMNS), read_csv_exact(clean, THIRD_PARTY_COLUMNS))
    with pytest.raises(HeaderError, match="octets nuls"):
        read_csv(HEADER.encode() + b"\nT1\x00;", THIRD_PARTY_COLUMNS)


def test_workbooks_and_parquet_are_read_like_csv(tmp_path):
    import io

    import openpyxl
    import polars as pl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADER.split(";"))
    sheet.append(_line("T1").split(";"))
    sheet.append([])
    sheet.append(["T3", "=A2", "Nom"])
    sheet.append([*_line("T4").split(";"), "en trop"])
    sheet.append(_line("T5").split(";"))
    for _ in range(3):
        sheet.append([])
    buffer = io.BytesIO()
    book.save(buffer)
    read = read_file(buffer.getvalue(), "tiers.xlsx", THIRD_PARTY_COLUMNS)
    assert read.frame["tiers"].to_list() == ["T1", "T5"] and read.frame[LINE].to_list() == [2, 6]
    assert [(r.line, r.reason[:20]) for r in read.rejected] == [
        (3, "ligne vide"),
        (4, "formule au lieu d'un"),
        (5, "valeur hors des 10 c"),
    ]
    assert read.rows_in_file == 5
    parquet = io.BytesIO()
    frame = pl.DataFrame({"Code tiers": ["T1", None], "Raison sociale": ["A", "B"], "Montant": [1.5, 2.0]})
    frame.write_parquet(parquet)
    read = read_file(parquet.getvalue(), "tiers.parquet", THIRD_PARTY_COLUMNS)
    assert read.frame.select("tiers", "raison", LINE).rows() == [("T1", "A", 2), ("", "B", 3)]
    with pytest.raises(HeaderError, match="virgule flottante"):
        frame.rename({"Montant": "IBAN"}).write_parquet(parquet := io.BytesIO())
        read_file(parquet.getvalue(), "tiers.parquet", THIRD_PARTY_COLUMNS)


def test_a_file_on_disk_is_read_as_its_bytes_are(tmp_path):
    from bascule.reprise.reader import read_path

    clean = "\n".join([HEADER, _line("T1"), _line("T2", city="Brest")]) + "\n"
    ragged = "\n".join([HEADER, _line("T1"), "T2;123", "", _line("T4")])  # no final newline
    quoted = HEADER + '\n"T1";;"Dupont; Durand";;;;;;;\n'
    for number, text in enumerate((clean, ragged, quoted)):
        path = tmp_path / f"tiers{number}.csv"
        path.write_bytes(text.encode("utf-8"))
        _same(read_path(path, THIRD_PARTY_COLUMNS), read_csv(text.encode("utf-8"), THIRD_PARTY_COLUMNS))
    assert read_path(tmp_path / "tiers1.csv", THIRD_PARTY_COLUMNS).rows_in_file == 4


@settings(max_examples=30, deadline=None)
@given(
    kinds=st.lists(st.sampled_from(["good", "blank", "wide"]), min_size=1, max_size=60),
    declared=st.integers(min_value=1, max_value=8),
    fmt=st.sampled_from(["xlsx", "ods"]),
)
def test_workbooks_account_for_every_row_whatever_size_they_declare(kinds, declared, fmt):
    """Issue 24: rows in file = rows read + rows rejected, for crafted workbooks too (a declared <dimension> far
    smaller than the sheet, blank rows inside, values past the header; formulas: the test above) — nothing dropped silently."""
    from bascule.core.exports import write_ods, write_xlsx
    from tests.workbooks import with_dimension as _with_dimension

    headers = HEADER.split(";")
    rows: list[list[str]] = []
    for number, kind in enumerate(kinds):
        cells = _line(f"T{number}").split(";")
        if kind == "blank":
            cells = [""] * len(headers)
        elif kind == "wide":
            cells.append("en trop")
        rows.append(cells)
    while rows and not any(rows[-1]):
        rows.pop()  # a workbook's trailing empty rows are not rows of the file
    if not rows:
        return
    data = write_xlsx(headers, rows) if fmt == "xlsx" else write_ods(headers, rows)
    if fmt == "xlsx":
        data = _with_dimension(data, f"A1:C{declared}")
    read = read_file(data, f"tiers.{fmt}", THIRD_PARTY_COLUMNS)
    expected_good = [f"T{n}" for n, kind in enumerate(kinds[: len(rows)]) if kind == "good"]
    assert read.rows_in_file == len(rows)
    assert read.rows_in_file == read.rows_read + len(read.rejected)
    assert read.frame["tiers"].to_list() == expected_good
