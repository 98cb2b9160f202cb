"""The ledger's contract, against a real uvicorn server on 127.0.0.1 and a real SQLite file."""

from __future__ import annotations

import copy
import gzip
import json
import sqlite3
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from fairpos.journal import DiskError
from fairpos.ledger.store import open_ledger
from fairpos.ledger.store.records import DayReport, HourTotal
from fairpos.sync.wire import canonical
from harness import web
from harness.lanes import FIXTURES, LaneDir
from harness.sync_helpers import LedgerServer, connect, payloads, stall
from tests.conftest import STORES, ledger_db


@pytest.fixture(scope="module", params=STORES)
def server(tmp_path_factory: pytest.TempPathFactory,
           request: pytest.FixtureRequest) -> Iterator[LedgerServer]:
    """The ledger's contract holds on both stores: one real ledger process on each."""
    running = LedgerServer(ledger_db(request.param, tmp_path_factory.mktemp("ledger"),
                                     request))
    yield running
    running.stop()


@pytest.fixture
def lane(tmp_path: Path, server: LedgerServer, request: pytest.FixtureRequest) -> LaneDir:
    """A stall with 5 sales, connected to the ledger under a device id of its own."""
    device = "T" + format(abs(hash(request.node.name)) % 36**5, "05d")[:5].upper()
    lane = stall(tmp_path / "stall", device, sales=5, seed=len(request.node.name))
    connect(lane, server)
    return lane


def token_of(lane: LaneDir) -> str:
    text = (lane.path / "fairpos.toml").read_text()
    return text.split('token = "', 1)[1].split('"', 1)[0]


def post(server: LedgerServer, token: str | None, body: Any, *, gzipped: bool = True,
         raw: bytes | None = None) -> httpx.Response:
    data = raw if raw is not None else canonical(body)
    headers = {"Content-Type": "application/json"}
    if gzipped:
        data = gzip.compress(data)
        headers["Content-Encoding"] = "gzip"
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return web.post(f"{server.url}/v1/sales/batch", content=data, headers=headers, timeout=10)


def ledger_rows(server: LedgerServer, table: str = "sales") -> list[tuple[Any, ...]]:
    with server.store() as ledger:
        return [tuple(row) for row in ledger.all(f"SELECT * FROM {table} ORDER BY 1")]


def device_of(lane: LaneDir) -> str:
    return str(payloads(lane)[0]["id"]).split("-")[0]


def test_a_batch_is_stored_once_and_a_replay_is_all_duplicate(server: LedgerServer,
                                                               lane: LaneDir) -> None:
    sales = payloads(lane)
    token = token_of(lane)
    first = post(server, token, {"device_id": device_of(lane), "sales": sales})
    assert first.status_code == 200, first.text
    assert first.json()["accepted"] == [s["id"] for s in sales]
    assert first.json()["max_contiguous_seq"] == 5
    before = ledger_rows(server)
    again = post(server, token, {"sales": sales}, gzipped=False)  # plain JSON is fine too
    assert again.json() == {"accepted": [], "duplicate": [s["id"] for s in sales],
                            "rejected": [], "conflict": [], "max_contiguous_seq": 5}
    assert ledger_rows(server) == before


def test_same_id_with_another_body_is_a_conflict(server: LedgerServer, lane: LaneDir) -> None:
    sales = payloads(lane)
    token = token_of(lane)
    post(server, token, {"sales": sales[:2]})
    original = [r for r in ledger_rows(server) if r[0] == sales[0]["id"]]
    changed = copy.deepcopy(sales[0])
    changed["volunteer"] = "Mallory"
    reply = post(server, token, {"sales": [changed, sales[2]]}).json()
    assert reply["conflict"] == [{"id": sales[0]["id"],
                                  "reason": "another sale with this id is already on the "
                                            "ledger"}]
    assert reply["accepted"] == [sales[2]["id"]]
    assert [r for r in ledger_rows(server) if r[0] == sales[0]["id"]] == original
    quarantine = [r for r in ledger_rows(server, "quarantine") if r[2] == sales[0]["id"]]
    assert [(r[3], json.loads(r[5])["volunteer"]) for r in quarantine] == [
        ("conflict", "Mallory")]


