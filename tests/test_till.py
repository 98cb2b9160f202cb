"""The till, driven with Pilot exactly as a volunteer types; checked on screen and in SQLite."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Checkbox, DataTable, Input

from harness.lanes import LaneDir, make_lane
from tests.till_helpers import (
    entry_value,
    focused_id,
    is_error,
    make_till,
    message,
    notices,
    rows,
    settle,
    type_in,
    until,
)


@pytest.fixture
def lane(tmp_path: Path) -> LaneDir:
    """A feria lane with rates and an open shift, as the volunteer finds it at 5 am."""
    lane = make_lane(tmp_path / "lane", device_id="TEST01")
    lane.run("rate", "set", "VES", "414.04", "--effective", "2026-01-01")
    lane.run("shift", "open", "--volunteer", "Ana", "--float", "USD:20", "--float", "VES:10000")
    return lane


def cart_rows(pilot: object) -> list[list[str]]:
    table = pilot.app.screen.query_one("#cart", DataTable)  # type: ignore[attr-defined]
    return [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]


async def test_open_shift_screen(tmp_path: Path) -> None:
    lane = make_lane(tmp_path / "lane")
    app = make_till(lane.path)
    async with app.run_test() as pilot:
        await settle(pilot)
        assert app.screen.__class__.__name__ == "OpenShiftScreen"
        await type_in(pilot, "", "enter")  # Enter on an empty name: moves on, opens nothing
        await pilot.press("f2")
        await settle(pilot)
        assert "name is empty" in message(pilot, "#open-message")
        assert focused_id(pilot) == "volunteer"
        await type_in(pilot, "Rosa", "enter")
        await type_in(pilot, "20.5", "enter")
        await type_in(pilot, "abc", "enter")
        await type_in(pilot, "", "enter")
        assert "is not an amount" in message(pilot, "#open-message")
        assert focused_id(pilot) == "float-VES"
        app.screen.query_one("#float-VES", Input).value = "1000"
        await pilot.press("tab", "space")  # the training box, by its label
        box = app.screen.query_one("#training", Checkbox)
        assert box.value and box.has_focus
        assert "Training: sales are practice" in str(box.render()) and box.size.height >= 1
        assert box.region.height == box.outer_size.height >= 3  # its border and label are shown
        await pilot.press("f2")
        await settle(pilot)
        assert app.screen.__class__.__name__ == "RingUpScreen"
        assert "TRAINING" in str(app.screen.query_one("#training").render())
    assert rows(lane.path, "SELECT volunteer, training FROM shifts") == [("Rosa", 1)]
    assert rows(lane.path, "SELECT currency, amount FROM shift_counts ORDER BY currency") == [
        ("USD", 2050), ("VES", 100000)]


async def test_entry_line_adds_weighed_counted_and_class_lines(lane: LaneDir) -> None:
    app = make_till(lane.path)
    async with app.run_test() as pilot:
        await settle(pilot)
        await type_in(pilot, "101", "enter")  # weighed: asks for the weight
        assert "Weigh Tomato" in message(pilot)
        assert app.cart.is_empty()
        await type_in(pilot, "1.25", "enter")
        await type_in(pilot, "305", "enter")  # counted: one
        await type_in(pilot, "3*310", "enter")
        await type_in(pilot, "311*2", "enter")
        await type_in(pilot, "120*850g", "enter")
        await type_in(pilot, "0.5*102", "enter")
        await pilot.press("f3")  # Feria grande, then the weight
        await type_in(pilot, "2", "enter")
        await pilot.press("f4")  # Mini-feria
        await type_in(pilot, "1,5", "enter")
        await type_in(pilot, "pina")  # search, accents ignored
        assert app.screen.query_one("#results").display
        await type_in(pilot, "", "enter")
        assert "Weigh Pineapple" in message(pilot)
        await type_in(pilot, "2", "enter")
        await type_in(pilot, "7591234000049", "enter")  # a barcode
        table = cart_rows(pilot)
        assert [r[1] for r in table] == ["Tomato", "White rice grade I 1 kg", "Penne pasta 1 kg",
                                         "Penne pasta 500 g", "Aubergine", "Plum tomato",
                                         "Large fair price", "Mini fair price", "Pineapple",
                                         "White rice grade I 1 kg"]
        assert table[0][2:] == ["1.250 kg", "1.20", "1.50"]
        assert table[2][2] == "×3"
        # 1.50+1.20+4.20+1.54+1.02+0.60+2.40+1.20+2.40+1.20 = 17.26 USD = 7146.33 VES
        assert app.cart.total.minor == 1726
        totals = str(app.screen.query_one("#totals").render())
        assert "17.26 USD" in totals and "7,146.33 VES" in totals
        assert "rate 414.04 (2026-01-01)" in totals


async def test_an_old_rate_is_marked_with_how_to_update_it(lane: LaneDir) -> None:
    """The rate came into force on 2026-01-01; the till's day is 2026-11-20."""
    app = make_till(lane.path, FAIRPOS_MONEY__RATE_MAX_AGE_DAYS="3")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        totals = str(app.screen.query_one("#totals").render())
        assert "OLD rate: 323 days" in totals
        told = message(pilot)  # on the screen's own line, in the volunteer's words
        assert "VES rate is 323 days old" in told and "ask the coordinator" in told
        assert "fairpos" not in told
        assert not [text for text in notices(app) if "rate" in text]
        lane.run("rate", "set", "VES", "420", "--effective", "2026-11-19")
        app.refresh_rates()  # as after a sync brings the day's rate
        await settle(pilot)
        await type_in(pilot, "305", "enter")
        totals = str(app.screen.query_one("#totals").render())
        assert "rate 420 (2026-11-19)" in totals and "OLD" not in totals
    watched_not = make_till(lane.path, FAIRPOS_MONEY__RATE_MAX_AGE_DAYS="0")
    lane.run("rate", "set", "VES", "421", "--effective", "2026-01-02")
    async with watched_not.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert "OLD" not in str(watched_not.screen.query_one("#totals").render())
        assert "rate" not in message(pilot)


