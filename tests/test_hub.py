"""A fair site's hub between its lanes and the centre: real ledgers (the centre and the hub,
each ``fairpos ledger serve``) and real lanes (``fairpos`` commands), on 127.0.0.1."""

from __future__ import annotations

import gzip
import shutil
import sqlite3
import zipfile
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest

from fairpos.sync.wire import canonical
from harness import web
from harness.fault_proxy import FaultProxy
from harness.lanes import FIXTURES, LaneDir, wait_until
from harness.sync_helpers import (
    LedgerServer,
    NaiveLedger,
    ledger_sums,
    payloads,
    ring,
    ring_days,
    stall,
    stall_sums,
)

FAIR = "Feria Centro"


def ring_day(lane: LaneDir) -> str:
    """The business date of the lane's entries (one day)."""
    return str(payloads(lane)[-1]["business_date"])


class Site:
    """The centre, a hub for ``FAIR`` relaying to it, and lanes enrolled at the centre."""

    def __init__(self, folder: Path, faults: dict[str, float] | None = None,
                 naive: bool = False, rates: bool = True) -> None:
        self.folder = folder
        self.centre = LedgerServer(folder / "centre.db", publish=False)
        with self.centre.store() as ledger:  # (``rates``: published now, or later by the test)
            ledger.publish((FIXTURES / "feria-catalog.csv").read_text(), "feria-catalog.csv",
                           "USD")
            if rates:
                ledger.publish((FIXTURES / "feria-rates.csv").read_text(), "feria-rates.csv",
                               "USD")
        with self.centre.store() as ledger:
            self.hub_token = ledger.enrol_hub(FAIR)[1]
        # ``naive``: the control — the hub's batches reach a centre that keeps every sale it
        # is sent (no uniqueness); the rest of what the hub asks is the real centre's
        self.naive = NaiveLedger(folder / "naive.db", self.centre.url) if naive else None
        # the site's uplink: ``uplink.cut()`` takes it down, ``uplink.mend()`` brings it back
        self.uplink = FaultProxy((self.naive or self.centre).port, faults=faults, seed=1)
        self.hub = LedgerServer(folder / "hub.db", publish=False, options=[
            "--upstream", self.uplink.url, "--upstream-token", self.hub_token,
            "--upstream-period", "0.2"])
        self.site_link = FaultProxy(self.hub.port, faults=faults, seed=2)  # lanes → hub
        self.lanes: list[LaneDir] = []
        self.tokens: list[str] = []

    def lane(self, device: str, sales: int = 0, fair: str = FAIR) -> LaneDir:
        """A lane enrolled at the centre, connected to the hub once the hub knows it."""
        token = self.centre.enrol(fair, len(self.lanes) + 1)
        lane = stall(self.folder / device, device, sales=sales, seed=len(self.lanes))
        wait_until(lambda: self.hub_knows(token), "the hub learnt the lane from the centre")
        lane.run("connect", self.hub.url, "--token", token)
        lane.run("connect", self.site_link.url, "--token", token, "--offline")  # (lossy)
        self.lanes.append(lane)
        self.tokens.append(token)
        return lane

    def hub_knows(self, token: str) -> bool:
        with self.hub.store() as ledger:
            return ledger.device_for_token(token) is not None and ledger.catalog() is not None

    def centre_knows(self, device: str) -> None:
        """Wait until the centre knows ``device`` (claimed at the hub: told next round)."""
        def known() -> bool:
            with self.centre.store() as ledger:
                return ledger.device_by_id(device) is not None
        wait_until(known, f"the centre heard of {device}")

    def page(self, ledger: LedgerServer, path: str) -> str:
        """A page of ``ledger`` as its admin sees it (each ledger has its own admins)."""
        with ledger.store() as store:
            token = store.admin_token()
        reply = web.get(ledger.url + path, timeout=30,
                          headers={"Authorization": f"Bearer {token}"})
        assert reply.status_code == 200, reply.text
        return reply.text

    def tally(self, device: str) -> tuple[int, int, int]:
        """(rows, distinct ids, sum of totals) the centre holds of ``device``."""
        if self.naive is not None:
            return self.naive.sums(device)
        with self.centre.store() as ledger:
            row = ledger.all("SELECT COUNT(*), COUNT(DISTINCT id), COALESCE(SUM(total), 0) "
                             "FROM sales WHERE device_id = ?", [device])[0]
        return int(row[0]), int(row[1]), int(row[2])

    def upstream(self) -> dict[str, object]:
        with self.hub.store() as ledger:
            return ledger.upstream_summary()

    def stop(self) -> None:
        self.site_link.close()
        self.hub.stop()
        self.uplink.close()
        if self.naive is not None:
            self.naive.stop()
        self.centre.stop()


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    running = Site(tmp_path)
    yield running
    running.stop()


