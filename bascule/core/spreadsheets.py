"""Read the spreadsheets people already have (CSV, XLSX, ODS, XLS) into a plain table of strings.

Every failure is a `SpreadsheetError` whose message is French and says what to do; nothing here writes anything.
Hostile input is expected: the wrong encoding, a BOM, ragged rows, formulas, an empty or huge file, and zip bombs
disguised as XLSX/ODS (the archive is measured before any XML in it is parsed).
"""

from __future__ import annotations

import csv
import io
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any, Literal

from defusedxml import ElementTree as DefusedElementTree
from django.conf import settings

# An XLSX/ODS is a zip of XML: refuse archives that would inflate past this, or whose members inflate suspiciously.
MAX_UNCOMPRESSED_BYTES = 300 * 1024 * 1024
MAX_COMPRESSION_RATIO = 200
MAX_ZIP_MEMBERS = 5_000
MAX_COLUMNS = 200


class SpreadsheetError(Exception):
    """The file as a whole cannot be read; the message is meant for the user."""


class NoHeaderError(SpreadsheetError):
    """No row looks like the expected header."""


@dataclass
class Row:
    number: int  # as the spreadsheet shows it (1-based, counting title rows)
    cells: list[str]
    extra: list[str] = field(default_factory=list)  # non-empty values beyond the last named column
    formulas: dict[int, str] = field(default_factory=dict)  # column index -> formula text

    def get(self, index: int | None) -> str:
        if index is None or index >= len(self.cells):
            return ""
        return self.cells[index]


@dataclass
class Table:
    header_row: int
    headers: list[str]
    rows: list[Row]
    format: str
    preamble: list[str] = field(default_factory=list)  # non-empty title rows above the header, joined cells


