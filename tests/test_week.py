"""The week page's figures, on both stores: what moved per price class and per product (equal
to what the entries say, computed here from the payloads), and the over/short per lane and per
volunteer of the week's shifts (training and other weeks left out)."""

from __future__ import annotations

import sqlite3
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from fairpos.ledger.shift_pages import monday_of
from fairpos.ledger.store import SqlLedger, open_ledger
from fairpos.sync.shift_entries import shift_wire
from fairpos.sync.wire import canonical
from harness import web
from harness.lanes import FIXTURES
from harness.sync_helpers import LedgerServer, connect, open_lane, payloads, ring_days
from tests.conftest import STORES, ledger_db


@pytest.fixture(params=STORES)
def ledger(tmp_path: Path, request: pytest.FixtureRequest) -> Any:
    store = open_ledger(ledger_db(request.param, tmp_path, request))
    store.publish((FIXTURES / "feria-catalog.csv").read_text(), "feria-catalog.csv", "USD")
    store.publish((FIXTURES / "feria-rates.csv").read_text(), "feria-rates.csv", "USD")
    yield store
    store.close()


def claimed(ledger: SqlLedger, device_id: str, fair: str = "Feria Centro", lane: int = 1
            ) -> None:
    enrolment, _token = ledger.enrol(fair, lane)
    ledger.claim(enrolment, device_id)


def test_what_moved_week_by_week_is_what_the_entries_say(tmp_path: Path,
                                                         ledger: SqlLedger) -> None:
    lane = open_lane(tmp_path / "lane", "WEEK01")
    lane.run("shift", "close", "--count", "USD:20")
    ring_days(lane, days=10, per_day=6, start=date(2026, 11, 16))  # Monday 16 to Wednesday 25
    sent = payloads(lane)
    claimed(ledger, "WEEK01")
    result = ledger.ingest("WEEK01", sent)
    assert len(result.accepted) == len(sent)
    monday = date(2026, 11, 23)
    expected_classes: dict[tuple[str, str], list[int]] = {}
    expected_products: dict[str, dict[str, list[int]]] = {}
    for sale in sent:
        week = monday_of(date.fromisoformat(sale["business_date"])).isoformat()
        for line in sale["lines"]:
            if line["voided"]:
                continue
            if line["price_class"] is not None:
                kept = expected_classes.setdefault((line["price_class"], week), [0, 0])
                kept[0] += line["grams"] or 0
                kept[1] += line["amount"]
            if line["kind"] == "product":
                which = "this" if week == monday.isoformat() else "before"
                product = expected_products.setdefault(line["code"], {
                    "this": [0, 0, 0], "before": [0, 0, 0]})
                product[which][0] += line["grams"] or 0
                product[which][1] += line["count"] or 0
                product[which][2] += line["amount"]
    sales = ledger.week_sales(monday)
    assert sales["weeks"][-2:] == ["2026-11-16", "2026-11-23"] and len(sales["weeks"]) == 8
    got_classes = {(c["price_class"], week): [c["weeks"][n]["grams"], c["weeks"][n]["amount"]]
                   for c in sales["classes"] for n, week in enumerate(sales["weeks"])
                   if c["weeks"][n] != {"grams": 0, "amount": 0}}
    assert got_classes == expected_classes
    assert {c["price_class"]: c["names"]["es"] for c in sales["classes"]} == {
        "G": "Feria grande", "M": "Mini-feria"}
    assert {p["code"]: {w: [p[w]["grams"], p[w]["count"], p[w]["amount"]]
                        for w in ("this", "before")} for p in sales["products"]} == \
        expected_products
    amounts = [p["this"]["amount"] for p in sales["products"]]
    assert amounts == sorted(amounts, reverse=True)  # what sold most first
    assert ledger.week_sales(monday, "Another fair")["classes"] == []


def close(device: str, shift: int, day: str, volunteer: str, expected: int, counted: int,
          training: bool = False) -> bytes:
    return canonical(shift_wire(
        device, shift, "close", business_date=day, volunteer=volunteer, training=training,
        opened_at=f"{day}T07:00:00-04:00", floats={"USD": 2000},
        closed_at=f"{day}T13:00:00-04:00", reason=None,
        counts=[(f"{day}T12:55:00-04:00", [("cash", "USD", expected, counted)])]))


