"""Receipt layout as pure code: a confirmed sale → lines of text, 32 to 48 columns wide.

The till shows these lines as the receipt preview; the printer renders the same lines.
"""

from __future__ import annotations

import textwrap

from fairpos.i18n import _, format_grams, format_money
from fairpos.money import Money
from fairpos.reports import method_label
from fairpos.sale import Sale

FOOTER = "NO FISCAL"


def _row(left: str, right: str, width: int) -> list[str]:
    """``left`` wrapped to the width, ``right`` right-aligned on the last line."""
    room = width - len(right) - 1
    wrapped = textwrap.wrap(left, width=max(room, 8)) or [""]
    if len(wrapped[-1]) > room:
        wrapped.append("")
    return [*wrapped[:-1], f"{wrapped[-1]:<{room}} {right}"]


def receipt_lines(sale: Sale, *, fair: str, lane: int, language: str, width: int = 48,
                  footer: str = FOOTER) -> list[str]:
    currency = sale.total.currency

    def money(minor: int, code: str | None = None) -> str:
        return format_money(Money(minor, code or currency), language)

    out = [fair[:width].center(width), _("Lane {lane}").format(lane=lane).center(width)]
    if sale.training:
        out.append(_("*** TRAINING ***").center(width))
    title = {"sale": _("Sale {id}"), "void": _("Void {id} of {ref}"),
             "refund": _("Refund {id} of {ref}")}[sale.kind]
    out.append(title.format(id=sale.id, ref=sale.ref_id)[:width])
    out.append(f"{sale.confirmed_at:%Y-%m-%d %H:%M}  {sale.volunteer}"[:width])
    out.append("-" * width)
    for line in sale.lines:
        if line.voided:
            continue
        out += _row(line.name(language), money(line.amount), width)
        if line.grams is not None:
            detail = f"  {format_grams(line.grams, language)} × {money(line.unit_price)}/kg"
        else:
            detail = f"  {line.count} × {money(line.unit_price)}"
        out.append(detail[:width])
    out.append("-" * width)
    for code, total in sale.totals().items():
        out += _row(_("TOTAL") if code == currency else "", format_money(total, language), width)
    for rate in sale.rates:
        out.append(_("Rate 1 {base} = {value} {quote} ({day})").format(
            base=rate.base, value=rate.value, quote=rate.quote, day=rate.effective)[:width])
    for tender in sale.tenders:
        label = method_label(tender.method)
        if tender.reference.get("ref"):
            label += f" #{tender.reference['ref']}"
        out += _row(label, format_money(tender.amount, language), width)
    if sale.change.minor:
        out += _row(_("Change"), format_money(sale.change, language), width)
    out.append("")
    out.append(footer.center(width))
    return out
