"""Read a raw CSV extract without ever dropping a line: every record of the file is either read (all its cells kept
as text, with its line number) or rejected by the parser with its line number and a French reason — so that
`rows_in_file = rows_read + rows_rejected`, always.

Encodings: UTF-8 with or without BOM, else Windows-1252 (Excel's CSV on French Windows); neither is a clear error,
never a replacement character. The delimiter (`;` or `,`, or a tab) is the one the header uses. A record with more
or fewer cells than the header, a blank line, or a cell holding a formula is rejected, not padded, cut or kept
(Polars' `truncate_ragged_lines` and any lossy cast are exactly what this avoids). Values are converted later, by
expressions that reject what they cannot read (`values.py`).

Two paths, one result: `read_csv` reads a file without any quote character with Polars (one text column per
physical line, then every line checked — blank, ragged, formula, endless cell — and split on the delimiter: about
twenty times faster), and any file holding a quote with the csv module, record by record (`read_csv_exact`; a quoted
cell may hold the delimiter or a line break, which only a real CSV parser reads right). A test feeds both paths the
same files and compares what they read and reject. Workbooks (XLSX, ODS) and Parquet are read by `read_file`.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl

from bascule.core.imports import Column
from bascule.reprise.columns import HeaderError, map_headers

LINE = "_ligne"
# A factory of typed columns for the one-pass path: given the first record's cells (by key), for some keys an
# expression of the raw cell giving a typed value (null when it cannot tell). The read then carries `_<key>` typed,
# and `<key>` as text only where the typed value is null (so that the caller can read it again, or explain why).
Typed = Callable[[Mapping[str, str]], Mapping[str, Callable[[pl.Expr], pl.Expr]]]
MAX_CELL = (
    10_000  # a longer cell is a broken quote swallowing lines, not a value (csv's own limit is global: kept)
)
DELIMITERS = (";", ",", "\t")


@dataclass
class Rejection:
    line: int
    reason: str


@dataclass
class RawRead:
    frame: pl.DataFrame  # one column per expected key (text, never converted here) + LINE
    rows_in_file: int  # records under the header, blank ones included
    rejected: list[Rejection] = field(default_factory=list)
    encoding: str = "utf-8"
    delimiter: str = ";"
    ignored_headers: list[str] = field(default_factory=list)

    @property
    def rows_read(self) -> int:
        return self.frame.height


def decode(data: bytes) -> tuple[str, str]:
    """The text and its encoding: UTF-8 (BOM or not), else Windows-1252; otherwise a French error."""
    if not data.strip():
        raise HeaderError("Le fichier est vide.")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "windows-1252"
    except UnicodeDecodeError as exc:
        raise HeaderError(
            f"Encodage illisible : ni UTF-8 ni Windows-1252 (octet 0x{data[exc.start]:02x} à la position "
            f"{exc.start}). Réenregistrez le fichier en CSV UTF-8."
        ) from None


def read_csv(
    data: bytes,
    columns: Sequence[Column],
    saved: Mapping[str, str] | None = None,
    keep: Collection[str] | None = None,
    typed: Typed | None = None,
) -> RawRead:
    """The file read line by line (the fast path when no cell is quoted, else the exact one). `keep` names the
    columns the caller needs (all by default) and `typed` converts some as they are read: the one-pass path does
    not even build the others' text."""
    if b"\x00" in data:
        raise HeaderError(
            "Ce fichier n'est pas un texte CSV (octets nuls) : exportez-le en CSV, XLSX, ODS ou Parquet."
        )
    if b'"' in data:
        return read_csv_exact(data, columns, saved)
    plain = read_plain(data, columns, saved, keep, typed)
    if plain is not None:
        return plain
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    encoding = "utf-8"
    try:
        lines = _physical_lines(data)
    except pl.exceptions.ComputeError:  # not UTF-8: decoded (Windows-1252 or a clear error), then read alike
        decoded, encoding = decode(data)
        data = decoded.encode("utf-8")
        lines = _physical_lines(data)
    header_line: str = (lines[0, 0] or "") if lines.height else ""
    if not header_line.strip():
        empty = lines.select(pl.col("l").str.strip_chars().fill_null("").eq("").all()).item()
        raise HeaderError("Le fichier est vide." if empty else "La première ligne (l'en-tête) est vide.")
    delimiter = max(DELIMITERS, key=header_line.count)
    headers = [" ".join(cell.split()) for cell in header_line.split(delimiter)]
    mapping = map_headers(headers, columns, saved)
    width = len(headers)
    body = lines.slice(1).with_row_index(LINE, offset=2).with_columns(pl.col(LINE).cast(pl.Int64))
    line = pl.col("l")
    fields = line.str.count_matches(delimiter, literal=True) + 1
    # cheap whole-line tests first; reasons are written only for the few lines they flag
    suspect = (
        line.is_null()
        | (fields != width)
        | (line.str.len_bytes() > MAX_CELL)
        | line.str.contains(f"(?:^|{re.escape(delimiter)})\\s*=")
    )
    flagged = body.filter(suspect)
    rejected: list[Rejection] = []
    for number, value in flagged.iter_rows():
        cells = [] if value is None else value.split(delimiter)
        if not any(cell.strip() for cell in cells):
            rejected.append(Rejection(number, "ligne vide"))
        elif any(len(cell) > MAX_CELL for cell in cells):
            rejected.append(
                Rejection(number, f"cellule de plus de {MAX_CELL} caractères (guillemet non refermé ?)")
            )
        elif len(cells) != width:
            rejected.append(
                Rejection(number, f"{len(cells)} champs au lieu de {width} (séparateur « {delimiter} »)")
            )
        else:
            formula = next(cell.strip() for cell in cells if cell.strip().startswith("="))
            rejected.append(Rejection(number, f"formule au lieu d'une valeur : « {formula[:40]} »"))
    table: pl.DataFrame | None = None
    if not rejected:  # a clean file: Polars' own reader splits it (same cells, faster)
        try:
            table = pl.read_csv(
                data, separator=delimiter, quote_char=None, infer_schema=False, has_header=False, skip_rows=1
            ).select(
                *(
                    pl.nth(position).str.strip_chars().alias(key)
                    for key, position in mapping.positions.items()
                ),
                pl.int_range(2, body.height + 2, dtype=pl.Int64).alias(LINE),
            )
        except pl.exceptions.PolarsError:
            table = None
        if table is not None and table.height != body.height:  # never expected: the split below decides then
            table = None
    if table is None:
        good = body.filter(~suspect) if rejected else body
        split = line.str.split_exact(delimiter, width - 1).struct
        table = good.select(
            *(
                split.field(f"field_{position}").str.strip_chars().alias(key)
                for key, position in mapping.positions.items()
            ),
            LINE,
        )
    frame = table
    return RawRead(frame, body.height, rejected, encoding, delimiter, mapping.ignored)