LOSSY = {"reset_before": 0.1, "drop_response": 0.15, "truncate_response": 0.1}


def synced(lane: LaneDir) -> str:
    """``fairpos sync`` until the lane's day matches (a lossy link may leave it pending)."""
    for _ in range(20):
        result = lane.run("sync", ok=False)
        if result.exit_code == 0:
            return str(result.stdout)
    raise AssertionError(result.output)


@pytest.mark.slow
def test_three_lanes_through_a_hub_that_is_killed_twice_reach_the_centre_once(
        tmp_path: Path) -> None:
    """Both links lossy (resets before a request arrives, replies dropped or cut after it
    was stored); the hub SIGKILLed twice mid-relay."""
    site = Site(tmp_path, faults=LOSSY)
    try:
        lanes = relayed_through_a_dying_hub(site)
        assert [site.tally(lane.path.name) for lane in lanes] == \
            [(n, n, total) for n, total in map(stall_sums, lanes)]  # lost 0, duplicated 0
        for lane in lanes:  # at all three levels the same
            device = lane.path.name
            assert ledger_sums(site.hub.db, device) == stall_sums(lane) == \
                ledger_sums(site.centre.db, device)
        with site.centre.store() as centre, site.hub.store() as hub:
            count, distinct = centre.all("SELECT COUNT(*), COUNT(DISTINCT id) FROM sales")[0]
            assert count == distinct == 3 * 50
            mine = {r[0]: r[1] for r in hub.all("SELECT id, payload_hash FROM sales")}
            theirs = {r[0]: r[1] for r in centre.all("SELECT id, payload_hash FROM sales")}
            assert mine == theirs  # every entry as the lane sent it: changed 0
            paths = {r[0]: r[1] for r in centre.all("SELECT device_id, last_path FROM devices")}
            assert {paths[lane.path.name] for lane in lanes} == {"hub"}
    finally:
        site.stop()


@pytest.mark.slow
def test_the_control_a_centre_without_uniqueness_is_caught(tmp_path: Path) -> None:
    """The same site and faults, but the hub's batches reach a centre that keeps whatever it
    is sent: the replies the uplink loses make the hub send again, and the tally above
    finds the sales counted twice (the check can fail)."""
    site = Site(tmp_path, faults={"drop_response": 0.5}, naive=True)
    try:
        lanes = relayed_through_a_dying_hub(site)
        tallies = [site.tally(lane.path.name) for lane in lanes]
        assert tallies != [(n, n, total) for n, total in map(stall_sums, lanes)]
        assert any(rows > distinct for rows, distinct, _total in tallies)  # duplicated
        assert all(distinct == 50 for _rows, distinct, _total in tallies)  # (none lost)
    finally:
        site.stop()


def relayed_through_a_dying_hub(site: Site) -> list[LaneDir]:
    """Three lanes ring up 50 sales each in three rounds, syncing to the hub over the lossy
    site link; the hub is SIGKILLed twice, and relays everything up the lossy uplink."""
    lanes = [site.lane(f"HUBL0{n}", sales=20) for n in range(3)]
    for lane in lanes:  # the lane's day closes against the hub, at once
        assert "matched — 20 entries" in synced(lane)
    for round_ in range(2):  # the hub dies (SIGKILL) mid-relay and comes back
        for n, lane in enumerate(lanes):
            ring(lane, 15, seed=10 * round_ + n)
        site.hub.kill()
        assert lanes[0].run("sync", "--tries", "1", ok=False).exit_code != 0  # the hub is down
        site.hub.start()
        for lane in lanes:
            synced(lane)
    wait_until(lambda: site.upstream()["pending"] == 0, "everything upstream", timeout=60)
    assert sum(site.uplink.counts[m] for m in site.uplink.faults) and sum(
        site.site_link.counts[m] for m in site.site_link.faults)  # (faults met)
    return lanes


