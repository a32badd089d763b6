"""Crafted workbooks shared by the tests of every reader and importer."""

from __future__ import annotations

import io
import re
import zipfile


def with_dimension(data: bytes, ref: str) -> bytes:
    """The same XLSX, its sheet declaring `ref` as its size (a <dimension> element put or replaced)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                element = f'<dimension ref="{ref}"/>'.encode()
                if b"<dimension" in content:
                    content = re.sub(rb"<dimension [^>]*/>", element, content)
                else:
                    content = content.replace(b"<sheetData", element + b"<sheetData", 1)
            target.writestr(item, content)
    return buffer.getvalue()


def example_csv(importer: object, rows: list[dict[str, str]]) -> bytes:
    """A CSV with every column of `importer` (its own headers) and `rows` by column key (missing keys empty)."""
    import csv

    columns = importer.columns  # type: ignore[attr-defined]
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow([column.label for column in columns])
    for row in rows:
        writer.writerow([row.get(column.key, "") for column in columns])
    return buffer.getvalue().encode()