def read_plain(
    data: bytes | Path,
    columns: Sequence[Column],
    saved: Mapping[str, str] | None = None,
    keep: Collection[str] | None = None,
    typed: Typed | None = None,
) -> RawRead | None:
    """A clean UTF-8 file without quotes in one Polars read, or None when any line might need a reason. `data` is
    the file's bytes or its path (then Polars maps the file itself and the checks below read it by 16 MB slices:
    ten million lines are never held twice).

    Clean means, proved before trusting Polars: as many records as Polars returns rows (newlines counted in the
    bytes), exactly (columns − 1) delimiters per record (counted in the bytes: a short or blank line lacks some,
    and Polars refuses a line with too many), no quote, no formula and no overlong cell. Anything else (or invalid
    UTF-8) returns None and `read_csv` reads line by line, naming each rejected line: the same result, slower.
    """
    head = data[: 1 << 20] if isinstance(data, bytes) else _head(data, 1 << 20)
    start = 3 if head.startswith(b"\xef\xbb\xbf") else 0
    end = head.find(b"\n", start)
    if end < 0:
        return None
    try:
        header_line = head[start:end].decode("utf-8").rstrip("\r")
    except UnicodeDecodeError:
        return None
    if not header_line.strip():
        return None
    delimiter = max(DELIMITERS, key=header_line.count)
    headers = [" ".join(cell.split()) for cell in header_line.split(delimiter)]
    mapping = map_headers(headers, columns, saved)
    width = len(headers)
    body = end + 1
    first_end = head.find(b"\n", body)
    if (
        first_end < 0 and len(head) == 1 << 20
    ):  # a first record longer than the head: the careful path decides
        return None
    facts = _facts(data, body, ord(delimiter))
    if facts.size <= body or facts.quote or facts.nul:
        return None
    records = facts.newlines + (0 if facts.last == ord("\n") else 1)
    if facts.delimiters != records * (width - 1):
        return None
    cells = [pl.col(f"_c{i}") for i in range(width)]
    kept = {key: position for key, position in mapping.positions.items() if keep is None or key in keep}
    try:
        record = head[body : first_end if first_end >= 0 else len(head)].decode("utf-8").rstrip("\r")
    except UnicodeDecodeError:
        return None
    first = record.split(delimiter)
    conversions = typed({k: first[p].strip() for k, p in kept.items() if p < len(first)}) if typed else {}
    outputs: list[pl.Expr] = []
    for key, position in kept.items():
        if key in conversions:
            value = conversions[key](cells[position])
            # the text only where the quick conversion failed, stripped there alone (a strip of every cell of a
            # ten-million-line column costs a tenth of a second, for values already converted)
            fallback = pl.when(value.is_null()).then(cells[position]).str.strip_chars()
            outputs += [value.alias(f"_{key}"), fallback.alias(key)]
        else:
            outputs.append(cells[position].str.strip_chars().alias(key))
    suspect = [cell.str.len_bytes() > MAX_CELL for cell in cells]
    if facts.equals:  # a formula needs an equals sign: most files have none, and skip this test
        suspect.extend(cell.str.strip_chars_start().str.starts_with("=") for cell in cells)
    try:  # one pass: the kept cells stripped, and a flag for any line that would need a reason
        frame = (
            pl.scan_csv(
                data if isinstance(data, bytes) else str(data),
                glob=False,  # a file name with brackets or a star is a name, not a pattern
                separator=delimiter,
                quote_char=None,
                infer_schema=False,
                has_header=False,
                skip_rows=1,
                empty_string_is_null=False,
                new_columns=[f"_c{i}" for i in range(width)],
            )
            .select(*outputs, pl.any_horizontal(suspect).alias("_suspect"))
            .collect()
        )
    except pl.exceptions.PolarsError:
        return None
    if frame.height != records or frame["_suspect"].any():
        return None
    frame = frame.drop("_suspect").with_columns(pl.int_range(2, records + 2, dtype=pl.Int64).alias(LINE))
    return RawRead(frame, records, [], "utf-8", delimiter, mapping.ignored)