def test_the_centre_takes_a_hubs_batch_only_for_its_own_fairs_lanes(site: Site) -> None:
    ours = site.lane("OURS01", sales=2)
    theirs = stall(site.folder / "THEIR1", "THEIR1", sales=2)
    token = site.centre.enrol("Feria Oeste", 1)
    theirs.run("connect", site.centre.url, "--token", token)

    def relayed(lane: LaneDir) -> httpx.Response:
        device = lane.path.name
        return web.post(f"{site.centre.url}/v1/sales/batch", timeout=30, content=gzip.compress(
            canonical({"device_id": device, "sales": payloads(lane)})), headers={
            "Authorization": f"Bearer {site.hub_token}", "Content-Encoding": "gzip",
            "Content-Type": "application/json"})

    refused = relayed(theirs)
    assert refused.status_code == 403
    assert "not of fair Feria Centro" in refused.json()["error"]
    assert ledger_sums(site.centre.db, "THEIR1") == (0, 0)
    site.centre_knows("OURS01")
    taken = relayed(ours)
    assert taken.status_code == 200
    assert len(taken.json()["accepted"]) == 2
    listed = web.get(f"{site.centre.url}/v1/hub/lanes", timeout=30,
                       headers={"Authorization": f"Bearer {site.hub_token}"}).json()
    assert [lane["device_id"] for lane in listed["lanes"]] == ["OURS01"]
    assert web.get(f"{site.centre.url}/v1/hub/lanes", timeout=30, headers={
        "Authorization": f"Bearer {token}"}).status_code == 403  # a lane is not a hub


def test_a_token_revoked_at_the_centre_stops_working_at_the_hub(site: Site) -> None:
    lane = site.lane("GONE02", sales=3)
    assert "matched — 3 entries" in lane.run("sync").stdout
    site.centre_knows("GONE02")
    with site.centre.store() as centre:
        centre.revoke("GONE02")

    def revoked_at_hub() -> bool:
        with site.hub.store() as hub:
            return hub.device_for_token(site.tokens[0]) is None

    wait_until(revoked_at_hub, "the hub's next round brought the revocation")
    ring(lane, 1, seed=5)
    refused = lane.run("sync", ok=False)
    assert refused.exit_code == 1 and "unknown or revoked token" in refused.stderr


def test_a_lane_tells_at_the_hub_from_at_the_centre(site: Site) -> None:
    lane = site.lane("STAT01")
    site.uplink.cut()  # the site's uplink is cut; its own network works
    ring(lane, 4, seed=1)
    closed = lane.run("sync").stdout
    assert "matched — 4 entries" in closed  # the day, at the hub
    assert "At the centre: not closed yet" in closed
    assert lane.json("sync-status")["at_hub"] == 4
    said = lane.run("sync-status").stdout
    assert "Waiting to sync: 0 entries" in said
    assert "At the hub, not at the centre yet: 4 entries" in said
    assert "En el concentrador, aún no en la central: 4 registros" in lane.run(
        "sync-status", lang="es").stdout
    assert ledger_sums(site.centre.db, "STAT01") == (0, 0)
    home = site.page(site.hub, "/")  # the hub's own page says what has not gone up
    assert "To the centre" in home and "Not at the centre yet: 4 entries" in home
    wait_until(lambda: "The uplink: " in site.page(site.hub, "/"), "the hub's page tells why")
    site.uplink.mend()  # back
    wait_until(lambda: site.upstream()["pending"] == 0, "the backlog reached the centre")
    lane.run("sync")  # nothing to send: the lane asks the hub how its entries stand
    assert lane.json("sync-status")["at_hub"] == 0
    assert "Everything at the hub has reached the centre" in lane.run("sync-status").stdout

    def closed_at_centre() -> bool:
        with site.hub.store() as hub:
            return (hub.upstream_close_of("STAT01", ring_day(lane)) or {}).get(
                "result") == "match"

    wait_until(closed_at_centre, "the hub closed the lane's day at the centre")
    assert "At the centre: matched (" in lane.run("sync").stdout
    assert ledger_sums(site.centre.db, "STAT01") == stall_sums(lane)
    assert "Not at the centre yet: 0 entries" in site.page(site.hub, "/")
    assert '<td data-label="Path">through the hub</td>' in site.page(site.centre, "/")