async def test_void_change_quantity_and_repeat(lane: LaneDir) -> None:
    app = make_till(lane.path)
    async with app.run_test() as pilot:
        await settle(pilot)
        await type_in(pilot, "305", "enter")
        await type_in(pilot, "101*1kg", "enter")
        await pilot.press("f5")  # repeat the last line
        await settle(pilot)
        assert [r[1] for r in cart_rows(pilot)] == ["White rice grade I 1 kg", "Tomato",
                                                    "Tomato"]
        await pilot.press("up")  # ↑ from the entry line: the last line rung
        await settle(pilot)
        assert "Line 3 selected: Tomato" in message(pilot)
        await pilot.press("escape")  # Escape: no line selected
        await settle(pilot)
        assert not app.screen.query_one("#cart").show_cursor
        await pilot.press("up", "up")  # select line 2: the screen says which line it is
        await settle(pilot)
        assert "Line 2 selected: Tomato" in message(pilot)
        await pilot.press("f8")  # F8 names the line and asks once
        await settle(pilot)
        assert "Void line 2, Tomato (1.20 USD)?" in message(pilot)
        await pilot.press("f11")  # any other key keeps the line
        await pilot.press("f8")
        await settle(pilot)
        assert "Void line 2" in message(pilot) and not app.cart.lines[1].voided
        await pilot.press("f8")  # F8 again: voided
        await settle(pilot)
        assert "Line 2 voided" in message(pilot)
        assert [r[0] for r in cart_rows(pilot)] == ["1", "3"]
        await pilot.press("up", "up", "f9")  # line 1 (the first ↑: the last line): new count
        await type_in(pilot, "4", "enter")
        assert cart_rows(pilot)[0][2] == "×4"
        await pilot.press("down", "f9")  # line 3 is weighed: a bare number is kilos
        await type_in(pilot, "2", "enter")
        assert cart_rows(pilot)[1][2] == "2.000 kg"
        assert app.cart.total.minor == 4 * 120 + 240
        assert app.cart.lines[1].voided


