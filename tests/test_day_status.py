"""A day's status that is never wrong: a lane-day is "matched" only when its day close came,
equals what the ledger holds, and nothing of the day is open, missing or in quarantine; each
fair's day names its lanes one by one, those not heard from too. Read by Chromium from the
home and day pages, on both stores."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from fairpos.ledger.store.day_status import _Close, _Held, gaps_by_day, state_of
from harness.lanes import LaneDir
from harness.sync_helpers import LedgerServer, connect, payloads, ring, stall
from tests.conftest import STORES, ledger_db
from tests.test_ledger import post

FAIR = "Feria Centro"



def verdict(entries: int = 3, close: tuple[str, int] | None = ("match", 3), *,
            open_shift: bool = False, after: bool = False, gap: int = 0,
            quarantined: int = 0) -> tuple[str, int]:
    return state_of(_Held(entries=entries),
                    None if close is None else _Close(close[0], close[1], "2026-11-21T20:00"),
                    open_shift=open_shift, shift_closed_after=after, gap=gap,
                    quarantined=quarantined)


def test_matched_only_when_the_close_equals_what_is_held_and_nothing_is_open() -> None:
    assert verdict() == ("matched", 0)
    assert verdict(open_shift=True) == ("not_closed", 0)  # a close made mid-morning
    assert verdict(close=None) == ("not_closed", 0)  # no close received
    assert verdict(after=True) == ("not_closed", 0)  # the shift closed after the day close
    assert verdict(entries=4) == ("not_closed", 0)  # an entry came after the close
    assert verdict(entries=2) == ("missing", 1)  # the close counts one more than is here
    assert verdict(gap=2) == ("missing", 2)  # numbers the lane skipped around the day
    assert verdict(quarantined=1) == ("quarantined", 0)
    assert verdict(close=("mismatch", 3)) == ("mismatch", 0)
    assert verdict(close=("pending", 3)) == ("not_closed", 0)  # nothing confirmed it
    assert verdict(close=("match", 3), quarantined=1, gap=1)[0] == "quarantined"  # worst first


def test_a_gap_is_named_on_the_days_on_either_side_of_it() -> None:
    rows = [(1, "2026-11-21"), (2, "2026-11-21"), (5, "2026-11-22"), (6, "2026-11-22")]
    assert gaps_by_day("D", rows, 0) == {("D", "2026-11-22"): 2, ("D", "2026-11-21"): 2}
    assert gaps_by_day("D", [(3, "2026-11-21"), (4, "2026-11-21")], 0) == {
        ("D", "2026-11-21"): 2}  # the first two never came
    assert gaps_by_day("D", [(7, "2026-11-21"), (8, "2026-11-21")], 7) == {}


def four_lanes(tmp: Path, server: LedgerServer) -> tuple[str, dict[str, LaneDir]]:
    """One lane matched, one with its shift still open, one with a sale missing, and one
    enrolled that sold but never synced."""
    lanes = {}
    matched = stall(tmp / "MATC01", "MATC01", sales=3, seed=1)
    connect(matched, server, FAIR, 1)
    matched.run("shift", "close", "--reason", "test count")
    assert "matched" in matched.run("sync").stdout
    lanes["MATC01"] = matched

    still_open = stall(tmp / "OPEN01", "OPEN01", sales=3, seed=2)
    connect(still_open, server, FAIR, 2)
    assert "matched" in still_open.run("sync").stdout  # a close made while the shift is open
    lanes["OPEN01"] = still_open

    gap = stall(tmp / "GAPS01", "GAPS01", sales=2, seed=3)
    token = connect(gap, server, FAIR, 3)
    gap.run("sync")
    ring(gap, 2, seed=4)
    fourth = payloads(gap)[3]
    assert post(server, token, {"sales": [fourth]}).json()["accepted"] == [fourth["id"]]
    lanes["GAPS01"] = gap

    never = stall(tmp / "NEVR01", "NEVR01", sales=4, seed=5)
    server.enrol(FAIR, 4)  # its token never reached it
    lanes["NEVR01"] = never
    return str(payloads(matched)[0]["business_date"]), lanes


@pytest.mark.parametrize("store", STORES)
def test_each_lane_of_a_fair_day_is_named_for_what_it_is(
        store: str, tmp_path: Path, request: pytest.FixtureRequest, browser: Any) -> None:
    server = LedgerServer(ledger_db(store, tmp_path, request))
    try:
        day, _lanes = four_lanes(tmp_path, server)
        with server.store() as ledger:
            [fair_day] = ledger.fair_days(day, FAIR)
            admin = ledger.admin_token()
        assert [(lane.lane, lane.state, lane.missing) for lane in fair_day.lanes] == [
            (1, "matched", 0), (2, "not_closed", 0), (3, "missing", 1), (4, "silent", 0)]
        assert fair_day.lanes[1].shift_open and fair_day.lanes[3].device_id is None

        context = browser.new_context(extra_http_headers={"Authorization": f"Bearer {admin}"},
                                      locale="en-US")
        page = context.new_page()
        page.goto(f"{server.url}/")
        row = page.locator("tr", has_text=day).first.inner_text()
        assert "1 with sales missing · 1 not closed · 1 not heard from · 1 matched" in row
        page.goto(f"{server.url}/day/{day}?fair=Feria%20Centro")
        table = page.locator("h2", has_text="How each lane's day stands").locator(
            "xpath=following-sibling::div[1]")
        rows = [row.split("\t") for row in table.locator("tbody tr").all_inner_texts()]
        said = {int(cells[1]): "\t".join(cells) for cells in rows}
        assert "matched" in said[1] and "MATC01" in said[1]
        assert "not closed: a shift is open" in said[2] and "matched" not in said[2]
        assert "1 sale missing" in said[3] and "matched" not in said[3]
        assert "never heard from" in said[4] and "matched" not in said[4]
        context.close()
    finally:
        server.stop()