@pytest.mark.slow
def test_an_uplink_down_for_a_week_the_site_sells_on_and_every_day_matches(
        site: Site) -> None:
    """Seven business days with the uplink cut: the lanes close each day against the hub,
    whose pages show the site's days as they are; the uplink back, the backlog reaches the
    centre and the hub closes every lane's every day there."""
    lanes = [site.lane("WEEK01"), site.lane("WEEK02")]
    for lane in lanes:
        lane.run("shift", "close", "--count", "USD:20")
    site.uplink.cut()
    days = [date(2026, 11, 2) + timedelta(days=n) for n in range(7)]
    for n, day in enumerate(days, start=1):
        for lane in lanes:
            ring_days(lane, days=1, per_day=4, start=day)
            assert "matched" in lane.run("sync").stdout  # the day, at the hub
        page = site.page(site.hub, f"/day/{day}")
        assert "8 sales" in page and "WEEK01" in page and "WEEK02" in page
        assert f"Not at the centre yet: {8 * n} entries" in site.page(site.hub, "/")
    assert ledger_sums(site.centre.db, "WEEK01") == (0, 0)
    site.uplink.mend()
    wait_until(lambda: site.upstream()["pending"] == 0, "the week reached the centre",
               timeout=60)

    def every_day_matched() -> bool:
        with site.hub.store() as hub:
            return all((hub.upstream_close_of(lane.path.name, str(day)) or {}).get("result")
                       == "match" for lane in lanes for day in days)

    wait_until(every_day_matched, "the hub closed every day at the centre", timeout=60)
    for lane in lanes:
        assert ledger_sums(site.centre.db, lane.path.name) == stall_sums(lane) == \
            ledger_sums(site.hub.db, lane.path.name)
    with site.centre.store() as centre:
        closed = centre.all("SELECT DISTINCT device_id, business_date FROM day_closes "
                            "WHERE result = 'match'")
    assert len(closed) == len(lanes) * len(days)
    # each lane's eight shifts (the first, then one a day), opened and closed, went up too
    shifts = "SELECT device_id, COUNT(*) FROM shift_entries GROUP BY 1 ORDER BY 1"
    with site.centre.store() as centre, site.hub.store() as hub:
        assert [tuple(r) for r in centre.all(shifts)] == [tuple(r) for r in hub.all(shifts)] \
            == [("WEEK01", 16), ("WEEK02", 16)]


def test_the_hub_sends_again_what_the_centre_lost_after_answering_for_it(
        site: Site) -> None:
    """The centre restored from a backup older than its last answer to the hub: the next
    time the lane closes its day, the hub closes it at the centre, hears which entries the
    centre lacks, and sends them again (its own acks stay as they are)."""
    lane = site.lane("LOST01", sales=5)
    day = ring_day(lane)
    assert "matched — 5 entries" in synced(lane)

    def centre_says(result: str) -> bool:
        with site.hub.store() as hub:
            return (hub.upstream_close_of("LOST01", day) or {}).get("result") == result

    wait_until(lambda: centre_says("match"), "the day matched at the centre")
    conn = sqlite3.connect(site.centre.db)  # the centre loses a sale it had acknowledged
    with conn:
        for table, key in (("sale_lines", "sale_id"), ("sale_tenders", "sale_id"),
                           ("sales", "id")):
            conn.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete")
            conn.execute(f"DELETE FROM {table} WHERE {key} = 'LOST01-000002'")
        conn.execute("UPDATE devices SET max_contiguous_seq = 1 WHERE device_id = 'LOST01'")
    conn.close()
    assert ledger_sums(site.centre.db, "LOST01")[0] == 4

    def closes_at_centre() -> list[str]:
        with site.centre.store() as centre:
            return [r[0] for r in centre.all("SELECT result FROM day_closes WHERE device_id = "
                                             "'LOST01' ORDER BY id")]

    before = len(closes_at_centre())  # (what the centre said of the day until now)
    assert "matched — 5 entries" in synced(lane)  # the lane closes its day again, at the hub
    wait_until(lambda: "pending" in closes_at_centre()[before:]
               and closes_at_centre()[-1] == "match",
               "the hub sent the lost sale again, and the day matched at the centre again")
    assert closes_at_centre()[before - 1] == "match"
    assert ledger_sums(site.centre.db, "LOST01") == stall_sums(lane)
    wait_until(lambda: centre_says("match"), "the hub heard the centre match it")


