"""Copies of the journal: taken while another process sells, each a whole and consistent journal
(the sales it holds are the journal's own, the same, up to its last number); rotated; put back
on a new machine with the lane's device id; refused over a journal that holds more, over
another lane's, from a damaged or foreign file, and onto a full disk — each in one line, with
nothing changed."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from harness.lanes import LaneDir, make_lane, open_lane, wait_until
from tests.test_disk import read_only_disk
from tests.till_helpers import close_shift, make_till, message, rows, settle, type_in, until

SELLER = """
import sys
from pathlib import Path
from typing import Any
from fairpos.cli import main
stop = Path(sys.argv[2])
while not stop.exists():
    main(["--data-dir", sys.argv[1], "--lang", "en", "sell", "--line", "301",
          "--line", "101=1.250kg", "--pay", "cash:USD:10"], standalone_mode=False)
"""


def sales_of(path: Path) -> list[tuple[object, ...]]:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        return conn.execute(
            "SELECT s.seq, s.id, s.total, (SELECT COUNT(*) FROM sale_lines WHERE sale_id = s.id),"
            " (SELECT SUM(amount) FROM tenders WHERE sale_id = s.id) FROM sales s ORDER BY seq"
        ).fetchall()


def test_a_backup_taken_while_another_process_sells_is_a_consistent_journal(
        tmp_path: Path) -> None:
    lane = open_lane(tmp_path / "lane", "BACK01")
    stop = tmp_path / "stop"
    seller = subprocess.Popen([sys.executable, "-c", SELLER, str(lane.path), str(stop)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    taken: list[dict[str, object]] = []
    try:
        wait_until(lambda: rows(lane.path, "SELECT COUNT(*) FROM sales")[0][0] >= 3,
                   "the seller's first sales")
        # copies until two of them, taken apart, each found sales the other had not
        while len({made["last_seq"] for made in taken}) < 3:
            taken.append(lane.json("backup", "--keep", "100"))
            assert seller.poll() is None, seller.stderr.read() if seller.stderr else ""
    finally:
        stop.touch()
        seller.wait(timeout=120)
    assert seller.returncode == 0, seller.stderr.read() if seller.stderr else ""
    final = sales_of(lane.path / "fairpos.db")
    for made in taken:
        copy = sales_of(Path(str(made["path"])))
        assert copy == final[:len(copy)]  # the journal's own sales, whole, up to its last
        assert [sale[0] for sale in copy] == list(range(1, len(copy) + 1))
        assert len(copy) == made["entries"] == made["last_seq"]
        assert all(lines == 2 and paid == 1000 for _seq, _id, _total, lines, paid in copy)
        with sqlite3.connect(Path(str(made["path"]))) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
            assert conn.execute("PRAGMA journal_mode").fetchone() == ("delete",)
    assert len(final) > int(str(taken[0]["last_seq"]))
    assert not list((lane.path / "backups").glob("*.part"))


def test_copies_are_rotated_and_the_newest_always_kept(tmp_path: Path) -> None:
    lane = open_lane(tmp_path / "lane", "BACK02")
    other = tmp_path / "stick"
    other.mkdir()
    (other / "fairpos-OTHER1-20260101-000000.db").write_bytes(b"another lane's")
    made = [lane.json("backup", "--to", str(other), "--keep", "2") for _ in range(4)]
    names = sorted(path.name for path in other.iterdir())
    assert names == sorted(["fairpos-OTHER1-20260101-000000.db",
                            *(Path(str(m["path"])).name for m in made[-2:])])
    assert made[2]["removed"] == [made[0]["path"]] and made[3]["removed"] == [made[1]["path"]]
    said = lane.run("backup", "--keep", "1").stdout
    assert said.startswith("Journal copied and checked: ")
    assert "1 entry" not in said and "shifts: 1; labels: 0 — a shift is open" in said
    assert "(el último n.º 0)" in lane.run("backup", lang="es").stdout  # (no sale yet)


def test_a_new_machine_restored_is_the_same_lane(tmp_path: Path) -> None:
    lane = open_lane(tmp_path / "lane", "BACK03")
    lane.sell("--line", "301", "--pay", "cash:USD:10")
    made = lane.json("backup")
    new = LaneDir(tmp_path / "new")
    new.path.mkdir()
    (new.path / "fairpos.toml").write_text((lane.path / "fairpos.toml").read_text())
    said = new.run("restore", str(made["path"])).stdout
    assert "Journal restored from " in said and "lane BACK03" in said
    assert "The journal it replaced" not in said
    assert rows(new.path, "SELECT id FROM device") == [("BACK03",)]
    assert sales_of(new.path / "fairpos.db") == sales_of(lane.path / "fairpos.db")
    sold = new.sell("--line", "301", "--pay", "cash:USD:10")  # and it goes on selling
    assert sold["id"] == "BACK03-000002"


def test_an_older_copy_is_refused_over_a_journal_that_holds_more(tmp_path: Path) -> None:
    lane = open_lane(tmp_path / "lane", "BACK04")
    lane.sell("--line", "301", "--pay", "cash:USD:10")
    older = str(lane.json("backup")["path"])
    lane.sell("--line", "301", "--pay", "cash:USD:10")
    before = sales_of(lane.path / "fairpos.db")
    said = lane.fail("restore", older)
    assert said == ("fairpos: the journal here holds what the backup does not (sales after "
                    "no. 1): nothing was changed")
    assert "el diario de aquí tiene lo que la copia no tiene" in lane.fail("restore", older,
                                                                         lang="es")
    assert sales_of(lane.path / "fairpos.db") == before
    # the same copy over the same journal, or a newer one: put back, the old one kept
    newer = str(lane.json("backup")["path"])
    said = lane.run("restore", newer).stdout
    kept = said.split("The journal it replaced is kept as ")[1].strip()
    assert sales_of(Path(kept)) == before and sales_of(lane.path / "fairpos.db") == before


def test_another_lanes_copy_is_refused_over_this_lanes_work(tmp_path: Path) -> None:
    mine = open_lane(tmp_path / "mine", "BACK05")
    mine.sell("--line", "301", "--pay", "cash:USD:10")
    theirs = make_lane(tmp_path / "theirs", device_id="BACK06")
    copy = str(theirs.json("backup")["path"])
    assert mine.fail("restore", copy) == (
        "fairpos: the journal here is lane BACK05's and holds its work; the backup is lane "
        "BACK06's: nothing was changed")
    assert rows(mine.path, "SELECT id FROM device") == [("BACK05",)]
    fresh = make_lane(tmp_path / "fresh", device_id="BACK07")  # a machine set up, not used
    assert "lane BACK06" in fresh.run("restore", copy).stdout
    assert rows(fresh.path, "SELECT id FROM device") == [("BACK06",)]


def test_a_damaged_or_foreign_file_is_refused_and_changes_nothing(tmp_path: Path) -> None:
    lane = open_lane(tmp_path / "lane", "BACK08")
    lane.sell("--line", "301", "--pay", "cash:USD:10")
    good = Path(str(lane.json("backup")["path"]))
    before = sales_of(lane.path / "fairpos.db")
    damaged = tmp_path / "damaged.db"
    data = bytearray(good.read_bytes())
    page = 4096
    data[page * 2: page * 4] = b"\xff" * page * 2  # two pages of the tables torn
    damaged.write_bytes(bytes(data))
    said = lane.fail("restore", str(damaged))
    assert said.startswith(f"fairpos: {damaged} is damaged: ")
    cut = tmp_path / "cut.db"
    cut.write_bytes(good.read_bytes()[: len(data) // 2])
    assert lane.fail("restore", str(cut)).startswith(f"fairpos: {cut} ")
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE t (x)")
    assert lane.fail("restore", str(other)) == (
        f"fairpos: {other}: it is not a fairpos journal (no such table: device)")
    settings = lane.path / "fairpos.toml"
    assert "is not a fairpos journal (file is not a database)" in lane.fail(
        "restore", str(settings))
    assert lane.fail("restore", str(tmp_path / "none.db")) == (
        f"fairpos: there is no backup at {tmp_path / 'none.db'}")
    assert sales_of(lane.path / "fairpos.db") == before


def altered_copy(good: Path, folder: Path, name: str, *statements: str) -> Path:
    """A copy of ``good`` changed by hand (its append-only triggers dropped for it)."""
    copy = folder / name
    copy.write_bytes(good.read_bytes())
    with sqlite3.connect(copy) as conn:
        for (trigger,) in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
            conn.execute(f"DROP TRIGGER {trigger}")
        for statement in statements:
            conn.execute(statement)
    return copy


def test_a_copy_whose_sales_do_not_add_up_is_refused_and_a_skipped_number_is_not(
        tmp_path: Path) -> None:
    """A sale's total changed by hand, or a sale numbered past the lane's counter: refused in
    one line. Numbers a rollback left out (sold on a newer version, kept apart) are no fault."""
    lane = open_lane(tmp_path / "lane", "BACK09")
    for _sale in range(3):
        lane.sell("--line", "301", "--pay", "cash:USD:10")
    good = Path(str(lane.json("backup")["path"]))
    before = sales_of(lane.path / "fairpos.db")
    total = altered_copy(good, tmp_path, "total.db",
                         "UPDATE sales SET total = total + 100 WHERE seq = 2")
    past = altered_copy(good, tmp_path, "past.db", "UPDATE sales SET seq = 9 WHERE seq = 3")
    for copy in (total, past):
        assert lane.fail("restore", str(copy)) == (
            f"fairpos: {copy} is not consistent: its sales do not add up")
    assert sales_of(lane.path / "fairpos.db") == before
    skipped = altered_copy(good, tmp_path, "skipped.db",
                           "UPDATE sales SET seq = 5 WHERE seq = 3",
                           "UPDATE device SET last_seq = 5")
    assert "Journal restored from " in lane.run("restore", str(skipped)).stdout
    lane.run("check")
    assert lane.sell("--line", "301", "--pay", "cash:USD:10")["id"] == "BACK09-000006"


def test_a_backup_refused_where_it_cannot_be_written(tmp_path: Path) -> None:
    lane = open_lane(tmp_path / "lane", "BACK09")
    blocked = tmp_path / "file"
    blocked.write_text("a file, not a folder")
    said = lane.fail("backup", "--to", str(blocked / "inside"))
    assert said.startswith(f"fairpos: the backup could not be written to {blocked / 'inside'}")
    assert "--keep" in lane.run("backup", "--keep", "0", ok=False).stderr
    (lane.path / "fairpos.toml").open("a").write("\n[backup]\nkeep = 0\n")
    assert lane.fail("backup") == "fairpos: [backup] keep must be from 1 to 1000"


@read_only_disk
def test_a_full_stick_leaves_no_copy_and_says_so(tmp_path: Path) -> None:
    """A stick with too little room (a tmpfs of 64 KiB in a mount namespace of its own): one
    line, no file under a backup's name, no part left behind."""
    lane = open_lane(tmp_path / "lane", "BACK10")
    mount = tmp_path / "stick"
    mount.mkdir()
    script = ('mount -t tmpfs -o size=64k stick "$1" && shift && "$@"; status=$?; '
              'ls -A "$STICK"; exit $status')
    done = subprocess.run(
        ["unshare", "--user", "--map-root-user", "--mount", "sh", "-c", script, "sh",
         str(mount), sys.executable, "-m", "fairpos", "--data-dir", str(lane.path),
         "--lang", "en", "backup", "--to", str(mount)],
        capture_output=True, text=True, timeout=120,
        env={"STICK": str(mount), "HOME": str(tmp_path), "PATH": "/usr/bin:/bin"})
    assert done.returncode == 1, done
    assert done.stderr.startswith(f"fairpos: the backup could not be written to {mount}: ")
    assert len(done.stderr.strip().splitlines()) == 1
    assert done.stdout == ""  # (the stick, listed after: empty)


