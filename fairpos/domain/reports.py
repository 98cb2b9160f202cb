"""X, Z and day reports: figures read from the journal, and how they are shown.

The store adds up the journal with SQL and fills a :class:`Report`; this module turns it into
JSON for scripts and into text for a screen or a receipt printer.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

from fairpos.domain.money import Money
from fairpos.domain.shift import CountLine
from fairpos.domain.tenders import Tender, method_label
from fairpos.i18n import _, format_grams, format_money

ReportKind = Literal["X", "Z", "day"]


@dataclass(frozen=True)
class ItemFigure:
    """Kilos, pieces and amount sold of one product or one price class."""

    code: str
    name_es: str
    name_en: str
    grams: int
    count: int
    amount: int

    def name(self, language: str) -> str:
        return self.name_en if language == "en" and self.name_en else self.name_es


@dataclass(frozen=True)
class TenderFigure:
    method: str
    currency: str
    amount: int
    count: int
    unverified: int = 0


@dataclass(frozen=True)
class Report:
    kind: ReportKind
    currency: str
    fair: str
    lane: int
    business_date: str | None
    shift_id: int | None = None
    volunteer: str | None = None
    opened_at: str | None = None
    closed_at: str | None = None
    training: bool = False
    sales_count: int = 0
    gross: int = 0
    voids_count: int = 0
    voids_amount: int = 0
    refunds_count: int = 0
    refunds_amount: int = 0
    line_voids: int = 0
    tenders: tuple[TenderFigure, ...] = ()
    change: dict[str, int] = field(default_factory=dict)
    change_sent: dict[str, int] = field(default_factory=dict)  # by pago móvil, per currency
    igtf: int = 0  # the IGTF paid on top of the sales, and its base (pricing currency)
    igtf_base: int = 0
    floats: dict[str, int] = field(default_factory=dict)
    products: tuple[ItemFigure, ...] = ()
    price_classes: tuple[ItemFigure, ...] = ()
    counts: tuple[CountLine, ...] = ()
    close_reason: str | None = None
    earlier_counts: tuple[tuple[CountLine, ...], ...] = ()  # counts before a recount
    drawer: dict[str, int] = field(default_factory=dict)  # cash expected now (X report)
    method_names: dict[str, str] = field(default_factory=dict)  # voucher names by code
    # the float and the newest count of cash, by bills and coins, where counted so
    float_pieces: dict[str, dict[int, int]] = field(default_factory=dict)
    count_pieces: dict[str, dict[int, int]] = field(default_factory=dict)

    @property
    def net(self) -> int:
        """Sales less voids and refunds, in the pricing currency."""
        return self.gross - self.voids_amount - self.refunds_amount

    @property
    def takings(self) -> dict[str, int]:
        """Money taken per currency: every tender in it, less the change given in it (in cash
        or sent by pago móvil)."""
        result: dict[str, int] = {}
        for tender in self.tenders:
            result[tender.currency] = result.get(tender.currency, 0) + tender.amount
        for given in (self.change, self.change_sent):
            for currency, amount in given.items():
                result[currency] = result.get(currency, 0) - amount
        return dict(sorted(result.items()))

    def _m(self, minor: int, currency: str | None = None) -> str:
        return Money(minor, currency or self.currency).plain()

    def to_json(self) -> dict[str, Any]:
        def items(figures: tuple[ItemFigure, ...], key: str) -> list[dict[str, Any]]:
            return [
                {key: f.code, "name": f.name_es, "name_en": f.name_en, "grams": f.grams,
                 "kg": str(Decimal(f.grams).scaleb(-3)), "count": f.count,
                 "amount": self._m(f.amount)}
                for f in figures
            ]

        return {
            "kind": self.kind,
            "fair": self.fair,
            "lane": self.lane,
            "business_date": self.business_date,
            "shift": self.shift_id,
            "volunteer": self.volunteer,
            "opened_at": self.opened_at,
            "closed_at": self.closed_at,
            "training": self.training,
            "currency": self.currency,
            "sales_count": self.sales_count,
            "gross": self._m(self.gross),
            "voids": {"count": self.voids_count, "amount": self._m(self.voids_amount)},
            "refunds": {"count": self.refunds_count, "amount": self._m(self.refunds_amount)},
            "line_voids": self.line_voids,
            "total": self._m(self.net),
            "igtf": {"amount": self._m(self.igtf), "base": self._m(self.igtf_base)},
            "totals": {c: self._m(a, c) for c, a in self.takings.items()},
            "tenders": [
                {"method": t.method, "currency": t.currency,
                 "amount": self._m(t.amount, t.currency), "count": t.count,
                 "unverified": t.unverified}
                for t in self.tenders
            ],
            "change": {c: self._m(a, c) for c, a in sorted(self.change.items())},
            "change_sent": {c: self._m(a, c) for c, a in sorted(self.change_sent.items())},
            "floats": {c: self._m(a, c) for c, a in sorted(self.floats.items())},
            "products": items(self.products, "plu"),
            "price_classes": items(self.price_classes, "code"),
            "counts": [
                {"method": c.method, "currency": c.currency,
                 "expected": self._m(c.expected, c.currency),
                 "counted": self._m(c.counted, c.currency),
                 "difference": self._m(c.difference, c.currency)}
                for c in self.counts
            ],
            "close_reason": self.close_reason,
            "earlier_counts": [
                [{"method": c.method, "currency": c.currency,
                  "counted": self._m(c.counted, c.currency),
                  "difference": self._m(c.difference, c.currency)} for c in lines]
                for lines in self.earlier_counts
            ],
            "drawer": {c: self._m(a, c) for c, a in sorted(self.drawer.items())},
            "float_pieces": _pieces_json(self.float_pieces),
            "count_pieces": _pieces_json(self.count_pieces),
        }

    def render(self, language: str, width: int = 48) -> list[str]:
        """The report as lines of text, ``width`` characters wide."""
        out: list[str] = []

        def row(left: str, right: str) -> None:
            out.extend(two_columns(left, right, width))

        def name(method: str) -> str:
            return method_label(method, self.method_names)

        def money(minor: int, currency: str | None = None) -> str:
            return format_money(Money(minor, currency or self.currency), language)

        title = {"X": _("X REPORT (shift open)"), "Z": _("Z REPORT (shift closed)"),
                 "day": _("DAY REPORT")}[self.kind]
        where = [_("{fair} · lane {lane}").format(fair=self.fair, lane=self.lane)]
        if len(where[0]) > width:  # the lane number on a line of its own, never cut apart
            where = [self.fair, _("lane {lane}").format(lane=self.lane)]
        for heading in (title, *where, *([_("*** TRAINING ***")] if self.training else [])):
            out += [part.center(width) for part in textwrap.wrap(heading, width=width)]
        if self.business_date:
            row(_("Business date"), self.business_date)
        if self.shift_id is not None:
            row(_("Shift"), f"#{self.shift_id} {self.volunteer or ''}".strip())
        if self.opened_at:
            row(_("Opened"), self.opened_at[:16].replace("T", " "))
        if self.closed_at:
            row(_("Closed"), self.closed_at[:16].replace("T", " "))
        def pieces(counted: dict[int, int], currency: str) -> None:
            for value, count in counted.items():
                row(f"    {count} × {money(value, currency)}", money(value * count, currency))

        for currency, amount in sorted(self.floats.items()):
            row(_("Opening float"), money(amount, currency))
            pieces(self.float_pieces.get(currency, {}), currency)
        out.append("-" * width)
        row(_("Sales"), str(self.sales_count))
        row(_("Gross sales"), money(self.gross))
        row(_("Voids ({count})").format(count=self.voids_count), money(-self.voids_amount))
        row(_("Refunds ({count})").format(count=self.refunds_count), money(-self.refunds_amount))
        row(_("Lines removed before payment"), str(self.line_voids))
        row(_("NET SALES"), money(self.net))
        if self.igtf:
            row(_("IGTF on {base}").format(base=money(self.igtf_base)), money(self.igtf))
        out.append("-" * width)
        out.append(_("Payments"))
        unverified = _("unverified")
        for t in self.tenders:
            note = f" ({unverified}: {t.unverified})" if t.unverified else ""
            row(f"  {name(t.method)} ×{t.count}{note}", money(t.amount, t.currency))
        for currency, amount in sorted(self.change.items()):
            row("  " + _("Change given"), money(-amount, currency))
        for currency, amount in sorted(self.change_sent.items()):
            row("  " + _("Change by pago móvil"), money(-amount, currency))
        out.append(_("Taken per currency"))
        for currency, amount in self.takings.items():
            row(f"  {currency}", money(amount, currency))
        if self.drawer:
            out.append(_("Cash expected in the drawer now"))
            for currency, amount in sorted(self.drawer.items()):
                row(f"  {currency}", money(amount, currency))
        if self.price_classes:
            out.append("-" * width)
            out.append(_("Price classes"))
            out.append(_("(their products are also in the list of products)"))
            for f in self.price_classes:
                row(f"  {f.name(language)} {format_grams(f.grams, language)}", money(f.amount))
        if self.products:
            out.append("-" * width)
            out.append(_("Products"))
            for f in self.products:
                qty = format_grams(f.grams, language) if f.grams else f"×{f.count}"
                row(f"  {f.code} {f.name(language)} {qty}", money(f.amount))
        if self.counts:
            out.append("-" * width)
            out.append(_("Count: expected / counted / over-short"))
            for c in self.counts:
                out.append(f"  {name(c.method)} {c.currency}")
                row("    " + money(c.expected, c.currency),
                    f"{money(c.counted, c.currency)} ({money(c.difference, c.currency)})")
                if c.method == "cash":
                    pieces(self.count_pieces.get(c.currency, {}), c.currency)
            for number, lines in enumerate(self.earlier_counts, start=1):
                out.append(_("Count {n}, before the recount: counted (over-short)").format(
                    n=number))
                for c in lines:
                    row(f"  {name(c.method)} {c.currency}",
                        f"{money(c.counted, c.currency)} ({money(c.difference, c.currency)})")
            if self.close_reason:
                row(_("Reason"), self.close_reason)
        return out


def _pieces_json(pieces: dict[str, dict[int, int]]) -> dict[str, list[dict[str, Any]]]:
    return {currency: [{"value": Money(value, currency).plain(), "count": count}
                       for value, count in counted.items()]
            for currency, counted in sorted(pieces.items())}


def two_columns(left: str, right: str, width: int) -> list[str]:
    """``left`` wrapped to the width with ``right`` right-aligned on its last line, or on a
    line of its own when they do not fit side by side: nothing is ever cut off."""
    room = width - len(right) - 1
    wrapped = textwrap.wrap(left, width=width, subsequent_indent=" " * min(
        len(left) - len(left.lstrip()), width // 2)) or [""]
    if wrapped == [""] and left:  # only spaces
        wrapped = [left[:width]]
    if len(wrapped[-1]) > room:
        wrapped.append("")
    last = wrapped.pop()
    if room < 0:  # the right-hand side alone is wider than the paper
        return [*wrapped, *([last] if last else []), *textwrap.wrap(right, width=width)]
    return [*wrapped, f"{last:<{room}} {right}"]


def tender_label(tender: Tender, names: Mapping[str, str] | None = None) -> str:
    """How a payment is named on screen and on paper: method (``names``: the vouchers' names
    by code), reference, unverified."""
    label = method_label(tender.method, names)
    if tender.reference.get("ref"):
        label += f" #{tender.reference['ref']}"
    if not tender.verified:
        label += " (" + _("unverified") + ")"
    return label