@pytest.mark.parametrize(("typed", "expected"), [
    ("", "Type a PLU"),
    ("999", "Unknown PLU “999”"),
    ("101*0", "more than zero"),
    ("101*0kg", "weight must be more than zero"),
    ("101*-1kg", "cannot be negative"),
    ("101*500kg", "too heavy for one line"),
    ("305*5000", "too many for one line"),
    ("305*1.5", "sold by the piece"),
    ("zzzz", "No product matches"),
    ("1*2*3", "Write PLU*QUANTITY"),
])
async def test_bad_entry_says_why_and_changes_nothing(lane: LaneDir, typed: str,
                                                      expected: str) -> None:
    app = make_till(lane.path)
    async with app.run_test() as pilot:
        await settle(pilot)
        await type_in(pilot, "305", "enter")
        before = list(app.cart.lines)
        await type_in(pilot, typed, "enter")
        assert expected in message(pilot) and is_error(pilot)
        assert app.cart.lines == before
        assert focused_id(pilot) == "entry"
        assert entry_value(pilot) == typed  # left as typed, to be corrected


async def test_bad_weight_after_the_prompt(lane: LaneDir) -> None:
    app = make_till(lane.path)
    async with app.run_test() as pilot:
        await settle(pilot)
        await type_in(pilot, "101", "enter")
        for typed, expected in [("", "Type the weight"), ("0", "more than zero"),
                                ("abc", "not a quantity"), ("900", "too heavy")]:
            await pilot.press("end", "ctrl+u")
            await type_in(pilot, typed, "enter")
            assert expected in message(pilot) and is_error(pilot)
            assert app.cart.is_empty()
        await pilot.press("escape")
        await type_in(pilot, "305", "enter")  # the prompt is gone
        assert len(app.cart.lines) == 1


async def test_pay_in_cash_exact_and_next_sale_starts(lane: LaneDir) -> None:
    app = make_till(lane.path)
    async with app.run_test() as pilot:
        await settle(pilot)
        await type_in(pilot, "305", "enter")
        await pilot.press("f2")
        await settle(pilot)
        assert "Still due: 1.20 USD" in message(pilot, "#due")
        await type_in(pilot, "", "enter")  # Enter alone: the exact amount in cash USD
        assert "Paid" in message(pilot, "#due")
        await type_in(pilot, "", "enter")  # and Enter confirms
        assert app.screen.__class__.__name__ == "RingUpScreen"
        assert "Sale TEST01-000001 confirmed." in message(pilot)
        assert app.cart.is_empty() and focused_id(pilot) == "entry"
    assert rows(lane.path, "SELECT id, total, change FROM sales") == [("TEST01-000001", 120, 0)]


async def test_split_payment_with_change_in_bolivares(lane: LaneDir) -> None:
    app = make_till(lane.path)
    async with app.run_test() as pilot:
        await settle(pilot)
        await pilot.press("f3")
        await type_in(pilot, "5", "enter")  # 6.00 USD = 2484.24 VES
        await pilot.press("f2")
        await settle(pilot)
        await type_in(pilot, "2", "enter")  # 2 USD cash
        await pilot.press("down", "down", "down")  # pago móvil VES
        await type_in(pilot, "1000", "enter")
        assert message(pilot, "#pay-message").startswith("Pago móvil needs its reference")
        assert focused_id(pilot) == "ref"
        await type_in(pilot, "00451234", "enter")
        await pilot.press("up", "up")  # cash VES
        await type_in(pilot, "1000", "enter")  # 2000 VES + 2 USD: 343.84 VES over
        # the change goes in the currency of the last cash payment, and shows in the other
        assert "Change: 343.84 VES" in message(pilot, "#due")
        assert "The same change in 0.83 USD" in message(pilot, "#due")
        await pilot.press("f2")
        await settle(pilot)
    assert rows(lane.path, "SELECT change_currency, change FROM sales") == [("VES", 34384)]
    assert rows(lane.path, "SELECT method, currency, amount, reference FROM tenders") == [
        ("cash", "USD", 200, "{}"), ("pago_movil", "VES", 100000, '{"ref": "00451234"}'),
        ("cash", "VES", 100000, "{}")]


