"""A volunteer's shift at a lane: the opening float and the count at close (arqueo).

At close the volunteer counts, blind, every currency of cash and every other tender. Each count
is compared with what the journal says should be there; the difference (over or short) is
recorded, never "fixed". A difference larger than the market's tolerance needs a written reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction

from fairpos.money import Money, Rates

CountKey = tuple[str, str]  # (method, currency): ("cash", "USD"), ("card", "VES")


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