@pytest.mark.parametrize("lang", ["en", "es"])
def test_help_names_backup_and_restore(tmp_path: Path, lang: str) -> None:
    lane = make_lane(tmp_path / "lane", device_id="BACK11")
    text = lane.run("--help", lang=lang).stdout
    assert "backup" in text and "restore" in text
    assert "online backup" in lane.run("backup", "--help").stdout


# -- at a shift's close, onto a stick -------------------------------------------------------------

def test_sticks_are_mount_points_that_can_be_written(tmp_path: Path) -> None:
    from fairpos.sticks import mounted

    (tmp_path / "media" / "usb").mkdir(parents=True)  # a folder, nothing mounted on it
    assert mounted([str(tmp_path / "media" / "*")]) == []
    assert mounted(["/dev/shm", "/dev/sh*", str(tmp_path / "media" / "*")]) == [
        Path("/dev/shm")]  # a real mount (tmpfs), once


@pytest.mark.skipif(not os.path.ismount("/dev/shm"), reason="no tmpfs at /dev/shm to stand "
                                                           "for a stick")
async def test_the_till_offers_a_copy_to_a_stick_when_the_shift_is_closed(
        tmp_path: Path) -> None:
    """A drive mounted where ``[backup] sticks`` looks (here /dev/shm, a real mount): after
    the Z report, F5 copies the journal onto it, checked; the volunteer is told it can be
    removed."""
    lane = open_lane(tmp_path / "lane", "STICK1")
    lane.sell("--line", "301", "--pay", "cash:USD:10")
    with (lane.path / "fairpos.toml").open("a") as settings:
        settings.write('\n[backup]\nsticks = ["/dev/shm"]\n')
    on_stick = Path("/dev/shm/fairpos-backups")
    app = make_till(lane.path)
    try:
        async with app.run_test(size=(100, 40)) as pilot:
            await settle(pilot)
            await close_shift(pilot, "21.20")
            await until(pilot, lambda: "F5: copy the journal to the stick at /dev/shm" in
                        message(pilot, "#close-message"))
            await type_in(pilot, "", "f5")
            await until(pilot, lambda: "The stick can be removed" in
                        message(pilot, "#close-message"))
            said = message(pilot, "#close-message")
            copy = Path(said.split("Journal copied and checked: ")[1].split(". The stick")[0])
            assert copy.parent == on_stick and copy.name.startswith("fairpos-STICK1-")
            assert sales_of(copy) == sales_of(lane.path / "fairpos.db")
            with sqlite3.connect(copy) as conn:
                assert conn.execute("SELECT closed_at IS NOT NULL FROM shifts").fetchall() \
                    == [(1,)]
    finally:
        for path in on_stick.glob("fairpos-STICK1-*"):
            path.unlink()