def test_tokens(server: LedgerServer, lane: LaneDir, tmp_path: Path) -> None:
    sales = payloads(lane)
    assert post(server, None, {"sales": sales}).status_code == 401
    assert post(server, "not-a-token", {"sales": sales}).status_code == 401
    other = stall(tmp_path / "other", "OTHER9", sales=1)
    connect(other, server, number=2)
    # another device's token posting this device's sales, or claiming to be it
    forged = post(server, token_of(other), {"sales": sales})
    assert forged.status_code == 403 and "not device OTHER9" in forged.json()["error"]
    claimed = post(server, token_of(other), {"device_id": device_of(lane), "sales": []})
    assert claimed.status_code == 403
    state = web.get(f"{server.url}/v1/devices/{device_of(lane)}/sync-state",
                      headers={"Authorization": f"Bearer {token_of(other)}"})
    assert state.status_code == 403
    assert not [r for r in ledger_rows(server) if r[1] == device_of(lane)]


def test_bad_bodies_write_nothing(server: LedgerServer, lane: LaneDir) -> None:
    token = token_of(lane)
    before = ledger_rows(server)
    bomb = gzip.compress(b"[" + b" " * 40_000_000 + b"]")  # 40 MB of JSON in ~40 KB
    reply = web.post(f"{server.url}/v1/sales/batch", content=bomb, timeout=30,
                       headers={"Authorization": f"Bearer {token}", "Content-Encoding": "gzip",
                                "Content-Type": "application/json"})
    assert reply.status_code == 413
    as_text = web.post(f"{server.url}/v1/sales/batch", content=canonical({"sales": []}),
                         headers={"Authorization": f"Bearer {token}",
                                  "Content-Type": "text/plain"})
    assert as_text.status_code == 415
    assert post(server, token, None, raw=b'{"sales": [', gzipped=False).status_code == 400
    assert post(server, token, None, raw=b"\x1f\x8b garbage", gzipped=False).status_code == 400
    assert post(server, token, {"sales": "all of them"}).status_code == 400
    assert post(server, token, {"sales": payloads(lane) * 41}).status_code == 413  # 205
    assert ledger_rows(server) == before


def test_a_sale_that_does_not_add_up_is_rejected_and_the_rest_accepted(
        server: LedgerServer, lane: LaneDir) -> None:
    sales = payloads(lane)
    bad = copy.deepcopy(sales[1])
    bad["lines"][0]["amount"] += 1
    bad["total"] += 1
    unpaid = copy.deepcopy(sales[3])
    unpaid["tenders"][0]["amount"] -= 5
    unknown = copy.deepcopy(sales[4])
    unknown["catalog_version"] = 99
    reply = post(server, token_of(lane), {"sales": [sales[0], bad, sales[2], unpaid,
                                                    unknown, {"id": "garbage"}, "not a sale",
                                                    {"seq": 3}]}).json()
    assert reply["accepted"] == [sales[0]["id"], sales[2]["id"]]
    assert [r["id"] for r in reply["rejected"][2:]] == ["?", "?", "?"]  # none legibly named
    reasons = {r["id"]: r["reason"] for r in reply["rejected"]}
    assert "line 1:" in reasons[sales[1]["id"]]
    assert "do not pay the total" in reasons[sales[3]["id"]]
    # a catalog version the ledger has not (yet) published: held back, not refused
    assert reply["pending"] == [{"id": sales[4]["id"], "reason": "unknown catalog version 99"}]
    assert reply["max_contiguous_seq"] == 1
    state = web.get(f"{server.url}/v1/devices/{device_of(lane)}/sync-state",
                      headers={"Authorization": f"Bearer {token_of(lane)}"}).json()
    assert state["missing_seqs"] == [2] and state["quarantined"] == 5
    from fairpos.sync.wire import DayFigures

    close = web.post(f"{server.url}/v1/devices/{device_of(lane)}/day-close",
                       json=DayFigures.of(sales[0]["business_date"], sales).to_json(),
                       headers={"Authorization": f"Bearer {token_of(lane)}"}).json()
    # the held one is still to come: the day is pending (the two refused are in quarantine)
    assert close["result"] == "pending" and close["missing"] == [sales[4]["id"]]
    assert len(close["quarantined"]) == 2


