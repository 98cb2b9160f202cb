"""A power cut loses nothing that was on screen: the sale being rung up is kept on disk after
every change, comes back after a crash, and is cleared with the sale that sells or holds it."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

import pytest

from benchmarks.terminal import Terminal
from fairpos.domain.cart import Cart
from fairpos.domain.quantity import Quantity
from fairpos.journal import DB_NAME, DiskError, Journal
from harness.lanes import LaneDir, make_lane
from tests.till_helpers import make_till, message, rows, settle, type_in


@pytest.fixture
def lane(tmp_path: Path) -> LaneDir:
    lane = make_lane(tmp_path / "lane", device_id="DRAFT1")
    lane.run("rate", "set", "VES", "414.04", "--effective", "2026-01-01")
    lane.run("shift", "open", "--volunteer", "Ana", "--float", "USD:20")
    return lane


def kept(lane: LaneDir) -> list[tuple[str, int | None, int | None]]:
    """The lines of the draft on disk: (code, grams, count)."""
    journal = Journal.open(lane.path / DB_NAME)
    try:
        draft = journal.draft()
    finally:
        journal.close()
    if draft is None or draft.cart is None:
        return []
    return [(line.code, line.grams, line.count) for line in draft.cart.active]


async def test_every_change_is_kept_and_comes_back_after_a_stop(lane: LaneDir) -> None:
    app = make_till(lane.path)
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(pilot)
        await type_in(pilot, "101*1.25", "enter")
        assert kept(lane) == [("101", 1250, None)]
        await type_in(pilot, "3*305", "enter")
        await type_in(pilot, "g*2.35", "enter")
        await pilot.press("up", "up", "f8", "f8")  # void the rice (↑: the last line, ↑ again)
        await settle(pilot)
        assert kept(lane) == [("101", 1250, None), ("G", 2350, None)]
    # the till stopped without a word (no Ctrl+Q, nothing held): the sale is back
    again = make_till(lane.path)
    async with again.run_test(size=(100, 32)) as pilot:
        await settle(pilot)
        assert [(line.code, line.grams) for line in again.cart.active] == [
            ("101", 1250), ("G", 2350)]
        assert "is back (2 lines)" in message(pilot)
        await pilot.press("f2")
        await type_in(pilot, "", "enter", "enter")
        assert "confirmed" in message(pilot)
    assert kept(lane) == []  # cleared with the sale, in its transaction
    third = make_till(lane.path)
    async with third.run_test(size=(100, 32)) as pilot:
        await settle(pilot)
        assert third.cart.is_empty()  # a sale already sold never comes back
    assert rows(lane.path, "SELECT COUNT(*) FROM sales") == [(1,)]


async def test_holding_clears_the_draft_too(lane: LaneDir) -> None:
    app = make_till(lane.path)
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(pilot)
        await type_in(pilot, "305", "enter")
        await type_in(pilot, "", "f6")
        assert "held as #1" in message(pilot)
    assert kept(lane) == []
    again = make_till(lane.path)
    async with again.run_test(size=(100, 32)) as pilot:
        await settle(pilot)
        assert again.cart.is_empty()  # held, not on screen: F7 brings it back


def test_a_late_write_never_brings_back_a_sold_sale(lane: LaneDir) -> None:
    journal = Journal.open(lane.path / DB_NAME)
    try:
        cart = Cart("USD")
        cart.add(journal.catalog(), "305")
        assert journal.save_draft(cart, (), 5)
        with journal.transaction():
            journal.clear_draft(5)  # what confirming version 5 does
        assert not journal.save_draft(cart, (), 5)  # a save of version 5, arriving late
        assert not journal.save_draft(cart, (), 4)
        draft = journal.draft()
        assert draft is not None and draft.cart is None and draft.version == 5
        assert journal.save_draft(cart, (), 6)  # the next sale
    finally:
        journal.close()


def test_a_save_writes_only_the_lines_that_changed(lane: LaneDir) -> None:
    journal = Journal.open(lane.path / DB_NAME)
    try:
        catalog = journal.catalog()
        cart = Cart("USD")
        for plu in ("305", "310", "311", "330"):
            cart.add(catalog, plu)
        conn = journal.db.conn
        assert journal.save_draft(cart, (), 1)
        before = conn.total_changes
        cart.void(2)
        assert journal.save_draft(cart, (), 2)
        assert conn.total_changes - before == 2  # the draft's header and the voided line
        saved = journal.draft()
        assert saved is not None and saved.cart is not None
        assert saved.cart.lines == cart.lines and saved.cart.lines[1].voided
        with journal.transaction():
            journal.clear_draft(2)  # sold
        smaller = Cart("USD")
        smaller.add(catalog, "101", Quantity(grams=500))
        assert journal.save_draft(smaller, (), 3)  # the next sale: nothing of the last one
        saved = journal.draft()
        assert saved is not None and saved.cart is not None
        assert saved.cart.lines == smaller.lines
    finally:
        journal.close()
    reopened = Journal.open(lane.path / DB_NAME)  # after a restart: it knows nothing written
    try:
        fewer = Cart("USD")
        fewer.add(reopened.catalog(), "305")
        fewer.add(reopened.catalog(), "305")
        assert reopened.save_draft(fewer, (), 4)
        saved = reopened.draft()
        assert saved is not None and saved.cart is not None
        assert [line.code for line in saved.cart.lines] == ["305", "305"]
    finally:
        reopened.close()


def test_a_failed_save_is_written_whole_the_next_time(lane: LaneDir) -> None:
    journal = Journal.open(lane.path / DB_NAME)
    try:
        catalog = journal.catalog()
        cart = Cart("USD")
        cart.add(catalog, "305")
        cart.add(catalog, "310")
        assert journal.save_draft(cart, (), 1)
        cart.add(catalog, "311")
        journal.db.conn.execute("PRAGMA query_only = ON")  # as a full disk refuses writes
        with pytest.raises(DiskError, match="read-only"):
            journal.save_draft(cart, (), 2)
        journal.db.conn.execute("PRAGMA query_only = OFF")
        cart.void(1)
        assert journal.save_draft(cart, (), 3)
        saved = journal.draft()
        assert saved is not None and saved.cart is not None and saved.cart.lines == cart.lines
    finally:
        journal.close()


def test_kill_9_mid_sale_then_restart_shows_the_same_lines(lane: LaneDir) -> None:
    lane.run("rate", "set", "VES", "414.04")  # today's: no old-rate notice over the message
    argv = [sys.executable, "-m", "fairpos", "--data-dir", str(lane.path), "--lang", "en",
            "till"]
    first = Terminal(argv, columns=100, lines=30)
    try:
        first.wait_for(lambda screen: "Void line" in screen)
        for count, typed in enumerate(("101*1.25", "3*305", "120*850g"), start=1):
            first.send(typed.encode())
            first.wait_for(lambda screen, t=typed: t in screen)
            first.send(b"\r")
            first.wait_for(lambda screen, n=count: (f"{n} lines" if n > 1 else "1 line")
                           in screen)
        first.wait_for(lambda _screen: len(kept(lane)) == 3)  # on disk, off the UI thread
        os.killpg(first.process.pid, signal.SIGKILL)
        first.process.wait(timeout=30)
    finally:
        first.close()
    before = rows(lane.path, "SELECT COUNT(*) FROM sales")
    second = Terminal(argv, columns=100, lines=30)
    try:
        screen = second.wait_for(lambda text: "is back (3 lines)" in text) and second.text()
        assert "Tomato" in screen and "White rice" in screen and "Aubergine" in screen
        assert "3 lines" in screen
    finally:
        second.close()
    assert rows(lane.path, "SELECT COUNT(*) FROM sales") == before == [(0,)]


def till_argv(lane: LaneDir) -> list[str]:
    return [sys.executable, "-m", "fairpos", "--data-dir", str(lane.path), "--lang", "en",
            "till"]


F2, F5, F7 = b"\x1bOQ", b"\x1b[15~", b"\x1b[18~"


def type_and_wait(terminal: Terminal, typed: str, then: bytes = b"\r") -> None:
    terminal.send(typed.encode())
    terminal.wait_for(lambda screen: typed in screen)
    terminal.send(then)


def test_kill_9_with_payments_entered_brings_them_back(lane: LaneDir) -> None:
    """``305`` Enter, F2, a dollar in cash, ``kill -9``: the dollar is in the drawer, so it
    comes back with the sale, named; paying the rest sells it once."""
    lane.run("rate", "set", "VES", "414.04")
    first = Terminal(till_argv(lane), columns=100, lines=30)
    try:
        first.wait_for(lambda screen: "Void line" in screen)
        type_and_wait(first, "305")
        first.wait_for(lambda screen: "1 line" in screen)
        first.send(F2)
        first.wait_for(lambda screen: "Still due" in screen)
        type_and_wait(first, "1")
        first.wait_for(lambda screen: "Added 1.00 USD" in screen)
        first.wait_for(lambda _screen: "cash" in str(rows(lane.path, "SELECT payments FROM "
                                                              "draft")))
        os.killpg(first.process.pid, signal.SIGKILL)
        first.process.wait(timeout=30)
    finally:
        first.close()
    second = Terminal(till_argv(lane), columns=100, lines=30)
    try:
        second.wait_for(lambda text: "Its payments are back too: Cash 1.00 USD. F2 goes on." in
                        " ".join(text.split()))  # (the notice wraps: read it as one line)
        second.send(F2)
        second.wait_for(lambda text: "Still due: 0.20 USD" in text)
        second.send(b"\r")  # Enter alone pays what is left, exactly
        second.wait_for(lambda text: "Paid" in text)
        second.send(b"\r")
        second.wait_for(lambda text: "confirmed" in text)
    finally:
        second.close()
    assert rows(lane.path, "SELECT method, currency, amount FROM tenders ORDER BY tender_no") \
        == [("cash", "USD", 100), ("cash", "USD", 20)]
    assert rows(lane.path, "SELECT COUNT(*) FROM sales") == [(1,)]


def test_kill_9_after_change_was_sent_by_pago_movil_finishes_that_sale(lane: LaneDir) -> None:
    """The change already went out of the fair's account: after the power cut the sale comes
    back in the payment window, with the payment and the change sent, and is sold once."""
    lane.run("rate", "set", "VES", "414.04")
    first = Terminal(till_argv(lane), columns=100, lines=30)
    try:
        first.wait_for(lambda screen: "Void line" in screen)
        type_and_wait(first, "305")
        first.wait_for(lambda screen: "1 line" in screen)
        first.send(F2)
        first.wait_for(lambda screen: "Still due" in screen)
        type_and_wait(first, "20")
        first.wait_for(lambda screen: "Paid" in screen)
        first.send(F7)
        first.wait_for(lambda screen: "Change by pago móvil in VES" in screen and all(
            field in screen for field in ("Reference", "Bank", "Phone")))
        # Enter with a field missing names it and goes to it: the reference, phone, bank
        for typed, asked in (("2000", "needs its reference number"), ("778899", "phone"),
                             ("04141234567", "bank")):
            type_and_wait(first, typed)
            first.wait_for(lambda screen, a=asked: a in screen)
        type_and_wait(first, "0102")
        first.wait_for(lambda screen: "Change sent by pago móvil: 2,000.00 VES" in screen)
        first.wait_for(lambda _screen: "pago_movil" in str(rows(lane.path, "SELECT payments "
                                                                    "FROM draft")))
        os.killpg(first.process.pid, signal.SIGKILL)
        first.process.wait(timeout=30)
    finally:
        first.close()
    second = Terminal(till_argv(lane), columns=100, lines=30)
    try:
        second.wait_for(lambda text: "Sent by pago móvil: 2,000.00 VES" in text)  # (its window)
        screen = second.text()
        assert "Change by pago móvil" in screen and "20.00 USD" in screen
        second.send(F5)  # the rest in dollars, cents and all (this drawer has them)
        second.wait_for(lambda text: "Change: 13.97 USD" in text)
        second.send(b"\r")
        second.wait_for(lambda text: "confirmed" in text)
    finally:
        second.close()
    assert rows(lane.path, "SELECT method, currency, amount, is_change FROM tenders "
                           "ORDER BY tender_no") == [("cash", "USD", 2000, 0),
                                                     ("pago_movil", "VES", 200000, 1)]
    assert rows(lane.path, "SELECT COUNT(*) FROM sales") == [(1,)]


def test_a_till_whose_terminal_goes_away_quits_and_keeps_the_sale(lane: LaneDir) -> None:
    """The pty closes under a till that has no controlling terminal (no hangup signal comes):
    its input only says "end of file". The till quits as Ctrl+Q does — the sale on screen
    held for the next start — instead of spinning on a core."""
    lane.run("rate", "set", "VES", "414.04")
    till = Terminal(till_argv(lane), columns=100, lines=30)  # (a session of its own: no tty)
    try:
        till.wait_for(lambda screen: "Void line" in screen)
        type_and_wait(till, "305")
        till.wait_for(lambda screen: "1 line" in screen)
        os.close(till.master)  # the terminal goes away
        till.master = os.open(os.devnull, os.O_RDONLY)  # (for close() to close something)
        till.closed = True
        assert till.process.wait(timeout=60) is not None
    finally:
        till.close()
    # held as Ctrl+Q holds it, or (if the screen could not be let go of) in the draft: either
    # way the next start brings it back
    kept = rows(lane.path, "SELECT cart FROM held_sales WHERE at_quit = 1") or rows(
        lane.path, "SELECT line FROM draft_lines")
    assert len(kept) == 1 and "305" in kept[0][0]
    assert rows(lane.path, "SELECT COUNT(*) FROM sales") == [(0,)]
