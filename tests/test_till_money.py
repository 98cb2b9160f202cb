"""Money a volunteer can trust at the till: no change out of an electronic payment, large
change only when confirmed by its amount, change in the currency the customer paid in, and
payments that survive going back to the sale."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Input

from harness.lanes import LaneDir, make_lane
from tests.till_helpers import is_error, make_till, message, rows, settle, type_in


@pytest.fixture
def lane(tmp_path: Path) -> LaneDir:
    lane = make_lane(tmp_path / "lane", device_id="MONEY1")
    lane.run("rate", "set", "VES", "414.04", "--effective", "2026-01-01")
    lane.run("shift", "open", "--volunteer", "Ana", "--float", "USD:20", "--float", "VES:10000")
    return lane


def amount_field(pilot: object) -> str:
    return str(pilot.app.screen.query_one("#amount", Input).value)  # type: ignore[attr-defined]


async def test_an_electronic_payment_never_exceeds_what_is_due(lane: LaneDir) -> None:
    """The trial's mistake: 451.234 VES by pago móvil on a 496,85 VES sale."""
    app = make_till(lane.path, language="es")
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(pilot)
        await type_in(pilot, "101*1kg", "enter")  # 1.20 USD = 496,85 VES
        await pilot.press("f2")
        await settle(pilot)
        await pilot.press("down", "down", "down")  # pago móvil VES
        await type_in(pilot, "451234")
        await pilot.press("tab")
        await type_in(pilot, "00451234", "enter")
        assert "no puede ser más de lo que falta (496,85 VES)" in message(pilot, "#pay-message")
        assert is_error(pilot, "#pay-message")
        assert amount_field(pilot) == ""  # typing again starts from nothing
        assert app.screen.tenders == []  # type: ignore[attr-defined]
        await type_in(pilot, "496,85")
        await pilot.press("tab")
        await type_in(pilot, "00451234", "enter")  # exactly what is due: accepted
        assert "Pagado. Vuelto: [b]0,00" in str(app.screen.query_one("#due").content)
        await pilot.press("f2")
        await settle(pilot)
        assert "confirmada" in message(pilot)
    assert rows(lane.path, "SELECT method, currency, amount FROM tenders") == [
        ("pago_movil", "VES", 49685)]
    assert rows(lane.path, "SELECT change FROM sales") == [(0,)]


async def test_large_cash_change_is_given_only_once_its_amount_is_confirmed(
        lane: LaneDir) -> None:
    app = make_till(lane.path)
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(pilot)
        await type_in(pilot, "305", "enter")  # 1.20 USD
        await pilot.press("f2")
        await type_in(pilot, "101.20", "enter")  # a 100 USD note and change: 100 USD back
        await type_in(pilot, "", "enter")  # confirm the sale...
        assert app.screen.__class__.__name__ == "ConfirmChangeScreen"  # ...is asked about
        assert "Change: 100.00 USD" in message(pilot, "#change-amount")
        await type_in(pilot, "", "enter", "enter")  # Enter never gives it
        assert app.screen.__class__.__name__ == "ConfirmChangeScreen"
        await type_in(pilot, "", "escape")
        assert "not given" in message(pilot, "#pay-message")
        assert rows(lane.path, "SELECT COUNT(*) FROM sales") == [(0,)]
        await pilot.press("f2")  # confirm again, and this time give it
        await settle(pilot)
        await type_in(pilot, "", "f2")
        assert "confirmed" in message(pilot) and "100.00 USD" in message(pilot)
    assert rows(lane.path, "SELECT change_currency, change FROM sales") == [("USD", 10000)]


async def test_change_goes_in_the_currency_the_customer_paid_in(lane: LaneDir) -> None:
    app = make_till(lane.path)
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(pilot)
        await type_in(pilot, "305", "enter")  # 1.20 USD = 496.85 VES
        await pilot.press("f2")
        await pilot.press("down")  # cash VES
        await type_in(pilot, "500", "enter")
        due = message(pilot, "#due")
        assert "Change: 3.15 VES" in due and "The same change in 0.01 USD" in due
        await type_in(pilot, "", "enter")
        assert "confirmed" in message(pilot)
    assert rows(lane.path, "SELECT change_currency, change FROM sales") == [("VES", 315)]


async def test_change_that_rounds_to_nothing_in_one_currency_is_pointed_out(
        lane: LaneDir) -> None:
    app = make_till(lane.path)
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(pilot)
        await type_in(pilot, "305", "enter")
        await pilot.press("f2")
        await pilot.press("down")  # cash VES
        await type_in(pilot, "498", "enter")  # 1.15 VES over: 0.00 USD, 1.15 VES
        await pilot.press("f5")  # the volunteer chooses USD
        await settle(pilot)
        due = message(pilot, "#due")
        assert "Change: 0.00 USD" in due and "Careful" in due and "1.15 VES" in due


async def test_the_configured_change_currency_is_the_default(tmp_path: Path) -> None:
    lane = make_lane(tmp_path / "lane")
    lane.run("rate", "set", "VES", "414.04", "--effective", "2026-01-01")
    lane.run("shift", "open", "--volunteer", "Ana")
    app = make_till(lane.path, FAIRPOS_MONEY__CHANGE_CURRENCY="VES")
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(pilot)
        await type_in(pilot, "305", "enter")
        await pilot.press("f2")
        await type_in(pilot, "2", "enter")  # 2 USD cash: the change is still in VES
        assert "Change: 331.23 VES" in message(pilot, "#due")


async def test_going_back_to_the_sale_keeps_the_payments(lane: LaneDir) -> None:
    app = make_till(lane.path)
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(pilot)
        await type_in(pilot, "305", "enter")
        await type_in(pilot, "305", "enter")  # 2.40 USD
        await pilot.press("f2")
        await type_in(pilot, "1", "enter")  # 1 USD paid
        await type_in(pilot, "", "escape")
        assert "the payment entered is kept" in message(pilot)
        await type_in(pilot, "", "f6")  # holding the sale now would lose the dollar
        assert "Payments were entered" in message(pilot) and is_error(pilot)
        await pilot.press("f2")
        await settle(pilot)
        assert "still here" in message(pilot, "#pay-message")
        assert "Still due: 1.40 USD" in message(pilot, "#due")
        await type_in(pilot, "", "enter", "enter")  # the rest, exactly; confirm
        assert "confirmed" in message(pilot)
        assert app.payments == []  # the next sale starts with none
    assert rows(lane.path, "SELECT amount FROM tenders ORDER BY tender_no") == [(100,), (140,)]


def test_the_command_line_keeps_the_same_rules(lane: LaneDir) -> None:
    before = lane.dump()
    refused = lane.fail("sell", "--line", "101=1kg", "--pay",
                        "pago_movil:VES:451234,ref=00451234")
    assert "cannot be more than what is due (496.85 VES)" in refused
    refused = lane.fail("sell", "--line", "305", "--pay", "cash:USD:100")
    assert "the change is 98.80 USD, more than 20.00 USD" in refused
    assert "--confirm-change 98.80" in refused
    assert "98.80" in lane.fail("sell", "--line", "305", "--pay", "cash:USD:100",
                                "--confirm-change", "98.00")
    assert lane.dump() == before
    sale = lane.sell("--line", "305", "--pay", "cash:USD:100", "--confirm-change", "98.80")
    assert sale["change"] == {"currency": "USD", "amount": "98.80"}
    paid_in_ves = lane.sell("--line", "305", "--pay", "cash:VES:500")
    assert paid_in_ves["change"] == {"currency": "VES", "amount": "3.15"}
