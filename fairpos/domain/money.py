"""Exact money: integer minor units per currency, decimal exchange rates, one rounding rule.

Every amount that flows through fairpos is an ``int`` of minor units (cents, céntimos) paired
with an ISO 4217 code. Exchange rates are :class:`~decimal.Decimal` values with a version and an
effective date. The only place where a fraction of a minor unit is turned into a whole one is
:func:`round_half_up` (the BCV rule: round half up on the first dropped digit).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from fractions import Fraction

from babel.numbers import get_currency_precision

from fairpos.errors import FairposError
from fairpos.i18n import _

CURRENCY_CODE = re.compile(r"^[A-Z]{3}$")
# A plain decimal amount: digits, at most one separator ("." or ","), digits.
_AMOUNT = re.compile(r"^(?P<int>\d+)(?:[.,](?P<frac>\d*))?$")
# No single amount at a market stall is larger than this many major units.
MAX_MAJOR_UNITS = 10**12


class MoneyError(FairposError, ValueError):
    """Raised for an amount or currency that cannot be used; the message is for a person."""


def minor_digits(currency: str) -> int:
    """How many decimal digits the currency's minor unit has (USD 2, VES 2, JPY 0)."""
    return int(get_currency_precision(currency))


def check_currency(code: str) -> str:
    """Return the code in upper case if it looks like an ISO 4217 code, else raise MoneyError."""
    upper = code.strip().upper()
    if not CURRENCY_CODE.match(upper):
        raise MoneyError(_("“{code}” is not a currency code (three letters, e.g. USD)").format(
            code=code))
    return upper


def round_half_up(value: Fraction | Decimal | int) -> int:
    """The one rounding rule: to the nearest integer, halves away from zero."""
    if isinstance(value, int):
        return value
    if isinstance(value, Decimal):
        return int(value.to_integral_value(rounding=ROUND_HALF_UP))
    sign = -1 if value < 0 else 1
    magnitude = abs(value)
    whole, rest = divmod(magnitude.numerator, magnitude.denominator)
    if 2 * rest >= magnitude.denominator:
        whole += 1
    return sign * whole


@dataclass(frozen=True, order=True, slots=True)
class Money:
    """An exact amount: ``minor`` units of ``currency``."""

    minor: int
    currency: str

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.minor + other.minor, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.minor - other.minor, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.minor, self.currency)

    def _same(self, other: Money) -> None:
        if other.currency != self.currency:
            raise MoneyError(f"cannot combine {self.currency} and {other.currency}")

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(0, currency)

    def as_decimal(self) -> Decimal:
        """The amount in major units, exact (``Money(123, 'USD')`` → ``Decimal('1.23')``)."""
        return Decimal(self.minor).scaleb(-minor_digits(self.currency))

    def plain(self) -> str:
        """Machine form with a dot and every minor digit: ``'1234.50'``."""
        digits = minor_digits(self.currency)
        return f"{self.as_decimal():.{digits}f}"

    def __str__(self) -> str:
        return f"{self.plain()} {self.currency}"


def parse_amount(text: str, currency: str, *, allow_zero: bool = True) -> Money:
    """Read an amount typed by a person or a script: ``12``, ``12.5``, ``12,50``.

    No sign, no thousands separators, no more decimals than the currency has.
    """
    raw = text.strip()
    match = _AMOUNT.match(raw)
    if not match:
        raise MoneyError(_("“{text}” is not an amount (write it like 12.50)").format(text=text))
    digits = minor_digits(currency)
    frac = match.group("frac") or ""
    if len(frac) > digits:
        raise MoneyError(
            _("“{text}” has more decimals than {currency} allows ({digits})").format(
                text=text, currency=currency, digits=digits))
    whole = int(match.group("int"))
    if whole >= MAX_MAJOR_UNITS:
        raise MoneyError(_("“{text}” is too large an amount").format(text=text))
    minor = whole * 10**digits + (int(frac.ljust(digits, "0")) if digits else 0)
    if minor == 0 and not allow_zero:
        raise MoneyError(_("the amount must be more than zero"))
    return Money(minor, currency)