async def test_no_stick_no_offer(tmp_path: Path) -> None:
    lane = open_lane(tmp_path / "lane", "STICK2")
    with (lane.path / "fairpos.toml").open("a") as settings:
        settings.write(f'\n[backup]\nsticks = ["{tmp_path}/media/*"]\n')
    (tmp_path / "media" / "usb").mkdir(parents=True)
    app = make_till(lane.path)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        await close_shift(pilot, "20")
        assert "Z REPORT" in message(pilot, "#comparison")
        await settle(pilot)
        assert "F5" not in message(pilot, "#close-message")
        await type_in(pilot, "", "f5")  # nothing happens
        assert not list((tmp_path / "media" / "usb").iterdir())
        assert "Shift closed. F2 or Enter" in message(pilot, "#close-message")


# -- the ledger ------------------------------------------------------------------------------------

def test_a_ledger_on_sqlite_is_copied_while_it_serves(server: Any, tmp_path: Path) -> None:
    """``fairpos ledger backup`` while a real ledger takes a lane's sales: the copy opens as a
    ledger holding every sale synced before it, whole; PostgreSQL's is refused with where to
    look."""
    from click.testing import CliRunner

    from fairpos.cli import main
    from harness.sync_helpers import connect, ledger_sums, ring, stall

    lane = stall(tmp_path / "lane", "LEDG01", sales=30)
    connect(lane, server)
    lane.run("sync")
    db = str(server.db)

    def backup(*args: str) -> str:
        done = CliRunner().invoke(main, ["--lang", "en", "ledger", "backup", "--db", db, *args],
                                  catch_exceptions=False)
        assert done.exit_code == 0, done.output
        return done.stdout

    first = backup("--keep", "2")
    ring(lane, 20, seed=1)
    lane.run("sync")
    copy = Path(first.split("Ledger copied and checked: ")[1].splitlines()[0])
    assert copy.parent == Path(db).parent / "backups"
    assert ledger_sums(copy, "LEDG01")[0] == 30 and ledger_sums(db, "LEDG01")[0] == 50
    backup("--keep", "2")
    third = backup("--keep", "2")
    assert f"Removed the older copy {copy.name}" in third and not copy.exists()
    refused = CliRunner().invoke(main, ["--lang", "en", "ledger", "backup", "--db",
                                        "postgresql://nobody@127.0.0.1:1/none"])
    assert refused.exit_code == 1 and refused.stdout == ""
    assert refused.stderr.startswith("fairpos: cannot open the ledger at")


def test_a_ledger_on_postgresql_says_how_it_is_copied(postgres: Any) -> None:
    from click.testing import CliRunner

    from fairpos.cli import main

    done = CliRunner().invoke(main, ["--lang", "en", "ledger", "backup", "--db",
                                     str(postgres.create())])
    assert done.exit_code == 1
    assert done.stderr == ("fairpos: a ledger on PostgreSQL is copied with PostgreSQL's own "
                           "tools (pg_dump, or a base backup): see docs/operations.md\n")
