"""The stall's side of sync, through the real ``fairpos`` commands, against a real ledger."""

from __future__ import annotations

import json
import sqlite3
import zipfile
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest

from fairpos.clock import skew_words
from fairpos.domain.cart import Cart
from fairpos.domain.money import Money
from fairpos.domain.quantity import Quantity
from fairpos.domain.tenders import Tender
from fairpos.journal import DB_NAME, Journal
from fairpos.ledger.store import SqlLedger
from fairpos.settings import parse_settings
from fairpos.sync.bundle import write_bundle
from fairpos.sync.relay import LedgerClient, push
from harness.lanes import FIXTURES, LaneDir
from harness.sync_helpers import (
    Failing,
    LedgerServer,
    connect,
    ledger_sums,
    payloads,
    ring,
    ring_days,
    stall,
    stall_sums,
)
from tests.conftest import STORES, ledger_db
from tests.till_helpers import rows


def outbox(lane: LaneDir) -> list[tuple[str, str, int]]:
    conn = sqlite3.connect(lane.path / DB_NAME)
    try:
        return conn.execute("SELECT entry_id, state, attempts FROM outbox ORDER BY entry_id"
                            ).fetchall()
    finally:
        conn.close()


def test_connect_checks_before_it_keeps_anything(tmp_path: Path, server: LedgerServer) -> None:
    lane = stall(tmp_path / "stall", "CONN01")
    settings = (lane.path / "fairpos.toml").read_bytes()
    wrong = lane.fail("connect", server.url, "--token", "wrong")
    assert "not connected, settings unchanged" in wrong and "401" in wrong
    down = lane.fail("connect", "http://127.0.0.1:9", "--token", "x")
    assert "not connected, settings unchanged" in down
    assert lane.fail("connect", "ledger.example.org", "--token", "x").startswith(
        "fairpos: the ledger's address")
    assert (lane.path / "fairpos.toml").read_bytes() == settings
    token = server.enrol("Feria Centro", 4)
    out = lane.run("connect", server.url, "--token", token).stdout
    assert "device CONN01 is Feria Centro, lane 4" in out
    text = (lane.path / "fairpos.toml").read_text()
    assert f'url = "{server.url}"' in text and f'token = "{token}"' in text
    assert text.replace(f'url = "{server.url}"\ntoken = "{token}"', 'url = ""\ntoken = ""') \
        == settings.decode()
    # the same token cannot be taken by another device
    other = stall(tmp_path / "other", "CONN02")
    assert "belongs to device CONN01" in other.fail("connect", server.url, "--token", token)


def test_sync_sends_everything_and_the_day_matches(tmp_path: Path,
                                                   server: LedgerServer) -> None:
    lane = stall(tmp_path / "stall", "SYNC01", sales=450)  # three batches
    connect(lane, server)
    result = lane.run("sync")
    assert "Sent 450 entries: 450 new, 0 already there." in result.stdout
    assert "matched — 450 entries" in result.stdout
    assert ledger_sums(server.db, "SYNC01") == stall_sums(lane)
    assert {state for _id, state, _n in outbox(lane)} == {"acked"}
    again = lane.run("sync")
    assert "Sent 0 entries" in again.stdout and "matched" in again.stdout
    report = lane.json("sync-status", "--json")
    assert report["pending"] == 0 and report["last_sync"]


def test_voids_refunds_split_tenders_and_change_are_accepted(tmp_path: Path,
                                                             server: LedgerServer) -> None:
    lane = stall(tmp_path / "stall", "MIXED1", sales=4)
    connect(lane, server)
    paid = lane.sell("--line", "101=1.250kg", "--line", "G=2.35kg", "--pay",
                     "card:USD:1.00,ref=7781", "--pay", "cash:VES:2000", "--change-currency",
                     "USD", "--no-print")
    lane.run("void", "MIXED1-000001", "--reason", "wrong customer")
    lane.run("refund", "MIXED1-000002", "--line", "1", "--reason", "bruised",
             "--currency", "VES")
    result = lane.run("sync")
    assert "Sent 7 entries: 7 new" in result.stdout and "matched — 7 entries" in result.stdout
    assert ledger_sums(server.db, "MIXED1") == stall_sums(lane)
    assert paid["id"] == "MIXED1-000005"


