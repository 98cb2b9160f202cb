"""A power cut between bringing a held sale back and paying for it loses nothing and sells
nothing twice — at the till (a real process in a real terminal) and from the command line."""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time

from benchmarks.terminal import Terminal
from harness.lanes import LaneDir

F2, F7 = b"\x1bOQ", b"\x1b[18~"


def query(lane: LaneDir, sql: str) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(lane.path / "fairpos.db")
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def till(lane: LaneDir) -> Terminal:
    terminal = Terminal([sys.executable, "-m", "fairpos", "--data-dir", str(lane.path), "--lang",
                         "en", "till"], columns=100, lines=30)
    try:
        terminal.wait_for(lambda screen: "TOTAL" in screen and "Void line" in screen)
    except BaseException:
        terminal.close()  # never leave a till without its terminal behind
        raise
    return terminal


def draft_holds(lane: LaneDir) -> str:
    """What the draft on disk says the screen holds (JSON of held ids), '' when none."""
    found = query(lane, "SELECT holding FROM draft WHERE cart IS NOT NULL")
    return str(found[0][0]) if found else ""


def test_sigkill_between_recall_and_payment_at_the_till(feria: LaneDir) -> None:
    feria.run("rate", "set", "VES", "414.04")  # today's: no old-rate notice over the message
    feria.run("sell", "--line", "101=1.25kg", "--line", "305=2", "--hold")
    first = till(feria)
    try:
        first.send(F7)
        first.wait_for(lambda screen: "Held sale recalled" in screen and "Tomato" in screen)
        first.wait_for(lambda _screen: draft_holds(feria) == "[1]")  # on disk, off the UI
        os.killpg(first.process.pid, signal.SIGKILL)  # the power goes, mid-sale
        first.process.wait(timeout=30)
    finally:
        first.close()
    assert query(feria, "SELECT id FROM held_sales") == [(1,)]  # still held, once
    assert query(feria, "SELECT COUNT(*) FROM sales") == [(0,)]

    second = till(feria)  # power is back: the sale is back on screen, still held once
    try:
        second.wait_for(lambda screen: "is back (2 lines)" in screen and "Tomato" in screen)
        second.send(F7)  # the only held sale is the one on screen: not brought in twice
        second.wait_for(lambda screen: "There are no held sales" in screen)
        second.send(F2)
        second.wait_for(lambda screen: "Still due" in screen)
        second.send(b"\r")  # Enter alone pays exactly what is due
        second.wait_for(lambda screen: "Paid." in screen)
        second.send(b"\r")
        second.wait_for(lambda screen: "confirmed" in screen)
        second.send(b"\x11")  # Ctrl+Q
        second.process.wait(timeout=30)
    finally:
        second.close()
    assert query(feria, "SELECT COUNT(*) FROM held_sales") == [(0,)]
    assert query(feria, "SELECT code, grams, count FROM sale_lines ORDER BY line_no") == [
        ("101", 1250, None), ("305", None, 2)]


def test_sigkill_while_the_command_line_finishes_a_held_sale(feria: LaneDir) -> None:
    """Each held sale has a weight of its own; whenever the ``sell --recall`` finishing it is
    killed, that sale is afterwards either still held or sold — exactly once."""
    rng = random.Random(20261130)
    grams_of: dict[int, int] = {}
    for n in range(12):
        grams = 1001 + n
        held = json.loads(feria.run("sell", "--line", f"101={grams}g", "--hold", "--json")
                          .stdout)["held"]
        grams_of[held] = grams
        seller = subprocess.Popen(
            [sys.executable, "-m", "fairpos", "--data-dir", str(feria.path), "sell",
             "--recall", str(held), "--pay", "cash:USD:10"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.0, 0.6))  # anywhere from start-up to done
        seller.kill()
        seller.wait(timeout=30)
        still_held = {h for (h,) in query(feria, "SELECT id FROM held_sales")}
        sold = [g for (g,) in query(feria, "SELECT grams FROM sale_lines")]
        assert (held in still_held) != (grams in sold), (held, grams)
        assert sold.count(grams) <= 1
        if held not in still_held:
            del grams_of[held]
    for held, _grams in sorted(grams_of.items()):  # the ones left are finished, once
        feria.run("sell", "--recall", str(held), "--pay", "cash:USD:10")
    sold = sorted(g for (g,) in query(feria, "SELECT grams FROM sale_lines"))
    assert sold == list(range(1001, 1013))
    assert query(feria, "SELECT COUNT(*) FROM held_sales") == [(0,)]
