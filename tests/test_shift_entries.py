"""A shift's opening and close reach the ledger as entries of their own, with the sales'
exactly-once rules: through a faulty link to a real ledger (both stores), stored once, shown
on the day and week pages; a replay is a duplicate, another body a conflict, a bad entry
refused with its reason; one the ledger lost comes back at the next day close."""

from __future__ import annotations

import gzip
import json
import sqlite3
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest

from fairpos.journal import DB_NAME, Journal
from fairpos.sync.loop import close_days
from fairpos.sync.relay import LedgerClient, push, shift_to_wire
from fairpos.sync.sale_entries import Known
from fairpos.sync.shift_entries import read_shift_entry, shift_wire
from fairpos.sync.wire import canonical
from harness import web
from harness.fault_proxy import FaultProxy
from harness.lanes import LaneDir
from harness.sync_helpers import LedgerServer, connect, lane_settings, stall
from tests.conftest import STORES, ledger_db

FAULTS = {"reset_before": 0.1, "drop_response": 0.15, "truncate_response": 0.1}
TIMEOUT = httpx.Timeout(2.0, connect=2.0)


def close_short(lane: LaneDir, short: int, reason: str) -> int:
    """Count the drawer (a first count 5.00 off), recount it ``short`` céntimos short, and
    close the shift with ``reason``; the cash expected."""
    store = Journal.open(lane.path / DB_NAME)
    try:
        shift = store.require_shift()
        expected = store.expected_counts(shift.id)[("cash", "USD")]
        store.submit_count({("cash", "USD"): expected - 500})
        store.close_shift({("cash", "USD"): expected - short}, lane_settings(lane), reason)
        return expected
    finally:
        store.close()


def push_until_settled(lane: LaneDir, url: str, token: str) -> None:
    """Push through a lossy link until nothing waits (a guard of 200 tries)."""
    store = Journal.open(lane.path / DB_NAME)
    try:
        with LedgerClient(url, token, timeout=TIMEOUT) as client:
            for _ in range(200):
                push(store, client)
                summary = store.outbox_summary()
                if summary.pending == 0 and summary.shifts_pending == 0:
                    return
        raise AssertionError(f"still waiting: {store.outbox_summary()}")
    finally:
        store.close()


def admin_page(server: LedgerServer, path: str) -> str:
    with server.store() as ledger:
        token = ledger.admin_token()
    reply = web.get(server.url + path, headers={"Authorization": f"Bearer {token}"},
                      timeout=30)
    assert reply.status_code == 200, reply.text
    return reply.text


@pytest.mark.parametrize("store", STORES)
def test_a_short_close_through_a_faulty_link_shows_on_the_day_and_week_pages(
        tmp_path: Path, request: pytest.FixtureRequest, store: str) -> None:
    server = LedgerServer(ledger_db(store, tmp_path, request))
    proxy = FaultProxy(server.port, faults=FAULTS, seed=3)
    try:
        lane = stall(tmp_path / "lane", "SHORT1", sales=3)
        token = connect(lane, server)  # (then every push goes through the lossy link)
        expected = close_short(lane, 150, "faltó un billete de 1 y monedas")
        push_until_settled(lane, proxy.url, token)
        assert sum(proxy.counts.values()) > 0  # the link did fail on the way
        with server.store() as ledger:
            rows = ledger.all("SELECT id, stage, volunteer, reason FROM shift_entries "
                              "ORDER BY id")
            counted = ledger.all("SELECT method, currency, opening, expected, first_count, "
                                 "counted FROM shift_counts")
        assert [tuple(r) for r in rows] == [
            ("SHORT1-S000001-close", "close", "Ana", "faltó un billete de 1 y monedas"),
            ("SHORT1-S000001-open", "open", "Ana", None)]
        assert [tuple(r) for r in counted] == [
            ("cash", "USD", 2000, expected, expected - 500, expected - 150)]
        day = entries_of_day(lane)
        page = admin_page(server, f"/day/{day}")
        assert "Cash by lane" in page and "Ana" in page
        assert f'>{expected / 100:,.2f}</td>' in page  # expected, as a person reads it
        assert "−1.50 USD" in page  # short, in red
        assert f"first count {(expected - 500) / 100:,.2f}" in page
        assert "faltó un billete de 1 y monedas" in page
        week = admin_page(server, f"/week/{day}")
        # per lane, and per volunteer: the over/short, and the short under it
        assert week.count('data-label="Over/short"><span class="warn">−1.50 USD') == 2
        assert week.count('data-label="Short"><span><span class="warn">−1.50 USD') == 2
        cash_csv = web.get(f"{server.url}/day/{day}/cash.csv", timeout=30, headers={
            "Authorization": f"Bearer {server_admin(server)}"}).text
        assert f"{(expected - 150) / 100:.2f},-1.50," in cash_csv
    finally:
        proxy.close()
        server.stop()


