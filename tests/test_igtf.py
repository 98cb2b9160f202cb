"""The IGTF (``[tax] igtf_rate``, off by default): charged on the part of a sale paid in cash
in a currency other than the local one, on top of the total, with its base; through a sale at
the till and from the command line, the receipt (golden), the X and Z reports, a void, and a
real ledger whose figures match the lane's."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fairpos import i18n
from fairpos.domain.cart import Cart
from fairpos.domain.money import Money, Rate, Rates
from fairpos.domain.quantity import Quantity
from fairpos.domain.tenders import PaymentError, Tender, settle
from fairpos.journal import DB_NAME, Journal
from fairpos.ledger.store.records import IgtfTotal
from fairpos.printer.layout import sale_receipt
from fairpos.printer.render import render
from fairpos.settings import SettingsError, parse_settings
from harness.lanes import LaneDir, make_lane
from harness.sync_helpers import LedgerServer, connect
from tests.test_printer import SETTINGS, check_golden
from tests.till_helpers import make_till, message, rows, type_in
from tests.till_helpers import settle as settle_till

IGTF = parse_settings("[money]\ntender_currencies = [\"USD\", \"VES\"]\n"
                      "[tax]\nigtf_rate = \"3\"\nlocal_currency = \"VES\"\n").igtf
RATES = Rates("USD", {"VES": Rate("USD", "VES", Decimal("414.04"), 1, date(2026, 1, 1))})
TAX = "\n[tax]\nigtf_rate = \"3\"\nlocal_currency = \"VES\"\n"


def cash(amount: int, currency: str = "USD") -> Tender:
    return Tender("cash", Money(amount, currency))


def test_foreign_cash_pays_the_total_and_its_tax_the_rest_none() -> None:
    assert IGTF is not None and IGTF.rate == Fraction(3, 100)
    total = Money(1000, "USD")
    state = settle(total, [cash(2000)], RATES, "USD", igtf=IGTF)
    assert (state.igtf, state.igtf_base, state.change) == (30, 1000, Money(970, "USD"))
    bolivares = settle(total, [cash(414040, "VES")], RATES, "VES", igtf=IGTF)
    assert bolivares.igtf == 0 and bolivares.covered  # the local currency carries none
    card = settle(total, [Tender("card", Money(414040, "VES"), {"ref": "1"})], RATES, "USD",
                  igtf=IGTF)
    assert card.igtf == 0 and card.covered  # nor does a card
    half = settle(total, [cash(500), cash(207020, "VES")], RATES, "USD", igtf=IGTF)
    assert (half.igtf_base, half.igtf, half.covered) == (485, 15, False)  # 5 USD pay 4.85 + tax
    assert half.due_in(RATES, "USD", "cash", IGTF) == Money(15, "USD")
    off = settle(total, [cash(1000)], RATES, "USD")
    assert off.igtf == 0 and off.covered  # (no [tax] igtf_rate: no IGTF)


@settings(max_examples=300, deadline=None)
@given(total=st.integers(1, 1_000_000), local=st.integers(0, 2_000_000))
def test_what_the_till_asks_for_in_foreign_cash_covers_it_exactly(total: int, local: int) -> None:
    """Whatever was paid in bolívares first, paying exactly the due shown for foreign cash
    covers the sale with no change, and the tax is the printed base times the rate."""
    assert IGTF is not None
    first = [cash(local, "VES")] if local else []
    try:
        state = settle(Money(total, "USD"), first, RATES, "USD", igtf=IGTF)
    except PaymentError:
        return
    due = state.due_in(RATES, "USD", "cash", IGTF)
    if state.covered:
        return
    final = settle(Money(total, "USD"), [*first, cash(due.minor)], RATES, "USD", igtf=IGTF)
    assert final.covered and final.change.minor == 0
    assert final.igtf == (final.igtf_base * 3 + 50) // 100
    assert final.igtf_base <= total


@pytest.mark.parametrize("tax, said", [
    ('igtf_rate = "abc"\nlocal_currency = "VES"', "percent"),
    ('igtf_rate = "150"\nlocal_currency = "VES"', "percent"),
    ('igtf_rate = "3"', "local_currency"),
    ('igtf_rate = "3"\nlocal_currency = "EUR"', "local_currency"),
])
def test_an_igtf_setting_that_cannot_be_is_refused(tax: str, said: str) -> None:
    with pytest.raises(SettingsError, match=said):
        parse_settings(f"[money]\ntender_currencies = [\"USD\", \"VES\"]\n[tax]\n{tax}\n")


@pytest.fixture
def lane(tmp_path: Path) -> LaneDir:
    lane = make_lane(tmp_path / "lane", device_id="IGTF01")
    with (lane.path / "fairpos.toml").open("a") as text:
        text.write(TAX)
    lane.run("rate", "set", "VES", "414.04", "--effective", "2026-01-01")
    lane.run("shift", "open", "--volunteer", "Ana", "--float", "USD:20")
    return lane


def test_a_sale_the_reports_and_a_void_from_the_command_line(lane: LaneDir) -> None:
    sale = lane.sell("--line", "101=1.25kg", "--line", "3*305", "--pay", "cash:USD:20")
    assert sale["igtf"] == {"amount": "0.15", "base": "5.10"}
    assert sale["change"]["amount"] == "14.75"  # 20 − 5.10 − 0.15
    mixed = lane.sell("--line", "101=1.25kg", "--pay", "pago_movil:VES:207.02,ref=1",
                      "--pay", "cash:USD:1.03")  # half by pago móvil: the rest and its tax
    assert mixed["igtf"] == {"amount": "0.03", "base": "1.00"}
    report = lane.json("report")
    assert report["igtf"] == {"amount": "0.18", "base": "6.10"}
    assert "IGTF on 6.10 USD" in lane.run("report").stdout
    lane.run("void", sale["id"], "--reason", "wrong")
    assert lane.json("report")["igtf"] == {"amount": "0.03", "base": "1.00"}
    assert rows(lane.path, "SELECT igtf, igtf_base FROM sales ORDER BY seq") == [
        (15, 510), (3, 100), (-15, -510)]
    assert "0.05 USD still due" in lane.fail("sell", "--line", "101=1.25kg",
                                             "--pay", "cash:USD:1.50")


def test_the_receipt_shows_the_igtf_and_its_base(golden_journal: Journal) -> None:
    journal = golden_journal
    i18n.use("es")
    journal.open_shift("Ana", {"USD": 2000})
    cart = Cart("USD")
    cart.add(journal.catalog(), "101", Quantity(grams=1250))
    with_tax = parse_settings(
        f"[money]\ntender_currencies = [\"USD\", \"VES\"]\nmax_change = [\"USD:1000\"]\n{TAX}")
    sale = journal.confirm_sale(cart, [cash(2000)], "USD", with_tax)
    receipt = sale_receipt(sale, fair=SETTINGS.fair.name, lane=1, language="es", width=48,
                           footer=SETTINGS.printer.footer)
    text = "\n".join(receipt.text())
    assert "IGTF sobre 1,50 USD" in text and "0,05 USD" in text and "1,55 USD" in text
    check_golden("igtf-48", render(receipt, profile="TM-T20II", codepage="CP858"))


async def test_the_till_asks_for_the_igtf_in_foreign_cash(lane: LaneDir) -> None:
    app = make_till(lane.path)
    async with app.run_test(size=(100, 32)) as pilot:
        await settle_till(pilot)
        await type_in(pilot, "101*1.25", "enter")
        await type_in(pilot, "", "f2")  # cash USD first: what it must bring, its IGTF in
        assert "Still due, IGTF included: 1.55 USD" in message(pilot, "#due")
        await type_in(pilot, "", "down")  # cash VES: no IGTF
        assert "Still due: 621.06 VES" in message(pilot, "#due")
        await type_in(pilot, "", "up")
        await type_in(pilot, "", "enter")  # Enter alone: exactly what is due
        assert "IGTF on 1.50 USD: 0.05 USD" in message(pilot, "#due")
        await type_in(pilot, "", "enter")
        assert "confirmed" in message(pilot)
    assert rows(lane.path, "SELECT total, igtf, igtf_base FROM sales") == [(150, 5, 150)]


def test_the_igtf_reaches_the_ledger_and_the_figures_match(lane: LaneDir,
                                                           tmp_path: Path) -> None:
    server = LedgerServer(tmp_path / "ledger.db")
    try:
        connect(lane, server)
        sale = lane.sell("--line", "101=1.25kg", "--pay", "cash:USD:2")
        assert "matched" in lane.run("sync").stdout
        with server.store() as ledger:
            report = ledger.report(sale["business_date"])
        assert report.igtf == [IgtfTotal("USD", 5, 150)]
        assert {(t.method, t.currency): t.amount for t in report.tenders} == {
            ("cash", "USD"): 155}
    finally:
        server.stop()


def test_the_schema_refuses_an_igtf_that_does_not_add_up(lane: LaneDir) -> None:
    from dataclasses import replace

    from fairpos.sync.sale_rules import check_sale

    journal = Journal.open(lane.path / DB_NAME)
    try:
        lane.sell("--line", "101=1.25kg", "--pay", "cash:USD:2")
        shift = journal.current_shift()
        assert shift is not None
        [sale] = journal.sales(shift.id)
    finally:
        journal.close()
    assert check_sale(sale) is None
    assert "do not pay the total" in str(check_sale(replace(sale, igtf=6, igtf_base=150)))
    assert "more than its base" in str(check_sale(replace(sale, igtf_base=4)))
    assert "wrong sign" in str(check_sale(replace(sale, igtf=-5)))
