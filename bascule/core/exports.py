"""Write any list as CSV, XLSX or ODS, with the same columns an import reads back.

Values that a spreadsheet program would run as formulas are written as text (no "CSV injection").
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from django.http import HttpRequest, HttpResponse
from django.utils import timezone

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
}
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# A cell starting with one of _FORMULA_STARTS is left as is only when it is a plain number (« -12,5 » is not a
# formula); one expression, so the row writer and the frame writer decide alike.
_NUMBER = r"^\s*[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\s*$"


def _plain(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return timezone.localtime(value).replace(tzinfo=None) if timezone.is_aware(value) else value
    return value


def write_csv(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """UTF-8 with a BOM and semicolons: what French Excel opens correctly by a double click."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(headers)
    for row in rows:
        cells = []
        for value in row:
            value = _plain(value)
            text = value.isoformat() if isinstance(value, date) else str(value)
            if text.startswith(_FORMULA_STARTS) and not _is_number(text):
                text = "'" + text
            cells.append(text)
        writer.writerow(cells)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _is_number(text: str) -> bool:
    return re.match(_NUMBER, text) is not None


def write_csv_frame(frame: Any) -> bytes:
    """A Polars frame (millions of rows: a takeover's anomalies) as `write_csv` writes a table: the same BOM,
    separator, line ends and the same neutralised formulas, computed on whole columns."""
    import polars as pl

    starts = "|".join(re.escape(start) for start in _FORMULA_STARTS)
    text_columns = [name for name, dtype in frame.schema.items() if dtype == pl.String]
    safe = frame.with_columns(
        pl.when(pl.col(name).str.contains(f"^(?:{starts})") & ~pl.col(name).str.contains(_NUMBER))
        .then(pl.lit("'") + pl.col(name))
        .when(pl.col(name) == "")
        .then(None)  # Polars writes an empty text as "" to tell it from a null; the row writer writes nothing
        .otherwise(pl.col(name))
        .alias(name)
        for name in text_columns
    )
    buffer = io.BytesIO()
    safe.write_csv(buffer, separator=";", line_terminator="\r\n")
    return b"\xef\xbb\xbf" + buffer.getvalue()


def write_xlsx(headers: Sequence[str], rows: Iterable[Sequence[Any]], *, title: str = "Export") -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    bold = Font(bold=True)
    header_cells = []
    for header in headers:
        cell = WriteOnlyCell(sheet, value=header)
        cell.font = bold
        header_cells.append(cell)
    sheet.append(header_cells)
    for row in rows:
        out = []
        for value in row:
            value = _plain(value)
            if isinstance(value, Decimal):
                value = float(value)
            cell = WriteOnlyCell(sheet, value=value)
            if isinstance(value, str) and value.startswith("="):
                cell.data_type = "s"  # text, never a formula
            elif isinstance(value, date) and not isinstance(value, datetime):
                cell.number_format = "DD/MM/YYYY"
            out.append(cell)
        sheet.append(out)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _ods_cell(value: Any) -> str:
    value = _plain(value)
    if isinstance(value, bool):
        value = "oui" if value else "non"
    if isinstance(value, int | float | Decimal):
        return f'<table:table-cell office:value-type="float" office:value="{value}"><text:p>{value}</text:p></table:table-cell>'
    if isinstance(value, datetime):
        stamp = value.isoformat(timespec="seconds")
        return (
            f'<table:table-cell office:value-type="date" office:date-value="{stamp}">'
            f"<text:p>{escape(stamp)}</text:p></table:table-cell>"
        )
    if isinstance(value, date):
        return (
            f'<table:table-cell office:value-type="date" office:date-value="{value.isoformat()}">'
            f"<text:p>{value.isoformat()}</text:p></table:table-cell>"
        )
    lines = str(value).split("\n")
    paragraphs = "".join(f"<text:p>{escape(line)}</text:p>" for line in lines)
    return f'<table:table-cell office:value-type="string">{paragraphs}</table:table-cell>'


def write_ods(headers: Sequence[str], rows: Iterable[Sequence[Any]], *, title: str = "Export") -> bytes:
    """A minimal OpenDocument spreadsheet."""
    body = io.StringIO()
    body.write("<table:table-row>" + "".join(_ods_cell(h) for h in headers) + "</table:table-row>")
    for row in rows:
        body.write("<table:table-row>" + "".join(_ods_cell(v) for v in row) + "</table:table-row>")
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        f"<office:body><office:spreadsheet><table:table table:name={quoteattr(title[:31])}>"
        f"{body.getvalue()}</table:table></office:spreadsheet></office:body></office:document-content>"
    )
    return odf_package(FORMATS["ods"], content)


def odf_package(media_type: str, content_xml: str) -> bytes:
    """An OpenDocument package (spreadsheet, text…): the mimetype first and stored, as the format requires."""
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
        f'<manifest:file-entry manifest:full-path="/" manifest:version="1.2" manifest:media-type="{media_type}"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), media_type, compress_type=zipfile.ZIP_STORED)
        archive.writestr("META-INF/manifest.xml", manifest, compress_type=zipfile.ZIP_DEFLATED)
        archive.writestr("content.xml", content_xml, compress_type=zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def render_table(
    fmt: str, headers: Sequence[str], rows: Iterable[Sequence[Any]], *, title: str = "Export"
) -> bytes:
    if fmt == "csv":
        return write_csv(headers, rows)
    if fmt == "xlsx":
        return write_xlsx(headers, rows, title=title)
    if fmt == "ods":
        return write_ods(headers, rows, title=title)
    raise ValueError(f"Format d'export inconnu : {fmt}")


def export_format(request: HttpRequest) -> str | None:
    """The export asked for by a list page's `?export=<format>` (None: show the page)."""
    fmt = request.GET.get("export")
    return fmt if fmt in FORMATS else None


def table_response(
    fmt: str,
    headers: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    filename_stem: str,
    title: str = "Export",
) -> HttpResponse:
    """An attachment named `<stem>-<date>.<fmt>`."""
    content = render_table(fmt, headers, rows, title=title)
    response = HttpResponse(content, content_type=FORMATS[fmt])
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="{filename_stem}-{stamp}.{fmt}"'
    return response