def normalise_label(text: str) -> str:
    """Compare header names and choice labels without case, accents, punctuation or extra spaces."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = "".join(ch if ch.isalnum() else " " for ch in text.lower())
    return " ".join(text.split())


def _cell_to_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return format(Decimal(repr(value)), "f")
    return str(value).replace("\r\n", "\n").replace("\r", "\n").strip()


def _check_zip(data: bytes) -> zipfile.ZipFile:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise SpreadsheetError(
            "Le fichier est endommagé : ce n'est pas un classeur XLSX ou ODS valide."
        ) from exc
    if len(members) > MAX_ZIP_MEMBERS:
        raise SpreadsheetError(
            "Le classeur contient un nombre anormal d'éléments ; il a été refusé par sécurité."
        )
    total = sum(member.file_size for member in members)
    if total > MAX_UNCOMPRESSED_BYTES:
        raise SpreadsheetError(
            "Une fois décompressé, le classeur dépasserait "
            f"{MAX_UNCOMPRESSED_BYTES // (1024 * 1024)} Mo ; il a été refusé par sécurité."
        )
    for member in members:
        if member.compress_size and member.file_size / member.compress_size > MAX_COMPRESSION_RATIO:
            raise SpreadsheetError(
                "Le classeur est anormalement compressé (possible « bombe zip ») ; il a été refusé par sécurité."
            )
    return archive


def _zip_kind(archive: zipfile.ZipFile) -> str:
    names = set(archive.namelist())
    if "mimetype" in names:
        mimetype = archive.read("mimetype")[:100].decode("ascii", "replace")
        if "opendocument.spreadsheet" in mimetype:
            return "ods"
    if "[Content_Types].xml" in names and any(name.startswith("xl/") for name in names):
        return "xlsx"
    raise SpreadsheetError("Le fichier est une archive, mais ni un classeur XLSX ni un classeur ODS.")


def _size_unknown(sheet: Any) -> None:
    """Never trust a sheet's declared size: its <dimension> element is written by whatever made the file.

    openpyxl's read-only sheet stops at the declared last row and column, so a workbook declaring `A1:P6` above
    1,000 rows would silently lose 994 of them; and without <dimension> it parses the whole sheet once just to size
    it. Leaving the size unknown makes openpyxl stream every row the sheet holds, each as wide as its last cell;
    the row limits of `read_table` and `MAX_SHEET_ROWS` bound the reading.
    """


MAX_SHEET_ROWS = 1_048_576  # the most rows a sheet holds in Excel and LibreOffice: past it, a crafted file


def _bounded(rows: Iterator[tuple[list[str], dict[int, str]]]) -> Iterator[tuple[list[str], dict[int, str]]]:
    for number, row in enumerate(rows, start=1):
        if number > MAX_SHEET_ROWS:
            raise SpreadsheetError(
                "La feuille dépasse 1 048 576 lignes, le maximum d'un classeur : le fichier a été refusé."
            )
        yield row


def _iter_xlsx(data: bytes) -> Iterator[tuple[list[str], dict[int, str]]]:
    import openpyxl
    from openpyxl.worksheet._read_only import ReadOnlyWorksheet

    ReadOnlyWorksheet._get_size = _size_unknown

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception as exc:  # openpyxl raises many kinds of errors on broken files
        raise SpreadsheetError("Le classeur XLSX n'a pas pu être lu : il est endommagé ou protégé.") from exc
    number = 0
    try:
        sheet = workbook.worksheets[0]
        for raw in sheet.iter_rows():
            number += 1
            cells: list[str] = []
            formulas: dict[int, str] = {}
            for index, cell in enumerate(raw[:MAX_COLUMNS]):
                value = getattr(cell, "value", None)
                if getattr(cell, "data_type", None) == "f" or (
                    isinstance(value, str) and value.startswith("=")
                ):
                    formulas[index] = str(value)
                cells.append(_cell_to_text(value))
            yield cells, formulas
    except SpreadsheetError:
        raise
    except Exception as exc:  # a sheet broken after its first rows: openpyxl raises XML and value errors
        raise SpreadsheetError(
            f"Le classeur XLSX est endommagé après la ligne {number} : sa feuille n'a pas pu être lue jusqu'au bout "
            f"({type(exc).__name__}). Réenregistrez-le depuis votre tableur."
        ) from exc
    finally:
        workbook.close()


# OpenDocument names, in ElementTree's {namespace}tag form
_TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
_OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
_TEXT = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
_ODS_CELLS = (f"{_TABLE}table-cell", f"{_TABLE}covered-table-cell")


def _ods_text(element: Any) -> str:
    """The text of a cell's paragraphs as shown: <text:s c="3"/> is spaces, <text:tab/> a tab, one line per <text:p>."""
    parts: list[str] = []

    def walk(node: Any) -> None:
        if node.text:
            parts.append(node.text)
        for child in node:
            if child.tag == f"{_TEXT}s":
                parts.append(" " * min(int(child.get(f"{_TEXT}c", "1") or 1), 1000))
            elif child.tag == f"{_TEXT}tab":
                parts.append("\t")
            elif child.tag == f"{_TEXT}line-break":
                parts.append("\n")
            else:
                walk(child)
            if child.tail:
                parts.append(child.tail)

    lines = []
    for paragraph in element:
        if paragraph.tag in (f"{_TEXT}p", f"{_TEXT}h"):
            parts.clear()
            walk(paragraph)
            lines.append("".join(parts))
    return "\n".join(lines)


def _ods_value(cell: Any) -> str:
    kind = cell.get(f"{_OFFICE}value-type")
    if kind in ("float", "percentage", "currency") and cell.get(f"{_OFFICE}value") is not None:
        try:
            number = Decimal(cell.get(f"{_OFFICE}value"))
        except ArithmeticError:
            return _ods_text(cell).strip()
        return str(int(number)) if number == number.to_integral_value() else format(number.normalize(), "f")
    if kind == "date" and cell.get(f"{_OFFICE}date-value"):
        text = cell.get(f"{_OFFICE}date-value")
        day, _, moment = text.partition("T")
        return day if moment in ("", "00:00:00") else f"{day} {moment}"
    if kind == "boolean" and cell.get(f"{_OFFICE}boolean-value"):
        return "oui" if cell.get(f"{_OFFICE}boolean-value") == "true" else "non"
    if cell.get(f"{_OFFICE}string-value") is not None and not len(cell):
        return _cell_to_text(cell.get(f"{_OFFICE}string-value"))
    return _cell_to_text(_ods_text(cell))


def _repeat(element: Any, attribute: str) -> int:
    try:
        return max(1, int(element.get(attribute, "1")))
    except ValueError:
        return 1