@pytest.mark.parametrize("store", STORES)
def test_a_failure_inside_a_batch_rolls_the_whole_batch_back(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, store: str,
        request: pytest.FixtureRequest) -> None:
    lane = stall(tmp_path / "stall", "ROLLBK", sales=4)
    ledger = open_ledger(ledger_db(store, tmp_path, request))
    enrolment, _token = ledger.enrol("Feria", 1)
    ledger.claim(enrolment, "ROLLBK")
    original = ledger.backend.write_rows
    tables = []
    if store == "sqlite":
        fault: Exception = sqlite3.OperationalError("disk I/O error")
        said: type[Exception] = DiskError  # said in one line
        refused: type[Exception] = sqlite3.IntegrityError
    else:
        import psycopg

        fault = psycopg.OperationalError("disk I/O error")
        said = refused = psycopg.Error

    def failing(conn: Any, table: str, columns: str, rows: Any) -> None:
        tables.append(table)
        if table == "sale_tenders":  # the sales and their lines are written by now
            raise fault
        original(conn, table, columns, rows)

    monkeypatch.setattr(ledger.backend, "write_rows", failing)
    with pytest.raises(said, match="disk I/O error"):  # rolled back
        ledger.ingest("ROLLBK", payloads(lane))
    assert tables == ["sales", "sale_lines", "sale_tenders"]
    assert ledger.all("SELECT COUNT(*) FROM sales")[0][0] == 0
    assert ledger.all("SELECT COUNT(*) FROM sale_lines")[0][0] == 0
    monkeypatch.setattr(ledger.backend, "write_rows", original)
    assert len(ledger.ingest("ROLLBK", payloads(lane)).accepted) == 4
    for statement in ("UPDATE sales SET total = 0", "DELETE FROM sale_lines",
                      "UPDATE lane_rates SET value = '1'"):
        with pytest.raises(refused, match="append-only"), ledger.transaction() as conn:
            conn.execute(statement)
    if store == "postgresql":
        with pytest.raises(refused, match="append-only"), ledger.transaction() as conn:
            conn.execute("TRUNCATE sales CASCADE")
    assert ledger.all("SELECT COUNT(*) FROM sales")[0][0] == 4
    ledger.close()


def test_catalog_and_rates_with_etags(server: LedgerServer, lane: LaneDir) -> None:
    auth = {"Authorization": f"Bearer {token_of(lane)}"}
    catalog = web.get(f"{server.url}/v1/catalog", headers=auth)
    assert catalog.status_code == 200 and catalog.headers["etag"] == '"1"'
    assert catalog.json()["body"] == (FIXTURES / "feria-catalog.csv").read_text()
    again = web.get(f"{server.url}/v1/catalog", headers={**auth, "If-None-Match": '"1"'})
    assert again.status_code == 304 and again.content == b""
    rates = web.get(f"{server.url}/v1/rates", headers=auth).json()
    assert rates["rates"][-1] == {"base": "USD", "quote": "VES", "value": "414.04",
                                  "effective": "2026-02-26"}
    assert web.get(f"{server.url}/v1/rates").status_code == 401


