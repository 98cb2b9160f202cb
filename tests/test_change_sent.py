"""Change sent by pago móvil from the fair's account: a change tender of its own, at the till
and from the command line, on the receipt (golden), in the X and Z reports (the cash expected in
the drawer leaves it out, and so does the blind count of the pago móvil slips), on the
wire and at a real ledger, whose figures match the lane's."""

from __future__ import annotations

from pathlib import Path

import pytest

from fairpos import i18n
from fairpos.domain.cart import Cart
from fairpos.domain.money import Money
from fairpos.domain.quantity import Quantity
from fairpos.domain.tenders import PaymentError, Tender, make_change_tender
from fairpos.journal import DB_NAME, Journal
from fairpos.printer.layout import sale_receipt
from fairpos.printer.render import render
from harness.lanes import LaneDir, open_lane
from harness.sync_helpers import LedgerServer, connect, payloads
from tests.test_printer import SETTINGS, check_golden
from tests.till_helpers import make_till, message, rows, settle, type_in

SENT = "pago_movil:VES:2000,phone=04141234567,bank=0102,ref=778899"
# Tomato 1.250 kg = 1.50 USD, paid with 20 USD: 18.50 USD of change, 7,659.74 VES at 414.04


@pytest.fixture
def lane(tmp_path: Path) -> LaneDir:
    return open_lane(tmp_path / "lane", "SENT01")


def test_part_of_the_change_sent_by_pago_movil_the_rest_in_cash(lane: LaneDir) -> None:
    sale = lane.sell("--line", "101=1.25kg", "--pay", "cash:USD:20", "--change-by", SENT)
    # 2,000 VES is 4.8304 USD: 13.67 USD is left for the drawer to give
    assert sale["change"] == {"currency": "USD", "amount": "13.67"}
    assert sale["change_sent"] == [{"method": "pago_movil", "currency": "VES",
                                    "amount": "2000.00",
                                    "reference": {"phone": "04141234567", "bank": "0102",
                                                  "ref": "778899"}}]
    all_sent = lane.sell("--line", "101=1.25kg", "--pay", "cash:USD:20", "--change-by",
                         SENT.replace("2000", "7659.74"))
    assert all_sent["change"]["amount"] == "0.00"
    report = lane.json("report")
    assert report["change_sent"] == {"VES": "9659.74"}
    assert [t["method"] for t in report["tenders"]] == ["cash"]  # the change is no payment
    assert report["drawer"] == {"USD": "46.33"}  # the float, 40 in, 13.67 out: cash only
    assert report["totals"] == {"USD": "26.33", "VES": "-9659.74"}
    text = lane.run("report").stdout
    assert "Change by pago móvil" in text and "-9,659.74 VES" in text


def test_the_close_counts_what_came_in_not_the_change_sent(lane: LaneDir) -> None:
    lane.sell("--line", "101=1.25kg", "--pay", "pago_movil:VES:621.06,ref=1111")
    lane.sell("--line", "101=1.25kg", "--pay", "cash:USD:20", "--change-by",
              "pago_movil:VES:1000,phone=04121234567,bank=0105,ref=2222")
    journal = Journal.open(lane.path / DB_NAME)
    try:
        shift = journal.current_shift()
        assert shift is not None
        expected = journal.expected_counts(shift.id)
    finally:
        journal.close()
    # the slips are of what came in (621.06); the 1,000 sent left the fair's account, and a
    # count could never match a negative figure
    assert expected[("pago_movil", "VES")] == 62106
    # the float and 20 USD in; out of the drawer only what was not sent: 18.50 − 2.42 USD
    assert expected[("cash", "USD")] == 2000 + 2000 - 1608


def test_a_void_gives_the_change_sent_back_too(lane: LaneDir) -> None:
    sale = lane.sell("--line", "101=1.25kg", "--pay", "cash:USD:20", "--change-by", SENT)
    void = lane.json("void", sale["id"], "--reason", "wrong product")
    assert void["change_sent"][0]["amount"] == "-2000.00"
    report = lane.json("report")
    assert report["change_sent"] == {} and report["totals"] == {"USD": "0.00"}
    # the schema's sign rule for a void: everything it moves goes back
    from dataclasses import replace

    from fairpos.sync.sale_rules import check_sale

    journal = Journal.open(lane.path / DB_NAME)
    try:
        shift = journal.current_shift()
        assert shift is not None
        entry = next(e for e in journal.sales(shift.id) if e.kind == "void")
    finally:
        journal.close()
    assert check_sale(entry) is None
    taken = replace(entry.tenders[0], amount=Money(1, "USD"))
    assert "wrong sign" in str(check_sale(replace(entry, tenders=(taken,))))
    sent_back = replace(entry.change_sent[0], amount=Money(1, "VES"))
    assert "wrong sign" in str(check_sale(replace(entry, change_sent=(sent_back,))))


def test_what_cannot_be_sent_is_refused_and_nothing_is_written(lane: LaneDir) -> None:
    before = lane.dump()
    base = ["sell", "--line", "101=1.25kg", "--pay", "cash:USD:20"]
    too_much = SENT.replace("2000", "7660")
    assert "more than the change" in lane.fail(*base, "--change-by", too_much)
    assert "no change to send" in lane.fail("sell", "--line", "101=1.25kg",
                                            "--pay", "cash:USD:1.50", "--change-by", SENT)
    assert "phone" in lane.fail(*base, "--change-by", SENT.replace(",phone=04141234567", ""))
    assert "bank" in lane.fail(*base, "--change-by", SENT.replace(",bank=0102", ""))
    assert "reference" in lane.fail(*base, "--change-by", SENT.replace(",ref=778899", ""))
    assert "in cash (cash:CUR:AMOUNT) or by pago móvil" in lane.fail(
        *base, "--change-by", "card:VES:2000,ref=1")
    assert "in cash (cash:CUR:AMOUNT) or by pago móvil" in lane.fail(
        *base, "--change-by", "cash:VES:2000,ref=1")  # (cash carries no reference)
    assert "not left unverified" in lane.fail(*base, "--change-by", SENT + ",unverified")
    assert "not a valid" in lane.fail(*base, "--change-by", SENT.replace("0102", "01;02"))
    assert "--hold takes lines only" in lane.fail("sell", "--line", "305", "--hold",
                                                  "--change-by", SENT)
    assert lane.dump() == before


