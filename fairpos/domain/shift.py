"""A volunteer's shift at a lane: the opening float and the count at close (arqueo).

At close the volunteer counts, blind, every currency of cash and every other tender. Each count
is compared with what the journal says should be there; the difference (over or short) is
recorded, never "fixed". A difference larger than the market's tolerance needs a written reason.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

from fairpos.domain.money import Money, MoneyError, Rates, parse_amount
from fairpos.errors import FairposError
from fairpos.i18n import _, format_money

CountKey = tuple[str, str]  # (method, currency): ("cash", "USD"), ("card", "VES")
Pieces = Mapping[int, int]  # a bill or coin (its value in minor units) → how many of it


class PiecesError(FairposError, ValueError):
    """Bills and coins that cannot be read; the message says why."""


def pieces_total(pieces: Pieces) -> int:
    """What the bills and coins add up to, in minor units."""
    return sum(value * count for value, count in pieces.items())


def read_pieces(text: str, currency: str, denominations: Sequence[int]) -> dict[int, int]:
    """``3x20 + 2x5 + 7x1`` (how many × which bill or coin; ``*`` for ``x`` too) as the pieces
    of ``currency``, each one of its ``denominations``."""
    pieces: dict[int, int] = {}
    for part in re.split(r"[+\s]+", text.strip()):
        if not part:
            continue
        match = re.fullmatch(r"(\d{1,6})\s*[x×*]\s*([0-9.,]+)", part, re.IGNORECASE)
        if match is None:
            raise PiecesError(_("“{part}”: write how many of which bill or coin, e.g. 3x20")
                              .format(part=part))
        try:
            value = parse_amount(match.group(2).replace(",", "."), currency).minor
        except MoneyError as err:
            raise PiecesError(str(err)) from None
        if value not in denominations:
            raise PiecesError(_("{value} is not a bill or coin of {currency} ({known})")
                              .format(value=match.group(2), currency=currency,
                                      known=" ".join(format_money(Money(d, currency))
                                                     for d in denominations)))
        pieces[value] = pieces.get(value, 0) + int(match.group(1))
    return {value: count for value, count in sorted(pieces.items(), reverse=True) if count}


@dataclass(frozen=True)
class CountLine:
    method: str
    currency: str
    expected: int
    counted: int

    @property
    def difference(self) -> int:
        """Positive: over (more than expected); negative: short."""
        return self.counted - self.expected


def reconcile(expected: Mapping[CountKey, int], counted: Mapping[CountKey, int]
              ) -> list[CountLine]:
    """One line per method and currency that was expected or counted; uncounted counts as 0."""
    keys = sorted(set(expected) | set(counted), key=lambda k: (k[0] != "cash", k))
    return [CountLine(m, c, expected.get((m, c), 0), counted.get((m, c), 0)) for m, c in keys]


def beyond_tolerance(lines: list[CountLine], rates: Rates, tolerance: int) -> list[CountLine]:
    """The lines whose over/short, valued in the pricing currency, exceeds ``tolerance``.

    A currency with no rate cannot be valued, so any difference in it counts as beyond.
    """
    beyond = []
    for line in lines:
        if line.difference == 0:
            continue
        if line.currency != rates.currency and rates.get(line.currency) is None:
            beyond.append(line)
            continue
        value = abs(rates.value_of(Money(line.difference, line.currency)))
        if value > Fraction(tolerance):
            beyond.append(line)
    return beyond