@pytest.mark.slow
async def test_the_tills_side_panel_says_what_is_at_the_hub_only(site: Site) -> None:
    from tests.test_till_sync import sell, till
    from tests.till_helpers import settle, side_panel, until

    lane = site.lane("PANEL1")
    site.uplink.cut()
    app = till(lane)
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(pilot)
        await sell(pilot, "305")
        await sell(pilot, "402")
        await until(pilot, lambda: "Sync: online" in side_panel(pilot)
                    and "2 at the hub only" in side_panel(pilot), 30)
        site.uplink.mend()
        await until(pilot, lambda: "at the hub only" not in side_panel(pilot))
        assert "Sync: online" in side_panel(pilot)
    assert ledger_sums(site.centre.db, "PANEL1") == stall_sums(lane)


def test_a_lane_by_its_hub_then_straight_then_by_a_site_bundle_counts_once(
        site: Site) -> None:
    lane = site.lane("PATH01", sales=10)
    token = site.tokens[0]
    assert lane.run("sync").exit_code == 0  # 10 through the hub
    wait_until(lambda: site.upstream()["pending"] == 0, "the 10 at the centre")
    site.centre_knows("PATH01")
    ring(lane, 5, seed=1)  # 5 more, straight to the centre
    lane.run("connect", site.centre.url, "--token", token)
    assert "5 new, 0 already there" in lane.run("sync").stdout
    lane.run("connect", site.hub.url, "--token", token)  # back at the site; the uplink is cut
    site.uplink.cut()
    ring(lane, 5, seed=2)
    back = lane.run("sync").stdout  # the hub lacked the 5 sent straight: they go to it too
    assert "Sent again 5 entries the ledger lacked" in back and "matched — 20 entries" in back
    lane.run("shift", "close", "--count", "USD:20", "--reason", "sin conteo")  # (its close
    lane.run("sync")  # reaches the hub, not the centre: it goes in the site bundle)
    stick = site.folder / "site.zip"
    wrote = LaneDir(site.folder).run("ledger", "export", "--out", str(stick), "--db",
                                     str(site.hub.db)).stdout
    assert "Wrote 10 entries of 1 lanes, not yet at the centre" in wrote
    imported = LaneDir(site.folder).run("ledger", "import", str(stick), "--db",
                                        str(site.centre.db)).stdout
    assert "device PATH01, 5 accepted, 5 duplicate" in imported  # the 5 sent straight too
    with site.centre.store() as centre:
        assert sorted(r[0] for r in centre.all(
            "SELECT id FROM shift_entries WHERE device_id = 'PATH01'")) == [
            "PATH01-S000001-close", "PATH01-S000001-open"]
    site.uplink.mend()  # the hub sends them too, later: already there
    wait_until(lambda: site.upstream()["pending"] == 0, "the hub's backlog answered")
    again = LaneDir(site.folder).run("ledger", "import", str(stick), "--db",
                                     str(site.centre.db)).stdout
    assert "0 accepted, 10 duplicate" in again
    with site.centre.store() as centre:
        count, distinct = centre.all("SELECT COUNT(*), COUNT(DISTINCT id) FROM sales")[0]
    assert count == distinct == 20
    assert ledger_sums(site.centre.db, "PATH01") == stall_sums(lane) == \
        ledger_sums(site.hub.db, "PATH01")


def test_what_a_hub_refuses_in_one_line(site: Site) -> None:
    """A site bundle that was damaged on the stick, or one lane of it altered; nothing to
    export; a hub started half-configured; a hub with no fair."""
    lane = site.lane("BAD001", sales=3)
    site.uplink.cut()
    assert lane.run("sync").exit_code == 0
    tool = LaneDir(site.folder)
    hub_db, centre_db = ["--db", str(site.hub.db)], ["--db", str(site.centre.db)]
    stick = site.folder / "site.zip"
    tool.run("ledger", "export", "--out", str(stick), *hub_db)
    cut = site.folder / "cut.zip"
    cut.write_bytes(stick.read_bytes()[:-200])
    assert "cut.zip cannot be read as a bundle" in tool.fail("ledger", "import", str(cut),
                                                             *centre_db)
    altered = site.folder / "altered.zip"  # one lane's part swapped for another bundle
    with zipfile.ZipFile(stick) as src, zipfile.ZipFile(altered, "w") as out:
        for item in src.infolist():
            body = src.read(item)
            out.writestr(item, body + b"\0" if item.filename.startswith("lanes/") else body)
    assert "lanes/BAD001.zip does not match the manifest" in tool.fail(
        "ledger", "import", str(altered), *centre_db)
    assert ledger_sums(site.centre.db, "BAD001") == (0, 0)  # nothing of either went in
    nothing = tool.run("ledger", "export", "--out", str(site.folder / "none.zip"),
                       *centre_db).stdout  # (a ledger with nothing waiting to go up)
    assert "Nothing waits to go to the centre" in nothing
    assert not (site.folder / "none.zip").exists()
    assert "a hub needs both --upstream and --upstream-token" in tool.fail(
        "ledger", "serve", "--upstream", site.centre.url, *hub_db)
    assert "the fair needs a name" in tool.fail("ledger", "enrol-hub", "--fair", " ",
                                                *centre_db)


