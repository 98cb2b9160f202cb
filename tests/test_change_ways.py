"""Change a volunteer can hand over: whole notes in one currency and the rest in another (in
cash where its pieces make it, or by pago móvil), each way exact under the one rounding rule
and never made of pieces the drawer does not have."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fairpos.domain.change import greedy_pieces, makeable, ways_to_give
from fairpos.domain.money import Money, Rate, Rates
from fairpos.domain.tenders import CASH, PAGO_MOVIL, Tender, settle
from fairpos.journal import DB_NAME, Journal
from harness.lanes import LaneDir, open_lane
from harness.sync_helpers import connect
from tests.till_helpers import make_till, message, rows, type_in
from tests.till_helpers import settle as settle_till

USD = (10000, 5000, 2000, 1000, 500, 100)  # a Venezuelan stall's dollars: notes only
VES = (50000, 20000, 10000, 5000, 2000, 1000, 500, 100, 50)  # bolívars down to 0,50


def rates(value: str = "414.04") -> Rates:
    return Rates("USD", {"VES": Rate("USD", "VES", Decimal(value), 1, date(2026, 12, 7))})


def test_the_example_46_40_usd() -> None:
    ways = ways_to_give(Fraction(4640), rates(), ["USD", "VES"], {"USD": USD, "VES": VES},
                        pago_movil="VES")
    shown = [(w.cash, w.rest, w.rest_by, w.whole) for w in ways]
    assert (Money(4600, "USD"), Money(16562, "VES"), PAGO_MOVIL, True) in shown
    # 165,62 VES is no sum of bolívar notes and 0,50 coins: never proposed in cash
    assert not any(w.rest == Money(16562, "VES") and w.rest_by == CASH for w in ways)
    # all in dollars cannot be made (no cents); it is offered last, marked
    assert shown[-2:] == [(Money(4640, "USD"), None, CASH, False),
                          (Money(1921146, "VES"), None, CASH, False)]


def test_change_the_pieces_make_comes_first_and_no_pieces_known_is_as_before() -> None:
    whole = ways_to_give(Fraction(4600), rates(), ["USD", "VES"], {"USD": USD, "VES": VES})
    assert (whole[0].cash, whole[0].rest) == (Money(4600, "USD"), None)
    plain = ways_to_give(Fraction(280), rates(), ["VES", "USD"], {})
    assert [(w.cash, w.rest, w.whole) for w in plain] == [
        (Money(115931, "VES"), None, True), (Money(280, "USD"), None, True)]


def test_making_amounts_of_pieces() -> None:
    assert makeable(4600, USD) and not makeable(4640, USD) and makeable(0, USD)
    assert makeable(600, (400, 300)) and not makeable(500, (400, 300))  # greedy alone fails
    assert greedy_pieces(4640, USD) == 4600 and greedy_pieces(40, USD) == 0
    assert not makeable(5, ()) and not makeable(-100, USD)


amounts = st.integers(min_value=1, max_value=200_000)  # pricing-currency minor units
rate_values = st.decimals(min_value=Decimal("0.5"), max_value=Decimal("5000"), places=2)
piece_sets = st.lists(st.sampled_from([1, 5, 10, 25, 50, 100, 200, 500, 1000, 2000, 5000,
                                       10000]), min_size=1, max_size=6, unique=True)


@given(owed=amounts, extra=st.integers(0, 99), value=rate_values, usd=piece_sets, ves=piece_sets,
       by_pago_movil=st.booleans())
def test_every_way_adds_up_exactly_and_is_made_of_pieces_the_drawer_has(
        owed: int, extra: int, value: Decimal, usd: list[int], ves: list[int],
        by_pago_movil: bool) -> None:
    day = rates(str(value))
    change = Fraction(owed) + Fraction(extra, 100)  # (change worth a fraction of a cent too)
    pieces = {"USD": tuple(usd), "VES": tuple(ves)}
    for way in ways_to_give(change, day, ["USD", "VES"], pieces,
                            pago_movil="VES" if by_pago_movil else None):
        if way.whole:  # the cash handed over is made of the drawer's own pieces
            assert makeable(way.cash.minor, pieces[way.cash.currency])
        if way.rest is None:
            assert way.cash == day.express(change, way.cash.currency)
            continue
        assert way.rest.currency != way.cash.currency and way.rest.minor > 0
        if way.rest_by == CASH:
            assert makeable(way.rest.minor, pieces[way.rest.currency])
        else:
            assert by_pago_movil and way.rest.currency == "VES"
        # the notes and the rest are the change: the rest is what the notes leave, rounded
        # once in its own minor unit, and the settlement gives the notes once the rest is given
        assert way.rest == day.express(change - day.value_of(way.cash), way.rest.currency)
        paid = Money(owed + extra // 100 + 10_000_000, "USD")  # a payment that leaves `change`
        total = Money(paid.minor - owed, "USD")
        settled = settle(total, [Tender(CASH, paid)], day, way.cash.currency,
                         sent=[Tender(way.rest_by, way.rest, {"ref": "1", "phone": "0414",
                                                              "bank": "0102"})])
        if extra == 0:
            assert settled.change == way.cash


# -- at the till -------------------------------------------------------------------------------


@pytest.fixture
def lane(tmp_path: Path) -> LaneDir:
    """A feria lane as shipped: dollars in notes, bolívares down to the 0,50 coin."""
    return open_lane(tmp_path / "lane", "SPLIT1")


async def test_the_till_proposes_notes_and_the_rest_in_bolivares_and_says_what_was_given(
        lane: LaneDir) -> None:
    app = make_till(lane.path)
    async with app.run_test(size=(100, 32)) as pilot:
        await settle_till(pilot)
        await type_in(pilot, "101*1.19", "enter")  # 1.43 USD
        await pilot.press("f2")
        await type_in(pilot, "20", "enter")  # 18.57 USD of change, no dollar cents
        assert "Change: 18.00 USD + 236.00 VES (F5: another way)" in message(pilot, "#due")
        await type_in(pilot, "", "f5")  # the other ways: the rest by pago móvil…
        assert "18.00 USD + 236.00 VES by pago móvil" in message(pilot, "#due")
        await type_in(pilot, "", "f5")  # …all in dollars, which the drawer cannot make
        assert "Change: 18.57 USD" in message(pilot, "#due")
        assert "cannot make that exactly" in message(pilot, "#due")
        await type_in(pilot, "", "f5", "f5")  # all in bolívares, then round to the first
        assert "Change: 18.00 USD + 236.00 VES (F5" in message(pilot, "#due")
        await type_in(pilot, "", "enter")
        assert "Change: 18.00 USD + 236.00 VES" in message(pilot)  # (confirmed, said)
        await type_in(pilot, "", "f11")
        receipt = message(pilot, "#text")
        assert "18.00 USD" in receipt and "236.00 VES" in receipt
    assert rows(lane.path, "SELECT change_currency, change FROM sales") == [("USD", 1800)]
    assert rows(lane.path, "SELECT method, currency, amount, is_change FROM tenders "
                           "ORDER BY tender_no") == [("cash", "USD", 2000, 0),
                                                     ("cash", "VES", 23600, 1)]
    x = lane.json("report")
    assert x["change"] == {"USD": "18.00", "VES": "236.00"} and x["change_sent"] == {}
    journal = Journal.open(lane.path / DB_NAME)
    try:
        drawer = journal.expected_counts(1)
    finally:
        journal.close()
    assert drawer[("cash", "USD")] == 2000 + 2000 - 1800  # float, the note, the change
    assert drawer[("cash", "VES")] == -23600  # (the drawer had no bolívares to start with)


def test_a_sale_with_change_in_two_currencies_reaches_the_ledger(tmp_path: Path,
                                                                 server: Any) -> None:
    lane = open_lane(tmp_path / "lane", "SPLIT2")
    sold = lane.sell("--line", "101=1.19kg", "--pay", "cash:USD:20", "--change-by",
                     "cash:VES:236", "--no-print")
    assert sold["change"] == {"currency": "USD", "amount": "18.00"}
    connect(lane, server)
    assert "matched" in lane.run("sync").stdout
    with server.store() as ledger:
        moved = ledger.all("SELECT method, currency, amount FROM sale_tenders ORDER BY tender_no")
    assert [tuple(row) for row in moved] == [("cash", "USD", 2000), ("cash", "USD", -1800),
                                             ("cash", "VES", -23600)]