async def test_payment_refusals(lane: LaneDir) -> None:
    app = make_till(lane.path)
    async with app.run_test() as pilot:
        await settle(pilot)
        await pilot.press("f2")
        await settle(pilot)
        assert "The sale is empty" in message(pilot) and is_error(pilot)
        await type_in(pilot, "101*2kg", "enter")
        await pilot.press("f2")
        await settle(pilot)
        await type_in(pilot, "abc", "enter")
        assert "is not an amount" in message(pilot, "#pay-message")
        assert focused_id(pilot) == "amount"
        assert app.screen.query_one("#amount", Input).value == ""  # the refused one is gone
        await type_in(pilot, "1", "enter")
        await pilot.press("f2")  # confirm before the payments cover the total
        await settle(pilot)
        assert "do not cover the total: 1.40 USD still due" in message(pilot, "#pay-message")
        await pilot.press("f6")  # cash cannot be unverified
        await settle(pilot)
        assert "can be left unverified" in message(pilot, "#pay-message")
        await pilot.press("f8", "escape")  # remove the payment, back to the sale
        await settle(pilot)
        assert "Payment paused" in message(pilot)
        assert len(app.cart.active) == 1
    assert rows(lane.path, "SELECT COUNT(*) FROM sales") == [(0,)]


async def test_unverified_card_payment(lane: LaneDir) -> None:
    app = make_till(lane.path)
    async with app.run_test() as pilot:
        await settle(pilot)
        await type_in(pilot, "305", "enter")
        await pilot.press("f2", "down", "down", "f6")  # card VES, unverified
        await settle(pilot)
        app.screen.query_one("#ref", Input).value = "778812"
        await type_in(pilot, "", "enter", "enter")
    assert rows(lane.path, "SELECT method, amount, verified FROM tenders") == [
        ("card", 49685, 0)]


async def test_a_second_enter_while_saving_sells_once(lane: LaneDir) -> None:
    app = make_till(lane.path)
    async with app.run_test() as pilot:
        await settle(pilot)
        await type_in(pilot, "305", "enter")
        await pilot.press("f2")
        await settle(pilot)
        await type_in(pilot, "6.20", "enter")  # (5 dollars of change, in a note)
        await pilot.press("enter", "enter", "enter")
        await settle(pilot)
    assert rows(lane.path, "SELECT COUNT(*) FROM sales") == [(1,)]


async def test_hold_and_recall(lane: LaneDir) -> None:
    app = make_till(lane.path)
    async with app.run_test() as pilot:
        await settle(pilot)
        await pilot.press("f7")
        await settle(pilot)
        assert "no held sales" in message(pilot)
        await type_in(pilot, "305", "enter")
        await pilot.press("f6")
        await settle(pilot)
        assert "Sale held as #1" in message(pilot) and app.cart.is_empty()
        await type_in(pilot, "310", "enter")
        await pilot.press("f6")
        await settle(pilot)
        await pilot.press("f7")  # two held: choose
        await settle(pilot)
        assert app.screen.__class__.__name__ == "RecallScreen"
        await pilot.press("enter")
        await settle(pilot)
        assert [line.code for line in app.cart.lines] == ["305"]
        assert "recalled" in message(pilot)
        # on screen, yet still held: a power cut now loses nothing
        assert rows(lane.path, "SELECT id FROM held_sales") == [(1,), (2,)]
        await pilot.press("f7")  # the one left to recall is #2, added after #1's lines
        await settle(pilot)
        assert [line.code for line in app.cart.lines] == ["310", "305"]
        await pilot.press("f7")
        await settle(pilot)
        assert "no held sales" in message(pilot)
        await pilot.press("f2")
        await type_in(pilot, "", "enter", "enter")
        assert "confirmed" in message(pilot)
    assert rows(lane.path, "SELECT id FROM held_sales") == []
    assert rows(lane.path, "SELECT COUNT(*) FROM sale_lines") == [(2,)]