def test_a_hub_without_the_rates_yet_holds_the_sales_and_takes_them_once_they_come(
        tmp_path: Path) -> None:
    """The centre published its catalog, not yet its rates; the hub has what the centre has.
    A lane's sales carry its own VES rate: the hub holds them (pending, not quarantined), the
    lane keeps them; once the rates are published at the centre and the hub has them, the
    next sync takes them, and they reach the centre once."""
    site = Site(tmp_path, rates=False)
    try:
        lane = site.lane("LATE01", sales=3)
        first = lane.run("sync", "--tries", "1", ok=False)
        assert first.exit_code == 2, first.output
        assert "Held by the ledger until it has what they name: 3 entries" in first.output
        with site.hub.store() as hub:
            assert hub.all("SELECT COUNT(*) FROM quarantine")[0][0] == 0
        with site.centre.store() as ledger:
            ledger.publish((FIXTURES / "feria-rates.csv").read_text(), "feria-rates.csv",
                           "USD")

        def hub_has_rates() -> bool:
            with site.hub.store() as hub:
                return hub.rates() is not None
        wait_until(hub_has_rates, "the hub adopted the centre's rates")
        synced(lane)
        site.centre_knows("LATE01")
        wait_until(lambda: site.tally("LATE01")[:2] == (3, 3), "the centre has the 3 sales")
        with site.hub.store() as hub, site.centre.store() as ledger:
            assert hub.all("SELECT COUNT(*) FROM quarantine")[0][0] == 0
            assert ledger.all("SELECT COUNT(*) FROM quarantine")[0][0] == 0
    finally:
        site.stop()



def test_a_lane_revoked_at_the_centre_holds_back_no_other_lane(site: Site,
                                                               tmp_path: Path) -> None:
    """The uplink cut; a lane revoked at the centre meanwhile, the hub still taking its sales;
    the uplink back: the other lane's sales and its shift's close reach the centre in the
    next rounds, while the revoked lane's entries are set aside at the hub — kept, counted
    apart on its page, and in a site bundle — never sent again and again."""
    gone, other = site.lane("GONE03"), site.lane("KEEP03")
    site.centre_knows("GONE03")
    site.uplink.cut()
    ring(gone, 3, seed=1)
    assert "matched — 3 entries" in gone.run("sync").stdout  # (at the hub)
    with site.centre.store() as centre:
        centre.revoke("GONE03")
    ring(other, 2, seed=2)
    other.run("shift", "close", "--count", "USD:20", "--reason", "sin conteo")
    other.run("sync")
    site.uplink.mend()

    def other_at_centre() -> bool:
        with site.centre.store() as centre:
            closes = centre.all("SELECT COUNT(*) FROM shift_entries WHERE device_id = ? "
                                "AND stage = 'close'", ["KEEP03"])[0][0]
        return site.tally("KEEP03")[:2] == (2, 2) and closes == 1

    wait_until(other_at_centre, "the other lane's sales and shift close reached the centre")
    wait_until(lambda: site.upstream()["set_aside"] == 3, "the revoked lane's 3 set aside")
    # (a round ends well: the uplink's problem from while it was cut is gone, not a 403)
    wait_until(lambda: not site.upstream()["problem"], "the hub's rounds go through")
    assert site.upstream()["pending"] == 0 and site.tally("GONE03")[:2] == (0, 0)
    home = site.page(site.hub, "/")
    assert "Not at the centre yet: 0 entries" in home
    assert "Set aside, of lanes revoked at the centre: 3 entries (GONE03)" in home
    assert "The uplink:" not in home  # (the link itself is fine)
    tool, bundle = LaneDir(site.folder), tmp_path / "site.zip"
    exported = tool.run("ledger", "export", "--out", str(bundle), "--db", str(site.hub.db))
    assert "Left out: 3 entries of lanes revoked at the centre (GONE03)" in exported.stdout
    assert "Nothing waits to go to the centre" in exported.stdout and not bundle.exists()
    exported = tool.run("ledger", "export", "--revoked", "--out", str(bundle), "--db",
                        str(site.hub.db))
    assert "Wrote 3 entries of 1 lanes" in exported.stdout, exported.output
    with zipfile.ZipFile(bundle) as zipped:
        assert any("GONE03" in name for name in zipped.namelist())
    refused = tool.run("ledger", "import", str(bundle), "--db", str(site.centre.db), ok=False)
    assert refused.exit_code == 1 and "not revoked?" in refused.output  # (as it should)


