"""The blind count is blind: kept as typed before anything expected is shown, then read-only;
a recount is a new count beside the first, and both are on the Z report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from textual.widgets import Input

from harness.lanes import LaneDir, make_lane
from tests.till_helpers import make_till, message, rows, settle, type_in


@pytest.fixture
def lane(tmp_path: Path) -> LaneDir:
    lane = make_lane(tmp_path / "lane", device_id="COUNT1")
    lane.run("rate", "set", "VES", "414.04", "--effective", "2026-01-01")
    lane.run("shift", "open", "--volunteer", "Ana", "--float", "USD:20")
    lane.run("sell", "--line", "305", "--pay", "cash:USD:1.20")  # 21.20 USD in the drawer
    return lane


async def test_the_count_is_kept_before_it_is_compared_and_cannot_be_changed(
        lane: LaneDir) -> None:
    app = make_till(lane.path)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await type_in(pilot, "Close shift", "enter")
        assert "Expected" not in message(pilot, "#comparison")  # blind
        await type_in(pilot, "42", "enter")  # the only field: the count is submitted
        # kept as typed, in the journal, before the expected figures were shown
        assert rows(lane.path, "SELECT round, method, currency, amount, expected "
                               "FROM count_rounds") == [(1, "cash", "USD", 4200, 2120)]
        assert "21.20 USD / 42.00 USD / 20.80 USD" in message(pilot, "#comparison")
        usd = app.screen.query_one("#count-cash-USD", Input)
        assert usd.disabled and usd.value == "42.00 USD"
        usd.focus()  # the trial changed 42,00 to 42,87 here; now the field takes no keys
        await type_in(pilot, "87")
        assert usd.value == "42.00 USD"
        await pilot.press("f4")  # count again
        await settle(pilot)
        assert not usd.disabled and usd.value == ""
        await type_in(pilot, "21.20", "enter")
        assert "21.20 USD / 21.20 USD / 0.00 USD" in message(pilot, "#comparison")
        assert "Count 1" in message(pilot, "#comparison")  # the first one, still shown
        await type_in(pilot, "", "enter")  # no reason needed now: close
        z = message(pilot, "#comparison")
        assert "Z REPORT" in z and "Count 1, before the recount" in z and "42.00 USD" in z
    assert rows(lane.path, "SELECT round, amount FROM count_rounds WHERE currency = 'USD'") == [
        (1, 4200), (2, 2120)]
    assert rows(lane.path, "SELECT amount FROM shift_counts WHERE stage = 'close' AND "
                           "currency = 'USD'") == [(2120,)]
    assert [r[0] for r in rows(lane.path, "SELECT action FROM audit_log WHERE action IN "
                                          "('count', 'recount', 'shift_close') ORDER BY id")] \
        == ["count", "recount", "shift_close"]
    report = lane.json("report")
    assert report["earlier_counts"][0][0]["counted"] == "42.00"


async def test_a_difference_needs_a_reason_on_the_count_that_closes(lane: LaneDir) -> None:
    app = make_till(lane.path)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await type_in(pilot, "Close shift", "enter")
        await type_in(pilot, "19", "enter")  # 2.20 USD short
        await type_in(pilot, "", "f2")
        assert "A reason is required" in message(pilot, "#close-message")
        assert rows(lane.path, "SELECT closed_at IS NULL FROM shifts") == [(1,)]
        await type_in(pilot, "coins fell behind the drawer", "enter")
        assert "Z REPORT" in message(pilot, "#comparison")
        await type_in(pilot, "", "escape")  # after the Z report, Escape goes on too
        assert app.screen.__class__.__name__ == "OpenShiftScreen"
    assert rows(lane.path, "SELECT close_reason FROM shifts") == [
        ("coins fell behind the drawer",)]


def test_the_x_report_says_what_cash_should_be_in_the_drawer(lane: LaneDir) -> None:
    report = lane.json("report")
    assert report["drawer"] == {"USD": "21.20"}
    assert "Cash expected in the drawer now" in lane.run("report").stdout


def test_a_count_refused_from_the_command_line_keeps_nothing(lane: LaneDir) -> None:
    before = lane.dump()
    assert "give a reason" in lane.fail("shift", "close", "--count", "USD:42")
    assert lane.dump() == before
    closed = json.loads(lane.run("shift", "close", "--count", "USD:21.20", "--json").stdout)
    assert closed["kind"] == "Z" and closed["earlier_counts"] == []


async def test_sales_on_hold_are_sold_or_dropped_before_the_count(lane: LaneDir) -> None:
    """No count is asked while sales are on hold: the close screen names them; F7 brings one
    back to sell it, F8 drops one with a reason (kept in the audit log)."""
    lane.sell("--line", "101=1.25kg", "--hold")  # #1
    lane.sell("--line", "3*305", "--hold")  # #2
    app = make_till(lane.path)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await type_in(pilot, "Close shift", "enter")
        held = message(pilot, "#held")
        assert "Sales on hold" in held and "#1" in held and "#2" in held
        assert not app.screen.query(Input).filter("#count-cash-USD")  # no count asked
        await type_in(pilot, "", "f2")  # nothing closes, nothing is counted
        assert rows(lane.path, "SELECT COUNT(*) FROM count_rounds") == [(0,)]
        assert "sell --recall" not in message(pilot, "#close-message")
        await type_in(pilot, "", "f8")  # drop: which one?
        await type_in(pilot, "", "down", "enter")  # #2
        await type_in(pilot, "", "enter")  # a reason is required
        assert "A reason is required" in message(pilot, "#reason-message")
        await type_in(pilot, "customer left", "enter")
        assert "Held sale #2 dropped" in message(pilot, "#close-message")
        assert "#2" not in message(pilot, "#held") and "#1" in message(pilot, "#held")
        await type_in(pilot, "", "f7")  # the last one comes back to the sale, to be sold
        assert app.screen.__class__.__name__ == "RingUpScreen"
        assert [x.code for x in app.cart.active] == ["101"]  # type: ignore[attr-defined]
        await pilot.press("f2")
        await type_in(pilot, "", "enter", "enter")
        await pilot.press("ctrl+p")
        await type_in(pilot, "Close shift", "enter")
        assert not app.screen.query_one("#held").display  # nothing on hold: the count now
        await type_in(pilot, "22.70", "enter")
        assert "22.70 USD / 22.70 USD / 0.00 USD" in message(pilot, "#comparison")
    assert rows(lane.path, "SELECT COUNT(*) FROM held_sales") == [(0,)]
    [(detail,)] = rows(lane.path, "SELECT detail FROM audit_log WHERE action = 'held_drop'")
    assert json.loads(detail)["reason"] == "customer left"


def test_the_command_line_names_the_sales_on_hold_at_close(lane: LaneDir) -> None:
    lane.sell("--line", "305", "--hold")
    refused = lane.fail("shift", "close", "--count", "USD:21.20")
    assert "sales are on hold (#1): sell or drop each of them" in refused