@dataclass
class _Facts:
    size: int
    newlines: int  # from the start of the body
    delimiters: int
    last: int  # the file's last byte
    quote: bool
    nul: bool
    equals: bool


def _facts(data: bytes | Path, start: int, delimiter: int) -> _Facts:
    """Newlines and delimiters counted from `start` (numpy over 16 MB slices: twice as fast as `bytes.count`),
    whether a quote, a NUL byte or an equals sign appears, and the last byte — in one pass over the bytes or the
    file, whose slices are read into one reused buffer."""
    facts = _Facts(0, 0, 0, -1, False, False, False)

    def take(chunk: bytes | bytearray, begin: int, end: int) -> None:
        array = np.frombuffer(chunk, dtype=np.uint8, count=end - begin, offset=begin)
        facts.newlines += int(np.count_nonzero(array == 10))
        facts.delimiters += int(np.count_nonzero(array == delimiter))
        facts.quote = facts.quote or chunk.find(b'"', begin, end) >= 0
        facts.nul = facts.nul or chunk.find(b"\x00", begin, end) >= 0
        facts.equals = facts.equals or chunk.find(b"=", begin, end) >= 0
        if end > begin:
            facts.last = chunk[end - 1]

    step = 1 << 24
    if isinstance(data, bytes):
        facts.size = len(data)
        for begin in range(start, len(data), step):
            take(data, begin, min(begin + step, len(data)))
        return facts
    buffer = bytearray(step)
    with data.open("rb") as handle:
        handle.seek(start)
        facts.size = start
        while count := handle.readinto(buffer):
            facts.size += count
            take(buffer, 0, count)
    return facts


