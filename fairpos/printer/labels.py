"""Labels for label printers, in their own languages, from the description every printer gets
(:class:`~fairpos.printer.layout.Receipt`: its lines — bold, tall, centred — and the code to
scan), so a receipt printer's label, a Zebra's and a TSC's cannot say different things.

One plan lays the label out for its stock (:func:`plan`): each line's height and place, the
code's bars centred under them, all of it inside the label — lines shrink together when the
label is short, and a label too small to hold them is refused before anything is written. Then:

* ``zpl`` (Zebra and its clones): ``^XA`` … ``^XZ``; text as UTF-8 (``^CI28``) in scalable font
  0, each line centred in a field block across the label and narrowed to fit it; the code drawn
  by the printer (``^BE`` EAN-13, ``^BU`` UPC-A, the check digit its own); ``^FH`` lets ``^``,
  ``~`` and ``_`` in the data stand as hex, never as commands.
* ``tspl`` (TSC, Gprinter, Xprinter in label mode): ``SIZE``, ``GAP`` (or ``BLINE`` for a black
  mark), ``DENSITY``, ``SPEED``, ``CODEPAGE 1252`` (Spanish accents in the printer's own fonts),
  a ``TEXT`` per line centred in the largest resident font that fits its place,
  ``BARCODE`` … ``"EAN13"``/``"UPCA"``, ``PRINT 1``; a ``"`` in the data written as TSPL's
  ``\\["]``.

Sizes are the label's in millimetres at the printer's dots per inch (203 or 300).
"""

from __future__ import annotations

from dataclasses import dataclass

from fairpos.i18n import _
from fairpos.printer.layout import Receipt, barcode_kind
from fairpos.printer.render import RenderError

LANGUAGES = ("escpos", "zpl", "tspl")
MM_PER_INCH = 25.4
LINE_MM, TALL_MM, SPACE_MM = 3, 5, 0.5  # a line's height, a tall line's, the space under each
TOP_MM, BOTTOM_MM = 2, 1
BAR_MM = (7, 12)  # the code's bars: at least, at most
LEAST_SCALE = 0.55  # lines shrink together down to this before a label is too small
GLYPH_WIDTH = 0.6  # font 0's widest common advance, as a part of its width setting
TSPL_FONTS = {203: ((1, 8, 12), (2, 12, 20), (3, 16, 24), (4, 24, 32), (5, 32, 48)),
              300: ((1, 12, 20), (2, 16, 28), (3, 24, 32), (4, 32, 48), (5, 48, 64))}
"""TSPL's resident fonts at each resolution: (name, width, height) of a character in dots."""


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


@dataclass(frozen=True)
class Placed:
    """A line of the label at its place: its top (``y``) and height in dots."""

    text: str
    y: int
    size: int
    bold: bool
    tall: bool


@dataclass(frozen=True)
class Code:
    """The code's bars: left edge and top in dots, their height, the module's width."""

    value: str
    left: int
    y: int
    height: int
    module: int


@dataclass(frozen=True)
class Plan:
    width: int
    height: int
    lines: tuple[Placed, ...]
    code: Code | None


def _too_small(stock: LabelStock, what: str) -> RenderError:
    return RenderError(_("a label of {width} × {height} mm cannot hold {what}: set a larger "
                         "label in [station] label_width_mm and label_height_mm").format(
                             width=stock.width_mm, height=stock.height_mm, what=what))