def entries_of_day(lane: LaneDir) -> str:
    """The lane's business date (of its last shift)."""
    store = Journal.open(lane.path / DB_NAME)
    try:
        shift = store.latest_shift()
        assert shift is not None
        return shift.business_date
    finally:
        store.close()


def server_admin(server: LedgerServer) -> str:
    with server.store() as ledger:
        return ledger.admin_token()


def entries_of(lane: LaneDir) -> list[dict[str, Any]]:
    store = Journal.open(lane.path / DB_NAME)
    try:
        return [shift_to_wire(store, shift_id, stage)
                for _id, shift_id, stage, _payload in store.shift_outbox_next(10)]
    finally:
        store.close()


def post_shifts(server: LedgerServer, token: str, entries: list[Any], raw: bytes | None = None
                ) -> httpx.Response:
    body = raw if raw is not None else canonical({"shifts": entries})
    return web.post(f"{server.url}/v1/shifts/batch", content=gzip.compress(body), timeout=10,
                      headers={"Authorization": f"Bearer {token}",
                               "Content-Type": "application/json", "Content-Encoding": "gzip"})


@pytest.mark.parametrize("store", STORES)
def test_a_shift_entry_is_stored_once_and_what_differs_waits_in_quarantine(
        tmp_path: Path, request: pytest.FixtureRequest, store: str) -> None:
    server = LedgerServer(ledger_db(store, tmp_path, request))
    try:
        lane = stall(tmp_path / "lane", "ONCE01", sales=1)
        token = connect(lane, server)
        close_short(lane, 0, "")
        opening, closing = entries_of(lane)
        first = post_shifts(server, token, [opening, closing]).json()
        assert first["accepted"] == ["ONCE01-S000001-open", "ONCE01-S000001-close"]
        again = post_shifts(server, token, [closing, opening]).json()
        assert again["duplicate"] == ["ONCE01-S000001-close", "ONCE01-S000001-open"]
        assert again["accepted"] == again["rejected"] == again["conflict"] == []
        changed = {**closing, "reason": "otra cosa"}
        said = post_shifts(server, token, [changed]).json()
        assert said["conflict"] == [{"id": "ONCE01-S000001-close", "reason":
                                     "another shift entry with this id is already on the "
                                     "ledger"}]
        other = {**opening, "id": "OTHER1-S000001-open"}
        refused = post_shifts(server, token, [other])
        assert refused.status_code == 403  # an entry of another device: the batch is refused
        assert "is not device ONCE01's" in refused.json()["error"]
        bad = {**opening, "id": "ONCE01-S000002-open", "shift": 2, "floats": [
            {"currency": "usd", "amount": 100}]}
        later = {**opening, "id": "ONCE01-S000004-open", "shift": 4, "floats": [
            {"currency": "XXX", "amount": 100}]}  # (a currency it may publish later: waits)
        rejected = post_shifts(server, token, [bad, json.loads(
            '{"v": 1, "id": "ONCE01-S000003-open"}'), later]).json()
        assert [r["id"] for r in rejected["rejected"]] == ["ONCE01-S000002-open",
                                                           "ONCE01-S000003-open"]
        assert rejected["rejected"][0]["reason"] == "currency 'usd' is not well-formed"
        assert rejected["rejected"][1]["reason"] == "the entry lacks kind"
        assert rejected["pending"] == [{"id": "ONCE01-S000004-open",
                                        "reason": "unknown currency XXX"}]
        not_json = post_shifts(server, token, [], raw=b'{"shifts": [{"v": 1,')
        assert not_json.status_code == 400
        with server.store() as ledger:
            kept = ledger.all("SELECT reason FROM shift_entries WHERE device_id = 'ONCE01'")
            held = ledger.all("SELECT sale_id, kind FROM quarantine ORDER BY id")
        assert [r[0] for r in kept] == [None, None]  # the first body stays as it came
        assert [tuple(r) for r in held] == [("ONCE01-S000001-close", "conflict"),
                                            ("ONCE01-S000002-open", "rejected"),
                                            ("ONCE01-S000003-open", "rejected")]
        page = admin_page(server, "/quarantine")
        assert "ONCE01-S000001-close" in page and "is not well-formed" in page
        assert "ONCE01-S000004-open" not in page
    finally:
        server.stop()