def test_a_ledger_that_is_down_loses_nothing(tmp_path: Path, server: LedgerServer) -> None:
    lane = stall(tmp_path / "stall", "DOWN01", sales=20)
    connect(lane, server)
    server.kill()
    result = lane.run("sync", "--tries", "2", ok=False)
    assert result.exit_code == 1  # unreachable: nothing could be sent (README)
    tries = [line for line in result.stderr.splitlines() if line.startswith("Try ")]
    assert [t.split(":")[0] for t in tries] == ["Try 1 of 2", "Try 2 of 2"]
    assert all("cannot be reached" in t and "nothing was sent" in t for t in tries)
    assert result.stderr.splitlines()[-1].startswith(
        "fairpos: not synced: the ledger cannot be reached. 20 entries wait on this lane")
    assert "Sent 0" not in result.stdout
    assert [(state, attempts) for _i, state, attempts in outbox(lane)] == [("pending", 2)] * 20
    server.start()
    assert lane.run("sync").exit_code == 0
    assert ledger_sums(server.db, "DOWN01") == stall_sums(lane)


def test_crash_between_reply_and_acks_resends_as_duplicates(tmp_path: Path,
                                                            server: LedgerServer) -> None:
    lane = stall(tmp_path / "stall", "CRASH1", sales=30)
    token = connect(lane, server)

    class Crash(BaseException):
        """The power goes between the ledger's reply and the acks."""

    def crash() -> None:
        raise Crash

    store = Journal.open(lane.path / DB_NAME)
    with LedgerClient(server.url, token) as client, pytest.raises(Crash):
        push(store, client, after_reply=crash)
    store.close()
    assert ledger_sums(server.db, "CRASH1") == stall_sums(lane)  # the ledger has them …
    assert {state for _i, state, _n in outbox(lane)} == {"pending"}  # … the stall does not know
    result = lane.run("sync")
    assert "Sent 30 entries: 0 new, 30 already there." in result.stdout
    assert ledger_sums(server.db, "CRASH1") == stall_sums(lane)


def test_quarantined_entries_never_block_the_queue(tmp_path: Path,
                                                   server: LedgerServer) -> None:
    lane = stall(tmp_path / "stall", "QUAR01", sales=3)
    connect(lane, server)
    # two sales the ledger must refuse (paid with a voucher it has never heard of; the lane's
    # own check knows no vouchers list), between good ones
    ring(lane, 2, seed=5)
    with lane.db() as conn:
        conn.execute("DROP TRIGGER tenders_no_update")
        conn.execute("UPDATE tenders SET method = 'tokenx' WHERE sale_id IN "
                     "('QUAR01-000004', 'QUAR01-000005')")
    ring(lane, 1, seed=6)
    result = lane.run("sync", ok=False)
    assert "Sent 6 entries: 4 new" in result.stdout
    assert result.stdout.count("Quarantined QUAR01-00000") == 2
    assert "unknown payment method 'tokenx'" in result.stdout
    assert result.exit_code == 3  # the figures cannot match while two are set aside
    status = lane.json("sync-status", "--json")
    assert status["pending"] == 0 and [q["id"] for q in status["quarantined"]] == [
        "QUAR01-000004", "QUAR01-000005"]
    ring(lane, 1, seed=7)  # nothing waits behind the two set aside
    later = lane.run("sync", ok=False)
    assert "Sent 1 entry: 1 new" in later.stdout and "MISMATCH" in later.stdout
    assert lane.json("sync-status", "--json")["pending"] == 0


def test_newer_catalog_and_rates_are_pulled_once(tmp_path: Path, server: LedgerServer) -> None:
    lane = stall(tmp_path / "stall", "PULL01", sales=1)
    connect(lane, server)
    first = lane.run("sync").stdout
    assert "Applied rates v1" in first and "catalog" not in first  # v1 is already here
    text = (FIXTURES / "feria-catalog.csv").read_text().replace("class,G,,Feria grande,"
                                                                "Large fair price,kg,1.20",
                                                                "class,G,,Feria grande,"
                                                                "Large fair price,kg,1.35")
    (tmp_path / "week48.csv").write_text(text)
    lane.run("ledger", "publish", str(tmp_path / "week48.csv"), "--db", str(server.db))
    second = lane.run("sync").stdout
    assert "Applied catalog v2 from the ledger." in second and "rates" not in second
    assert "Sent 0 entries" in second
    store = Journal.open(lane.path / DB_NAME)
    assert store.catalog().version == 2
    assert store.catalog().price_class("G").price_per_kg == 135  # type: ignore[union-attr]
    store.close()
    ring(lane, 1, seed=9)  # sold at the new price, on v2, which the ledger knows
    assert "matched — 2 entries" in lane.run("sync").stdout