def test_the_weeks_over_short_per_lane_and_per_volunteer(ledger: SqlLedger) -> None:
    claimed(ledger, "LANE01", lane=1)
    claimed(ledger, "LANE02", lane=2)
    claimed(ledger, "ELSEW1", fair="Feria Norte", lane=1)
    monday = date(2026, 11, 23)
    day = [(monday + timedelta(days=n)).isoformat() for n in range(8)]
    for device, entries in {
            "LANE01": [close("LANE01", 1, day[0], "Ana", 9000, 8850),
                       close("LANE01", 2, day[2], "Rosa", 5000, 4800),
                       close("LANE01", 3, day[3], "Ana", 100, 0, training=True),
                       close("LANE01", 4, day[7], "Ana", 100, 0)],  # the next week
            "LANE02": [close("LANE02", 1, day[1], "Ana", 4000, 4050)],
            "ELSEW1": [close("ELSEW1", 1, day[1], "Ana", 3000, 3000)]}.items():
        assert len(ledger.ingest_shifts(device, entries).accepted) == len(entries)
    week = ledger.week_over_short(monday, "Feria Centro")
    assert [(r["lane"], r["shifts"], r["short"], r["over"], r["difference"])
            for r in week["lanes"]] == [(1, 2, 2, 0, -350), (2, 1, 0, 1, 50)]
    assert [(r["volunteer"], r["shifts"], r["short"], r["over"], r["difference"])
            for r in week["volunteers"]] == [("Ana", 2, 1, 1, -100), ("Rosa", 1, 1, 0, -200)]
    every = ledger.week_over_short(monday)
    assert [(r["volunteer"], r["shifts"]) for r in every["volunteers"]] == [("Ana", 3),
                                                                           ("Rosa", 1)]
    cash = ledger.day_cash(day[0], "Feria Centro")
    assert [(s["device_id"], s["volunteer"], s["closed_at"], s["lines"][0]["difference"])
            for s in cash] == [("LANE01", "Ana", f"{day[0]}T13:00:00-04:00", -150)]


def test_the_day_shows_each_payment_as_a_share_valued_at_the_days_rate(
        tmp_path: Path, server: LedgerServer) -> None:
    lane = open_lane(tmp_path / "lane", "SHARE1")
    connect(lane, server)
    # 6.00 USD: 1000 VES by pago móvil, 1000 VES by card, 2 USD cash, 343.84 VES change
    lane.sell("--line", "G=5kg", "--pay", "pago_movil:VES:1000,ref=00451234,bank=0102",
              "--pay", "card:VES:1000,ref=778812", "--pay", "cash:USD:2",
              "--change-currency", "VES")
    lane.run("sync")
    day = str(payloads(lane)[0]["business_date"])
    with server.store() as ledger:
        tenders = {(t.method, t.currency): t.value for t in ledger.report(day).tenders}
        admin = ledger.admin_token()
    # at the published 414.04 VES a dollar: 1000.00 VES is 241.52… → 2.42 USD
    assert tenders == {("cash", "USD"): 200, ("cash", "VES"): -83, ("card", "VES"): 242,
                       ("pago_movil", "VES"): 242}
    page = web.get(f"{server.url}/day/{day}", timeout=30,
                     headers={"Authorization": f"Bearer {admin}"}).text
    assert 'aria-label="Payments as shares of the day (valued in USD at the day&#39;s ' \
           'rates)"' in page
    assert "Pago móvil VES: 35.4 %" in page and "Debit card VES: 35.4 %" in page
    assert "Cash USD: 29.2 %" in page  # 2.00 of 6.84 (the change given is not a payment)


def test_vouchers_redeemed_per_program_day_week_and_lane(tmp_path: Path,
                                                        ledger: SqlLedger) -> None:
    ledger.add_voucher("snap", "SNAP token")
    ledger.add_voucher("token", "Market token")
    claimed(ledger, "VOUCH1", lane=1)
    claimed(ledger, "VOUCH2", lane=2)
    expected: dict[tuple[str, str], list[int]] = {}
    for device, methods in (("VOUCH1", ["snap", "snap", "token", "cash"]),
                            ("VOUCH2", ["snap", "cash"])):
        lane = open_lane(tmp_path / device, device)
        lane.run("shift", "close", "--count", "USD:20")
        ring_days(lane, days=1, per_day=len(methods), start=date(2026, 11, 20))
        sent = [p for p in payloads(lane) if p["business_date"] == "2026-11-20"]
        for sale, method in zip(sent, methods, strict=True):
            sale["tenders"][0]["method"] = method  # (all paid in USD: the same sale)
            if method != "cash":
                kept = expected.setdefault((method, device), [0, 0])
                kept[0] += 1
                kept[1] += sale["tenders"][0]["amount"]
        assert len(ledger.ingest(device, sent).accepted) == len(sent)
    found = ledger.redemptions(date(2026, 11, 16), date(2026, 11, 22))
    got = {(p["code"], r["device_id"]): [r["count"], r["value"]]
           for p in found["programs"] for r in p["lanes"]}
    assert got == expected
    snap = found["programs"][0]
    assert (snap["code"], snap["name"], snap["count"]) == ("snap", "SNAP token", 3)
    assert snap["weeks"] == [{"monday": "2026-11-16", "count": 3, "value": snap["value"]}]
    assert snap["days"] == [{"day": "2026-11-20", "count": 3, "value": snap["value"]}]
    assert ledger.redemptions(date(2026, 11, 21), date(2026, 11, 22))["programs"] == []