def _head(path: Path, size: int) -> bytes:
    with path.open("rb") as handle:
        return handle.read(size)


def read_path(
    path: Path,
    columns: Sequence[Column],
    saved: Mapping[str, str] | None = None,
    keep: Collection[str] | None = None,
    typed: Typed | None = None,
) -> RawRead:
    """`read_file` of a file on disk: a clean CSV is read by Polars from the file itself (no copy of its bytes in
    memory); anything else is read into memory and goes through `read_file`, with the same result."""
    head = _head(path, 4)
    if not head.startswith((b"PAR1", b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        plain = read_plain(path, columns, saved, keep, typed)
        if plain is not None:
            return plain
    return read_file(path.read_bytes(), path.name, columns, saved, keep, typed)


def _physical_lines(data: bytes) -> pl.DataFrame:
    """One text cell per physical line (a blank line is a null), read by Polars; raises on invalid UTF-8."""
    return pl.read_csv(
        data,
        has_header=False,
        separator="\x00",
        quote_char=None,
        new_columns=["l"],
        infer_schema=False,
    )


def read_csv_exact(data: bytes, columns: Sequence[Column], saved: Mapping[str, str] | None = None) -> RawRead:
    """The file read record by record with the csv module (quoted cells, line breaks in cells)."""
    text, encoding = decode(data)
    header_line = text.split("\n", 1)[0]
    delimiter = max(DELIMITERS, key=header_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        headers = [" ".join(cell.split()) for cell in next(reader)]
    except (StopIteration, csv.Error) as exc:
        raise HeaderError(f"En-tête illisible : {exc}.") from None
    mapping = map_headers(headers, columns, saved)
    keys = list(mapping.positions)
    cells: dict[str, list[str]] = {key: [] for key in keys}
    lines: list[int] = []
    rejected: list[Rejection] = []
    width = len(headers)
    records = 0
    while True:
        line = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            # a broken quote or an endless cell: each physical line it covers is rejected, and reading goes on
            last = max(reader.line_num, line)
            rejected.extend(
                Rejection(n, f"enregistrement illisible (lignes {line} à {last}) : {exc}")
                for n in range(line, last + 1)
            )
            records += last - line + 1
            if reader.line_num < line:  # nothing consumed: stop rather than loop
                break
            continue
        records += 1
        if not row or not any(cell.strip() for cell in row):
            rejected.append(Rejection(line, "ligne vide"))
        elif any(len(cell) > MAX_CELL for cell in row):
            rejected.append(
                Rejection(line, f"cellule de plus de {MAX_CELL} caractères (guillemet non refermé ?)")
            )
        elif len(row) != width:
            rejected.append(
                Rejection(line, f"{len(row)} champs au lieu de {width} (séparateur « {delimiter} »)")
            )
        elif formula := next((c.strip() for c in row if c.strip().startswith("=")), None):
            rejected.append(Rejection(line, f"formule au lieu d'une valeur : « {formula[:40]} »"))
        else:
            for key in keys:
                cells[key].append(row[mapping.positions[key]].strip())
            lines.append(line)
    frame = pl.DataFrame(
        {**{key: pl.Series(key, values, dtype=pl.String) for key, values in cells.items()}, LINE: lines},
        schema={**dict.fromkeys(keys, pl.String), LINE: pl.Int64},
    )
    return RawRead(frame, records, rejected, encoding, delimiter, mapping.ignored)


def read_workbook(data: bytes, columns: Sequence[Column], saved: Mapping[str, str] | None = None) -> RawRead:
    """The first sheet of an XLSX or ODS workbook: the first non-empty row is the header; under it, every row up to
    the last non-empty one is read or rejected (empty row, formula, value outside the header's columns)."""
    from bascule.core.spreadsheets import SpreadsheetError, iter_raw_rows

    try:
        kind, rows = iter_raw_rows(data, max_bytes=None)
        if kind == "csv":
            raise HeaderError("Ce fichier n'est pas un classeur XLSX ou ODS.")
        iterator = iter(enumerate(rows, start=1))
        for _header_row, (cells, _formulas) in iterator:
            if any(cell.strip() for cell in cells):
                break
        else:
            raise HeaderError("Le classeur est vide.")
        headers = [" ".join(cell.split()) for cell in cells]
        while headers and not headers[-1]:
            headers.pop()
        mapping = map_headers(headers, columns, saved)
        width = len(headers)
        keys = list(mapping.positions)
        values: dict[str, list[str]] = {key: [] for key in keys}
        lines: list[int] = []
        rejected: list[Rejection] = []
        blank: list[int] = []  # empty rows count only when a non-empty row follows them
        for number, (cells, formulas) in iterator:
            if not any(cell.strip() for cell in cells):
                blank.append(number)
                continue
            rejected.extend(Rejection(n, "ligne vide") for n in blank)
            blank.clear()
            if formulas:
                first = min(formulas)
                rejected.append(
                    Rejection(
                        number,
                        f"formule au lieu d'une valeur en colonne {first + 1} : « {formulas[first][:40]} »",
                    )
                )
            elif any(cell.strip() for cell in cells[width:]):
                rejected.append(Rejection(number, f"valeur hors des {width} colonnes de l'en-tête"))
            else:
                padded = cells + [""] * (width - len(cells))
                for key in keys:
                    values[key].append(padded[mapping.positions[key]].strip())
                lines.append(number)
    except SpreadsheetError as exc:
        raise HeaderError(str(exc)) from None
    frame = pl.DataFrame(
        {**{key: pl.Series(key, column, dtype=pl.String) for key, column in values.items()}, LINE: lines},
        schema={**dict.fromkeys(keys, pl.String), LINE: pl.Int64},
    )
    return RawRead(frame, len(lines) + len(rejected), rejected, kind, "", mapping.ignored)


def read_parquet(data: bytes, columns: Sequence[Column], saved: Mapping[str, str] | None = None) -> RawRead:
    """A Parquet file: its column names are the headers; every value is read as text (decimals keep their
    digits; a float column is refused, since a float cannot hold an amount to the cent)."""
    try:
        source = pl.read_parquet(data)
    except Exception as exc:  # Polars raises its own error types on broken files
        raise HeaderError(f"Le fichier Parquet n'a pas pu être lu : {exc}") from None
    mapping = map_headers(source.columns, columns, saved)
    floats = [
        name
        for name in (source.columns[i] for i in mapping.positions.values())
        if source.schema[name] in (pl.Float32, pl.Float64)
    ]
    if floats:
        raise HeaderError(
            "Colonne(s) en nombres à virgule flottante, qui ne gardent pas un montant exact au centime : "
            + ", ".join(f"« {name} »" for name in floats)
            + ". Exportez-les en décimal ou en texte."
        )
    frame = source.select(
        *(
            pl.col(source.columns[position]).cast(pl.String).fill_null("").str.strip_chars().alias(key)
            for key, position in mapping.positions.items()
        ),
        pl.int_range(2, source.height + 2, dtype=pl.Int64).alias(LINE),
    )
    return RawRead(frame, source.height, [], "parquet", "", mapping.ignored)


def read_file(
    data: bytes,
    filename: str,
    columns: Sequence[Column],
    saved: Mapping[str, str] | None = None,
    keep: Collection[str] | None = None,
    typed: Typed | None = None,
) -> RawRead:
    """Any accepted extract, by its content (a workbook or Parquet by its signature), else CSV. `keep` may leave out
    columns the caller does not need and `typed` convert some as they are read (only the CSV reader's one-pass
    path uses them: callers check for `_<key>` columns)."""
    if not data:
        raise HeaderError("Le fichier est vide.")
    if data.startswith(b"PAR1"):
        return read_parquet(data, columns, saved)
    if data.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        return read_workbook(data, columns, saved)
    return read_csv(data, columns, saved, keep, typed)