async def test_quitting_holds_the_sale_and_the_next_start_brings_it_back(lane: LaneDir) -> None:
    app = make_till(lane.path)
    async with app.run_test() as pilot:
        await settle(pilot)
        await type_in(pilot, "101*1.5", "enter")
        await pilot.press("ctrl+q")
        await settle(pilot)
    assert rows(lane.path, "SELECT at_quit FROM held_sales") == [(1,)]
    again = make_till(lane.path)
    async with again.run_test() as pilot:
        await settle(pilot)
        assert [(line.code, line.grams) for line in again.cart.lines] == [("101", 1500)]
        assert [r[1] for r in cart_rows(pilot)] == ["Tomato"]
    # closed without quitting (a power cut): the sale is still held, once
    assert rows(lane.path, "SELECT id, at_quit FROM held_sales") == [(1, 1)]
    third = make_till(lane.path)
    async with third.run_test() as pilot:
        await settle(pilot)
        await type_in(pilot, "305", "enter")
        await pilot.press("ctrl+q")  # held again, in place of the one it came from
        await settle(pilot)
    held = rows(lane.path, "SELECT at_quit, json_array_length(cart, '$.lines') FROM held_sales")
    assert held == [(1, 2)]


async def test_receipt_preview(lane: LaneDir) -> None:
    app = make_till(lane.path)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        await pilot.press("f11")
        await settle(pilot)
        assert "No sale confirmed" in message(pilot)
        await type_in(pilot, "101*1.25", "enter")
        await pilot.press("f2")
        await type_in(pilot, "10.50", "enter", "enter")
        await pilot.press("f11")
        await settle(pilot)
        text = str(app.screen.query_one("#text").render())
        assert "Sale TEST01-000001" in text and "1.250 kg × 1.20 USD/kg" in text
        assert "Change" in text and "9.00 USD" in text and "NO FISCAL" in text
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen.__class__.__name__ == "RingUpScreen"


async def test_sales_screen_void_and_refund(lane: LaneDir) -> None:
    first = lane.sell("--line", "101=1kg", "--line", "305", "--pay", "cash:USD:5")
    second = lane.sell("--line", "G=2kg", "--pay", "cash:USD:2.40")
    app = make_till(lane.path)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("f10")
        await settle(pilot)
        table = app.screen.query_one("#sales", DataTable)
        assert table.row_count == 2
        await type_in(pilot, "000001")  # find by id
        assert table.row_count == 1
        await pilot.press("f3")  # void: asks a reason
        await settle(pilot)
        await type_in(pilot, "", "enter")
        assert "reason is required" in message(pilot, "#reason-message")
        await type_in(pilot, "customer left", "enter")
        assert "recorded" in message(pilot, "#sales-message")
        await pilot.press("end", "ctrl+u")
        await type_in(pilot, "000002")
        await pilot.press("f4")  # refund line 1
        await settle(pilot)
        await type_in(pilot, "1", "enter")
        await type_in(pilot, "bruised", "enter")
        await pilot.press("end", "ctrl+u")
        await type_in(pilot, "000001")
        await pilot.press("f3")
        await type_in(pilot, "again", "enter")
        assert "already voided" in message(pilot, "#sales-message")
        await pilot.press("f5")
        await settle(pilot)
        assert "No printer is configured" in message(pilot, "#sales-message")
        await pilot.press("end", "ctrl+u")  # the whole list: what happened to each sale
        await settle(pilot)
        kinds = {table.get_row_at(n)[0]: table.get_row_at(n)[2] for n in range(table.row_count)}
        assert kinds == {first["id"]: "sale · VOIDED", second["id"]: "sale · refunded in part",
                         first["id"][:-1] + "3": f"void of {first['id']}",
                         first["id"][:-1] + "4": f"refund of {second['id']}"}
        await type_in(pilot, "000001")
        await pilot.press("f2")  # the sale view says it was voided, by what and why
        await settle(pilot)
        title = str(app.screen.query_one("#text-title").render())
        assert f"VOIDED by {first['id'][:-1]}3 at " in title and "customer left" in title
        await pilot.press("escape")
    assert rows(lane.path, "SELECT kind, ref_id, reason FROM sales WHERE kind <> 'sale' "
                           "ORDER BY seq") == [("void", first["id"], "customer left"),
                                               ("refund", second["id"], "bruised")]