def test_a_voucher_program_of_the_centre_reaches_the_hub_and_its_sales_wait_for_it(
        site: Site) -> None:
    """A sale paid with a voucher the centre has just added, at a hub that has not heard of
    it yet: held (pending), not refused; the hub's next round brings the program, and the
    sale sent again is taken and reaches the centre once."""
    lane = site.lane("VOUC01", sales=1)
    site.uplink.cut()  # (the hub cannot hear of the program yet)
    sale = payloads(lane)[0]
    sale["tenders"][0]["method"] = "snap"
    with site.centre.store() as centre:
        centre.add_voucher("snap", "SNAP token")

    def sent() -> dict[str, object]:
        reply = web.post(site.hub.url + "/v1/sales/batch", timeout=30, headers={
            "Authorization": f"Bearer {site.tokens[0]}", "Content-Type": "application/json"},
            content=canonical({"device_id": "VOUC01", "sales": [sale]}))
        assert reply.status_code == 200, reply.text
        answer: dict[str, object] = reply.json()
        return answer

    early = sent()
    assert early["rejected"] == [] and early["accepted"] == []
    assert [p["id"] for p in early["pending"]] == [sale["id"]]  # type: ignore[index]
    site.uplink.mend()

    def hub_knows_snap() -> bool:
        with site.hub.store() as hub:
            return "snap" in hub.vouchers()

    wait_until(hub_knows_snap, "the hub took the centre's voucher program")
    assert sent()["accepted"] == [sale["id"]]
    wait_until(lambda: site.tally("VOUC01")[:2] == (1, 1), "the sale reached the centre")
    with site.hub.store() as hub, site.centre.store() as centre:
        assert hub.all("SELECT COUNT(*) FROM quarantine")[0][0] == 0
        assert centre.all("SELECT COUNT(*) FROM quarantine")[0][0] == 0


def test_a_sale_taken_in_at_a_hub_is_counted_at_the_centre_once(site: Site) -> None:
    """A lane's journal copied to a second laptop at a site: the hub holds the collided sale
    in quarantine; the site's treasurer takes it in there; the next rounds count it at the
    centre too, under the hub's id, once — and the centre's audit says who and why."""
    first = site.lane("TWIN01", sales=2)
    assert "matched" in first.run("sync").stdout
    second = LaneDir(site.folder / "TWIN01-copy")
    shutil.copytree(first.path, second.path)
    first.sell("--line", "101=1kg", "--pay", "cash:USD:5")
    second.sell("--line", "G=6kg", "--pay", "cash:USD:10")
    first.run("sync")
    second.run("sync", ok=False)  # (its sale collided at the hub)
    day = ring_day(first)
    with site.hub.store() as hub:
        [held] = hub.quarantine_page(device="TWIN01")[0]
        kept = hub.resolve_quarantined(held.id, "taken_in", "Marta", "Second laptop")
        at_hub = hub.report(day).totals

    def counted() -> bool:
        with site.centre.store() as centre:
            return centre.sale(str(kept)) is not None
    wait_until(counted, "the sale taken in at the hub reached the centre")
    with site.centre.store() as centre:
        assert centre.report(day).totals == at_hub
        newest = centre.audit_log()[0][0]
        assert (newest.action, newest.who) == ("quarantine settled at a hub",
                                               "Marta · Feria Centro")
    with site.hub.store() as hub:
        relayed = hub.all("SELECT id, payload FROM sales WHERE id = ?", [kept])[0]
        assert hub.resolutions_to_relay() == []  # answered for: not sent again
    with site.centre.store() as centre:  # (and were it sent again: once)
        assert centre.take_in_relayed(1, FAIR, {
            "id": kept, "device_id": "TWIN01", "payload": relayed[1], "by": "Marta",
            "reason": "again", "at": "now"})[1] == "duplicate"
        assert centre.report(day).totals == at_hub
