"""Labels for label printers, in their own languages, from the description every printer gets
(:class:`~fairpos.printer.layout.Receipt`: its lines — bold, tall, centred — and the code to
scan), so a receipt printer's label, a Zebra's and a TSC's cannot say different things.

* ``zpl`` (Zebra and its clones): ``^XA`` … ``^XZ``; text as UTF-8 (``^CI28``) in scalable font
  0, each line centred in a field block across the label; the code drawn by the printer
  (``^BE`` EAN-13, ``^BU`` UPC-A, the check digit its own); ``^FH`` lets ``^``, ``~`` and ``_``
  in the data stand as hex, never as commands.
* ``tspl`` (TSC, Gprinter, Xprinter in label mode): ``SIZE``, ``GAP`` (or ``BLINE`` for a black
  mark), ``DENSITY``, ``SPEED``, ``CODEPAGE 1252`` (Spanish accents in the printer's own fonts),
  a ``TEXT`` per line centred, ``BARCODE`` … ``"EAN13"``/``"UPCA"``, ``PRINT 1``; a ``"`` in the
  data written as TSPL's ``\\["]``.

Sizes are the label's in millimetres at the printer's dots per inch (203 or 300).
"""

from __future__ import annotations

from dataclasses import dataclass

from fairpos.printer.layout import Receipt, barcode_kind

LANGUAGES = ("escpos", "zpl", "tspl")
MM_PER_INCH = 25.4


@dataclass(frozen=True)
class LabelStock:
    """The label roll: width and height in mm, the printer's dots per inch, how it finds the
    next label (a gap, or a black mark), darkness (0–15) and speed (inches a second)."""

    width_mm: int = 58
    height_mm: int = 40
    dpi: int = 203
    media: str = "gap"
    darkness: int = 8
    speed: int = 3

    def dots(self, mm: float) -> int:
        return round(mm * self.dpi / MM_PER_INCH)


def _heights(stock: LabelStock) -> tuple[int, int, int]:
    """(a line's height, a tall line's, the barcode's) in dots, for the stock's resolution."""
    return stock.dots(3), stock.dots(5), stock.dots(10)


def _zpl_data(text: str) -> str:
    """Text for ``^FH^FD``: the characters ZPL would read as commands, as hex."""
    return "".join(f"_{ord(c):02X}" if c in "^~_" else c for c in text)


def zpl(receipt: Receipt, stock: LabelStock) -> bytes:
    line, tall, bar = _heights(stock)
    width = stock.dots(stock.width_mm)
    out = ["^XA", "^CI28", f"^PW{width}", f"^LL{stock.dots(stock.height_mm)}",
           "^MNY" if stock.media == "gap" else "^MNM", f"~SD{stock.darkness * 2:02d}",
           f"^PR{stock.speed}", "^LH0,0"]
    y = stock.dots(2)
    for printed in receipt.lines:
        size = tall if printed.tall else line
        out.append(f"^FO0,{y}^A0N,{size},{size if printed.bold else size * 4 // 5}"
                   f"^FB{width},1,0,C^FH^FD{_zpl_data(printed.text.strip())}^FS")
        y += size + stock.dots(1)
    if receipt.barcode:
        code = receipt.barcode
        module = 2 if stock.dpi < 300 else 3
        left = max(0, (width - module * (95 + 18)) // 2)  # (95 modules and the quiet zones)
        command = f"^BEN,{bar},Y,N^FD{code[:12]}" if len(code) == 13 \
            else f"^BUN,{bar},Y,N,Y^FD{code[:11]}"
        out.append(f"^FO{left},{y + stock.dots(1)}^BY{module}{command}^FS")
    out += ["^PQ1", "^XZ", ""]
    return "\n".join(out).encode("utf-8")


def _tspl_data(text: str) -> str:
    return text.replace('"', '\\["]')


def tspl(receipt: Receipt, stock: LabelStock) -> bytes:
    line, tall, bar = _heights(stock)
    width = stock.dots(stock.width_mm)
    feed = "GAP 2 mm,0 mm" if stock.media == "gap" else "BLINE 3 mm,0 mm"
    out = [f"SIZE {stock.width_mm} mm,{stock.height_mm} mm", feed,
           f"DENSITY {stock.darkness}", f"SPEED {stock.speed}", "CODEPAGE 1252", "DIRECTION 1",
           "REFERENCE 0,0", "CLS"]
    y = stock.dots(2)
    for printed in receipt.lines:
        size = tall if printed.tall else line
        scale = 2 if printed.tall or printed.bold else 1
        out.append(f'TEXT {width // 2},{y},"3",0,{scale},{scale},2,'
                   f'"{_tspl_data(printed.text.strip())}"')
        y += size + stock.dots(1)
    if receipt.barcode:
        code = receipt.barcode
        module = 2 if stock.dpi < 300 else 3
        left = max(0, (width - module * (95 + 18)) // 2)
        kind = "EAN13" if barcode_kind(code) == "EAN13" else "UPCA"
        out.append(f'BARCODE {left},{y + stock.dots(1)},"{kind}",{bar},1,0,{module},{module},'
                   f'"{code[:12] if kind == "EAN13" else code[:11]}"')
    out += ["PRINT 1,1", ""]
    return "\r\n".join(out).encode("cp1252", errors="replace")


RENDERERS = {"zpl": zpl, "tspl": tspl}
