"""A list as an OpenDocument spreadsheet (``.ods``), for what a CSV cannot keep: a pago móvil
reference or a phone ("0412…", "0778812") stays text when LibreOffice or Excel opens it, an
amount stays a number, and no cell can ever be a formula (a cell is a formula only by an
attribute this writer never writes). A zip of three small files, written as it goes.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable, Sequence
from decimal import Decimal
from xml.sax.saxutils import escape, quoteattr

MEDIA_TYPE = "application/vnd.oasis.opendocument.spreadsheet"
_MANIFEST = """<?xml version="1.0" encoding="UTF-8"?>
<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" \
manifest:version="1.2">
 <manifest:file-entry manifest:full-path="/" manifest:version="1.2" \
manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>
 <manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>
</manifest:manifest>
"""
_HEAD = ('<?xml version="1.0" encoding="UTF-8"?>\n<office:document-content '
         'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
         'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
         'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
         "<office:body><office:spreadsheet>")
# what XML 1.0 cannot carry (controls but tab and line ends; a lone surrogate)
_UNWRITABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")

Cell = str | int | Decimal


def _text(value: str) -> str:
    return escape(_UNWRITABLE.sub("\ufffd", value))


def _cell(value: Cell) -> str:
    if isinstance(value, int | Decimal) and not isinstance(value, bool):
        return (f'<table:table-cell office:value-type="float" office:value="{value}">'
                f"<text:p>{value}</text:p></table:table-cell>")
    return ('<table:table-cell office:value-type="string">'
            f"<text:p>{_text(str(value))}</text:p></table:table-cell>")


def ods_file(name: str, headers: Sequence[str], rows: Iterable[Sequence[Cell]]) -> bytes:
    """The spreadsheet of one table named ``name``: the headers, then the rows (text as
    text, numbers as numbers)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as ods:
        ods.writestr(zipfile.ZipInfo("mimetype"), MEDIA_TYPE, zipfile.ZIP_STORED)
        ods.writestr("META-INF/manifest.xml", _MANIFEST)
        with ods.open("content.xml", "w") as content:
            content.write(f"{_HEAD}<table:table table:name={quoteattr(_text(name))}>"
                          .encode())
            for row in _chain(headers, rows):
                content.write(("<table:table-row>" + "".join(_cell(v) for v in row)
                               + "</table:table-row>").encode("utf-8"))
            content.write(b"</table:table></office:spreadsheet></office:body>"
                          b"</office:document-content>")
    return out.getvalue()


def _chain(headers: Sequence[str], rows: Iterable[Sequence[Cell]]) -> Iterable[Sequence[Cell]]:
    yield headers
    yield from rows