def plan(receipt: Receipt, stock: LabelStock) -> Plan:
    """Where each line and the code go on ``stock``; RenderError when they cannot fit."""
    width, height = stock.dots(stock.width_mm), stock.dots(stock.height_mm)
    module = 2 if stock.dpi < 300 else 3
    space = stock.dots(SPACE_MM)
    code_room = 0
    if receipt.barcode:
        if module * (95 + 18) > width:  # the bars and their quiet zones
            raise _too_small(stock, _("the code's bars"))
        code_room = space + stock.dots(BAR_MM[0]) + module * 9  # (and its digits under them)
    nominal = [stock.dots(TALL_MM if line.tall else LINE_MM) for line in receipt.lines]
    needed = sum(nominal) + space * len(nominal)
    room = height - stock.dots(TOP_MM) - stock.dots(BOTTOM_MM) - code_room
    scale = min(1.0, room / needed) if needed else 1.0
    if scale < LEAST_SCALE:
        raise _too_small(stock, _("the product, its amounts and the code"))
    y, placed = stock.dots(TOP_MM), []
    for line, size in zip(receipt.lines, nominal, strict=True):
        size = int(size * scale)
        placed.append(Placed(line.text.strip(), y, size, line.bold, line.tall))
        y += size + int(space * scale)
    code = None
    if receipt.barcode:
        bars = min(stock.dots(BAR_MM[1]),
                   height - stock.dots(BOTTOM_MM) - module * 9 - y - space)
        code = Code(receipt.barcode, (width - 95 * module) // 2, y + space, bars, module)
    return Plan(width, height, tuple(placed), code)


def _zpl_data(text: str) -> str:
    """Text for ``^FH^FD``: the characters ZPL would read as commands, as hex."""
    return "".join(f"_{ord(c):02X}" if c in "^~_" else c for c in text)


def zpl(receipt: Receipt, stock: LabelStock) -> bytes:
    laid = plan(receipt, stock)
    out = ["^XA", "^CI28", f"^PW{laid.width}", f"^LL{laid.height}",
           "^MNY" if stock.media == "gap" else "^MNM", f"~SD{stock.darkness * 2:02d}",
           f"^PR{stock.speed}", "^LH0,0"]
    for line in laid.lines:
        wide = line.size if line.bold else line.size * 4 // 5
        wide = min(wide, int(laid.width / (GLYPH_WIDTH * max(1, len(line.text)))))
        out.append(f"^FO0,{line.y}^A0N,{line.size},{wide}"
                   f"^FB{laid.width},1,0,C^FH^FD{_zpl_data(line.text)}^FS")
    if laid.code:
        code = laid.code
        command = f"^BEN,{code.height},Y,N^FD{code.value[:12]}" if len(code.value) == 13 \
            else f"^BUN,{code.height},Y,N,Y^FD{code.value[:11]}"
        out.append(f"^FO{code.left},{code.y}^BY{code.module}{command}^FS")
    out += ["^PQ1", "^XZ", ""]
    return "\n".join(out).encode("utf-8")


def _tspl_data(text: str) -> str:
    return text.replace('"', '\\["]')


def _tspl_font(line: Placed, width: int, dpi: int) -> tuple[int, int]:
    """The resident font (and multiplier) that comes nearest the line's height without passing
    it and whose text fits the label's width — a font at its own size before one magnified,
    whose characters print blocky."""
    fits = [(high * times, name, times) for name, wide, high in TSPL_FONTS[dpi]
            for times in (1, 2, 3)
            if high * times <= max(line.size, TSPL_FONTS[dpi][0][2])
            and wide * times * len(line.text) <= width]
    if not fits:
        raise RenderError(_("a label {width} dots wide cannot hold “{text}”").format(
            width=width, text=line.text))
    _high, name, times = max(fits, key=lambda fit: fit[0] / fit[2] ** 0.5)
    return name, times


def tspl(receipt: Receipt, stock: LabelStock) -> bytes:
    laid = plan(receipt, stock)
    dpi = 300 if stock.dpi >= 300 else 203
    feed = "GAP 2 mm,0 mm" if stock.media == "gap" else "BLINE 3 mm,0 mm"
    out = [f"SIZE {stock.width_mm} mm,{stock.height_mm} mm", feed,
           f"DENSITY {stock.darkness}", f"SPEED {stock.speed}", "CODEPAGE 1252", "DIRECTION 1",
           "REFERENCE 0,0", "CLS"]
    for line in laid.lines:
        name, times = _tspl_font(line, laid.width, dpi)
        out.append(f'TEXT {laid.width // 2},{line.y},"{name}",0,{times},{times},2,'
                   f'"{_tspl_data(line.text)}"')
    if laid.code:
        code = laid.code
        kind = "EAN13" if barcode_kind(code.value) == "EAN13" else "UPCA"
        out.append(f'BARCODE {code.left},{code.y},"{kind}",{code.height},1,0,{code.module},'
                   f'{code.module},"{code.value[:12] if kind == "EAN13" else code.value[:11]}"')
    out += ["PRINT 1,1", ""]
    return "\r\n".join(out).encode("cp1252", errors="replace")


RENDERERS = {"zpl": zpl, "tspl": tspl}
