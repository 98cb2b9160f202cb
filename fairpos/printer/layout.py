"""Receipt layout as pure code: a confirmed sale → lines of text, 32 to 48 columns wide.

The till shows the lines as the receipt preview; :mod:`fairpos.printer.render` turns the same
:class:`Receipt` into ESC/POS bytes. Long names wrap; amounts stay right-aligned.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from fairpos.domain.money import Money
from fairpos.domain.reports import tender_label
from fairpos.domain.sale import Sale
from fairpos.domain.station import WeighedLabel
from fairpos.domain.tenders import CASH
from fairpos.i18n import _, format_grams, format_money, format_rate


@dataclass(frozen=True)
class PrintLine:
    text: str
    bold: bool = False
    tall: bool = False  # double height, same width: for the total
    center: bool = False


@dataclass(frozen=True)
class Receipt:
    """What a receipt says, before any printer command."""

    width: int
    lines: tuple[PrintLine, ...]
    qr: str | None = None
    open_drawer: bool = False
    title: str = ""
    barcode: str | None = None  # an EAN-13 or UPC-A, printed under the lines (a label)

    def text(self) -> list[str]:
        """The receipt as plain lines (the preview, and the readable side of golden files)."""
        out = [line.text.center(self.width).rstrip() if line.center else line.text
               for line in self.lines]
        if self.qr:
            out.append(f"[QR {self.qr}]".center(self.width).rstrip())
        if self.barcode:
            out.append(f"[{barcode_kind(self.barcode)} {self.barcode}]".center(self.width)
                       .rstrip())
        return out


def barcode_kind(code: str) -> str:
    """The symbology of a label's code: EAN-13 (13 digits) or UPC-A (12)."""
    return "EAN13" if len(code) == 13 else "UPC-A"


def _row(left: str, right: str, width: int, **style: bool) -> list[PrintLine]:
    """``left`` wrapped to the width, ``right`` right-aligned on the last line."""
    room = width - len(right) - 1
    wrapped = textwrap.wrap(left, width=width) or [""]
    if len(wrapped[-1]) > room:
        last = textwrap.wrap(wrapped[-1], width=max(room, 1))
        wrapped = [*wrapped[:-1], *last]
    if len(wrapped[-1]) > room:
        wrapped.append("")
    head = [PrintLine(text, **style) for text in wrapped[:-1]]
    return [*head, PrintLine(f"{wrapped[-1]:<{room}} {right}", **style)]


def _centered(text: str, width: int, **style: bool) -> list[PrintLine]:
    return [PrintLine(part, center=True, **style) for part in textwrap.wrap(text, width=width)]


def sale_receipt(sale: Sale, *, fair: str, lane: int, language: str, width: int = 48,
                 footer: str = "", reprint: bool = False,
                 names: Mapping[str, str] | None = None) -> Receipt:
    """A sale's receipt (``names``: the vouchers' names by code; ``footer``: the last line,
    none when empty)."""
    currency = sale.total.currency

    def money(minor: int, code: str | None = None) -> str:
        return format_money(Money(minor, code or currency), language)

    out = [*_centered(fair, width, bold=True),
           *_centered(_("Lane {lane}").format(lane=lane), width)]
    if sale.training:
        out += _centered(_("*** TRAINING ***"), width, bold=True)
    if reprint:
        out += _centered(_("*** REPRINT ***"), width, bold=True)
    title = {"sale": _("Sale {id}"), "void": _("Void {id} of {ref}"),
             "refund": _("Refund {id} of {ref}")}[sale.kind].format(id=sale.id, ref=sale.ref_id)
    out += [PrintLine(part) for part in textwrap.wrap(title, width=width)]
    out.append(PrintLine(f"{sale.confirmed_at:%Y-%m-%d %H:%M}  {sale.volunteer}"[:width]))
    out.append(PrintLine("-" * width))
    out += _sold(sale, language, width)
    out.append(PrintLine("-" * width))
    for code, total in sale.totals().items():
        label = _("TOTAL") if code == currency else ""
        out += _row(label, format_money(total, language), width, bold=True, tall=bool(label))
    if sale.igtf:  # paid on top of the total, on the part paid in foreign currency cash
        out += _row(_("IGTF on {base}").format(base=money(sale.igtf_base)), money(sale.igtf),
                    width)
        out += _row(_("TOTAL WITH IGTF"), money(sale.total.minor + sale.igtf), width,
                    bold=True)
    for rate in sale.rates:
        out += [PrintLine(part) for part in textwrap.wrap(
            _("Rate 1 {base} = {value} {quote} ({day})").format(
                base=rate.base, value=format_rate(rate.value, language), quote=rate.quote,
                day=rate.effective),
            width=width)]
    for tender in sale.tenders:
        out += _row(tender_label(tender, names), format_money(tender.amount, language), width)
    if sale.change.minor:
        out += _row(_("Change"), format_money(sale.change, language), width, bold=True)
    out += _change_sent(sale, language, width)
    if footer:
        out.append(PrintLine(""))
        out += _centered(footer, width, bold=True)
    drawer = sale.kind == "sale" and any(t.method == CASH for t in sale.tenders)
    return Receipt(width, tuple(out), qr=sale.id, open_drawer=drawer, title=sale.id)