async def test_x_report_and_close_shift_with_a_reason(lane: LaneDir) -> None:
    lane.sell("--line", "G=2kg", "--pay", "cash:USD:5")  # 2.40, change 2.60
    lane.sell("--line", "M=1kg", "--pay", "card:VES:331.23,ref=1")
    app = make_till(lane.path)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        await pilot.press("f12")
        await settle(pilot)
        report = str(app.screen.query_one("#text").render())
        assert "X REPORT" in report and "NET SALES" in report and "3.20 USD" in report
        await pilot.press("escape")
        await type_in(pilot, "305", "enter")
        await pilot.press("ctrl+p")
        await type_in(pilot, "Close shift", "enter")
        assert app.screen.__class__.__name__ == "CloseShiftScreen"
        counts = [i.id for i in app.screen.query(Input) if i.id and i.id.startswith("count-")]
        assert counts == ["count-cash-USD", "count-cash-VES", "count-card-VES"]
        await type_in(pilot, "21", "enter", *"10000", "enter", *"331.23", "enter")
        assert "A sale is in progress" in message(pilot, "#close-message")
        app.cart.lines.clear()
        await pilot.press("f2")
        await settle(pilot)
        comparison = str(app.screen.query_one("#comparison").render())
        assert "22.40 USD / 21.00 USD / -1.40 USD" in comparison
        assert focused_id(pilot) == "reason"
        await type_in(pilot, "", "enter")
        assert "reason is required" in message(pilot, "#close-message")
        await type_in(pilot, "a note fell", "enter")
        z = str(app.screen.query_one("#comparison").render())
        assert "Z REPORT" in z and "a note fell" in z
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen.__class__.__name__ == "OpenShiftScreen"
    assert rows(lane.path, "SELECT close_reason FROM shifts") == [("a note fell",)]


async def test_hardware_check_and_command_palette(lane: LaneDir) -> None:
    app = make_till(lane.path)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await type_in(pilot, "Hardware", "enter")
        text = str(app.screen.query_one("#text").render())
        assert "Printer: not configured" in text and "Free disk:" in text
        assert "Waiting to sync: 0 entries" in text


async def test_the_command_palette_speaks_the_lane_language(lane: LaneDir) -> None:
    app = make_till(lane.path, language="es")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("f10")  # a screen whose footer shows the palette's key
        await settle(pilot)
        footer = " ".join(str(key.render()) for key in app.screen.query("FooterKey"))
        assert "Más" in footer and "palette" not in footer
        await pilot.press("ctrl+p")
        await settle(pilot)
        search = app.screen.query_one("CommandInput")
        assert str(search.placeholder) == "Buscar una orden…"
        await type_in(pilot, *"zzzqqq")

        def listed() -> str:
            return " ".join(str(getattr(o.prompt, "renderable", o.prompt))
                            for o in app.screen.query_one("CommandList").options)
        await until(pilot, lambda: "Ninguna orden coincide" in listed())
        assert "No matches" not in listed()
        await pilot.press("escape")


async def test_keys_can_be_remapped_in_settings(lane: LaneDir) -> None:
    with (lane.path / "fairpos.toml").open("a") as settings:
        settings.write('\n[keys]\npay = "ctrl+o"\n')
    app = make_till(lane.path)
    async with app.run_test() as pilot:
        await settle(pilot)
        await type_in(pilot, "305", "enter")
        await pilot.press("ctrl+o")
        await settle(pilot)
        assert app.screen.__class__.__name__ == "PaymentScreen"


async def test_spanish_by_default(lane: LaneDir) -> None:
    app = make_till(lane.path, language="es")
    async with app.run_test() as pilot:
        await settle(pilot)
        await type_in(pilot, "999", "enter")
        assert message(pilot) == "PLU desconocido «999»"
        await type_in(pilot, "", "end", "ctrl+u", *"101*1.25", "enter")
        totals = str(app.screen.query_one("#totals").render())
        assert "1,50 USD" in totals and "621,06 VES" in totals and "tasa 414,04" in totals


