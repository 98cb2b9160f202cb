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
        """The report as lines of text, ``width`` characters wide: its heading, the sales,
        the payments, the price classes and products, and the count."""
        written = _Written(self, language, width)
        for part in (written.heading, written.sales, written.payments, written.goods,
                     written.count):
            part()
        return written.out


class _Written:
    """A report being written as lines of text, section by section."""

    def __init__(self, report: Report, language: str, width: int) -> None:
        self.report, self.language, self.width = report, language, width
        self.out: list[str] = []

    def row(self, left: str, right: str) -> None:
        self.out.extend(two_columns(left, right, self.width))

    def rule(self) -> None:
        self.out.append("-" * self.width)

    def name(self, method: str) -> str:
        return method_label(method, self.report.method_names)

    def money(self, minor: int, currency: str | None = None) -> str:
        return format_money(Money(minor, currency or self.report.currency), self.language)

    def pieces(self, counted: dict[int, int], currency: str) -> None:
        for value, count in counted.items():
            self.row(f"    {count} × {self.money(value, currency)}",
                     self.money(value * count, currency))

    def heading(self) -> None:
        r, width = self.report, self.width
        title = {"X": _("X REPORT (shift open)"), "Z": _("Z REPORT (shift closed)"),
                 "day": _("DAY REPORT")}[r.kind]
        where = [_("{fair} · lane {lane}").format(fair=r.fair, lane=r.lane)]
        if len(where[0]) > width:  # the lane number on a line of its own, never cut apart
            where = [r.fair, _("lane {lane}").format(lane=r.lane)]
        for heading in (title, *where, *([_("*** TRAINING ***")] if r.training else [])):
            self.out += [part.center(width) for part in textwrap.wrap(heading, width=width)]
        if r.business_date:
            self.row(_("Business date"), r.business_date)
        if r.shift_id is not None:
            self.row(_("Shift"), f"#{r.shift_id} {r.volunteer or ''}".strip())
        if r.opened_at:
            self.row(_("Opened"), r.opened_at[:16].replace("T", " "))
        if r.closed_at:
            self.row(_("Closed"), r.closed_at[:16].replace("T", " "))
        for currency, amount in sorted(r.floats.items()):
            self.row(_("Opening float"), self.money(amount, currency))
            self.pieces(r.float_pieces.get(currency, {}), currency)

    def sales(self) -> None:
        r, money = self.report, self.money
        self.rule()
        self.row(_("Sales"), str(r.sales_count))
        self.row(_("Gross sales"), money(r.gross))
        self.row(_("Voids ({count})").format(count=r.voids_count), money(-r.voids_amount))
        self.row(_("Refunds ({count})").format(count=r.refunds_count),
                 money(-r.refunds_amount))
        self.row(_("Lines removed before payment"), str(r.line_voids))
        self.row(_("NET SALES"), money(r.net))
        if r.igtf:
            self.row(_("IGTF on {base}").format(base=money(r.igtf_base)), money(r.igtf))

    def payments(self) -> None:
        r, money = self.report, self.money
        self.rule()
        self.out.append(_("Payments"))
        unverified = _("unverified")
        for t in r.tenders:
            note = f" ({unverified}: {t.unverified})" if t.unverified else ""
            self.row(f"  {self.name(t.method)} ×{t.count}{note}", money(t.amount, t.currency))
        for currency, amount in sorted(r.change.items()):
            self.row("  " + _("Change given"), money(-amount, currency))
        for currency, amount in sorted(r.change_sent.items()):
            self.row("  " + _("Change by pago móvil"), money(-amount, currency))
        self.out.append(_("Taken per currency"))
        for currency, amount in r.takings.items():
            self.row(f"  {currency}", money(amount, currency))
        if r.drawer:
            self.out.append(_("Cash expected in the drawer now"))
            for currency, amount in sorted(r.drawer.items()):
                self.row(f"  {currency}", money(amount, currency))

    def goods(self) -> None:
        r, language = self.report, self.language
        if r.price_classes:
            self.rule()
            self.out.append(_("Price classes"))
            self.out.append(_("(their products are also in the list of products)"))
            for f in r.price_classes:
                self.row(f"  {f.name(language)} {format_grams(f.grams, language)}",
                         self.money(f.amount))
        if r.products:
            self.rule()
            self.out.append(_("Products"))
            for f in r.products:
                qty = format_grams(f.grams, language) if f.grams else f"×{f.count}"
                self.row(f"  {f.code} {f.name(language)} {qty}", self.money(f.amount))

    def count(self) -> None:
        r, money = self.report, self.money
        if not r.counts:
            return
        self.rule()
        self.out.append(_("Count: expected / counted / over-short"))
        for c in r.counts:
            self.out.append(f"  {self.name(c.method)} {c.currency}")
            self.row("    " + money(c.expected, c.currency),
                     f"{money(c.counted, c.currency)} ({money(c.difference, c.currency)})")
            if c.method == "cash":
                self.pieces(r.count_pieces.get(c.currency, {}), c.currency)
        for number, lines in enumerate(r.earlier_counts, start=1):
            self.out.append(_("Count {n}, before the recount: counted (over-short)").format(
                n=number))
            for c in lines:
                self.row(f"  {self.name(c.method)} {c.currency}",
                         f"{money(c.counted, c.currency)} ({money(c.difference, c.currency)})")
        if r.close_reason:
            self.row(_("Reason"), r.close_reason)


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


