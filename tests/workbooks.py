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