def test_day_close_match_pending_and_mismatch(server: LedgerServer, lane: LaneDir) -> None:
    sales = payloads(lane)
    auth = {"Authorization": f"Bearer {token_of(lane)}"}
    device = device_of(lane)
    post(server, token_of(lane), {"sales": [s for s in sales if s["seq"] != 3]})
    from fairpos.sync.wire import DayFigures

    figures = DayFigures.of(sales[0]["business_date"], sales).to_json()
    url = f"{server.url}/v1/devices/{device}/day-close"
    pending = web.post(url, json=figures, headers=auth).json()
    assert pending["result"] == "pending" and pending["missing"] == [f"{device}-000003"]
    post(server, token_of(lane), {"sales": sales})
    assert web.post(url, json=figures, headers=auth).json()["result"] == "match"
    wrong = {**figures, "totals": {"USD": figures["totals"]["USD"] + 1}}
    assert web.post(url, json=wrong, headers=auth).json()["result"] == "mismatch"
    assert web.post(url, content=b"nope", headers=auth).status_code == 415
    assert web.post(url, content=b"nope", headers={
        **auth, "Content-Type": "application/json"}).status_code == 400


def test_pages_need_an_admin_token_and_export_csv(server: LedgerServer, lane: LaneDir) -> None:
    sales = payloads(lane)
    post(server, token_of(lane), {"sales": sales})
    day = sales[0]["business_date"]
    assert web.get(f"{server.url}/").status_code == 401
    assert web.get(f"{server.url}/day/{day}/tenders.csv").status_code == 401
    assert web.post(f"{server.url}/login", data={"token": "nope"}).status_code == 401
    with server.store() as ledger:
        admin = ledger.admin_token()
    with httpx.Client(base_url=server.url) as browser:
        assert browser.get(f"/login?token={admin}").status_code == 200  # only the form
        assert "fairpos_session" not in browser.cookies
        login = browser.post("/login", data={"token": admin})
        assert login.status_code == 303 and "fairpos_session" in login.headers["set-cookie"]
        assert admin not in login.headers["set-cookie"]
        index = browser.get("/")
        assert index.status_code == 200 and f'href="/day/{day}?fair=Feria%20Centro"' in index.text
        page = browser.get(f"/day/{day}", params={"fair": "Feria Centro"})
        assert page.status_code == 200
        assert "<svg" in page.text and device_of(lane) in page.text
        for table in ("tenders", "lanes", "hours", "price_classes", "products", "sync",
                      "quarantine"):
            csv = browser.get(f"/day/{day}/{table}.csv", params={"fair": "Feria Centro"})
            assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
        tenders = browser.get(f"/day/{day}/tenders.csv")
        assert tenders.text.splitlines()[0] == "\ufeffMethod,Code,Currency,Amount"
        assert 'filename="all-fairs-' + day + '-tenders.csv"' in \
            tenders.headers["content-disposition"]
        assert browser.get(f"/day/{day}/nothing.csv").status_code == 404
    bearer = web.get(f"{server.url}/", headers={"Authorization": f"Bearer {admin}"})
    assert bearer.status_code == 200


