"""A journal entry as it was confirmed: a sale, or a void or refund that references one.

Entries are immutable. A void or refund carries negative lines and tenders, so that adding up the
journal gives the real figures without ever changing a confirmed sale.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from fairpos.domain.cart import Line
from fairpos.domain.money import Money, Rate
from fairpos.domain.tenders import Tender

EntryKind = Literal["sale", "void", "refund"]


@dataclass(frozen=True, slots=True)
class Sale:
    id: str
    seq: int
    kind: EntryKind
    shift_id: int
    business_date: str
    confirmed_at: datetime
    volunteer: str
    training: bool
    total: Money
    lines: tuple[Line, ...]
    tenders: tuple[Tender, ...]
    change: Money
    catalog_version: int | None
    rates: tuple[Rate, ...]
    ref_id: str | None = None
    reason: str | None = None
    change_sent: tuple[Tender, ...] = ()  # change sent by pago móvil, not given in cash
    igtf: int = 0  # the IGTF paid on top of the total (pricing-currency minor units)
    igtf_base: int = 0  # the part of the total it was charged on

    def totals(self) -> dict[str, Money]:
        """The total in the pricing currency and at each rate the sale used."""
        result = {self.total.currency: self.total}
        for rate in self.rates:
            result[rate.quote] = rate.convert(self.total)
        return result

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "seq": self.seq,
            "kind": self.kind,
            "ref_id": self.ref_id,
            "reason": self.reason,
            "shift": self.shift_id,
            "business_date": self.business_date,
            "confirmed_at": self.confirmed_at.isoformat(),
            "volunteer": self.volunteer,
            "training": self.training,
            "currency": self.total.currency,
            "total": self.total.plain(),
            "totals": {code: money.plain() for code, money in self.totals().items()},
            "lines": [
                {
                    "n": n,
                    "kind": line.kind,
                    "code": line.code,
                    "name": line.name_es,
                    "name_en": line.name_en,
                    "price_class": line.price_class,
                    "grams": line.grams,
                    "count": line.count,
                    "unit_price": Money(line.unit_price, self.total.currency).plain(),
                    "amount": Money(line.amount, self.total.currency).plain(),
                    "voided": line.voided,
                    "weighed": (None if line.grams is None else "label" if line.label
                                else "scale" if line.scale_frame else "manual"),
                    "scale_frame": line.scale_frame,
                    "label": line.label,
                    "tare": line.tare,
                }
                for n, line in enumerate(self.lines, start=1)
            ],
            "tenders": [
                {
                    "method": tender.method,
                    "currency": tender.amount.currency,
                    "amount": tender.amount.plain(),
                    "reference": dict(tender.reference),
                    "verified": tender.verified,
                }
                for tender in self.tenders
            ],
            "change": {"currency": self.change.currency, "amount": self.change.plain()},
            "igtf": {"amount": Money(self.igtf, self.total.currency).plain(),
                     "base": Money(self.igtf_base, self.total.currency).plain()},
            "change_sent": [
                {"method": tender.method, "currency": tender.amount.currency,
                 "amount": tender.amount.plain(), "reference": dict(tender.reference)}
                for tender in self.change_sent
            ],
            "catalog_version": self.catalog_version,
            "rates": [
                {"base": r.base, "quote": r.quote, "value": str(r.value), "version": r.version,
                 "effective": r.effective.isoformat()}
                for r in self.rates
            ],
        }


def corrections(entries: Iterable[Sale]) -> dict[str, list[Sale]]:
    """The voids and refunds among ``entries``, by the id of the sale each one corrects."""
    found: dict[str, list[Sale]] = {}
    for entry in entries:
        if entry.kind != "sale" and entry.ref_id is not None:
            found.setdefault(entry.ref_id, []).append(entry)
    return found
