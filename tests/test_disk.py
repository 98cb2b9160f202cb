"""A journal that cannot be written — its disk full or failing — refuses the write with one
line, keeps nothing half-done, and still reads: reports work, the till keeps the cart.

The disk is filled the kernel's way: the program runs with a file-size limit (RLIMIT_FSIZE), so
every write past it fails as on a full disk, in a real process. Another connection holds the
journal open meanwhile (as the till does), so its shared-memory file is already there."""

from __future__ import annotations

import compileall
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import fairpos
from benchmarks.terminal import Terminal
from harness.lanes import LaneDir, open_lane
from harness.namespaces import namespaces_work
from tests.till_helpers import rows

LIMIT = 100  # bytes: the journal can be opened and read, not a page written
LAUNCH = ("import os, resource, signal, sys\n"
          "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
          "resource.setrlimit(resource.RLIMIT_FSIZE, (int(sys.argv[1]), "
          "resource.RLIM_INFINITY))\n"
          "os.execv(sys.executable, [sys.executable, *sys.argv[2:]])\n")


@pytest.fixture
def lane(tmp_path: Path) -> Iterator[LaneDir]:
    # A program that cannot write more than LIMIT bytes would leave a module's bytecode cut
    # short, for every later import to choke on: the sources are compiled beforehand.
    compileall.compile_dir(Path(fairpos.__file__).parent, quiet=1)
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
        # (the line's end names the lane's folder, so where it wraps depends on that path)
        screen = till.wait_for(lambda text: "The journal's disk failed" in text) and till.text()
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


# -- a read-only disk ---------------------------------------------------------------------------
# The journal is copied to a small tmpfs that is then remounted read-only, inside a user and
# mount namespace of its own (``unshare``): a real read-only filesystem, no privileges needed.

MOUNT_READ_ONLY = ('mount -t tmpfs -o size=8m fairpos "$1" && cp -a "$2" "$1/lane" && '
                   'mount -o remount,ro "$1" && shift 2 && exec "$@"')


read_only_disk = pytest.mark.skipif(not namespaces_work("--mount"),
                                    reason="this kernel lets no user mount a filesystem")


def on_a_read_only_disk(lane: LaneDir, mount: Path, *args: str) -> list[str]:
    """The argv that runs ``fairpos ARGS`` on a read-only copy of ``lane`` at ``mount``."""
    mount.mkdir(exist_ok=True)
    return ["unshare", "--user", "--map-root-user", "--mount", "sh", "-c", MOUNT_READ_ONLY,
            "sh", str(mount), str(lane.path), sys.executable, "-m", "fairpos", "--data-dir",
            str(mount / "lane"), *args]


def read_only_lane(path: Path, paper: Path, keep_wal: bool) -> LaneDir:
    """A lane with one sale and a printer that is a file outside the read-only disk. With
    ``keep_wal``, the sale is only in the WAL (another connection kept it from being folded
    into the file), as after a power cut; else the journal was closed cleanly."""
    lane = open_lane(path, "READ01")
    settings = lane.path / "fairpos.toml"
    settings.write_text(settings.read_text(encoding="utf-8").replace(
        'url = "none"', f'url = "file://{paper}"', 1), encoding="utf-8")
    paper.write_bytes(b"")
    holder = sqlite3.connect(lane.path / "fairpos.db") if keep_wal else None
    if holder is not None:
        holder.execute("SELECT COUNT(*) FROM sales").fetchone()
    lane.sell("--line", "305", "--pay", "cash:USD:2")
    if holder is None:
        assert not (lane.path / "fairpos.db-wal").exists()
        return lane
    assert (lane.path / "fairpos.db-wal").stat().st_size > 0
    cut = LaneDir(path.with_name(path.name + "-cut"))  # the folder as a power cut leaves it
    shutil.copytree(lane.path, cut.path)
    holder.close()
    return cut


@read_only_disk
@pytest.mark.parametrize("keep_wal", [False, True], ids=["closed cleanly", "WAL left"])
def test_the_command_line_on_a_read_only_disk(tmp_path: Path, keep_wal: bool) -> None:
    paper = tmp_path / "paper.bin"
    lane = read_only_lane(tmp_path / "lane", paper, keep_wal)

    def run(*args: str, lang: str = "en") -> subprocess.CompletedProcess[str]:
        return subprocess.run(on_a_read_only_disk(lane, tmp_path / "ro", "--lang", lang, *args),
                              capture_output=True, text=True, timeout=120)

    report = run("report")
    assert report.returncode == 0, report.stderr
    assert "X REPORT" in report.stdout and "1.20" in report.stdout  # the sale is read
    status = run("sync-status")
    assert status.returncode == 0 and "Waiting to sync: 1 entry " in status.stdout, status
    reprint = run("reprint", "READ01-000001")
    assert reprint.returncode == 0, reprint.stderr
    assert "not recorded" in reprint.stdout
    assert b"REPRINT" in paper.read_bytes() and b"White rice" in paper.read_bytes()
    for args in (("sell", "--line", "305", "--pay", "cash:USD:5"),
                 ("shift", "close", "--count", "USD:21.20"), ("printer", "retry")):
        refused = run(*args)
        assert refused.returncode == 1, refused
        assert refused.stderr.count("\n") == 1 and "Traceback" not in refused.stderr
        assert "read-only" in refused.stderr and "nothing was written" in refused.stderr
    spanish = run("sell", "--line", "305", "--pay", "cash:USD:5", lang="es")
    assert "solo lectura" in spanish.stderr and spanish.stderr.count("\n") == 1


@read_only_disk
def test_the_till_on_a_read_only_disk_lists_reprints_and_refuses_to_sell(
        tmp_path: Path) -> None:
    paper = tmp_path / "paper.bin"
    lane = read_only_lane(tmp_path / "lane", paper, keep_wal=False)
    till = Terminal(on_a_read_only_disk(lane, tmp_path / "ro", "--lang", "en", "till"),
                    columns=110, lines=32)
    try:
        till.wait_for(lambda screen: "Void line" in screen and "Journal: read-only" in screen)
        till.send(b"\x1b[21~")  # F10: the sales of this shift
        till.wait_for(lambda screen: "READ01-000001" in screen)
        till.send(b"\x1b[15~")  # F5: reprint it
        till.wait_for(lambda screen: "not recorded" in screen)
        till.send(b"\x1b")  # back to the sale
        till.wait_for(lambda screen: "PLU, barcode or name" in screen)
        till.send(b"305\r")
        till.wait_for(lambda screen: "1 line" in screen)
        till.send(b"\x1bOQ")  # F2: pay
        till.wait_for(lambda screen: "Still due" in screen)
        till.send(b"\r")
        till.wait_for(lambda screen: "Paid." in screen or "Change" in screen)
        till.send(b"\r")  # confirm: refused, the cart is kept
        till.wait_for(lambda screen: "cannot be written" in screen)
        assert "Traceback" not in till.text()
        till.send(b"\x1b")
        till.wait_for(lambda screen: "White rice" in screen and "1.20 USD" in screen)
        till.send(b"\x11")  # Ctrl+Q: nothing can be held on this disk; the till just ends
        till.wait_for(lambda _screen: till.process.poll() is not None)
        assert till.process.returncode == 0
    finally:
        till.close()
    assert paper.read_bytes().count(b"REPRINT") == 1