def test_csv_opens_right_in_a_spreadsheet_in_either_language(
        server: LedgerServer, lane: LaneDir, tmp_path: Path) -> None:
    """UTF-8 with a byte-order mark, the page's headers, amounts in the currency's major
    unit, text that looks like a formula made inert, the fair and day in the file name, and
    the fair's filter on every table (the lanes' sync included)."""
    import csv as csvlib

    from fairpos import i18n
    from fairpos.ledger.spreadsheets import csv_name, csv_rows

    sales = payloads(lane)
    sales[0]["lines"][0]["name_es"] = '=HYPERLINK("http://x","Champiñón")'
    post(server, token_of(lane), {"sales": sales})
    other = server.enrol("Feria Oeste", 1)  # another fair's lane: not in this fair's files
    assert other
    day = sales[0]["business_date"]
    with server.store() as ledger:
        admin = ledger.admin_token()
        report = ledger.report(day, "Feria Centro")
        devices = ledger.devices()
    auth = {"Authorization": f"Bearer {admin}"}
    got = web.get(f"{server.url}/day/{day}/products.csv", params={"fair": "Feria Centro"},
                    headers=auth)
    assert got.content.startswith("\ufeff".encode())  # (UTF-8 with BOM)
    assert f'filename="feria-centro-{day}-products.csv"' in got.headers["content-disposition"]
    rows = list(csvlib.reader(got.content.decode("utf-8-sig").splitlines()))
    assert rows[0] == ["PLU", "Product", "Kilos", "Pieces", "Amount (USD)"]
    assert sorted((r[0], Decimal(r[2] or 0), Decimal(r[4])) for r in rows[1:]) == sorted(
        (p.code, Decimal(p.grams) / 1000, Decimal(p.amount) / 100)
        for p in report.products)  # the ledger's numbers, in kilos and dollars
    assert any(r[1] == "'=HYPERLINK(\"http://x\",\"Champiñón\")" for r in rows)  # inert
    sync = web.get(f"{server.url}/day/{day}/sync.csv", params={"fair": "Feria Centro"},
                     headers=auth).content.decode("utf-8-sig")
    assert "Feria Oeste" not in sync and device_of(lane) in sync
    assert "Feria Oeste" in web.get(f"{server.url}/day/{day}/sync.csv",
                                      headers=auth).content.decode("utf-8-sig")
    i18n.use("es")
    try:  # a Spanish spreadsheet: ";" between cells, "," before the decimals
        spanish = csv_rows(report, "lanes", devices)
        assert spanish is not None and spanish.startswith("\ufeffFeria;Caja;")
        [row] = [r for r in csvlib.reader(spanish[1:].splitlines(), delimiter=";")
                 if r[2] == device_of(lane)]
        [total] = [x.total for x in report.lanes if x.device_id == device_of(lane)]
        assert row[-1] == f"{total // 100},{total % 100:02d}" and row[-2] == "USD"
        assert csv_name(day, "Feria del Centro", "lanes") == f"feria-del-centro-{day}-lanes.csv"
        assert csv_name(day, None, "hours") == f"todas-las-ferias-{day}-hours.csv"
    finally:
        i18n.use("en")


@pytest.mark.parametrize("store", STORES)
def test_the_hours_are_the_fairs_own_whatever_clock_each_lane_kept(
        tmp_path: Path, store: str, request: pytest.FixtureRequest) -> None:
    """Two lanes of a fair sell at the same instant, one clock on Caracas time, one on UTC:
    by the lanes' clocks that is 10:00 and 14:00; once the fair keeps America/Caracas time,
    both are at 10:00 on its pages."""
    from click.testing import CliRunner

    from fairpos.cli import main

    db = ledger_db(store, tmp_path, request)
    ledger = open_ledger(db)
    try:
        ledger.publish((FIXTURES / "feria-catalog.csv").read_text(), "c.csv", "USD")
        ledger.publish((FIXTURES / "feria-rates.csv").read_text(), "r.csv", "USD")
        clocks = {"CLKVE1": "2026-11-21T10:00:05.250000-04:00",
                  "CLKUT1": "2026-11-21T14:00:05+00:00"}
        for n, (device, moment) in enumerate(clocks.items(), start=1):
            sales = payloads(stall(tmp_path / device, device, sales=1, seed=n))
            sales[0]["confirmed_at"], sales[0]["business_date"] = moment, "2026-11-21"
            ledger.claim(ledger.enrol("Feria Centro", n)[0], device)
            assert ledger.ingest(device, sales).accepted
        before = ledger.report("2026-11-21", "Feria Centro")
        assert [h.hour for h in before.hours] == ["10", "14"]
        assert before.timezone is None
    finally:
        ledger.close()
    said = CliRunner().invoke(main, ["--lang", "en", "ledger", "fair", "Feria Centro",
                                     "--timezone", "America/Caracas", "--db", db])
    assert said.exit_code == 0, said.output
    assert "Feria Centro: hours in America/Caracas time" in said.output
    bad = CliRunner().invoke(main, ["--lang", "en", "ledger", "fair", "Feria Centro",
                                    "--timezone", "Mars/Olympus", "--db", db])
    assert bad.exit_code == 1 and "is not a time zone" in bad.output
    ledger = open_ledger(db)
    try:
        after = ledger.report("2026-11-21", "Feria Centro")
        assert after.hours == [HourTotal("10", 2, sum(h.total for h in before.hours))]
        assert after.timezone == "America/Caracas"
    finally:
        ledger.close()