def test_sync_exit_codes_and_words(tmp_path: Path, server: LedgerServer) -> None:
    """0 matched · 2 pending (run again) · 3 mismatch · 1 refused or unreachable, each with
    one line per try and one summary, in the volunteer's language."""
    lane = stall(tmp_path / "stall", "EXIT01", sales=1)
    connect(lane, server)
    matched = lane.run("sync", lang="es")
    assert matched.exit_code == 0
    assert "Envío de 1 registro: nuevos 1, ya estaban 0." in matched.stdout
    # the outcome of every send is unknown; and the ledger's clock says two days ago
    two_days_ago = format_datetime(datetime.now(UTC) - timedelta(days=2), usegmt=True)
    failing = Failing(date=two_days_ago)
    try:
        settings = (lane.path / "fairpos.toml").read_text()
        (lane.path / "fairpos.toml").write_text(settings.replace(server.url, failing.url))
        ring(lane, 2, seed=4)
        unknown = lane.run("sync", "--tries", "2", ok=False)
        assert unknown.exit_code == 2
        assert unknown.stderr.count("went out but no answer came back") == 2
        assert "2 entries went out" in unknown.stderr
        assert "not settled: no answer came back after 2 tries" in unknown.stderr
        [skew] = [line for line in unknown.stderr.splitlines() if "clock" in line]
        assert "48 h ahead of the ledger's" in skew and "check the date and time" in skew
        status = lane.run("sync-status").stdout  # and it is remembered
        assert "At the last sync, this lane's clock was 48 h ahead of the ledger's" in status
        # --json gives the very skew the words above were made from
        seconds = lane.json("sync-status")["ledger_clock_skew_seconds"]
        assert f"this lane's clock was {skew_words(timedelta(seconds=seconds))}" in status
    finally:
        failing.close()
        (lane.path / "fairpos.toml").write_text(settings)
    with server.store() as ledger:  # the ledger's keeper revokes the lane
        ledger.revoke("EXIT01")
    refused = lane.run("sync", ok=False)
    assert refused.exit_code == 1 and "The ledger refused" in refused.stderr
    spanish = lane.run("sync", lang="es", ok=False).stderr
    assert "el libro central rechazó (401)" in spanish and "refused" not in spanish
    assert refused.stderr.splitlines()[-1].startswith("fairpos: not synced: the ledger refused")


