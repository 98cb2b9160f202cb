"""Exact money: rounding, parsing, conversion, split tenders and change that always balance."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fairpos.domain.cart import line_amount
from fairpos.domain.money import (
    Money,
    MoneyError,
    Rate,
    Rates,
    parse_amount,
    parse_rate,
    round_half_up,
)
from fairpos.domain.tenders import Tender, settle
from fairpos.i18n import format_grams, format_money


def test_round_half_up_is_the_bcv_rule() -> None:
    assert round_half_up(Fraction(5, 2)) == 3
    assert round_half_up(Fraction(249, 100)) == 2
    assert round_half_up(Fraction(-5, 2)) == -3
    assert round_half_up(Decimal("2616.7328")) == 2617
    assert round_half_up(Decimal("0.5")) == 1
    assert round_half_up(7) == 7


@pytest.mark.parametrize(("text", "minor"), [("12", 1200), ("12.5", 1250), ("12,50", 1250),
                                              ("0.01", 1), ("1234567.89", 123456789)])
def test_parse_amount(text: str, minor: int) -> None:
    assert parse_amount(text, "USD") == Money(minor, "USD")


@pytest.mark.parametrize("text", ["", "abc", "1.2.3", "-1", "1,234.56", "12.345", "1e3",
                                  " . ", "NaN", "10000000000000"])
def test_parse_amount_refuses(text: str) -> None:
    with pytest.raises(MoneyError):
        parse_amount(text, "USD")


def test_currency_without_minor_unit() -> None:
    assert parse_amount("1500", "JPY") == Money(1500, "JPY")
    with pytest.raises(MoneyError, match="more decimals than JPY"):
        parse_amount("1500.5", "JPY")


@pytest.mark.parametrize("text", ["0", "-1", "abc", "1.123456789", "Infinity"])
def test_parse_rate_refuses(text: str) -> None:
    with pytest.raises(MoneyError):
        parse_rate(text)


def test_formatting_follows_the_language() -> None:
    assert format_money(Money(123456, "USD"), "es") == "1.234,56 USD"
    assert format_money(Money(123456, "USD"), "en") == "1,234.56 USD"
    assert format_money(Money(-5, "VES"), "es") == "-0,05 VES"
    assert format_grams(1250, "es") == "1,250 kg"
    assert format_grams(1250, "en") == "1.250 kg"


def test_money_refuses_mixed_currencies() -> None:
    with pytest.raises(MoneyError):
        Money(1, "USD") + Money(1, "VES")


RATE = Rate("USD", "VES", Decimal("414.04"), 1, date(2026, 2, 26))
rates_strategy = st.decimals(min_value=Decimal("0.0001"), max_value=Decimal("100000"),
                             places=4, allow_nan=False, allow_infinity=False)


@given(grams=st.integers(1, 100_000), price=st.integers(1, 100_000))
def test_line_amount_is_within_half_a_cent_of_exact(grams: int, price: int) -> None:
    amount = line_amount(price, grams=grams)
    exact = Fraction(grams * price, 1000)
    assert abs(amount - exact) <= Fraction(1, 2)
    assert amount - exact != Fraction(-1, 2)  # halves go up, never down


@given(grams=st.integers(-10**7, 10**7), price=st.integers(0, 10**11))
def test_line_amount_is_the_one_rounding_rule(grams: int, price: int) -> None:
    """Weighed lines are worked out in integers; the same as rounding the exact amount."""
    assert line_amount(price, grams=grams) == round_half_up(Fraction(grams * price, 1000))


@given(minor=st.integers(0, 10**10), value=rates_strategy)
def test_conversion_rounds_half_up_once(minor: int, value: Decimal) -> None:
    rate = Rate("USD", "VES", value, 1, date(2026, 1, 1))
    converted = rate.convert(Money(minor, "USD"))
    exact = Fraction(minor) * Fraction(value)
    assert abs(converted.minor - exact) <= Fraction(1, 2)
    if value >= 1:  # a finer currency converts back exactly
        assert round_half_up(rate.to_base(converted.minor)) == minor


def _rates(value: Decimal) -> Rates:
    return Rates("USD", {"VES": Rate("USD", "VES", value, 1, date(2026, 1, 1))})


@settings(max_examples=300)
@given(total=st.integers(1, 10**7), value=rates_strategy,
       partial=st.lists(st.tuples(st.sampled_from(["USD", "VES"]), st.integers(1, 10**6)),
                        max_size=3),
       last=st.sampled_from(["USD", "VES"]))
def test_paying_what_is_shown_always_covers_the_sale(
        total: int, value: Decimal, partial: list[tuple[str, int]], last: str) -> None:
    """Split tenders: after any partial payments, paying the shown remainder covers the sale."""
    rates = _rates(value)
    tenders = [Tender("cash", Money(minor, currency)) for currency, minor in partial]
    owed = Money(total, "USD")
    state = settle(owed, tenders, rates, "USD")
    for currency in ("USD", "VES"):  # "0.00 still due" is only ever shown on a covered sale
        assert state.covered or state.due_in(rates, currency).minor > 0
    if not state.covered:
        tenders.append(Tender("cash", state.due_in(rates, last)))
        state = settle(owed, tenders, rates, "USD")
        assert state.covered
        # Nothing is forgiven beyond half a minor unit of the currency paid in.
        assert state.remaining <= rates.value_of(Money(1, last)) / 2


@settings(max_examples=300)
@given(total=st.integers(1, 10**7), value=rates_strategy,
       paid=st.lists(st.tuples(st.sampled_from(["USD", "VES"]), st.integers(1, 10**8)),
                     min_size=1, max_size=4),
       change_currency=st.sampled_from(["USD", "VES"]))
def test_change_balances_to_the_minor_unit(total: int, value: Decimal,
                                           paid: list[tuple[str, int]],
                                           change_currency: str) -> None:
    """Tenders − change = total, to within half a minor unit of the change currency."""
    rates = _rates(value)
    tenders = [Tender("cash", Money(minor, currency)) for currency, minor in paid]
    state = settle(Money(total, "USD"), tenders, rates, change_currency)
    if state.remaining < 0:
        change_value = rates.value_of(state.change)
        residual = state.paid - change_value - total
        assert abs(residual) <= rates.value_of(Money(1, change_currency)) / 2
        assert state.change.minor >= 0
    else:
        assert state.change.minor == 0


def test_rates_refuse_a_currency_without_rate() -> None:
    rates = Rates("USD", {})
    with pytest.raises(MoneyError, match="no exchange rate for VES"):
        rates.value_of(Money(100, "VES"))