async def test_a_journal_failure_is_shown_and_the_sale_can_be_retried(
        lane: LaneDir, monkeypatch: pytest.MonkeyPatch) -> None:
    import sqlite3

    from fairpos.journal import Journal

    real = Journal.confirm_sale
    failures = iter([sqlite3.OperationalError("disk I/O error")])

    def flaky(self: Journal, *args: object, **kwargs: object) -> object:
        for error in failures:
            raise error
        return real(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Journal, "confirm_sale", flaky)
    app = make_till(lane.path)
    async with app.run_test() as pilot:
        await settle(pilot)
        await type_in(pilot, "305", "enter")
        await pilot.press("f2")
        await type_in(pilot, "", "enter", "enter")
        assert "could not save that (disk I/O error)" in message(pilot, "#pay-message")
        assert app.screen.__class__.__name__ == "PaymentScreen"
        assert rows(lane.path, "SELECT COUNT(*) FROM sales") == [(0,)]
        await type_in(pilot, "", "enter")  # try again
        assert app.screen.__class__.__name__ == "RingUpScreen"
    assert rows(lane.path, "SELECT COUNT(*) FROM sales") == [(1,)]


def test_every_screen_name_opens_a_till_screen() -> None:
    from fairpos.tui.base import TillScreen
    from fairpos.tui.screens import SCREENS, screen_class

    assert all(issubclass(screen_class(name), TillScreen) for name in SCREENS)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_every_key_can_be_found_on_the_screen(lane: LaneDir, size: tuple[int, int]
                                                    ) -> None:
    app = make_till(lane.path, language="es")
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        footer = " ".join(str(key.render()) for key in app.screen.query("FooterKey")
                          if key.region.right <= size[0])
        for shown in ("Salir", "Teclas", "Cobrar", "Apartar", "Anular"):  # in view, not cut off
            assert shown in footer, footer
        await type_in(pilot, "?")  # "?" on the empty entry line: every key, in Spanish
        assert app.screen.__class__.__name__ == "KeysScreen"
        keys = str(app.screen.query_one("#text").render())
        for name in ("Repetir", "Cantidad", "Ventas", "Recibo", "Reporte X", "Cancelar",
                     "Elegir una línea", "Recuperar", "Ctrl+P", "Salir"):
            assert name in keys, keys
        await type_in(pilot, "", "escape")
        assert app.screen.__class__.__name__ == "RingUpScreen" and entry_value(pilot) == ""


def burst(app: object, keys: list[str]) -> None:
    """Keys arriving in one read, as from a keyboard-wedge scanner, a fast typist on a busy
    machine or ``tmux send-keys``: posted to the app all at once, none waited for."""
    from textual import events

    for key in keys:
        char = key if len(key) == 1 else {"tab": "\t", "enter": "\r"}.get(key)
        app.post_message(events.Key(key, char))  # type: ignore[attr-defined]


@pytest.mark.parametrize("between", ["tab", "enter"])
async def test_keys_arriving_at_once_go_where_each_key_sends_them(
        tmp_path: Path, between: str) -> None:
    """A name, Tab (or Enter) and the float arriving in one read: the float goes into the float
    field, not after the name — each key is taken where the keys before it left the focus."""
    lane = make_lane(tmp_path / "lane")
    app = make_till(lane.path)
    async with app.run_test() as pilot:
        await settle(pilot)
        burst(app, [*"Luisa", between, *"20", between, *"500", "f2"])
        # (the ring-up screen mounted whole before the app is closed)
        await until(pilot, lambda: app.screen.__class__.__name__ == "RingUpScreen"
                    and getattr(app.screen, "drawn", False))
        await settle(pilot)
    assert rows(lane.path, "SELECT volunteer FROM shifts") == [("Luisa",)]
    assert rows(lane.path, "SELECT currency, amount FROM shift_counts ORDER BY currency") == [
        ("USD", 2000), ("VES", 50000)]