def _ods_row(row: Any) -> tuple[list[str], dict[int, str]]:
    """One row's cells, with repeated cells expanded only up to MAX_COLUMNS and trailing empty cells dropped."""
    cells: list[str] = []
    formulas: dict[int, str] = {}
    for cell in row:
        if cell.tag not in _ODS_CELLS:
            continue
        repeat = _repeat(cell, f"{_TABLE}number-columns-repeated")
        value = _ods_value(cell)
        formula = cell.get(f"{_TABLE}formula")
        for _ in range(min(repeat, MAX_COLUMNS - len(cells))):
            if formula:
                formulas[len(cells)] = formula
            cells.append(value)
        if len(cells) >= MAX_COLUMNS:
            break
    while cells and not cells[-1] and len(cells) - 1 not in formulas:
        cells.pop()
    return cells, formulas


def _iter_ods(archive: zipfile.ZipFile) -> Iterator[tuple[list[str], dict[int, str]]]:
    """Stream the first table of an ODS: rows as they come, repeats expanded lazily and bounded, memory constant.

    LibreOffice writes « this row 1,048,000 times » in a few bytes: expanding it before reading (as a whole-sheet
    reader does) takes gigabytes. Here a repeated row is yielded one copy at a time (the caller's row limit stops
    it), empty rows are held back until a non-empty one follows (trailing padding costs nothing), and each element
    is dropped once read.
    """
    if "content.xml" not in archive.namelist():
        raise SpreadsheetError("Le classeur ODS n'a pas pu être lu : il est endommagé ou protégé.")
    number = 0
    depth = 0  # > 0 inside the first table
    done = False
    parents: list[Any] = []
    pending_empty = 0
    try:
        with archive.open("content.xml") as source:
            for event, element in DefusedElementTree.iterparse(source, events=("start", "end")):
                if event == "start":
                    parents.append(element)
                    if element.tag == f"{_TABLE}table" and not done:
                        depth += 1
                    continue
                parents.pop()
                if element.tag == f"{_TABLE}table" and depth:
                    depth -= 1
                    if not depth:
                        done = True
                        break
                if element.tag != f"{_TABLE}table-row" or not depth:
                    continue
                cells, formulas = _ods_row(element)
                repeat = _repeat(element, f"{_TABLE}number-rows-repeated")
                if parents:
                    parents[-1].remove(element)  # keep memory constant: the row is read
                if not cells and not formulas:
                    pending_empty += repeat
                    continue
                for _ in range(pending_empty):
                    number += 1
                    yield [], {}
                pending_empty = 0
                for _ in range(repeat):
                    number += 1
                    yield list(cells), dict(formulas)
    except SpreadsheetError:
        raise
    except Exception as exc:  # broken XML, entities refused by defusedxml
        raise SpreadsheetError(
            f"Le classeur ODS est endommagé après la ligne {number} : sa feuille n'a pas pu être lue jusqu'au bout "
            f"({type(exc).__name__}). Réenregistrez-le depuis votre tableur."
        ) from exc


def _iter_calamine(data: bytes, label: str) -> Iterator[tuple[list[str], dict[int, str]]]:
    from python_calamine import CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheet = workbook.get_sheet_by_index(0)
        rows = sheet.iter_rows()  # streamed: a sheet of millions of empty rows stops at the row limit
    except Exception as exc:  # calamine raises its own error types on broken files
        raise SpreadsheetError(
            f"Le classeur {label} n'a pas pu être lu : il est endommagé ou protégé."
        ) from exc
    for raw in rows:
        yield [_cell_to_text(value) for value in raw[:MAX_COLUMNS]], {}


def _decode_text(data: bytes) -> str:
    if b"\x00" in data[:4096]:
        raise SpreadsheetError(
            "Le fichier n'est pas un tableur reconnu : importez un fichier CSV, XLSX (Excel) ou ODS (LibreOffice)."
        )
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        # Spreadsheets saved as CSV by Excel on French Windows are in cp1252 (Windows-1252).
        return data.decode("cp1252", errors="replace")


