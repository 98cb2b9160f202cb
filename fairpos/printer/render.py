"""ESC/POS bytes for a receipt, with python-escpos and one code page for the whole receipt.

python-escpos's automatic encoding switches code pages mid-line (Turkish, Greek) for ÁÉÍÓÚ and
€; here one table is forced (CP858 by default), selected explicitly right after ``ESC @``, and any
character it cannot print is transliterated (é→e, “→") instead of coming out as ``?``.
"""

from __future__ import annotations

import codecs
import unicodedata
from typing import TYPE_CHECKING

from fairpos.errors import FairposError
from fairpos.i18n import _
from fairpos.printer.layout import Receipt, barcode_kind

if TYPE_CHECKING:  # python-escpos takes a quarter of a second to load: only when printing
    from escpos.printer import Dummy

INIT = b"\x1b@"
SELECT_CODE_PAGE = b"\x1bt"
# Characters with no decomposition to ASCII that a receipt may still contain.
_FALLBACK = {"“": '"', "”": '"', "‘": "'", "’": "'", "«": '"', "»": '"', "—": "-", "–": "-",
             "…": "...", "·": "-", "×": "x", "→": "->", "≥": ">=", "≤": "<=", "º": "o",
             "ª": "a", "€": "EUR", "¿": "?", "¡": "!", "œ": "oe", "Œ": "OE"}


class RenderError(FairposError, ValueError):
    """A printer setting that cannot be used (unknown profile or code page)."""


def printable(text: str, codepage: str) -> str:
    """``text`` with every character the code page lacks replaced by its closest ASCII."""
    codec = codecs.lookup(codepage.lower())
    out = []
    for char in text:
        try:
            codec.encode(char)
            out.append(char)
            continue
        except UnicodeEncodeError:
            pass
        if char in _FALLBACK:
            out.append(_FALLBACK[char])
            continue
        base = unicodedata.normalize("NFKD", char).encode("ascii", "ignore").decode("ascii")
        out.append(base)
    return "".join(out)


def printer_for(profile: str) -> Dummy:
    from escpos.printer import Dummy

    try:
        return Dummy(profile=None if profile == "default" else profile)
    except Exception as err:  # python-escpos raises its own NotSupported for unknown profiles
        raise RenderError(_("unknown printer profile “{profile}”").format(profile=profile)) \
            from err


def code_page_number(printer: Dummy, codepage: str) -> int:
    pages = printer.profile.get_code_pages()
    if codepage.upper() not in pages:
        raise RenderError(_("the printer profile has no code page {codepage}").format(
            codepage=codepage))
    try:
        codecs.lookup(codepage.lower())
    except LookupError:
        raise RenderError(_("the printer profile has no code page {codepage}").format(
            codepage=codepage)) from None
    return int(pages[codepage.upper()])


def render(receipt: Receipt, *, profile: str = "default", codepage: str = "CP858") -> bytes:
    """The exact bytes to send for ``receipt``."""
    printer = printer_for(profile)
    table = code_page_number(printer, codepage)
    printer._raw(INIT + SELECT_CODE_PAGE + bytes([table]))
    printer.charcode(codepage.upper())
    for line in receipt.lines:
        printer.set(align="center" if line.center else "left", bold=line.bold,
                    double_height=line.tall, normal_textsize=not line.tall)
        printer.text(printable(line.text, codepage) + "\n")
    if receipt.qr:
        printer.set(align="center", bold=False, normal_textsize=True)
        printer.qr(receipt.qr, native=bool(printer.profile.supports("qrCode")), size=4)
    if receipt.barcode:
        # drawn by the printer itself (GS k): python-escpos's public call would also say so
        # on standard output, where the till's screen is
        if not printer.profile.supports("barcodeA"):
            raise RenderError(_("the printer profile “{profile}” cannot print barcodes")
                              .format(profile=profile))
        printer.set(align="center", bold=False, normal_textsize=True)
        printer._hw_barcode(receipt.barcode, barcode_kind(receipt.barcode), height=80,
                            width=3, pos="BELOW", font="A", align_ct=True, function_type="A")
    printer.set(align="left", bold=False, normal_textsize=True)
    printer.cut()
    if receipt.open_drawer:
        printer.cashdraw(2)
    return bytes(printer.output)
