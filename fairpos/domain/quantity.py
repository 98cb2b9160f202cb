"""Quantities typed at the till or on the command line: a weight in grams or a count.

``1.250kg``, ``1,25 kg``, ``850g`` and a bare decimal ``1.25`` (kilos) are weights; a bare whole
number ``3`` is a count. Weights are integer grams from here on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from fairpos.errors import FairposError
from fairpos.i18n import _

MAX_LINE_GRAMS = 100_000  # 100 kg on one line is not a market sale; it is a typing mistake
MAX_COUNT = 999

_WEIGHT = re.compile(r"^(?P<int>\d+)(?:[.,](?P<frac>\d*))?\s*(?P<unit>kg|g)?$", re.IGNORECASE)


class QuantityError(FairposError, ValueError):
    """A quantity that cannot be sold; the message is for a person."""


@dataclass(frozen=True)
class Quantity:
    """Exactly one of ``grams`` and ``count`` is set."""

    grams: int | None = None
    count: int | None = None

    def __str__(self) -> str:
        return f"{self.grams}g" if self.grams is not None else str(self.count)


def check_grams(grams: int) -> int:
    if grams <= 0:
        raise QuantityError(_("the weight must be more than zero"))
    if grams > MAX_LINE_GRAMS:
        raise QuantityError(
            _("{kilos} kg is too heavy for one line (at most {most} kg)").format(
                kilos=f"{grams / 1000:g}", most=MAX_LINE_GRAMS // 1000))
    return grams


def check_count(count: int) -> int:
    if count <= 0:
        raise QuantityError(_("the count must be more than zero"))
    if count > MAX_COUNT:
        raise QuantityError(
            _("{count} is too many for one line (at most {most})").format(
                count=count, most=MAX_COUNT))
    return count


def parse_quantity(text: str) -> Quantity:
    """Read ``1.250kg``, ``850g``, ``1.25`` (kilos) or ``3`` (a count)."""
    raw = text.strip()
    if raw.startswith("-"):
        raise QuantityError(_("“{text}”: a quantity cannot be negative").format(text=text))
    match = _WEIGHT.match(raw)
    if not match:
        raise QuantityError(
            _("“{text}” is not a quantity (write 1.250kg, 850g or a count such as 3)").format(
                text=text))
    unit = (match.group("unit") or "").lower()
    whole = match.group("int")
    frac = match.group("frac")
    if unit == "g":
        if frac:
            raise QuantityError(_("“{text}”: grams are whole numbers").format(text=text))
        if len(whole) > 9:
            raise QuantityError(_("“{text}” is too large a quantity").format(text=text))
        return Quantity(grams=check_grams(int(whole)))
    if unit == "kg" or frac is not None:
        frac = frac or ""
        if len(frac) > 3:
            raise QuantityError(
                _("“{text}”: a weight has at most three decimals (grams)").format(text=text))
        if len(whole) > 6:
            raise QuantityError(_("“{text}” is too large a quantity").format(text=text))
        return Quantity(grams=check_grams(int(whole) * 1000 + int(frac.ljust(3, "0"))))
    if len(whole) > 9:
        raise QuantityError(_("“{text}” is too large a quantity").format(text=text))
    return Quantity(count=check_count(int(whole)))
