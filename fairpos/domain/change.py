"""Change a volunteer can hand over: what the drawer's bills and coins can make.

A Venezuelan stall rarely has dollar cents: change of 46,40 USD is given as 46 USD in notes and
the 0,40 USD left in bolívares — in cash if the bolívar notes and coins can make it, or sent by
pago móvil. With ``[money] denominations`` known, :func:`ways_to_give` lists the ways the change
can be given, the best first; without them, the change in each currency, as before.

Every way is exact under the one rounding rule: the remainder is what is left after the notes,
expressed in its currency and rounded half up once, and the notes are what the sale's
settlement gives in cash once the remainder is given (see :func:`fairpos.domain.tenders.settle`), so
what the receipt says adds up to the change.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

from fairpos.domain.money import Money, Rates
from fairpos.domain.tenders import CASH, PAGO_MOVIL

# A sum to make of bills and coins larger than this many of its smallest common step is
# judged by the greedy rule alone (a real drawer's pieces are made for the greedy rule).
_MOST_STEPS = 200_000


@dataclass(frozen=True)
class ChangeWay:
    """One way to give the change: ``cash`` in its currency, and what is left (``rest``) in
    another currency, in cash or sent by pago móvil (``rest_by``). ``whole``: the drawer's
    bills and coins can make the cash parts (always so where none are known)."""

    cash: Money
    rest: Money | None = None
    rest_by: str = CASH
    whole: bool = True

    @property
    def parts(self) -> tuple[Money, ...]:
        return (self.cash,) if self.rest is None else (self.cash, self.rest)


def greedy_pieces(minor: int, pieces: Sequence[int]) -> int:
    """The most of ``minor`` the largest pieces first make (always made of ``pieces``)."""
    left = minor
    for piece in sorted(pieces, reverse=True):
        if piece > 0:
            left -= (left // piece) * piece
    return minor - left


def makeable(minor: int, pieces: Sequence[int]) -> bool:
    """Whether ``minor`` can be made of ``pieces`` exactly, any number of each."""
    usable = sorted({p for p in pieces if p > 0})
    if minor < 0 or not usable:
        return minor == 0
    if greedy_pieces(minor, usable) == minor:
        return True
    step = 0
    for piece in usable:
        step = _gcd(step, piece)
    if minor % step or minor // step > _MOST_STEPS:
        return False
    target, steps = minor // step, [p // step for p in usable]
    reach = bytearray(target + 1)
    reach[0] = 1
    for amount in range(1, target + 1):
        reach[amount] = any(s <= amount and reach[amount - s] for s in steps)
    return bool(reach[target])


def _gcd(a: int, b: int) -> int:
    while b:
        a, b = b, a % b
    return a


def ways_to_give(owed: Fraction, rates: Rates, currencies: Sequence[str],
                 denominations: Mapping[str, Sequence[int]],
                 pago_movil: str | None = None) -> list[ChangeWay]:
    """The ways to give change worth ``owed`` (pricing-currency minor units), best first:
    all in one currency where its pieces make it (``currencies``: the cash currencies, the
    preferred first), then notes in one currency with the rest in another currency's cash
    (where its pieces make that) or by pago móvil (``pago_movil``: its currency, where it is
    taken), then all in one currency where the pieces cannot make it."""
    known = [c for c in currencies if c in rates]
    whole: list[ChangeWay] = []
    short: list[ChangeWay] = []
    for currency in known:
        amount = rates.express(owed, currency)
        pieces = denominations.get(currency)
        fits = not pieces or makeable(amount.minor, pieces)
        # (change that rounds to nothing in a currency is offered last: it gives nothing)
        (whole if fits and amount.minor else short).append(ChangeWay(amount, whole=fits))
    splits: list[ChangeWay] = []
    for currency in known:
        pieces = denominations.get(currency)
        amount = rates.express(owed, currency)
        if not pieces or makeable(amount.minor, pieces):
            continue
        notes = Money(greedy_pieces(amount.minor, pieces), currency)
        if not notes.minor:
            continue
        left = owed - rates.value_of(notes)
        others = [(other, CASH) for other in known if other != currency]
        if pago_movil is not None and pago_movil != currency and pago_movil in rates:
            others.append((pago_movil, PAGO_MOVIL))
        for other, by in others:
            rest = rates.express(left, other)
            if not rest.minor:
                continue
            if by == CASH and not makeable(rest.minor, denominations.get(other) or ()):
                continue  # (a currency with no pieces known is not split into)
            # the settlement gives in cash what the rest leaves: it must be the notes
            if rates.express(owed - rates.value_of(rest), currency) != notes:
                continue
            splits.append(ChangeWay(notes, rest, by))
    return [*whole, *splits, *short]