def _sold(sale: Sale, language: str, width: int) -> list[PrintLine]:
    """The lines sold (not the ones voided before payment): name and amount, then weight or
    count × price, and a weighed line's gross less its tare."""
    def money(minor: int) -> str:
        return format_money(Money(minor, sale.total.currency), language)

    out: list[PrintLine] = []
    for line in sale.lines:
        if line.voided:
            continue
        out += _row(line.name(language), money(line.amount), width)
        if line.grams is not None:
            detail = f"  {format_grams(line.grams, language)} × {money(line.unit_price)}/kg"
        else:
            detail = f"  {line.count} × {money(line.unit_price)}"
        out.append(PrintLine(detail[:width]))
        if line.tare and line.grams is not None:  # the net weight above; gross less the tare
            said = _("gross {gross} - tare {tare}").format(
                gross=format_grams(abs(line.grams + line.tare), language),
                tare=format_grams(abs(line.tare), language))
            out += [PrintLine("  " + part) for part in textwrap.wrap(said, width=width - 2)]
    return out


def _change_sent(sale: Sale, language: str, width: int) -> list[PrintLine]:
    """Change given otherwise: the rest in another currency's cash, or sent by pago móvil
    (the customer's phone shown by its last digits only)."""
    out: list[PrintLine] = []
    for sent in sale.change_sent:
        if sent.method == CASH:
            out += _row(_("Change"), format_money(sent.amount, language), width, bold=True)
            continue
        out += _row(_("Change by pago móvil"), format_money(sent.amount, language), width,
                    bold=True)
        ref = sent.reference
        said = _("ref {ref} · bank {bank} · phone …{phone}").format(
            ref=ref.get("ref", "—"), bank=ref.get("bank", "—"),
            phone=ref.get("phone", "")[-4:])
        out += [PrintLine("  " + part) for part in textwrap.wrap(said, width=width - 2)]
    return out


def weighed_label(label: WeighedLabel, amounts: Sequence[Money], *, fair: str, weighed_at: str,
                  language: str, width: int = 32) -> Receipt:
    """A weighing station's label: the product, its weight and price per kilo, what it comes
    to in each currency (``amounts``, the pricing currency first), the code to scan."""
    unit = format_money(Money(label.unit_price, label.currency), language)
    out = [*_centered(label.name(language), width, bold=True, tall=True),
           *_centered(f"{format_grams(label.grams, language)} × {unit}/kg", width)]
    for n, amount in enumerate(amounts):
        out += _centered(format_money(amount, language), width, bold=True, tall=n == 0)
    out += _centered(f"{fair} · {weighed_at}", width)
    return Receipt(width, tuple(out), title=label.code, barcode=label.code)


def text_receipt(title: str, lines: list[str], width: int) -> Receipt:
    """A report or a test page as a receipt: the lines as they are, wrapped to the width."""
    wrapped = [part for line in lines for part in (textwrap.wrap(line, width=width) or [""])]
    return Receipt(width, tuple(PrintLine(line) for line in wrapped), title=title)


TEST_PAGE = ["Piña, Ñame, Limón, Cebollín,", "¿Algo más? ¡Gracias!",
             "ÁÉÍÓÚ áéíóú Üü Ññ Çç € ß", "0123456789 +-*/=%$#@"]


def test_page(fair: str, codepage: str, profile: str, width: int) -> Receipt:
    """The printer self-test page: the market's accented words and the code page in use."""
    return text_receipt("test", [fair, _("Printer test"), *TEST_PAGE,
                                 _("Code page: {codepage}, profile: {profile}, "
                                   "{columns} columns").format(
                                     codepage=codepage, profile=profile, columns=width),
                                 "-" * width], width)
