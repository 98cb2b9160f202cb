"""A journal that cannot be written — its disk full or failing — refuses the write with one
line, keeps nothing half-done, and still reads: reports work, the till keeps the cart.

The disk is filled the kernel's way: the program runs with a file-size limit (RLIMIT_FSIZE), so
every write past it fails as on a full disk, in a real process. Another connection holds the
journal open meanwhile (as the till does), so its shared-memory file is already there."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from benchmarks.terminal import Terminal
from tests.conftest import LaneDir, open_lane
from tests.till_helpers import rows

LIMIT = 100  # bytes: the journal can be opened and read, not a page written
LAUNCH = ("import os, resource, signal, sys\n"
          "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
          "resource.setrlimit(resource.RLIMIT_FSIZE, (int(sys.argv[1]), "
          "resource.RLIM_INFINITY))\n"
          "os.execv(sys.executable, [sys.executable, *sys.argv[2:]])\n")


@pytest.fixture
def lane(tmp_path: Path) -> Iterator[LaneDir]:
    lane = open_lane(tmp_path / "lane", "FULL01")
    holder = sqlite3.connect(lane.path / "fairpos.db")
    holder.execute("SELECT COUNT(*) FROM sales").fetchone()
    yield lane
    holder.close()


def on_a_full_disk(lane: LaneDir, *args: str, lang: str = "en"
                   ) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", LAUNCH, str(LIMIT), "-m", "fairpos", "--data-dir",
         str(lane.path), "--lang", lang, *args], capture_output=True, text=True, timeout=120)


def test_the_command_line_on_a_full_disk(lane: LaneDir) -> None:
    lane.sell("--line", "305", "--pay", "cash:USD:2")
    before = lane.dump()
    for args in (("sell", "--line", "305", "--pay", "cash:USD:5"),
                 ("void", "FULL01-000001", "--reason", "wrong"),
                 ("shift", "close", "--count", "USD:21.20")):
        refused = on_a_full_disk(lane, *args)
        assert refused.returncode == 1, refused
        assert refused.stderr.count("\n") == 1 and "Traceback" not in refused.stderr
        assert "nothing was written" in refused.stderr and str(lane.path) in refused.stderr
    spanish = on_a_full_disk(lane, "sell", "--line", "305", "--pay", "cash:USD:5", lang="es")
    assert "no se guardó nada" in spanish.stderr and spanish.stderr.count("\n") == 1
    assert lane.dump() == before  # nothing half-written
    report = on_a_full_disk(lane, "report")  # reading still works
    assert report.returncode == 0 and "X REPORT" in report.stdout
    assert lane.sell("--line", "305", "--pay", "cash:USD:5")["id"] == "FULL01-000002"


def test_the_till_on_a_full_disk_keeps_the_cart_and_says_why(lane: LaneDir) -> None:
    argv = [sys.executable, "-c", LAUNCH, str(LIMIT), "-m", "fairpos", "--data-dir",
            str(lane.path), "--lang", "en", "till"]
    till = Terminal(argv, columns=100, lines=30)
    try:
        till.wait_for(lambda screen: "Void line" in screen)
        till.send(b"305\r")
        till.wait_for(lambda screen: "1 line" in screen)
        till.send(b"\x1bOQ")  # F2: pay
        till.wait_for(lambda screen: "Still due" in screen)
        till.send(b"\r")  # the exact amount
        till.wait_for(lambda screen: "Paid." in screen or "Change" in screen)
        till.send(b"\r")  # confirm: the journal cannot take it
        screen = till.wait_for(lambda text: "nothing was written" in text) and till.text()
        assert "Traceback" not in screen
        till.send(b"\x1b")  # back to the sale: still there, whole
        till.wait_for(lambda text: "White rice" in text and "1.20 USD" in text
                      and "Journal:" in text)  # and the side panel says why
    finally:
        till.close()
    assert rows(lane.path, "SELECT COUNT(*) FROM sales") == [(0,)]


def test_a_journal_made_writable_again_works_at_once(lane: LaneDir) -> None:
    """While the journal was read-only, a reader left its shared-memory file read-only too;
    once the journal is writable again, so is that file, and the next sale goes through."""
    journal = lane.path / "fairpos.db"
    shm = lane.path / "fairpos.db-shm"
    assert shm.exists()  # (the fixture's reader holds it)
    journal.chmod(0o444)
    shm.chmod(0o444)  # what SQLite does for a reader of a read-only file
    journal.chmod(0o644)  # the file is fixed by hand; its side file is not
    sale = lane.sell("--line", "305", "--pay", "cash:USD:2")
    assert sale["id"] == "FULL01-000001"
    assert shm.stat().st_mode & 0o222 == 0o200  # writable like the journal again