def test_shift_entries_the_ledger_lost_come_back_at_the_day_close(
        tmp_path: Path, server: LedgerServer) -> None:
    lane = stall(tmp_path / "lane", "LOST01", sales=2)
    token = connect(lane, server)
    close_short(lane, 0, "")
    store = Journal.open(lane.path / DB_NAME)
    try:
        day = store.latest_business_date()
        assert day is not None
        with LedgerClient(server.url, token) as client:
            for _ in range(2):  # the sales go; the shift entries are taken for sent
                store.outbox_settled([i for i, *_rest in store.shift_outbox_next(10)], [])
                push(store, client)
            with server.store() as ledger:
                assert ledger.all("SELECT COUNT(*) FROM shift_entries")[0][0] == 0
            result = close_days(store, client, [day])[day]
        assert result["result"] == "match"
        assert store.outbox_summary().shifts_pending == 0
    finally:
        store.close()
    with server.store() as ledger:
        assert sorted(r[0] for r in ledger.all("SELECT id FROM shift_entries")) == [
            "LOST01-S000001-close", "LOST01-S000001-open"]


GOOD = shift_wire("K7Q2XM", 3, "close", business_date="2026-11-21", volunteer="Rosa",
                  training=False, opened_at="2026-11-21T06:01:00-04:00",
                  floats={"USD": 2000, "VES": 50000}, closed_at="2026-11-21T13:10:00-04:00",
                  reason="faltan 2", counts=[
                      ("2026-11-21T13:00:00-04:00", [("cash", "USD", 9000, 8800)]),
                      ("2026-11-21T13:05:00-04:00", [("cash", "USD", 9000, 8800),
                                                     ("pago_movil", "VES", 120000, 120000)])])
KNOWN = Known(methods=frozenset({"cash", "pago_movil", "card"}),
              currencies=frozenset({"USD", "VES"}))


def reason_of(change: dict[str, Any]) -> str | None:
    return read_shift_entry(canonical({**GOOD, **change}), KNOWN).refused


def test_a_close_is_read_into_its_count_lines() -> None:
    entry = read_shift_entry(canonical(GOOD), KNOWN)
    assert entry.refused is None
    assert (entry.entry_id, entry.device_id, entry.shift, entry.stage) == (
        "K7Q2XM-S000003-close", "K7Q2XM", 3, "close")
    assert [(c.method, c.currency, c.opening, c.expected, c.first_count, c.counted,
             c.difference) for c in entry.lines] == [
        ("cash", "USD", 2000, 9000, 8800, 8800, -200),
        ("cash", "VES", 50000, 0, 0, 0, 0),  # a float counted nowhere: expected 0 here
        ("pago_movil", "VES", 0, 120000, 0, 120000, 0)]


@pytest.mark.parametrize(("change", "reason"), [
    ({"kind": "shift_open"}, "entry K7Q2XM-S000003-close says kind 'shift_open'"),
    ({"shift": 4}, "entry K7Q2XM-S000003-close says shift 4"),
    ({"id": "K7Q2XM-000003"}, "'K7Q2XM-000003' is not a shift entry id (DEVICE-S000123-close)"),
    ({"volunteer": " "}, "volunteer is empty"),
    ({"volunteer": "Ro\u202esa"}, "volunteer holds a control or invalid character (U+202E)"),
    ({"business_date": "2026-02-30"}, "business_date 2026-02-30 is not a date"),
    ({"closed_at": "tomorrow"}, "closed_at 'tomorrow' is not well-formed"),
    ({"floats": [{"currency": "USD", "amount": 1}, {"currency": "USD", "amount": 2}]},
     "the float in USD is given twice"),
    ({"floats": [{"currency": "USD", "amount": -1}]}, "floats[0].amount is out of range (>= 0)"),
    ({"counts": []}, "counts must have at least 1 item(s)"),
    ({"counts": [{"round": 2, "counted_at": "2026-11-21T13:00:00", "lines": []}]},
     "count 1 says round 2"),
    ({"counts": [{"round": 1, "counted_at": "2026-11-21T13:00:00", "lines": [
        {"method": "cash", "currency": "USD", "expected": 1, "counted": 1},
        {"method": "cash", "currency": "USD", "expected": 1, "counted": 2}]}]},
     "count 1: cash USD is counted twice"),
    ({"counts": [{"round": 1, "counted_at": "2026-11-21T13:00:00", "lines": [
        {"method": "bitcoin", "currency": "USD", "expected": 1, "counted": 1}]}]},
     "unknown payment method bitcoin"),
    ({"extra": 1}, "the entry has unknown fields: 'extra'"),
    ({"training": 0}, "training must be true or false"),
    ({"v": 2}, "unknown wire version 2"),
])
def test_a_shift_entry_out_of_the_schema_is_refused_with_its_reason(
        change: dict[str, Any], reason: str) -> None:
    assert reason_of(change) == reason