@pytest.mark.parametrize("store", STORES)
def test_the_quarantine_page_by_page_and_reviewed_with_a_note(
        tmp_path: Path, store: str, request: pytest.FixtureRequest) -> None:
    """Filtered by fair and device, newest first, 50 a page; a note marks an entry reviewed
    and the entry itself stays as it came (append-only notes, the newest shown)."""
    from fairpos.ledger.store import LedgerError

    ledger = open_ledger(ledger_db(store, tmp_path, request))
    try:
        for n, (device, fair) in enumerate((("QUAR01", "Feria Centro"), ("QUAR02", "Feria Oeste"))):
            ledger.claim(ledger.enrol(fair, 1)[0], device)
            bad = [{"id": f"{device}-{seq:06d}", "v": 99} for seq in range(1, 61 - 30 * n)]
            assert len(ledger.ingest(device, bad).rejected) == 60 - 30 * n
        first, total = ledger.quarantine_page("Feria Centro", offset=0, limit=50)
        assert total == 60 and len(first) == 50
        assert first[0].sale_id == "QUAR01-000060"  # newest first
        second, _ = ledger.quarantine_page("Feria Centro", offset=50, limit=50)
        assert len(second) == 10 and second[-1].sale_id == "QUAR01-000001"
        assert ledger.quarantine_page(device="QUAR02")[1] == 30
        assert ledger.quarantine_page(state="all")[1] == 90
        held = ledger.all("SELECT payload, payload_hash FROM quarantine ORDER BY id")
        target = first[0].id
        ledger.review_quarantined(target, "  Checked with the lane: a test entry.  ")
        ledger.review_quarantined(target, "Settled at the assembly.")
        reviewed, count = ledger.quarantine_page(state="reviewed")
        assert count == 1 and reviewed[0].note == "Settled at the assembly."
        assert ledger.quarantine_page("Feria Centro")[1] == 59  # not reviewed yet
        assert ledger.all("SELECT payload, payload_hash FROM quarantine ORDER BY id") == held
        assert len(ledger.all("SELECT * FROM quarantine_reviews")) == 2
        for note, said in (("   ", "the note is empty"), ("x" * 501, "longer than 500"),
                           ("a\x07b", "control")):
            with pytest.raises(LedgerError, match=said):
                ledger.review_quarantined(target, note)
        with pytest.raises(LedgerError, match="no entry #999999 in quarantine"):
            ledger.review_quarantined(999999, "nothing")
    finally:
        ledger.close()