def test_the_vouchers_page_and_its_csv(tmp_path: Path, server: LedgerServer) -> None:
    lane = open_lane(tmp_path / "lane", "VPAGE1")
    connect(lane, server)
    lane.run("sell", "--line", "101=1kg", "--pay", "cash:USD:5")
    sent = payloads(lane)
    sent[0]["tenders"][0]["method"] = "snap"
    with server.store() as ledger:
        ledger.add_voucher("snap", "SNAP token")
        assert ledger.ingest("VPAGE1", sent).accepted == [sent[0]["id"]]
        admin = ledger.admin_token()
    day = sent[0]["business_date"]
    headers = {"Authorization": f"Bearer {admin}"}
    page = web.get(f"{server.url}/vouchers?from={day}&to={day}", headers=headers,
                     timeout=30).text
    value = f'{sent[0]["tenders"][0]["amount"] / 100:,.2f}'
    assert "SNAP token (snap)" in page and f"1 redeemed, {value} USD" in page
    day_page = web.get(f"{server.url}/day/{day}", headers=headers, timeout=30).text
    assert f"/vouchers?from={day}&amp;to={day}" in day_page  # linked from the day
    assert ">SNAP token</td>" in day_page and ">snap</td>" not in day_page  # by its name
    got = web.get(f"{server.url}/vouchers.csv?from={day}&to={day}", headers=headers,
                    timeout=30)
    rows = [r.split(",") for r in got.text.lstrip("\ufeff").splitlines()]
    assert rows == [["Program", "Code", "Date", "Fair", "Lane", "Device", "Redeemed",
                     "Currency", "Value"],
                    ["SNAP token", "snap", day, "Feria Centro", "1", "VPAGE1", "1", "USD",
                     value.replace(",", "")]]


def test_a_ledger_from_before_the_day_sums_gets_them_made_once(
        tmp_path: Path, request: pytest.FixtureRequest) -> None:
    db = ledger_db("sqlite", tmp_path, request)
    lane = open_lane(tmp_path / "lane", "SUMS01")
    lane.run("sell", "--line", "101=1.5kg", "--line", "305=2", "--pay", "cash:USD:20")
    lane.run("sell", "--line", "G=2kg", "--pay", "cash:USD:20")
    store = open_ledger(db)
    claimed(store, "SUMS01")
    store.ingest("SUMS01", payloads(lane))
    day = payloads(lane)[0]["business_date"]
    before = store.report(day)
    glance = store.fair_days()
    store.close()
    conn = sqlite3.connect(db)  # as a ledger was before the steps
    conn.execute("DROP TABLE day_lines")
    conn.execute("DROP TABLE day_sales")
    conn.execute("DELETE FROM schema_version WHERE version IN (7, 8)")
    conn.commit()
    conn.close()
    store = open_ledger(db)  # the step runs: the lines already stored are summed
    try:
        after = store.report(day)
        assert (after.products, after.price_classes) == (before.products,
                                                          before.price_classes)
        assert sorted(p.code for p in after.products) == ["101", "305"]
        assert store.fair_days() == glance
        assert glance[0].sales == 2 and glance[0].totals["USD"] == sum(
            p["total"] for p in payloads(lane))
    finally:
        store.close()


def test_the_home_page_shows_the_newest_days_a_page_at_a_time(tmp_path: Path,
                                                               server: LedgerServer) -> None:
    lane = open_lane(tmp_path / "lane", "MANY01")
    lane.run("sell", "--line", "305", "--pay", "cash:USD:2")
    [sale] = payloads(lane)
    first = date(2026, 1, 5)
    sales = [{**sale, "id": f"MANY01-{n:06d}", "seq": n,
              "business_date": (first + timedelta(days=n)).isoformat()}
             for n in range(1, 62)]  # 61 business days, one sale each
    with server.store() as ledger:
        claimed(ledger, "MANY01")
        assert len(ledger.ingest("MANY01", sales).accepted) == 61
        admin = ledger.admin_token()
    headers = {"Authorization": f"Bearer {admin}"}
    home = web.get(f"{server.url}/", headers=headers, timeout=30).text
    newest, oldest = sales[-1]["business_date"], sales[0]["business_date"]
    assert "1–60 of 61" in home and f">{newest}</a>" in home and f">{oldest}</a>" not in home
    older = web.get(f"{server.url}/?from=60", headers=headers, timeout=30).text
    assert "61–61 of 61" in older and f">{oldest}</a>" in older and f">{newest}</a>" not in older