def test_what_the_ledger_does_not_know_yet_holds_a_shift_entry_instead_of_refusing_it(
        ) -> None:
    """A currency not published here yet (its rates to come), and at a hub a payment method
    the centre may have added since (a voucher program): the entry waits (pending), its
    reason said; a method unknown at the centre itself is refused."""
    vouchers = [{"round": 1, "counted_at": "2026-11-21T13:00:00", "lines": [
        {"method": "snap", "currency": "USD", "expected": 1, "counted": 1}]}]
    for change, known, said in (
            ({"floats": [{"currency": "COP", "amount": 1}]}, KNOWN, "unknown currency COP"),
            ({"counts": vouchers}, replace(KNOWN, lagging=True),
             "unknown payment method snap")):
        entry = read_shift_entry(canonical({**GOOD, **change}), known)
        assert (entry.pending, entry.refused, entry.entry_id) == (
            True, said, "K7Q2XM-S000003-close")
    at_centre = read_shift_entry(canonical({**GOOD, "counts": vouchers}), KNOWN)
    assert (at_centre.pending, at_centre.refused) == (False, "unknown payment method snap")
    assert not read_shift_entry(canonical(GOOD), KNOWN).pending


def test_an_opening_has_no_counts_and_what_is_not_json_says_so() -> None:
    opening = {k: v for k, v in GOOD.items() if k not in ("closed_at", "counts", "reason")}
    opening.update(id="K7Q2XM-S000003-open", kind="shift_open")
    assert read_shift_entry(canonical(opening), KNOWN).refused is None
    assert read_shift_entry(canonical({**opening, "reason": "x"}), KNOWN).refused == \
        "a shift's opening has no close, counts or reason"
    closing = {k: v for k, v in GOOD.items() if k != "counts"}
    assert read_shift_entry(canonical(closing), KNOWN).refused == \
        "a shift's close needs closed_at and its counts"
    assert read_shift_entry(b'{"v": 1, "id"', KNOWN).refused.startswith(
        "the entry is not JSON")
    assert read_shift_entry(b"[" * 5000 + b"]" * 5000, KNOWN).refused == \
        "the entry must be a JSON object"
    deep = canonical({**opening, "volunteer": [[[[[[[[[[[]]]]]]]]]]]})
    assert read_shift_entry(deep, KNOWN).refused == "volunteer must be text"


def test_a_journal_from_before_shift_entries_queues_its_shifts(tmp_path: Path) -> None:
    lane = stall(tmp_path / "lane", "OLD001", sales=1)
    close_short(lane, 0, "")
    lane.run("shift", "open", "--volunteer", "Rosa", "--float", "USD:5")
    conn = sqlite3.connect(lane.path / DB_NAME)  # as the journal was before the step
    conn.execute("DROP TABLE shift_outbox")
    conn.execute("DELETE FROM _sqlite_migrations WHERE name = 'm010_shift_outbox'")
    conn.commit()
    conn.close()
    store = Journal.open(lane.path / DB_NAME)  # the step runs: the shifts are queued
    try:
        queued = [(i, stage) for i, _s, stage, _p in store.shift_outbox_next(10)]
        assert store.outbox_summary().shifts_pending == 3
    finally:
        store.close()
    assert queued == [("OLD001-S000001-open", "open"), ("OLD001-S000001-close", "close"),
                      ("OLD001-S000002-open", "open")]


def test_a_lane_without_a_network_brings_its_shifts_by_usb_stick(
        tmp_path: Path, server: LedgerServer) -> None:
    lane = stall(tmp_path / "lane", "USBSH1", sales=2)
    connect(lane, server)
    close_short(lane, 200, "sin cambio")
    assert "Shift openings and closes waiting: 2" in lane.run("sync-status").stdout
    assert lane.json("sync-status")["shifts_pending"] == 2
    bundle = tmp_path / "stick.zip"
    said = lane.run("export", "--out", str(bundle)).stdout
    assert "Wrote 2 entries" in said and "With 2 shift openings and closes." in said
    db = ["--db", str(server.db)]
    first = lane.run("ledger", "import", str(bundle), *db).stdout
    assert "2 accepted, 0 duplicate" in first
    assert "Shift openings and closes: 2 accepted, 0 duplicate, 0 rejected" in first
    again = lane.run("ledger", "import", str(bundle), *db, lang="es").stdout
    assert "Aperturas y cierres de turno: 0 aceptados, 2 duplicados" in again
    with server.store() as ledger:
        assert ledger.day_cash(entries_of_day(lane))[0]["lines"][0]["difference"] == -200