def test_the_home_page_has_each_fairs_day_at_a_glance(tmp_path: Path) -> None:
    """Sales, totals and how the lanes' day closes stand: one matched, one whose figures
    differ, one not closed yet; and its entries in quarantine not reviewed yet."""
    from fairpos.sync.wire import DayFigures

    ledger = open_ledger(tmp_path / "ledger.db")
    try:
        ledger.publish((FIXTURES / "feria-catalog.csv").read_text(), "c.csv", "USD")
        ledger.publish((FIXTURES / "feria-rates.csv").read_text(), "r.csv", "USD")
        totals = 0
        for n, device in enumerate(("GLAN01", "GLAN02", "GLAN03"), start=1):
            sales = payloads(stall(tmp_path / device, device, sales=2, seed=n))
            for sale in sales:
                sale["business_date"] = "2026-11-21"
            ledger.claim(ledger.enrol("Feria Centro", n)[0], device)
            assert len(ledger.ingest(device, sales).accepted) == 2
            totals += sum(sale["total"] for sale in sales)
            figures = DayFigures.of("2026-11-21", sales).to_json()
            if device == "GLAN02":
                figures["totals"]["USD"] += 1  # (a lane whose count differs from the ledger's)
            if device != "GLAN03":
                ledger.day_close(device, figures)
        bad = {**sales[0], "id": "GLAN03-000003", "seq": 3, "total": sales[0]["total"] + 1}
        assert ledger.ingest("GLAN03", [bad]).rejected  # (it gives the same business date)
        [day] = ledger.fair_days()
        assert (day.fair, day.business_date, day.sales, day.totals) == (
            "Feria Centro", "2026-11-21", 6, {"USD": totals})
        assert [(lane.device_id, lane.state) for lane in day.lanes] == [
            ("GLAN01", "matched"), ("GLAN02", "mismatch"), ("GLAN03", "quarantined")]
        assert day.states == {"quarantined": 1, "mismatch": 1, "matched": 1}
        [held] = ledger.quarantine_page()[0]
        ledger.review_quarantined(held.id, "sent again corrected")
        [day] = ledger.fair_days()
        assert day.quarantined == 0 and day.lanes[2].state == "not_closed"
    finally:
        ledger.close()


def test_a_review_is_refused_without_an_admin_an_empty_note_or_an_entry(
        server: LedgerServer, lane: LaneDir) -> None:
    """The quarantine form's failure paths, one line each; it sends back only to itself."""
    bad = {**payloads(lane)[0], "v": 99}
    assert post(server, token_of(lane), {"sales": [bad]}).json()["rejected"]
    with server.store() as ledger:
        admin = ledger.admin_token()
        [held] = ledger.quarantine_page(device=device_of(lane))[0]
    url = f"{server.url}/quarantine/{held.id}/review"
    auth = {"Authorization": f"Bearer {admin}"}
    assert web.post(url, data={"note": "seen"}).status_code == 401
    empty = web.post(url, data={"note": "  "}, headers=auth)
    assert empty.status_code == 400 and empty.json()["error"] == "the note is empty"
    unknown = web.post(f"{server.url}/quarantine/999999/review", data={"note": "x"},
                         headers=auth)
    assert unknown.status_code == 400 and "no entry #999999" in unknown.json()["error"]
    with server.store() as ledger:  # nothing was noted
        assert ledger.quarantine_page(device=device_of(lane))[1] == 1
    elsewhere = web.post(url, data={"note": "seen", "back": "https://elsewhere.example/"},
                           headers=auth)
    assert elsewhere.status_code == 303 and elsewhere.headers["location"] == "/quarantine"
    with server.store() as ledger:
        assert ledger.quarantine_page(device=device_of(lane))[1] == 0  # reviewed now


def test_ledger_migrate_moves_every_table_the_ledger_has(tmp_path: Path) -> None:
    """A table added by a migration step is a table ``ledger migrate`` must move too."""
    from fairpos.ledger.move import TABLES

    ledger = open_ledger(tmp_path / "ledger.db")
    try:
        names = {r[0] for r in ledger.all("SELECT name FROM sqlite_master WHERE type = 'table'")}
    finally:
        ledger.close()
    assert names - {"schema_version", "sqlite_sequence"} == {table for table, _key in TABLES}


def test_revoked_token_is_refused(server: LedgerServer, lane: LaneDir) -> None:
    from click.testing import CliRunner

    from fairpos.cli import main

    result = CliRunner().invoke(main, ["--lang", "en", "ledger", "revoke", device_of(lane),
                                       "--db", str(server.db)])
    assert result.exit_code == 0 and "Revoked" in result.output
    assert post(server, token_of(lane), {"sales": payloads(lane)}).status_code == 401