@pytest.fixture(params=STORES)
def any_server(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[LedgerServer]:
    """A real ledger on either store."""
    running = LedgerServer(ledger_db(request.param, tmp_path, request))
    yield running
    running.stop()


def test_export_and_import_a_bundle(tmp_path: Path, any_server: LedgerServer) -> None:
    server = any_server
    lane = stall(tmp_path / "stall", "USB001", sales=250)
    token = connect(lane, server)
    bundle = tmp_path / "stick" / "usb001.zip"
    bundle.parent.mkdir()
    assert "Wrote 250 entries (USB001-000001 … USB001-000250)" in lane.run(
        "export", "--out", str(bundle)).stdout
    db = ["--db", str(server.db)]
    assert "250 accepted, 0 duplicate" in lane.run("ledger", "import", str(bundle), *db).stdout
    assert "0 accepted, 250 duplicate" in lane.run("ledger", "import", str(bundle), *db).stdout
    assert ledger_sums(server.db, "USB001") == stall_sums(lane)
    assert "0 new, 250 already there" in lane.run("sync").stdout
    damaged = tmp_path / "damaged.zip"
    damaged.write_bytes(bundle.read_bytes()[:-300])
    said = lane.fail("ledger", "import", str(damaged), *db)
    assert "damaged.zip cannot be read as a bundle: it is not a zip file, or it was cut " \
        "short" in said and "BadZipFile" not in said
    empty = tmp_path / "empty.zip"  # a zip with nothing of a bundle in it
    with zipfile.ZipFile(empty, "w") as archive:
        archive.writestr("notes.txt", "hello")
    said = lane.fail("ledger", "import", str(empty), *db)
    assert "a part it needs is missing" in said and "KeyError" not in said \
        and "manifest.json" not in said
    assert "no se puede leer como paquete" in lane.fail("ledger", "import", str(damaged), *db,
                                                        lang="es")
    forged = tmp_path / "forged.zip"  # USB001's manifest around another stall's entries
    other = stall(tmp_path / "other", "OTHER1", sales=2)
    write_bundle(forged, "USB001", payloads(other), token)
    assert "0 accepted, 0 duplicate, 2 rejected" in lane.run("ledger", "import", str(forged),
                                                             *db).stdout
    unsigned = tmp_path / "unsigned.zip"  # USB001's entries, signed without its token
    write_bundle(unsigned, "USB001", payloads(lane), "a guess")
    assert "does not prove an enrolment" in lane.fail("ledger", "import", str(unsigned), *db)
    stranger = stall(tmp_path / "stranger", "NOBODY", sales=1)
    assert "needs this lane's enrolment" in stranger.fail("export", "--out",
                                                           str(tmp_path / "nobody.zip"))
    stranger.run("connect", server.url, "--token", "never-enrolled", "--offline")
    stranger.run("export", "--out", str(tmp_path / "nobody.zip"))
    assert "does not prove an enrolment" in lane.fail("ledger", "import",
                                                      str(tmp_path / "nobody.zip"), *db)


def test_a_lane_that_was_never_online_reaches_the_ledger_by_usb_stick(
        tmp_path: Path, any_server: LedgerServer) -> None:
    server = any_server
    lane = stall(tmp_path / "stall", "NEVER1", sales=40)
    token = server.enrol("Feria Oeste", 7)  # handed over on paper
    kept = lane.run("connect", server.url, "--token", token, "--offline").stdout
    assert "not checked" in kept and "NEVER1" in kept
    stick = tmp_path / "stick.zip"
    lane.run("export", "--out", str(stick))
    with zipfile.ZipFile(stick) as archive:
        manifest = archive.read("manifest.json").decode()
    assert token not in manifest  # a lost stick does not give the token away
    db = ["--db", str(server.db)]
    assert "40 accepted, 0 duplicate" in lane.run("ledger", "import", str(stick), *db).stdout
    with server.store() as ledger:  # the bundle claimed the device for its enrolment
        assert [(d.fair, d.lane) for d in ledger.devices()
                if d.device_id == "NEVER1"] == [("Feria Oeste", 7)]
    assert ledger_sums(server.db, "NEVER1") == stall_sums(lane)
    ring(lane, 5, seed=3)  # later the fair gets a connection: the same lane syncs
    result = lane.run("sync")
    assert "40 already there" in result.stdout and "matched — 45 entries" in result.stdout
    assert ledger_sums(server.db, "NEVER1") == stall_sums(lane)  # nothing counted twice
    # a lane enrolled offline whose first contact is a sync, not a stick
    other = stall(tmp_path / "other", "NEVER2", sales=3)
    other.run("connect", server.url, "--token", server.enrol("Feria Oeste", 8), "--offline")
    assert "matched — 3 entries" in other.run("sync").stdout


def test_ledger_report_json(tmp_path: Path, server: LedgerServer) -> None:
    one = stall(tmp_path / "one", "REPT01", sales=10, seed=1)
    two = stall(tmp_path / "two", "REPT02", sales=7, seed=2)
    connect(one, server, number=1)
    connect(two, server, number=2)
    one.run("sync")
    two.run("sync")
    day = one.json("report", "--json")["business_date"]
    report = one.json("ledger", "report", "--date", day, "--json", "--db", str(server.db))
    assert report["sales_count"] == 17
    assert report["totals"]["USD"] == stall_sums(one)[1] + stall_sums(two)[1]
    assert [(lane["lane"], lane["sales_count"]) for lane in report["lanes"]] == [(1, 10), (2, 7)]
    assert sum(t["amount"] for t in report["tenders"]) == report["totals"]["USD"]
    text = one.run("ledger", "report", "--date", day, "--db", str(server.db)).stdout
    assert "17 sales" in text and "lane 2 (REPT02): 7 sales" in text
    assert "is not a date" in one.fail("ledger", "report", "--date", "friday", "--db",
                                       str(server.db))


def test_sync_without_a_ledger_says_how_to_connect(tmp_path: Path) -> None:
    lane = stall(tmp_path / "stall", "ALONE1", sales=2)
    assert "not connected to a ledger (fairpos connect URL --token TOKEN)" in lane.fail("sync")
    status = lane.json("sync-status", "--json")
    assert status["pending"] == 2 and status["ledger"] == "" and status["last_sync"] is None
    assert "“friday” is not a date" in lane.fail("sync", "--date", "friday")


def test_an_entry_the_ledger_lost_is_sent_again(tmp_path: Path, server: LedgerServer) -> None:
    """The ledger loses a row it had acknowledged (a restored backup): the day-close says
    pending with its id, the stall sends it again, and the day matches."""
    lane = stall(tmp_path / "stall", "LOST01", sales=10)
    connect(lane, server)
    lane.run("sync")
    conn = sqlite3.connect(server.db)
    with conn:
        for table in ("sales", "sale_lines", "sale_tenders"):
            conn.execute(f"DROP TRIGGER {table}_no_delete")
        for table, key in (("sale_lines", "sale_id"), ("sale_tenders", "sale_id"),
                           ("sales", "id")):
            conn.execute(f"DELETE FROM {table} WHERE {key} = 'LOST01-000005'")
        # as a backup from before it would: the resume point is back below the lost entry
        conn.execute("UPDATE devices SET max_contiguous_seq = 4 WHERE device_id = 'LOST01'")
    conn.close()
    assert ledger_sums(server.db, "LOST01")[0] == 9
    result = lane.run("sync")
    assert "Sent 0 entries" in result.stdout
    assert "Sent again 1 entry the ledger lacked (" in result.stdout
    assert "matched — 10 entries" in result.stdout
    assert ledger_sums(server.db, "LOST01") == stall_sums(lane)


def test_matched_days_are_closed_again_until_keep_days_then_let_go(
        tmp_path: Path, server: LedgerServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """Yesterday matched; today's sync closes yesterday again too (within [sync] keep_days),
    quietly while it matches; past keep_days its payloads are let go and it is not asked."""
    lane = stall(tmp_path / "stall", "KEEP01")
    lane.run("shift", "close", "--count", "USD:20")
    ring_days(lane, days=2, per_day=5, start=date(2026, 11, 20))
    connect(lane, server)
    first = lane.run("sync")
    assert first.stdout.count("matched") == 1  # the closing date said; the other quietly
    with server.store() as ledger:
        closes = ledger.all("SELECT business_date FROM day_closes ORDER BY id")
    assert [r[0] for r in closes] == ["2026-11-20", "2026-11-21"]
    lane.run("sync")
    with server.store() as ledger:  # asked again: within keep_days
        assert len(ledger.all("SELECT * FROM day_closes")) == 4
    kept = rows(lane.path, "SELECT COUNT(*) FROM outbox WHERE payload IS NOT NULL")
    assert kept == [(10,)]
    monkeypatch.setenv("FAIRPOS_SYNC__KEEP_DAYS", "0")
    lane.run("sync")
    with server.store() as ledger:  # only the closing date now
        assert len(ledger.all("SELECT * FROM day_closes")) == 5
    assert rows(lane.path, "SELECT COUNT(*) FROM outbox WHERE payload IS NOT NULL") == [(0,)]


def test_a_bundle_that_cannot_be_written_and_files_the_ledger_cannot_publish(
        tmp_path: Path, server: LedgerServer) -> None:
    lane = stall(tmp_path / "stall", "BADF01", sales=1)
    lane.run("connect", server.url, "--token", server.enrol("Feria", 1), "--offline")
    assert "cannot write" in lane.fail("export", "--out", str(tmp_path / "no" / "such.zip"))
    assert not list(tmp_path.glob("**/*.partial"))
    db = ["--db", str(server.db)]
    broken = tmp_path / "broken.csv"
    broken.write_text("type,code,barcode,name_es,name_en,unit,price,price_class,tags\n"
                      "product,101,,Tomate,Tomato,kg,abc,,\n")
    assert "broken.csv: line 2" in lane.fail("ledger", "publish", str(broken), *db)
    rates = tmp_path / "rates.csv"
    rates.write_text("base,quote,rate,effective\nUSD,VES,-3,2026-01-01\n")
    assert "rates line 2" in lane.fail("ledger", "publish", str(rates), *db)
    with server.store() as ledger:  # nothing new was published
        assert ledger.catalog().version == 1  # type: ignore[union-attr]
        assert ledger.rates().version == 1  # type: ignore[union-attr]


def test_the_tills_sync_closes_the_days_before_the_shift_and_heals_a_ledger_that_lost_some(
        tmp_path: Path, server: LedgerServer) -> None:
    """A lane whose volunteers never run ``fairpos sync``: the till's sync process closes the
    days before the open shift's (not the one still selling) once every ``close_every``
    seconds, and sends again what a ledger lost after acknowledging it."""
    from fairpos.sync.loop import SyncStatus, keep_syncing

    lane = stall(tmp_path / "stall", "TILL01")
    lane.run("shift", "close", "--count", "USD:20")
    ring_days(lane, days=2, per_day=5, start=date(2026, 11, 20))
    lane.run("shift", "open", "--volunteer", "Ana", "--float", "USD:20")
    ring(lane, 3, seed=9)
    token = connect(lane, server)
    conn = sqlite3.connect(server.db)  # a sale of the first day was sent, then lost
    with conn:
        for table in ("sales", "sale_lines", "sale_tenders"):
            conn.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete")
    conn.close()

    def closes() -> list[str]:
        with server.store() as ledger:
            return [r[0] for r in ledger.all("SELECT business_date FROM day_closes "
                                             "WHERE device_id = 'TILL01' ORDER BY id")]

    journal = Journal.open(lane.path / DB_NAME)
    told: list[SyncStatus] = []
    moments = iter([0.0, 10.0, 3700.0, 3700.0])  # the process's monotonic clock, as read
    runs = 0

    def wait(_seconds: float) -> bool:
        nonlocal runs
        runs += 1
        if runs == 1:
            lost = "TILL01-000001"
            conn = sqlite3.connect(server.db)
            with conn:
                for table, key in (("sale_lines", "sale_id"), ("sale_tenders", "sale_id"),
                                   ("sales", "id")):
                    conn.execute(f"DELETE FROM {table} WHERE {key} = ?", [lost])
                conn.execute("UPDATE devices SET max_contiguous_seq = 0 "
                             "WHERE device_id = 'TILL01'")
            conn.close()
        return runs < 3

    try:
        with LedgerClient(server.url, token) as client:
            keep_syncing(journal, client, period=0.01, wait=wait, tell=told.append,
                         keep_days=14, close_every=3600, monotonic=lambda: next(moments))
    finally:
        journal.close()
    assert [status.problem for status in told] == [None, None, None]
    # the first run closed both past days; the second was too soon to close again; the
    # third, an hour on, closed them again, found the lost sale, sent it, and they match
    assert closes() == ["2026-11-20", "2026-11-21", "2026-11-20", "2026-11-20", "2026-11-21"]
    assert ledger_sums(server.db, "TILL01") == stall_sums(lane)
    status = lane.json("sync-status", "--json")
    assert status["pending"] == 0


def test_a_tare_reaches_the_ledger_with_its_line_and_its_void(tmp_path: Path,
                                                              server: LedgerServer) -> None:
    """A weighed line keeps its gross, tare and net from the journal to the ledger; its void
    takes both back."""
    lane = stall(tmp_path / "stall", "TARE02", sales=1)
    connect(lane, server)
    settings = parse_settings((lane.path / "fairpos.toml").read_text(), {})
    journal = Journal.open(lane.path / DB_NAME)
    try:
        cart = Cart("USD")
        cart.add(journal.catalog(), "101", Quantity(grams=1250), scale_frame="02", tare=200)
        sale = journal.confirm_sale(cart, [Tender("cash", Money(150, "USD"))], "USD", settings)
        journal.void_sale(sale.id, "tray left on the bag")
    finally:
        journal.close()
    assert "matched" in lane.run("sync").stdout
    with server.store() as ledger:
        kept = ledger.all("SELECT sale_id, grams, tare FROM sale_lines WHERE tare IS NOT NULL "
                          "ORDER BY sale_id")
    assert [tuple(row) for row in kept] == [(sale.id, 1250, 200), ("TARE02-000003", -1250, -200)]
    with server.store() as ledger:
        [stored] = ledger.all("SELECT payload FROM sales WHERE id = ?", [sale.id])
    payload = json.loads(stored[0])
    assert payload["lines"][0]["tare"] == 200 and payload["lines"][0]["grams"] == 1250


def test_a_ledger_that_cannot_be_reached_is_said_in_the_volunteer_s_words(
        tmp_path: Path) -> None:
    """``fairpos sync`` to an address where nothing answers: "no connection", and why in
    words — never the system's "[Errno 111] Connection refused"."""
    from harness.fake_printer import free_port

    lane = stall(tmp_path / "stall", "DOWN01", sales=1)
    text = (lane.path / "fairpos.toml").read_text()
    (lane.path / "fairpos.toml").write_text(text.replace(
        'url = ""', f'url = "http://127.0.0.1:{free_port()}"', 1).replace(
        'token = ""', 'token = "x"', 1))
    for language, said in (("en", "no connection (nothing answers at the ledger's address)"),
                           ("es", "sin conexión (nada responde en la dirección del libro "
                                  "central)")):
        result = lane.run("sync", "--tries", "1", lang=language, ok=False)
        assert result.exit_code != 0 and said in result.output, result.output
        assert "Errno" not in result.output and "Connection refused" not in result.output


def publish(ledger: SqlLedger, fixture: str) -> None:
    """One of the fixtures' catalog or rates, published at ``ledger`` in USD."""
    ledger.publish((FIXTURES / fixture).read_text(), fixture, "USD")


@pytest.mark.parametrize("store", STORES)
def test_what_the_ledger_does_not_know_yet_waits_and_is_taken_once_published(
        tmp_path: Path, store: str, request: pytest.FixtureRequest) -> None:
    """A ledger with the catalog but not yet the rates: a sale that carries the lane's rate
    for VES is held as pending — not quarantined, not acknowledged — and taken at the next
    sync once the rates are published."""
    server = LedgerServer(ledger_db(store, tmp_path, request), publish=False)
    try:
        with server.store() as ledger:
            publish(ledger, "feria-catalog.csv")
        lane = stall(tmp_path / "stall", "WAIT01")
        connect(lane, server)
        lane.sell("--line", "305=2", "--pay", "cash:USD:5", "--no-print")
        first = lane.run("sync", "--tries", "1", ok=False)
        assert first.exit_code == 2, first.output  # pending: not a mismatch, not refused
        assert "Held by the ledger until it has what they name: 1 entry" in first.output
        assert "unknown currency VES" in first.output and "Quarantined" not in first.output
        assert outbox(lane) == [("WAIT01-000001", "pending", 1)]
        status = lane.run("sync-status").stdout  # why it waits, in the lane's words
        assert "Held by the ledger WAIT01-000001: unknown currency VES (it goes again)" in status
        with server.store() as ledger:
            assert ledger.all("SELECT COUNT(*) FROM quarantine")[0][0] == 0
            publish(ledger, "feria-rates.csv")
        second = lane.run("sync")
        assert "Sent 1 entry: 1 new" in second.stdout and "matched" in second.stdout
        assert [state for _id, state, _n in outbox(lane)] == ["acked"]
        with server.store() as ledger:
            assert ledger.all("SELECT id FROM sales")[0][0] == "WAIT01-000001"
            assert ledger.all("SELECT COUNT(*) FROM quarantine")[0][0] == 0
    finally:
        server.stop()


@pytest.mark.parametrize("store", STORES)
def test_a_shift_whose_float_names_a_currency_not_published_yet_waits_for_it(
        tmp_path: Path, store: str, request: pytest.FixtureRequest) -> None:
    """The same for a shift's opening: a float in VES at a ledger with the catalog but not
    yet the rates is held (the lane says why, and sends it again), not quarantined; the
    shift's close that counts USD only is taken meanwhile; once the rates are published the
    opening is taken, once."""
    server = LedgerServer(ledger_db(store, tmp_path, request), publish=False)
    try:
        with server.store() as ledger:
            publish(ledger, "feria-catalog.csv")
        lane = stall(tmp_path / "stall", "WAIT02")
        connect(lane, server)
        lane.run("shift", "close", "--count", "USD:20")
        lane.run("shift", "open", "--volunteer", "Bea", "--float", "USD:20",
                 "--float", "VES:1000")
        first = lane.run("sync", "--tries", "1", ok=False)
        assert first.exit_code == 2, first.output
        assert "unknown currency VES" in first.output and "Quarantined" not in first.output
        status = lane.run("sync-status").stdout
        assert "Held by the ledger WAIT02-S000002-open: unknown currency VES" in status, status
        again = lane.run("sync", "--tries", "1", ok=False)  # (held again, never refused)
        assert again.exit_code == 2 and "Quarantined" not in again.output, again.output
        with server.store() as ledger:
            assert ledger.all("SELECT COUNT(*) FROM quarantine")[0][0] == 0
            assert [r[0] for r in ledger.all("SELECT id FROM shift_entries ORDER BY id")] == \
                ["WAIT02-S000001-close", "WAIT02-S000001-open"]
            publish(ledger, "feria-rates.csv")
        lane.run("sync")
        with server.store() as ledger:
            assert [r[0] for r in ledger.all("SELECT id FROM shift_entries ORDER BY id")] == \
                ["WAIT02-S000001-close", "WAIT02-S000001-open", "WAIT02-S000002-open"]
            assert ledger.all("SELECT COUNT(*) FROM quarantine")[0][0] == 0
        assert "Held by the ledger" not in lane.run("sync-status").stdout
    finally:
        server.stop()


def test_a_shift_entry_an_earlier_version_refused_for_want_of_rates_goes_again(
        tmp_path: Path, server: LedgerServer) -> None:
    """A shift entry a journal set aside as "unknown currency VES" (an earlier version's
    ledger refused it for good) is put back in line by the journal's migration and taken."""
    lane = stall(tmp_path / "stall", "OLDQ02")
    connect(lane, server)
    with lane.db() as conn:  # as an earlier version left it
        conn.execute("UPDATE shift_outbox SET state = 'quarantined', reason = "
                     "'unknown currency VES' WHERE entry_id = 'OLDQ02-S000001-open'")
        conn.execute("ALTER TABLE shift_outbox DROP COLUMN held")
        conn.execute("DELETE FROM _sqlite_migrations WHERE name = 'm020_shift_entries_held'")
    lane.run("sync")
    with server.store() as ledger:
        assert [r[0] for r in ledger.all("SELECT id FROM shift_entries")] == \
            ["OLDQ02-S000001-open"]


def test_what_an_earlier_version_refused_for_want_of_a_publication_goes_again(
        tmp_path: Path, server: LedgerServer) -> None:
    """A lane whose journal had an entry set aside as "unknown currency VES" (an earlier
    version refused such entries for good): the journal's migration puts it back in line, the
    next sync stores it, and the ledger's quarantine no longer lists it as open (its history
    keeps it)."""
    lane = stall(tmp_path / "stall", "OLDQ01", sales=1)
    connect(lane, server)
    with lane.db() as conn:  # as an earlier version left it, at both ends
        conn.execute("UPDATE outbox SET state = 'quarantined', reason = "
                     "'unknown currency VES' WHERE entry_id = 'OLDQ01-000001'")
        conn.execute("DELETE FROM _sqlite_migrations WHERE name = "
                     "'m018_sent_again_what_was_not_known_yet'")
    [payload] = payloads(lane)
    with server.store() as ledger, ledger.transaction() as conn:
        conn.execute("INSERT INTO quarantine (device_id, sale_id, kind, reason, payload, "
                     "payload_hash, received_at) VALUES (?,?,?,?,?,?,?)",
                     ["OLDQ01", "OLDQ01-000001", "rejected", "unknown currency VES",
                      json.dumps(payload), "x", "2026-12-01T10:00:00+00:00"])
    with server.store() as ledger:
        assert ledger.quarantine_count() == 1
    result = lane.run("sync")
    assert "Sent 1 entry: 1 new" in result.stdout and "matched" in result.stdout
    with server.store() as ledger:
        assert ledger.quarantine_count() == 0  # stored since: no longer out
        assert ledger.quarantine_page(state="open")[1] == 0
        assert ledger.quarantine_page(state="all")[1] == 1  # its history