@dataclass(frozen=True, slots=True)
class Rate:
    """How many units of ``quote`` one unit of ``base`` buys, e.g. USD→VES 414.04.

    ``version`` increases with every new rate for the same pair; ``effective`` is the first
    business date on which it applies.
    """

    base: str
    quote: str
    value: Decimal
    version: int
    effective: date

    def to_quote(self, base_minor: Fraction | int) -> Fraction:
        """Base minor units as an exact fraction of quote minor units."""
        shift = minor_digits(self.quote) - minor_digits(self.base)
        return Fraction(base_minor) * Fraction(self.value) * Fraction(10) ** shift

    def to_base(self, quote_minor: Fraction | int) -> Fraction:
        """Quote minor units as an exact fraction of base minor units."""
        shift = minor_digits(self.base) - minor_digits(self.quote)
        return Fraction(quote_minor) / Fraction(self.value) * Fraction(10) ** shift

    def convert(self, amount: Money) -> Money:
        """``amount`` in base, converted to quote and rounded half up to the minor unit."""
        if amount.currency != self.base:
            raise MoneyError(f"rate {self.base}->{self.quote} cannot convert {amount.currency}")
        return Money(round_half_up(self.to_quote(amount.minor)), self.quote)


def parse_rate(text: str) -> Decimal:
    """A positive exchange rate such as ``414.04`` (at most 8 decimals)."""
    try:
        value = Decimal(text.strip().replace(",", "."))
    except InvalidOperation:
        raise MoneyError(_("“{text}” is not an exchange rate").format(text=text)) from None
    exponent = value.as_tuple().exponent
    if not value.is_finite() or value <= 0 or not isinstance(exponent, int) or exponent < -8:
        raise MoneyError(
            _("an exchange rate must be a positive number with at most 8 decimals"))
    if value >= 10**12:
        raise MoneyError(_("“{text}” is too large an exchange rate").format(text=text))
    return value


class Rates:
    """The rates in force for one sale: pricing currency → each tender currency."""

    def __init__(self, currency: str, rates: dict[str, Rate]) -> None:
        self.currency = currency
        self._rates = dict(rates)

    def __contains__(self, currency: object) -> bool:
        return currency == self.currency or currency in self._rates

    def currencies(self) -> list[str]:
        """The pricing currency, then every currency with a rate."""
        return [self.currency, *sorted(self._rates)]

    def get(self, currency: str) -> Rate | None:
        return self._rates.get(currency)

    def all(self) -> list[Rate]:
        return [self._rates[code] for code in sorted(self._rates)]

    def older_than(self, days: int, today: date) -> dict[str, int]:
        """How many days old each rate is that came into force more than ``days`` days
        before ``today`` (none when ``days`` is 0: ages are not watched)."""
        if days <= 0:
            return {}
        ages = {code: (today - rate.effective).days for code, rate in self._rates.items()}
        return {code: age for code, age in sorted(ages.items()) if age > days}

    def _rate(self, currency: str) -> Rate:
        try:
            return self._rates[currency]
        except KeyError:
            raise MoneyError(
                _("there is no exchange rate for {currency}; set one with "
                  "“fairpos rate set {currency} AMOUNT”").format(currency=currency)) from None

    def value_of(self, amount: Money) -> Fraction:
        """What ``amount`` is worth in pricing-currency minor units, exactly."""
        if amount.currency == self.currency:
            return Fraction(amount.minor)
        return self._rate(amount.currency).to_base(amount.minor)

    def express(self, value: Fraction | int, currency: str) -> Money:
        """A pricing-currency value, as an amount of ``currency`` rounded half up."""
        if currency == self.currency:
            return Money(round_half_up(Fraction(value)), currency)
        return Money(round_half_up(self._rate(currency).to_quote(value)), currency)