def _iter_csv(data: bytes) -> Iterator[tuple[list[str], dict[int, str]]]:
    text = _decode_text(data)
    first_line = text.split("\n", 1)[0]
    delimiter = max([";", ",", "\t"], key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for raw in reader:
            cells = [_cell_to_text(value) for value in raw[:MAX_COLUMNS]]
            # A CSV cell starting with "=" would become a formula once opened in a spreadsheet program.
            formulas = {index: value for index, value in enumerate(cells) if value.startswith("=")}
            yield cells, formulas
    except csv.Error as exc:
        raise SpreadsheetError(f"Le fichier CSV est mal formé (ligne {reader.line_num}) : {exc}.") from exc


def iter_raw_rows(
    data: bytes, filename: str = "", *, max_bytes: int | Literal["setting"] | None = "setting"
) -> tuple[str, Iterable[tuple[list[str], dict[int, str]]]]:
    """The format and the rows of the first sheet, as text cells with the formulas found.

    `max_bytes` defaults to the import limit (`BASCULE_IMPORT_MAX_BYTES`); `None` reads any size (a takeover
    extract, read in a background task).
    """
    if not data or not data.strip():
        raise SpreadsheetError("Le fichier est vide.")
    if max_bytes == "setting":
        max_bytes = settings.BASCULE_IMPORT_MAX_BYTES
    if max_bytes is not None and len(data) > max_bytes:
        raise SpreadsheetError(
            f"Le fichier pèse {len(data) / 1024 / 1024:.1f} Mo, au-delà de la limite de "
            f"{max_bytes / 1024 / 1024:.0f} Mo : découpez-le en plusieurs fichiers."
        )
    if data.startswith(b"PK\x03\x04"):
        archive = _check_zip(data)
        kind = _zip_kind(archive)
        return kind, _bounded(_iter_xlsx(data) if kind == "xlsx" else _iter_ods(archive))
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        return "xls", _bounded(_iter_calamine(data, "XLS"))
    lowered = filename.lower()
    if lowered.endswith((".xlsx", ".ods", ".xls")):
        raise SpreadsheetError(f"Le fichier « {filename} » n'est pas un classeur valide : il est endommagé.")
    return "csv", _iter_csv(data)


def read_table(
    data: bytes,
    filename: str = "",
    *,
    is_header: Callable[[list[str]], bool] | None = None,
    max_rows: int | None = None,
) -> Table:
    """Read the first sheet; the header is the first row `is_header` accepts (default: first non-empty row).

    Title rows above the header are skipped; empty rows are dropped; rows keep their spreadsheet number.
    """
    limit = max_rows or settings.BASCULE_IMPORT_MAX_ROWS
    # Empty rows count too, with some slack: a sheet padded with millions of empty rows is refused while
    # streaming, after reading a bounded number of rows, not after inflating them all.
    raw_limit = limit + max(1000, limit // 10)
    fmt, raw_rows = iter_raw_rows(data, filename)
    header_row = 0
    headers: list[str] = []
    rows: list[Row] = []
    preamble: list[str] = []
    for number, (cells, formulas) in enumerate(raw_rows, start=1):
        if number > raw_limit:
            raise SpreadsheetError(
                f"Le fichier compte plus de {raw_limit:,} lignes (vides comprises)".replace(",", " ")
                + " : supprimez les lignes vides en fin de feuille ou découpez-le en plusieurs fichiers."
            )
        if not any(cells):
            continue
        if not headers:
            if is_header is None or is_header(cells):
                header_row, headers = number, [" ".join(cell.split()) for cell in cells]
                while headers and not headers[-1]:
                    headers.pop()
            elif number > 50:
                break
            else:
                preamble.append(" ".join(cell for cell in cells if cell))
            continue
        if len(rows) >= limit:
            raise SpreadsheetError(
                f"Le fichier compte plus de {limit:,} lignes de données".replace(",", " ")
                + " : découpez-le en plusieurs fichiers."
            )
        width = len(headers)
        extra = [cell for cell in cells[width:] if cell]
        padded = (cells + [""] * width)[:width]
        rows.append(Row(number=number, cells=padded, extra=extra, formulas=formulas))
    if not headers:
        raise NoHeaderError(
            "Aucune ligne d'en-tête reconnue : la première ligne remplie doit nommer les colonnes attendues."
        )
    if not rows:
        raise SpreadsheetError("Le fichier ne contient aucune ligne de données sous l'en-tête.")
    return Table(header_row=header_row, headers=headers, rows=rows, format=fmt, preamble=preamble)
