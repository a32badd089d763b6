"""Read a raw CSV extract without ever dropping a line: every record of the file is either read (all its cells kept
as text, with its line number) or rejected by the parser with its line number and a French reason — so that
`rows_in_file = rows_read + rows_rejected`, always.

Encodings: UTF-8 with or without BOM, else Windows-1252 (Excel's CSV on French Windows); neither is a clear error,
never a replacement character. The delimiter (`;` or `,`, or a tab) is the one the header uses. A record with more
or fewer cells than the header, a blank line, or a cell holding a formula is rejected, not padded, cut or kept
(Polars' `truncate_ragged_lines` and any lossy cast are exactly what this avoids). Values are converted later, by
expressions that reject what they cannot read (`values.py`).

This is the exact path, record by record with the csv module; a faster path for clean files will be measured
against it in `bench/`.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import polars as pl

from bascule.core.imports import Column
from bascule.reprise.columns import HeaderError, map_headers

LINE = "_ligne"
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


def read_csv(data: bytes, columns: Sequence[Column], saved: Mapping[str, str] | None = None) -> RawRead:
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
        elif formula := next((c for c in row if c.startswith("=")), None):
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