def test_pages_speak_the_ledgers_language() -> None:
    from fairpos import i18n
    from fairpos.ledger.pages import day_page, login_page

    report = DayReport("2026-11-21", None, sales_count=0, entries=0, totals={}, tenders=[],
                       igtf=[], lanes=[], products=[], price_classes=[], timezone=None,
                       hours=[HourTotal("07", 3, 420)])
    i18n.use("es")
    spanish = day_page(report, [], [])
    assert '<html lang="es">' in spanish and "Ventas por hora" in spanish
    assert "Todas las ferias · 2026-11-21" in spanish and "<svg" in spanish
    assert "Token de administración" in login_page() and 'method="post"' in login_page()
    i18n.use("en")
    assert "Sales by hour" in day_page(report, [], [])


def test_a_client_that_hangs_up_mid_body_leaves_no_traceback(tmp_path: Path) -> None:
    import socket

    from harness.sync_helpers import LedgerServer

    log = tmp_path / "ledger.log"
    server = LedgerServer(tmp_path / "ledger.db", log=log)
    try:
        with server.store() as ledger:  # a device that reads batch bodies
            enrolment, token = ledger.enrol("Feria Centro", 1)
            ledger.claim(enrolment, "HANG01")
        for _ in range(3):  # a stall whose link drops while it sends a batch
            with socket.create_connection(("127.0.0.1", server.port)) as conn:
                conn.sendall(b"POST /v1/sales/batch HTTP/1.1\r\nHost: ledger\r\n"
                             b"Authorization: Bearer " + token.encode() + b"\r\n"
                             b"Content-Type: application/json\r\n"
                             b"Content-Length: 100000\r\n\r\n{\"sales\": [")
        assert web.get(f"{server.url}/v1/health").status_code == 200  # still serving
    finally:
        server.stop()
    text = log.read_text()
    assert "Traceback" not in text and "ClientDisconnect" not in text, text


def test_a_process_checks_and_stores_a_few_batches_at_once_and_the_rest_wait(
        tmp_path: Path) -> None:
    """In a reconnection wave a ledger process takes BATCHES_AT_ONCE batches at a time (more
    would only share the processor); every other batch waits its turn and is stored. Each
    batch here waits at a barrier for that many others, so the count is exact."""
    import asyncio
    import threading

    from fairpos.ledger.app import create_app
    from fairpos.ledger.limits import BATCHES_AT_ONCE

    ledger = open_ledger(tmp_path / "ledger.db")
    ledger.publish((FIXTURES / "feria-catalog.csv").read_text(), "feria-catalog.csv", "USD")
    ledger.publish((FIXTURES / "feria-rates.csv").read_text(), "feria-rates.csv", "USD")
    [template] = payloads(stall(tmp_path / "s", "LIM000", sales=1, seed=2))
    batches = {}
    for n in range(1, 3 * BATCHES_AT_ONCE + 1):
        device = f"LIM{n:03d}"
        enrolment, token = ledger.enrol("Feria Centro", n)
        ledger.claim(enrolment, device)
        batches[token] = json.loads(canonical(template).decode().replace("LIM000", device))
    barrier = threading.Barrier(BATCHES_AT_ONCE, timeout=60)
    guard = threading.Lock()
    counts = {"now": 0, "most": 0}
    real = ledger.ingest

    def ingest(*args: Any, **kwargs: Any) -> Any:
        with guard:
            counts["now"] += 1
            counts["most"] = max(counts["most"], counts["now"])
        try:
            barrier.wait()
            return real(*args, **kwargs)
        finally:
            with guard:
                counts["now"] -= 1

    ledger.ingest = ingest  # type: ignore[method-assign]

    async def wave() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=create_app(ledger))
        async with httpx.AsyncClient(transport=transport, base_url="http://ledger") as client:
            return await asyncio.gather(*(
                client.post("/v1/sales/batch", json={"sales": [sale]},
                            headers={"Authorization": f"Bearer {token}"})
                for token, sale in batches.items()))

    try:
        replies = asyncio.run(wave())
        assert [r.status_code for r in replies] == [200] * len(batches)
        assert all(len(r.json()["accepted"]) == 1 for r in replies)
        assert counts["most"] == BATCHES_AT_ONCE
    finally:
        ledger.close()