def test_a_market_without_pago_movil_gives_its_change_in_cash() -> None:
    with pytest.raises(PaymentError, match="not taken here"):
        make_change_tender(Money(100, "USD"), {"phone": "1", "bank": "2", "ref": "3"},
                           offered=["cash", "card"])


# -- the receipt ------------------------------------------------------------------------------

def test_the_receipt_of_a_sale_with_change_sent(golden_journal: Journal) -> None:
    journal = golden_journal
    i18n.use("es")
    journal.open_shift("Ana", {"USD": 2000})
    cart = Cart("USD")
    cart.add(journal.catalog(), "101", Quantity(grams=1250))
    sent = Tender("pago_movil", Money(200000, "VES"),
                  {"phone": "04141234567", "bank": "0102", "ref": "778899"})
    sale = journal.confirm_sale(cart, [Tender("cash", Money(2000, "USD"))], "USD", SETTINGS,
                                sent=[sent])
    receipt = sale_receipt(sale, fair=SETTINGS.fair.name, lane=1, language="es", width=48,
                           footer=SETTINGS.printer.footer)
    text = "\n".join(receipt.text())
    assert "Vuelto por pago móvil" in text and "2.000,00 VES" in text
    assert "…4567" in text and "04141234567" not in text  # the phone by its last digits
    check_golden("change-by-pago-movil-48",
                 render(receipt, profile="TM-T20II", codepage="CP858"))


# -- the till --------------------------------------------------------------------------------

async def test_the_till_sends_the_change_by_pago_movil(lane: LaneDir) -> None:
    app = make_till(lane.path)
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(pilot)
        await type_in(pilot, "101*1.25", "enter")
        await type_in(pilot, "", "f2")
        await type_in(pilot, "20", "enter")  # cash, 20 USD: 18.50 USD of change
        # (no dollar cents in the drawer: 18 dollars, and the 0.50 sent in bolívares)
        assert "18.00 USD + 207.02 VES by pago móvil" in message(pilot, "#due")
        await type_in(pilot, "", "escape")  # (nothing sent yet: back to the sale is fine)
        await type_in(pilot, "", "f2")
        await type_in(pilot, "", "f7")  # the change by pago móvil
        await type_in(pilot, "2000", "tab", "tab")  # the amount; the reference comes later
        await type_in(pilot, "0102", "tab")  # the bank
        await type_in(pilot, "04141234567", "enter")  # the phone
        assert "reference" in message(pilot, "#pay-message")  # not sent without it
        assert pilot.app.focused is not None and pilot.app.focused.id == "ref"  # taken there
        await type_in(pilot, "778899", "enter")
        assert "Change sent by pago móvil: 2,000.00 VES" in message(pilot, "#pay-message")
        assert "13.00 USD + 277.22 VES by pago móvil" in message(pilot, "#due")
        await type_in(pilot, "", "f5")  # the volunteer has the cents: the rest in cash
        assert "Change: 13.67 USD" in message(pilot, "#due")
        await type_in(pilot, "", "escape")  # that money left the account: not let go of
        assert "confirm the sale, or remove it with F8" in message(pilot, "#pay-message")
        await type_in(pilot, "", "enter")  # confirm
        assert "Sent by pago móvil: 2,000.00 VES" in message(pilot)
    assert rows(lane.path, "SELECT method, currency, amount, is_change FROM tenders") == [
        ("cash", "USD", 2000, 0), ("pago_movil", "VES", 200000, 1)]
    assert rows(lane.path, "SELECT change_currency, change FROM sales") == [("USD", 1367)]


# -- the ledger ------------------------------------------------------------------------------

def test_the_change_sent_reaches_the_ledger_and_the_figures_match(lane: LaneDir,
                                                                   tmp_path: Path) -> None:
    server = LedgerServer(tmp_path / "ledger.db")
    try:
        connect(lane, server)
        sale = lane.sell("--line", "101=1.25kg", "--pay", "cash:USD:20", "--change-by", SENT)
        lane.sell("--line", "305", "--pay", "cash:VES:1000", "--change-by",
                  "pago_movil:VES:3.15,phone=04121112233,bank=0134,ref=6666")
        synced = lane.run("sync").stdout
        assert "2 new" in synced and "matched" in synced
        [first, _second] = payloads(lane)
        assert first["change"]["sent"][0]["amount"] == 200000
        with server.store() as ledger:
            report = ledger.report(sale["business_date"])
        tenders = {(t.method, t.currency): t.amount for t in report.tenders}
        # rice, 1.20 USD = 496.85 VES: 503.15 VES of change, 3.15 of it sent
        assert tenders == {("cash", "USD"): 2000 - 1367, ("cash", "VES"): 100000 - 50000,
                           ("pago_movil", "VES"): -200000 - 315}
        lane_report = lane.json("report")
        assert lane_report["totals"] == {"USD": "6.33", "VES": "-1503.15"}
    finally:
        server.stop()
