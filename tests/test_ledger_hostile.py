"""The ledger against a hostile or broken lane, as a real process: strict entries, bounded work,
slow clients cut off, sessions and tokens, https — and a property-based fuzz of the batch API.
What reaches the store runs on both stores (SQLite and PostgreSQL); what only the HTTP server
sees (slow clients, https) on one.

``FAIRPOS_FUZZ_EXAMPLES`` sets how many bodies the fuzz sends (the suite's default is short).
"""

from __future__ import annotations

import contextlib
import copy
import gzip
import hashlib
import itertools
import json
import os
import re
import socket
import ssl
import subprocess
import sys
import unicodedata
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from fairpos.domain.cart import line_amount
from fairpos.journal import DB_NAME, Journal
from fairpos.ledger.store import open_ledger
from fairpos.ledger.store.quarantine import HEAD_KEPT, LANE_DAY_KEPT, PAGE_BYTES
from fairpos.sync.relay import shift_payloads
from fairpos.sync.sale_entries import BIDI, _plain, check_entry, check_text, read_sale_entry
from fairpos.sync.wire import WireError, canonical, too_deep
from harness import web
from harness.lanes import LaneDir, wait_until
from harness.sync_helpers import LedgerServer, _Opened, connect, payloads, stall
from tests.conftest import STORES, ledger_db

DEVICE = "HOST01"
FUZZ_EXAMPLES = int(os.environ.get("FAIRPOS_FUZZ_EXAMPLES", "80"))


class Lane:
    """A connected stall's token and a template sale; fresh ids from a counter."""

    def __init__(self, server: LedgerServer, lane: LaneDir, token: str) -> None:
        self.server = server
        self.token = token
        self.sales = payloads(lane)
        self.device = self.sales[0]["id"].split("-")[0]
        self.seqs = itertools.count(len(self.sales) + 1)

    def fresh(self, template: int = 0) -> dict[str, Any]:
        sale = copy.deepcopy(self.sales[template])
        seq = next(self.seqs)
        sale["id"], sale["seq"] = f"{self.device}-{seq:06d}", seq
        return sale

    def post(self, body: Any, *, raw: bytes | None = None, gzipped: bool = False,
             content_type: str = "application/json", path: str = "/v1/sales/batch",
             token: str | None = "own") -> httpx.Response:
        data = raw if raw is not None else json.dumps(body).encode()
        headers = {"Content-Type": content_type}
        if gzipped:
            data = gzip.compress(data)
            headers["Content-Encoding"] = "gzip"
        if token is not None:
            headers["Authorization"] = f"Bearer {self.token if token == 'own' else token}"
        return web.post(self.server.url + path, content=data, headers=headers, timeout=30)

    def batch(self, *sales: Any) -> dict[str, Any]:
        reply = self.post({"device_id": self.device, "sales": list(sales)})
        assert reply.status_code == 200, reply.text
        result: dict[str, Any] = reply.json()
        return result


def stored_payloads(db: Path | str) -> list[Any]:
    with _Opened(db) as ledger:
        return [json.loads(row[0]) for row in ledger.all("SELECT payload FROM sales")]


@pytest.fixture(scope="module", params=STORES)
def server(tmp_path_factory: pytest.TempPathFactory,
           request: pytest.FixtureRequest) -> Iterator[LedgerServer]:
    running = LedgerServer(ledger_db(request.param, tmp_path_factory.mktemp("ledger"), request),
                           options=["--request-timeout", "1.5", "--idle-timeout", "1",
                                    "--seq-ahead", "5000",
                                    # (the auth matrix sends wrong tokens on purpose; the
                                    # throttle has a test of its own)
                                    "--sign-in-attempts", "100000"])
    yield running
    running.stop()


@pytest.fixture(scope="module")
def lane(tmp_path_factory: pytest.TempPathFactory, server: LedgerServer) -> Lane:
    stall_dir = stall(tmp_path_factory.mktemp("stall") / "stall", DEVICE, sales=3, seed=5)
    token = connect(stall_dir, server)
    return Lane(server, stall_dir, token)


def rejected_for(reply: dict[str, Any]) -> list[str]:
    assert reply["accepted"] == [], reply
    return [r["reason"] for r in reply["rejected"]]


# -- the findings, one by one ---------------------------------------------------------------


def test_a_huge_sequence_number_is_refused_and_the_pages_stay_small(lane: Lane) -> None:
    lane.batch(*lane.sales)
    huge = lane.fresh()
    huge["id"], huge["seq"] = f"{lane.device}-1000000000000", 10**12
    far = lane.fresh()
    far["id"], far["seq"] = f"{lane.device}-{10**7:06d}", 10**7
    reasons = rejected_for(lane.batch(huge, far))
    assert "out of range" in reasons[0]
    assert "too far past this device's last entry" in reasons[1]
    gap = lane.fresh()  # within the window: stored, the gap listed in bounded form
    gap["id"], gap["seq"] = f"{lane.device}-{4000:06d}", 4000
    assert lane.batch(gap)["accepted"] == [gap["id"]]
    state = web.get(f"{lane.server.url}/v1/devices/{lane.device}/sync-state",
                      headers={"Authorization": f"Bearer {lane.token}"})
    assert state.status_code == 200 and len(state.content) < 100_000
    assert len(state.json()["missing_seqs"]) == 1000
    assert state.json()["missing_count"] == 4000 - len(lane.sales) - 1


def test_amounts_that_would_overflow_a_day_are_refused(lane: Lane, tmp_path: Path) -> None:
    lane.batch(*lane.sales)  # the day has sales (again, if another test sent them: duplicates)
    big = lane.fresh()
    big["total"] = big["lines"][0]["amount"] = 2**62
    reasons = rejected_for(lane.batch(big, copy.deepcopy(big)))
    assert all("out of range" in reason for reason in reasons)
    with lane.server.store() as ledger:
        assert ledger.report(big["business_date"]).totals  # the day still adds up


@pytest.mark.parametrize("server", ["sqlite"], indirect=True)  # (the schema's own, as below)
@pytest.mark.parametrize("value", ["1e15999999", "0", "0.0", "NaN", "Infinity", "-3", ""])
def test_a_rate_that_is_not_a_plain_positive_decimal_is_refused(lane: Lane,
                                                                 value: str) -> None:
    sale = lane.fresh()
    sale["rates"] = [{**sale["rates"][0], "value": value}] if sale["rates"] else [
        {"base": "USD", "quote": "VES", "value": value, "version": 1,
         "effective": "2026-01-01"}]
    [reason] = rejected_for(lane.batch(sale))
    assert "value" in reason or "rate" in reason


def test_rates_and_prices_are_checked_against_what_was_published(lane: Lane) -> None:
    """A rate is never taken on the sale's word: one marked published must be the ledger's;
    one set at the lane must agree with what the lane said before; a catalog marked published
    must have priced each line."""
    def published_rate(sale: dict[str, Any], value: str) -> None:
        sale["rates"][0].pop("reason", None)
        sale["rates"][0].update(published=1, value=value, effective="2026-02-26")

    wrong = mutated(lane, lambda s: published_rate(s, "500"))
    [reason] = rejected_for(lane.batch(wrong))
    assert "is not rates v1's (414.04)" in reason
    never = mutated(lane, lambda s: published_rate(s, "414.04") or s["rates"][0].update(
        published=7))
    held = lane.batch(never)  # rates v7 may yet be published: held back, not refused
    assert held["accepted"] == held["rejected"] == []
    assert "has not published" in held["pending"][0]["reason"]
    first = lane.fresh(1)  # the lane's own rate, as it said it (with its other sales)
    assert lane.batch(first)["accepted"] == [first["id"]]
    other = mutated(lane, lambda s: s["rates"][0].update(value="999"))
    [reason] = rejected_for(lane.batch(other))
    assert "the lane's rate USD→VES v1 is 414.04 in" in reason and "not 999" in reason

    def priced_otherwise(sale: dict[str, Any]) -> None:
        sale["catalog_published"] = True
        line = sale["lines"][0]
        line["unit_price"] += 1
        quantity = line["grams"] if line["grams"] is not None else line["count"]
        line["amount"] = (line_amount(line["unit_price"], grams=quantity)
                          if line["grams"] is not None
                          else line_amount(line["unit_price"], count=quantity))
        sale["total"] = sum(x["amount"] for x in sale["lines"] if not x["voided"])
        sale["tenders"] = [{**sale["tenders"][0], "amount": sale["total"]}]
        sale["change"] = {**sale["change"], "amount": 0}

    cheap = mutated(lane, priced_otherwise)
    [reason] = rejected_for(lane.batch(cheap))
    assert "is not catalog v1's price" in reason
    honest = mutated(lane, lambda s: s.update(catalog_published=True))
    assert lane.batch(honest)["accepted"] == [honest["id"]]


def test_bodies_that_used_to_be_500s(lane: Lane) -> None:
    deep = b'{"device_id":"x","sales":[' + b"[" * 1000 + b"]" * 1000 + b"]}"
    assert lane.post(None, raw=deep).status_code == 400
    digits = b'{"sales":[' + b"9" * 5000 + b"]}"  # (an entry of its own, refused alone)
    reply = lane.post(None, raw=digits)
    assert reply.status_code == 200 and reply.json()["rejected"][0]["id"] == "?"
    nested = lane.post(None, raw=b'{"sales":[{"id":"%s-000099","x":%s%s}]}' % (
        lane.device.encode(), b"[" * 900, b"]" * 900))  # deep, but within what msgspec reads
    assert nested.status_code == 200
    assert nested.json()["rejected"] == [{"id": f"{lane.device}-000099",
                                          "reason": "the entry has unknown fields: 'x'"}]
    nul = lane.post(None, raw=b'{"sales":[{"\\u0000":null}]}')  # (PostgreSQL text has no NUL)
    assert nul.status_code == 200
    assert nul.json()["rejected"][0]["reason"] == "the entry has unknown fields: '?'"
    wide = lane.fresh()
    wide["lines"][0]["count"] = 2**70
    surrogate = lane.fresh()
    raw_surrogate = json.dumps({"device_id": lane.device, "sales": [surrogate]}).replace(
        '"volunteer": "', '"volunteer": "\\ud800', 1).encode()
    assert lane.post(None, raw=raw_surrogate).status_code == 200
    assert lane.batch(wide)["rejected"]
    valid = lane.fresh()
    assert lane.batch(valid)["accepted"] == [valid["id"]]  # the lane is not blocked
    with lane.server.store() as ledger:
        held = ledger.all("SELECT reason FROM quarantine WHERE sale_id = ?", [surrogate["id"]])
    assert held and "control or invalid character (U+D800)" in held[0][0]


def mutated(lane: Lane, change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    """A copy of the first of the lane's sales with both weighed and counted lines, changed."""
    template = next(n for n, s in enumerate(lane.sales)
                    if {x["grams"] is None for x in s["lines"]} == {True, False})
    sale = lane.fresh(template)
    change(sale)
    return sale


def _negative_card(sale: dict[str, Any]) -> None:
    cash = sale["tenders"][0]
    sale["tenders"] = [{**cash, "amount": cash["amount"] + 500},
                       {**cash, "method": "card", "amount": -500, "reference": {"ref": "1"}}]


def _tare_on(kind: str, tare: int) -> Callable[[dict[str, Any]], None]:
    """Put ``tare`` on the first line that is weighed (``grams``) or counted (``count``)."""
    def change(sale: dict[str, Any]) -> None:
        line = next(x for x in sale["lines"] if x[kind] is not None)
        line["tare"] = tare
    return change


SEMANTIC = {
    "a tare on a count": (_tare_on("count", 200), "a tare is only on a weight"),
    "a negative tare on a sale": (_tare_on("grams", -200), "a tare is only on a weight"),
    "a tare of nothing": (_tare_on("grams", 0), "a tare is only on a weight"),
    "a tare past ten tonnes": (_tare_on("grams", 10**7), "more than 10000000 g"),
    "a tare that is not a number": (_tare_on("grams", "0.2"), "whole number"),
    "invented method": (lambda s: s["tenders"][0].update(method="bitcoin"),
                        "unknown payment method"),
    "negative card balanced by cash": (_negative_card, "wrong sign"),
    "no lines": (lambda s: s.update(lines=[]), "lines must have at least 1"),
    "unknown price class": (lambda s: s["lines"][0].update(price_class="ZZ"),
                            "unknown price class"),
    "id with a newline": (lambda s: s.update(id=s["id"] + "\n"), "not an entry id"),
    "Arabic-Indic digits": (lambda s: s.update(id=s["id"][:-1] + "\u0663"), "not an entry id"),
    "another wire version": (lambda s: s.update(v=2), "unknown wire version"),
    "a long volunteer name": (lambda s: s.update(volunteer="A" * 100_000), "longer than 80"),
    "a right-to-left override": (lambda s: s.update(volunteer="Ana\u202e"), "U+202E"),
    "an unknown field": (lambda s: s.update(extra=1), "unknown fields"),
    "true for a number": (lambda s: s.update(shift=True), "whole number"),
}


@pytest.mark.parametrize("server", ["sqlite"], indirect=True)  # (the schema's own)
@pytest.mark.parametrize("case", list(SEMANTIC))
def test_entries_outside_the_schema_are_quarantined_with_the_reason(lane: Lane,
                                                                     case: str) -> None:
    change, said = SEMANTIC[case]
    sale = mutated(lane, change)
    [reason] = rejected_for(lane.batch(sale))
    assert said in reason, reason


def test_a_voucher_is_a_payment_method_once_the_ledger_knows_it(lane: Lane) -> None:
    def in_snap(sale: dict[str, Any]) -> None:
        sale["tenders"][0]["method"] = "snap"

    early = mutated(lane, in_snap)
    assert "unknown payment method 'snap'" in rejected_for(lane.batch(early))[0]
    command = [sys.executable, "-m", "fairpos", "--lang", "en", "ledger", "voucher", "add",
               "snap", "--name", "SNAP token", "--db", str(lane.server.db)]
    added = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert added.returncode == 0 and "snap (SNAP token) is accepted" in added.stdout
    bad = subprocess.run([*command[:8], "Cash", "--name", "x", "--db", str(lane.server.db)],
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode == 1 and "cannot be a voucher code" in bad.stderr
    later = mutated(lane, in_snap)
    assert lane.batch(later)["accepted"] == [later["id"]]


def test_a_body_that_is_not_declared_json_is_refused(lane: Lane) -> None:
    body = {"device_id": lane.device, "sales": [lane.fresh()]}
    assert lane.post(body, content_type="text/plain").status_code == 415
    assert lane.post(body, content_type="application/json; charset=utf-8").status_code == 200


def test_the_pages_survive_hostile_data(lane: Lane) -> None:
    """A flood of quarantined entries is listed by its newest few and a count; long text
    wraps; numbers are written the page's way."""
    flood = []
    for _ in range(30):
        sale = lane.fresh()
        sale["volunteer"] = "Ñ" * 81  # one too many
        flood.append(sale)
    assert len(lane.batch(*flood)["rejected"]) == 30
    big = lane.fresh()
    big["lines"] = [{**big["lines"][0], "kind": "product", "code": "BIG", "name_es": "Lote",
                     "name_en": "Lot", "count": 1000, "grams": None,
                     "unit_price": 123456, "amount": 123456000, "price_class": None,
                     "tags": [], "scale_frame": None}]
    big["total"] = 123456000
    big["tenders"] = [{"method": "cash", "currency": big["currency"], "amount": 123456000,
                       "reference": {}, "verified": False}]
    big["change"] = {"currency": big["currency"], "amount": 0}
    assert lane.batch(big)["accepted"] == [big["id"]]
    with lane.server.store() as ledger:
        admin = ledger.admin_token()
    auth = {"Authorization": f"Bearer {admin}"}
    home = web.get(lane.server.url + "/", headers=auth).text
    assert home.count('<tr><td data-label="Device">HOST01</td>') == 20  # the newest 20 of them
    assert "more are in the CSV" in home
    assert "overflow-wrap:anywhere" in home
    assert '<td class=t data-label="Reason">volunteer is longer' in home
    everything = web.get(lane.server.url + "/quarantine.csv", headers=auth).text
    assert everything.count("volunteer is longer than 80") >= 30  # (the CSV has them all)
    day = big["business_date"]
    spanish = subprocess.run(  # the page in Spanish, from the ledger's own renderer
        [sys.executable, "-c",
         "import sys, json; from fairpos import i18n; from fairpos.ledger.pages import "
         "day_page; from harness.sync_helpers import _Opened\n"
         "i18n.use('es')\n"
         "with _Opened(sys.argv[1]) as l:\n"
         "    print(day_page(l.report(sys.argv[2]), l.devices(), "
         "l.quarantined(newest=20), l.quarantine_count()))",
         str(lane.server.db), day], capture_output=True, text=True, timeout=60, check=True)
    assert "1.234.560,00" in spanish.stdout  # the big sale, the Spanish way
    english = web.get(f"{lane.server.url}/day/{day}", headers=auth).text
    assert "1,234,560.00" in english
    csv = web.get(f"{lane.server.url}/day/{day}/quarantine.csv", headers=auth).text
    assert csv.count("HOST01") >= 30  # the CSV has them all


def quarantine_pages(lane: Lane, admin: str) -> Iterator[str]:
    """The lane's whole quarantine, page by page as its "Older" links lead."""
    href: str | None = f"/quarantine?device={lane.device}&state=all"
    while href is not None:
        page = web.get(lane.server.url + href.replace("&amp;", "&"), timeout=30,
                       headers={"Authorization": f"Bearer {admin}"})
        assert page.status_code == 200, page.text[:200]
        yield page.text
        older = re.search(r'<a href="([^"]*)">Older</a>', page.text)
        href = older.group(1) if older else None


def test_a_huge_refused_entry_keeps_its_head_and_the_quarantine_stays_small(
        server: LedgerServer, tmp_path: Path) -> None:
    """Refused entries of 70 KiB each, past what a lane may leave in quarantine in a day:
    each keeps its reason, size and hash, the head of its body while the lane's day has room,
    nothing of it after; the quarantine's pages stay near a megabyte, and walking them lists
    every entry once. (A lane of its own: the others' day keeps its room.)"""
    stall_dir = stall(tmp_path / "stall", "HUGE01", sales=1, seed=6)
    lane = Lane(server, stall_dir, connect(stall_dir, server, number=2))
    huge = []
    for _ in range(70):
        sale = lane.fresh()
        sale["volunteer"] = "V" * 70_000
        huge.append(sale)
    assert len(lane.batch(*huge)["rejected"]) == 70
    ids = {sale["id"]: sale for sale in huge}
    digests = {hashlib.sha256(canonical(sale)).hexdigest() for sale in huge}
    with lane.server.store() as ledger:
        admin = ledger.admin_token()
        rows = ledger.all("SELECT sale_id, size, kept, payload_hash, payload, "
                          "received_at FROM quarantine WHERE device_id = ? ORDER BY id",
                          [lane.device])
        today = rows[-1][5][:10]
        assert sum(r[2] for r in rows if r[2] is not None and r[5][:10] == today) \
            <= LANE_DAY_KEPT
    ours = [r for r in rows if r[3] in digests]  # (other tests' entries are there too)
    assert len(ours) == 70
    for sale_id, size, kept, digest, body, _at in ours:
        sent = canonical(ids[sale_id])
        assert (size, digest) == (len(sent), hashlib.sha256(sent).hexdigest())
        assert kept == len(body.encode()) <= HEAD_KEPT and sent.startswith(body.encode())
    assert ours[0][2] == HEAD_KEPT and ours[-1][2] == 0  # (a head, then nothing: the day's full)
    listed: list[str] = []
    walked = list(quarantine_pages(lane, admin))
    for page in walked:
        assert len(page.encode()) < 2 * PAGE_BYTES
        listed += re.findall(r'data-label="Sale">([^<]*)</td>', page)
    # each entry once (an id another test had refused before is there twice, as it is kept)
    assert sorted(s for s in listed if s in ids) == sorted(r[0] for r in rows if r[0] in ids)
    assert len(walked) >= LANE_DAY_KEPT // PAGE_BYTES  # (not 50 a page: bodies fill it)
    assert re.search(r"The entry as received \(69\.\d KiB\): not kept, past its "
                     r"lane&#39;s 4 MiB of the day", walked[0])
    assert any(re.search(r"The entry as received: its first 64 KiB of 69\.\d KiB", page)
               for page in walked)


def test_an_entry_kept_whole_before_the_bounds_is_shown_by_its_head(tmp_path: Path) -> None:
    """A quarantine entry stored whole by an earlier version (no size kept): a page shows
    its head and the size it has, and the home page still finds its business date."""
    with _Opened(tmp_path / "old.db") as ledger:
        device = "OLD01"
        ledger.claim(ledger.enrol("Feria Centro", 1)[0], device)
        payload = json.dumps({"business_date": "2026-11-28", "volunteer": "V" * 300_000})
        with ledger.transaction() as conn:
            conn.execute("INSERT INTO quarantine (device_id, sale_id, kind, reason, payload, "
                         "payload_hash, received_at) VALUES (?,?,?,?,?,?,?)",
                         [device, f"{device}-000001", "rejected", "volunteer is too long",
                          payload, "0" * 64, "2026-11-28T10:00:00+00:00"])
            conn.execute("INSERT INTO day_sales (business_date, device_id, currency, training, "
                         "sales, entries, total) VALUES (?,?,?,?,?,?,?)",
                         ["2026-11-28", device, "USD", 0, 1, 1, 500])
        rows, total = ledger.quarantine_page(device=device, state="all")
        assert total == 1 and rows[0].size == len(payload)
        assert len(rows[0].payload or "") == HEAD_KEPT
        glance = {g.business_date: g for g in ledger.fair_days()}
        assert glance["2026-11-28"].quarantined == 1


# -- slow and idle clients ----------------------------------------------------------------


def closed_by_the_ledger(conn: socket.socket) -> bool:
    """Whether the ledger has closed ``conn`` (it reads as the end, or is reset)."""
    conn.settimeout(0.05)
    try:
        while chunk := conn.recv(4096):
            if not chunk:
                break
        return True
    except TimeoutError:
        return False
    except OSError:
        return True


@pytest.mark.parametrize("server", ["sqlite"], indirect=True)  # (the HTTP server's own)
def test_slow_and_idle_connections_are_cut_off_while_others_sync(lane: Lane) -> None:
    host, port = "127.0.0.1", lane.server.port
    silent = [socket.create_connection((host, port)) for _ in range(5)]
    slow_headers = socket.create_connection((host, port))
    slow_headers.sendall(b"POST /v1/sales/batch HTTP/1.1\r\nHost: x\r\n")
    slow_body = socket.create_connection((host, port))
    slow_body.sendall(b"POST /v1/sales/batch HTTP/1.1\r\nHost: x\r\nContent-Type: "
                      b"application/json\r\nContent-Length: 100000\r\n\r\n{")
    idle = socket.create_connection((host, port))
    idle.sendall(b"GET /v1/health HTTP/1.1\r\nHost: x\r\n\r\n")
    idle.recv(4096)  # answered; now it says nothing more
    valid = lane.fresh()
    assert lane.batch(valid)["accepted"] == [valid["id"]]  # others sync meanwhile
    held = [*silent, slow_headers, slow_body, idle]

    def trickle() -> bool:  # a byte now and then does not buy more time
        for conn in (slow_headers, slow_body):
            with contextlib.suppress(OSError):
                conn.sendall(b"x")
        return all(closed_by_the_ledger(conn) for conn in held)

    wait_until(trickle, "slow and idle connections closed")  # (the ledger's limit: 1.5 s)
    for conn in held:
        conn.close()
    again = lane.fresh()
    assert lane.batch(again)["accepted"] == [again["id"]]


@contextlib.contextmanager
def hostile_sockets(port: int, count: int, source: str) -> Iterator[None]:
    """``count`` sockets from ``source`` held against the ledger (harness/hostile_sockets.py),
    each opened again as it is cut, for as long as the block lasts."""
    client = subprocess.Popen([sys.executable, "-m", "harness.hostile_sockets", str(port),
                               str(count), source], cwd=Path(__file__).parent.parent,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        assert client.stdout is not None and client.stdout.readline() == b"ready\n"
        yield
    finally:
        assert client.stdin is not None
        client.stdin.close()
        client.wait(timeout=60)


def from_address(source: str, url: str, **kwargs: Any) -> httpx.Response:
    with httpx.Client(transport=httpx.HTTPTransport(local_address=source)) as client:
        return client.request(url=url, **kwargs)


def test_thousands_of_sockets_from_one_address_leave_the_lanes_room(tmp_path: Path) -> None:
    """2,500 sockets from one address — slow headers, endless bodies, silent ones, each
    opened again as it is cut — hold 64 of the ledger's connections at most: the others are
    answered 503 at once. A lane (another address) syncs a batch within its 5 s; a stranger
    at a third address is answered too."""
    server = LedgerServer(tmp_path / "ledger.db")
    try:
        stall_dir = stall(tmp_path / "stall", "SOCK01", sales=2, seed=3)
        lane = Lane(server, stall_dir, connect(stall_dir, server))
        with hostile_sockets(server.port, 2500, "127.0.0.2"):
            reply = web.post(server.url + "/v1/sales/batch", timeout=5, headers={
                "Authorization": f"Bearer {lane.token}", "Content-Type": "application/json"},
                content=json.dumps({"device_id": lane.device,
                                    "sales": [lane.fresh()]}).encode())
            assert reply.status_code == 200 and len(reply.json()["accepted"]) == 1
            stranger = from_address("127.0.0.3", server.url + "/v1/health", method="GET",
                                    timeout=5)
            assert stranger.status_code == 200
            more = from_address("127.0.0.2", server.url + "/v1/health", method="GET",
                                timeout=5)
            assert more.status_code == 503
            assert more.json() == {"error": "too many connections from this address"}
    finally:
        server.stop()


def test_the_last_connections_are_kept_for_known_addresses(tmp_path: Path) -> None:
    """A ledger of 300 connections, with no count per address: strangers (here, one address
    with 400 sockets) take 200 of them; the last 100 are kept for the addresses that showed
    a token lately — a lane that synced this morning syncs now — and a new stranger waits."""
    server = LedgerServer(tmp_path / "ledger.db", options=[
        "--max-connections", "300", "--per-address", "100000", "--reserve", "100"])
    try:
        stall_dir = stall(tmp_path / "stall", "SOCK02", sales=2, seed=4)
        lane = Lane(server, stall_dir, connect(stall_dir, server))
        assert lane.batch(*lane.sales)["accepted"]  # (the lane is known from now on)
        with hostile_sockets(server.port, 400, "127.0.0.2"):
            stranger = from_address("127.0.0.3", server.url + "/v1/health", method="GET",
                                    timeout=5)
            assert stranger.status_code == 503
            valid = lane.fresh()
            reply = web.post(server.url + "/v1/sales/batch", timeout=5, headers={
                "Authorization": f"Bearer {lane.token}", "Content-Type": "application/json"},
                content=json.dumps({"device_id": lane.device, "sales": [valid]}).encode())
            assert reply.status_code == 200 and reply.json()["accepted"] == [valid["id"]]
    finally:
        server.stop()


def test_a_client_that_goes_away_leaves_no_traceback(tmp_path: Path) -> None:
    log = tmp_path / "ledger.log"
    ledger = LedgerServer(tmp_path / "ledger.db", log=log, options=["--request-timeout", "1"])
    try:
        for _ in range(3):
            conn = socket.create_connection(("127.0.0.1", ledger.port))
            conn.sendall(b"POST /v1/sales/batch HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n"
                         b"\r\n{")
            conn.close()
        slow = socket.create_connection(("127.0.0.1", ledger.port))
        slow.sendall(b"GET /v1/health HTTP/1.1\r\n")
        wait_until(lambda: closed_by_the_ledger(slow), "a slow client cut off")
        slow.close()
        assert web.get(f"{ledger.url}/v1/health").status_code == 200
    finally:
        ledger.stop()
    assert "Traceback" not in log.read_text()


# -- who may do what ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def credentials(server: LedgerServer, lane: Lane,
                tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, str]]:
    """Each kind of caller, as the headers it sends."""
    other_dir = stall(tmp_path_factory.mktemp("other") / "other", "OTHR01", sales=1)
    other = connect(other_dir, server, number=2)
    revoked_dir = stall(tmp_path_factory.mktemp("revoked") / "revoked", "GONE01", sales=1)
    revoked = connect(revoked_dir, server, number=3)
    with server.store() as ledger:
        ledger.revoke("GONE01")
        admin = ledger.admin_token()
        session = ledger.sign_in(admin)
    old = open_ledger(server.db, clock=lambda: "2020-01-01T00:00:00+00:00")
    try:
        expired = old.sign_in(admin)  # signed in long ago: expired now
    finally:
        old.close()
    assert session is not None and expired is not None
    return {
        "none": {},
        "malformed": {"Authorization": "Bearer"},
        "garbage": {"Authorization": "Bearer not-a-token"},
        "revoked": {"Authorization": f"Bearer {revoked}"},
        "other lane": {"Authorization": f"Bearer {other}"},
        "own lane": {"Authorization": f"Bearer {lane.token}"},
        "admin token": {"Authorization": f"Bearer {admin}"},
        "session": {"Cookie": f"fairpos_session={session}"},
        "expired session": {"Cookie": f"fairpos_session={expired}"},
    }


CALLERS = ["none", "malformed", "garbage", "revoked", "other lane", "own lane", "admin token",
           "session", "expired session"]
# endpoint → the callers it lets in (every other caller is refused with 401 or 403)
ALLOWED = {
    ("POST", "/v1/sales/batch"): {"own lane", "other lane"},  # each for its own entries
    ("GET", "/v1/devices/{own}/sync-state"): {"own lane"},
    ("POST", "/v1/devices/{own}/day-close"): {"own lane"},
    ("GET", "/v1/catalog"): {"own lane", "other lane"},
    ("GET", "/v1/rates"): {"own lane", "other lane"},
    ("GET", "/"): {"admin token", "session"},
    ("GET", "/day/{day}"): {"admin token", "session"},
    ("GET", "/day/{day}/tenders.csv"): {"admin token", "session"},
}


def test_the_auth_matrix(lane: Lane, credentials: dict[str, dict[str, str]]) -> None:
    day = lane.sales[0]["business_date"]
    seen = {}
    for (method, template), allowed in ALLOWED.items():
        path = template.format(own=lane.device, day=day)
        for caller in CALLERS:
            headers = {**credentials[caller], "Content-Type": "application/json"}
            body = None
            if path == "/v1/sales/batch":  # the own lane's entries, whoever sends them
                body = json.dumps({"device_id": lane.device, "sales": [lane.fresh()]})
            elif path.endswith("day-close"):
                body = json.dumps({"business_date": day, "max_seq": 1})
            status = web.request(method, lane.server.url + path, headers=headers,
                                   content=body, timeout=30).status_code
            seen[(method, template, caller)] = status
            if caller in allowed and not (caller == "other lane" and body is not None):
                assert status in (200, 304), (method, path, caller, status)
            else:
                assert status in (401, 403), (method, path, caller, status)


def form_token(html: str) -> str:
    found = re.search(r'name="csrf" value="([0-9a-f]+)"', html)
    assert found is not None, html[:300]
    return found.group(1)


def test_a_form_from_elsewhere_changes_nothing(lane: Lane) -> None:
    """A signed-in treasurer opens a page served from another port of the same host (same
    site: SameSite=Strict does not stop it) that posts the quarantine's review form: refused,
    by its Origin and by the session's form token it cannot know."""
    entry = mutated(lane, lambda s: s.update(extra=1))  # something in quarantine to review
    assert rejected_for(lane.batch(entry))
    with lane.server.store() as ledger:
        admin = ledger.admin_token()
        [(qid,)] = ledger.all("SELECT id FROM quarantine WHERE sale_id = ?", [entry["id"]])
    with httpx.Client(base_url=lane.server.url) as browser:
        browser.post("/login", data={"token": admin})
        page = browser.get(f"/quarantine?device={lane.device}")
        token = form_token(page.text)
        review = f"/quarantine/{qid}/review"
        elsewhere = {"Origin": "http://127.0.0.1:1"}
        assert browser.post(review, data={"note": "from elsewhere", "csrf": token},
                            headers=elsewhere).status_code == 403
        assert browser.post(review, data={"note": "no token"}).status_code == 403
        assert browser.post(review, data={"note": "forged", "csrf": "0" * 32}).status_code \
            == 403
        assert browser.post(review, data={"note": "checked with the Z", "csrf": token},
                            headers={"Origin": lane.server.url}).status_code == 303
        assert browser.post("/logout", data={"csrf": token}, headers=elsewhere
                            ).status_code == 403  # (a forged sign-out too)
    with lane.server.store() as ledger:
        notes = [r[0] for r in ledger.all(
            "SELECT note FROM quarantine_reviews WHERE quarantine_id = ?", [qid])]
    assert notes == ["checked with the Z"]


def test_sign_in_sign_out_and_revoking_an_admin_token(lane: Lane) -> None:
    with lane.server.store() as ledger:
        admin = ledger.admin_token()
    with httpx.Client(base_url=lane.server.url) as browser:
        form = browser.get("/login")
        assert form.status_code == 200 and 'name="token"' in form.text
        assert browser.post("/login", data={"token": "wrong"}).status_code == 401
        signed_in = browser.post("/login", data={"token": admin})
        cookie = signed_in.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")
        assert "Secure" not in cookie  # (plain http here: see the https test)
        home = browser.get("/")
        assert home.status_code == 200
        assert browser.post("/logout").status_code == 403  # (no form token: not from here)
        assert browser.get("/").status_code == 200
        assert browser.post("/logout", data={"csrf": form_token(home.text)}).status_code == 303
        assert browser.get("/").status_code == 401  # the session is over
        browser.post("/login", data={"token": admin})
        assert browser.get("/").status_code == 200
        revoked = subprocess.run(
            [sys.executable, "-m", "fairpos", "--lang", "en",
             "ledger", "admin-token", "--revoke", admin, "--db", str(lane.server.db)],
            capture_output=True, text=True, timeout=60)
        assert revoked.returncode == 0 and "revoked" in revoked.stdout
        assert browser.get("/").status_code == 401  # every session of it ended


def test_the_ledger_over_https(tmp_path: Path) -> None:
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True, timeout=120)
    ledger = LedgerServer(tmp_path / "ledger.db", scheme="https",
                          options=["--ssl-certfile", str(cert), "--ssl-keyfile", str(key)])
    try:
        with ledger.store() as store:
            admin = store.admin_token()
        trusted = ssl.create_default_context(cafile=str(cert))
        with httpx.Client(base_url=ledger.url, verify=trusted) as browser:
            signed_in = browser.post("/login", data={"token": admin})
            assert signed_in.status_code == 303 and "Secure" in signed_in.headers["set-cookie"]
            assert browser.get("/").status_code == 200
    finally:
        ledger.stop()


def test_a_stall_keeps_its_token_readable_by_its_user_alone(tmp_path: Path,
                                                           server: LedgerServer) -> None:
    stall_dir = stall(tmp_path / "stall", "MODE01")
    settings = stall_dir.path / "fairpos.toml"
    connect(stall_dir, server, number=9)
    assert settings.stat().st_mode & 0o777 == 0o600
    assert "token" in settings.read_text()
    settings.chmod(0o644)  # copied in by hand, say: the next command tightens it
    stall_dir.run("sync-status")
    assert settings.stat().st_mode & 0o777 == 0o600


# -- the fuzz ----------------------------------------------------------------------------------

ANY_TEXT = st.text(st.characters(exclude_categories=()), max_size=12)  # (lone surrogates too)
# a code point that is not a character: a lone surrogate, a noncharacter
UNPAIRED = st.sampled_from(["\ud800", "\udfff", "\udc00", "\ufffe", "\uffff", "\U0001fffe",
                            "\U0010ffff", "\ufdd0"])
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | ANY_TEXT,
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(st.characters(exclude_categories=()), max_size=10), children,
                      max_size=4),
    max_leaves=12)


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    if isinstance(value, dict):
        for key, child in value.items():
            yield from paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from paths(child, (*prefix, index))


def mutate(sale: dict[str, Any], data: st.DataObject) -> Any:
    """One to three changes anywhere in the sale: a value replaced, a key dropped or added,
    or an unpaired code point put into a text or a key."""
    for _ in range(data.draw(st.integers(1, 3))):
        where = data.draw(st.sampled_from(list(paths(sale))[1:]))
        parent: Any = sale
        for step in where[:-1]:
            parent = parent[step]
        how = data.draw(st.sampled_from(["replace", "drop", "add", "unpaired", "key"]))
        if how == "replace":
            parent[where[-1]] = data.draw(JSON)
        elif how == "unpaired":  # within the text there, or in place of what is there
            was = parent[where[-1]]
            cut = data.draw(st.integers(0, len(was))) if isinstance(was, str) else 0
            text = was if isinstance(was, str) else ""
            parent[where[-1]] = text[:cut] + data.draw(UNPAIRED) + text[cut:]
        elif how == "key" and isinstance(parent, dict):  # the same value under a bad key
            parent[str(where[-1]) + data.draw(UNPAIRED)] = parent.pop(where[-1])
        elif how == "drop" and isinstance(parent, dict):
            del parent[where[-1]]
        elif isinstance(parent, dict):
            parent[data.draw(st.text(st.characters(exclude_categories=()), max_size=10))] = \
                data.draw(JSON)
    return sale


def depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max((depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((depth(v) for v in value), default=0)
    return 0


NESTED = st.recursive(
    st.none() | st.integers() | st.text(st.sampled_from('ab"\\[]{}ñ\u00e9\n'), max_size=6),
    lambda children: st.lists(children, max_size=3)
    | st.dictionaries(st.text(st.sampled_from('"\\[]{}x'), max_size=4), children, max_size=3),
    max_leaves=40)


@settings(max_examples=400, deadline=None, database=None)
@given(NESTED, st.booleans())
def test_the_depth_is_found_before_parsing(value: Any, ascii_only: bool) -> None:
    """Brackets, quotes and backslashes inside strings, escaped or not, never fool it."""
    body = json.dumps(value, ensure_ascii=ascii_only).encode()
    assert too_deep(body, 4) == (depth(value) > 4)


TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=12)  # (any valid Unicode)


@settings(max_examples=300, deadline=None, database=None)
@given(TEXT, TEXT, TEXT, st.dictionaries(TEXT, TEXT, max_size=3))
def test_an_entry_is_stored_in_the_bytes_the_lane_hashed(name: str, volunteer: str, tag: str,
                                                         extra: dict[str, str]) -> None:
    """The ledger writes an entry's canonical form with msgspec; the lane hashes it with
    ``json.dumps``: whatever text it holds, the bytes are the same — or a sale sent again
    would be a conflict instead of a duplicate."""
    sale = {"v": 1, "id": "K7Q2XM-000001", "seq": 1, "kind": "sale", "ref_id": None,
            "reason": None, "shift": 1, "business_date": "2026-03-01",
            "confirmed_at": "2026-03-01T08:00:00-04:00", "volunteer": volunteer,
            "training": False, "currency": "USD", "total": 125,
            "lines": [{"kind": "product", "code": "101", "name_es": name, "name_en": name,
                       "price_class": None, "grams": None, "count": 1, "unit_price": 125,
                       "amount": 125, "voided": False, "tags": [tag], "scale_frame": None}],
            "tenders": [{"method": "cash", "currency": "USD", "amount": 125,
                         "reference": extra, "verified": True}],
            "change": {"currency": "USD", "amount": 0}, "catalog_version": None, "rates": []}
    raw = json.dumps(sale).encode()  # (as any client may send it: spaces, keys unsorted)
    entry = read_sale_entry(raw)
    assert entry.payload == canonical(sale)
    # (ref_id given as null, catalog_published left out: both written back as they came)
    assert entry.wire is not None and entry.named == sale["id"]
    plain = all(c.isprintable() and not 0xD800 <= ord(c) < 0xE000
                for c in name + volunteer + tag + "".join(extra.values())) and \
        all(re.fullmatch("[a-z][a-z0-9_]{0,15}", key) for key in extra) and tag.strip() and \
        all(unicodedata.is_normalized("NFC", t) for t in (name, volunteer, tag, *extra.values()))
    if plain and not any(c in BIDI for c in name + volunteer + tag + "".join(extra.values())):
        assert entry.sale is not None, entry.reason  # (and the checks let it through)


def taken_by_check_text(text: str) -> bool:
    try:
        check_text(text, "a text", len(text))
    except WireError:
        return False
    return True


@settings(max_examples=300, deadline=None, database=None)
@given(st.lists(TEXT, min_size=1, max_size=4))
@example(["Ñame", "Plátano"]).via("names as the lanes write them")
@example(["e\u0301"]).via("not in NFC")
@example(["\u202eabc"]).via("a bidirectional override")
@example(["\x85"]).via("a C1 control character")
@example(["\uf8ff"]).via("a private-use character")
def test_an_entry_s_texts_checked_all_at_once_are_those_checked_one_by_one(
        texts: list[str]) -> None:
    """The ledger looks at an entry's canonical JSON once instead of at each of its texts:
    it lets texts through unchecked exactly when each of them would pass the check (and none
    is written escaped, which sends them to be checked one by one)."""
    payload = canonical({"texts": texts})
    escaped = b"\\" in payload or b"\x7f" in payload
    assert _plain(payload) == (not escaped and all(map(taken_by_check_text, texts)))


def shift_templates(lane: LaneDir) -> list[dict[str, Any]]:
    """The lane's shift entries (its opening, and a close made here), as the wire has them."""
    lane.run("shift", "close", "--count", "USD:20", "--reason", "sin conteo")
    journal = Journal.open(lane.path / DB_NAME)
    try:
        return shift_payloads(journal, 10)
    finally:
        journal.close()


def walk_every_page(ledger: LedgerServer) -> None:
    """Every page and CSV of the ledger, as its admin opens them — home, each day and its
    CSVs, each week and its CSV, each lane, the whole quarantine page by page, pago móvil
    and vouchers with their CSVs: each answers 200."""
    with ledger.store() as store:
        admin = store.admin_token()
        days = sorted({g.business_date for g in store.fair_days()})
        devices = [d.device_id for d in store.devices() if d.device_id]
    auth = {"Authorization": f"Bearer {admin}"}
    walked: list[str] = []

    def opened(path: str) -> str:
        reply = web.get(ledger.url + path, headers=auth, timeout=30)
        assert reply.status_code == 200, (path, reply.status_code, reply.text[:200])
        walked.append(path)
        return reply.text

    home = opened("/")
    for day in days:
        for table in re.findall(rf'href="/day/{day}/([a-z-]+)\.csv', opened(f"/day/{day}")):
            opened(f"/day/{day}/{table}.csv")
        for table in re.findall(r'href="/week/[0-9-]+/([a-z-]+)\.csv',
                                opened(f"/week/{day}")):
            opened(f"/week/{day}/{table}.csv")
    for device in devices:
        opened(f"/lane/{quote(device)}")
    href: str | None = "/quarantine?state=all"
    while href is not None:
        older = re.search(r'<a href="([^"]*)">Older</a>', opened(href.replace("&amp;", "&")))
        href = older.group(1) if older else None
    opened("/quarantine.csv")
    span = f"from={days[0]}&to={days[-1]}" if days else ""
    opened(f"/pago-movil?{span}")
    for name in ("matched", "possible", "tenders", "lines"):
        opened(f"/pago-movil/{name}.csv?{span}")
    opened(f"/vouchers?{span}")
    opened(f"/vouchers.csv?{span}")
    assert "Ledger" in home
    assert not days or any(path.endswith(".csv") and path.startswith(("/day/", "/week/"))
                           for path in walked)  # (the walk found the tables' CSVs)


@pytest.mark.slow
@pytest.mark.parametrize("store", STORES)
def test_fuzz_the_batch_api(tmp_path: Path, store: str, request: pytest.FixtureRequest) -> None:
    ledger = LedgerServer(ledger_db(store, tmp_path, request))
    try:
        stall_dir = stall(tmp_path / "stall", "FUZZ01", sales=3, seed=9)
        fuzzed = Lane(ledger, stall_dir, connect(stall_dir, ledger))
        assert fuzzed.batch(*fuzzed.sales)["accepted"]
        statuses: dict[int, int] = {}

        with ledger.store() as store:
            hub_token = store.enrol_hub("Feria Centro")[1]
        shifts = shift_templates(stall_dir)

        @settings(max_examples=FUZZ_EXAMPLES, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(st.data())
        def send(data: st.DataObject) -> None:
            kind = data.draw(st.sampled_from(["mutated", "random sale", "random body",
                                              "shifts", "claim"]))
            path, token = "/v1/sales/batch", "own"
            if kind == "random body":
                body: Any = data.draw(JSON)
            elif kind == "claim":  # a hub's claim of a device for an enrolment
                path, token = "/v1/devices/claim", hub_token
                body = {"device_id": data.draw(ANY_TEXT | UNPAIRED | st.just("FUZZ02")),
                        "enrolment": data.draw(JSON | UNPAIRED)}
            elif kind == "shifts":
                path = "/v1/shifts/batch"
                body = {"device_id": fuzzed.device, "shifts": [
                    mutate(copy.deepcopy(data.draw(st.sampled_from(shifts))), data)
                    for _ in range(data.draw(st.integers(1, 3)))]}
            else:
                sales = [mutate(fuzzed.fresh(data.draw(st.integers(0, 2))), data)
                         if kind == "mutated" else data.draw(JSON)
                         for _ in range(data.draw(st.integers(1, 3)))]
                body = {"device_id": fuzzed.device, "sales": sales}
            raw = json.dumps(body, ensure_ascii=data.draw(st.booleans())).encode(
                "utf-8", "surrogatepass")
            reply = fuzzed.post(None, raw=raw, gzipped=data.draw(st.booleans()), path=path,
                                token=token)
            statuses[reply.status_code] = statuses.get(reply.status_code, 0) + 1
            assert reply.status_code < 500, (reply.status_code, reply.text[:300])

        send()
        walk_every_page(ledger)
        assert ledger.process is not None and ledger.process.poll() is None  # alive
        with ledger.store() as store:
            known = store.known()
        for payload in stored_payloads(ledger.db):  # nothing stored outside the schema
            check_entry(payload, known)
        after = fuzzed.fresh()
        assert fuzzed.batch(after)["accepted"] == [after["id"]]
        print(f"fuzz: {FUZZ_EXAMPLES} examples, replies {dict(sorted(statuses.items()))}")
    finally:
        ledger.stop()


def test_a_lone_surrogate_is_refused_and_every_page_still_answers(lane: Lane) -> None:
    """A lone UTF-16 surrogate (JSON's "\\ud800") in an entry's text, a shift entry, a batch's
    device id or a hub's claim: each is refused in one line, and the quarantine — where the
    refused entry is kept — still answers, showing the character as its escape."""
    sale_id = f"{lane.device}-000777"
    lone = "\\ud800"  # (as JSON writes it: a backslash, then u and the code point)
    raw = json.dumps({"device_id": lane.device, "sales": [
        {"id": sale_id, "volunteer": "LONE"}]}).replace("LONE", lone).encode()
    reply = lane.post(None, raw=raw)
    assert reply.status_code == 200 and reply.json()["rejected"][0]["id"] == sale_id
    shift = json.dumps({"device_id": lane.device, "shifts": [
        {"id": f"{lane.device}-S000777-open", "volunteer": "LONE"}]}).replace(
        "LONE", lone).encode()
    assert lane.post(None, raw=shift, path="/v1/shifts/batch").status_code == 200
    for body in (b'{"device_id": "\\ud800", "sales": []}',
                 b'{"device_id": "\\ud800", "shifts": []}'):
        path = "/v1/shifts/batch" if b"shifts" in body else "/v1/sales/batch"
        refused = lane.post(None, raw=body, path=path)
        assert refused.status_code == 400 and "not a device id" in refused.json()["error"]
    with lane.server.store() as ledger:
        admin = ledger.admin_token()
        hub_token = ledger.enrol_hub("Feria Centro")[1]
    for enrolment in (b'"\\ud800"', b"true", b"1.0"):  # (true was taken as enrolment 1)
        claim = web.post(lane.server.url + "/v1/devices/claim", timeout=30,
                         content=b'{"device_id": "ZZ9", "enrolment": ' + enrolment + b"}",
                         headers={"Authorization": f"Bearer {hub_token}",
                                  "Content-Type": "application/json"})
        assert claim.status_code == 403, claim.text
    for path in ("/quarantine", f"/quarantine?device={lane.device}&state=all",
                 "/quarantine.csv", "/"):
        page = web.get(lane.server.url + path, timeout=30,
                       headers={"Authorization": f"Bearer {admin}"})
        assert page.status_code == 200, (path, page.text[:200])
    assert any("\\ud800" in page for page in quarantine_pages(lane, admin))


ROUTES = ["/", "/day/{x}", "/day/{x}/sales.csv", "/lane/{x}", "/week/{x}",
          "/week/{x}/lanes.csv", "/quarantine", "/quarantine.csv", "/pago-movil",
          "/pago-movil/unmatched.csv", "/vouchers", "/vouchers.csv"]
PARAMS = ["from", "to", "fair", "device", "state"]
ODD = st.one_of(
    st.sampled_from(["0001-01-01", "0001-01-03", "9999-12-31", "9999-12-30", "1" + "0" * 30,
                     "9" * 4400, "-1", "\x00", "%00", "2026-02-30", "2026-W99", "", " ",
                     "\ud7ff", "١٢٣", "NaN", "1e308"]),
    st.dates().map(str),
    st.integers(min_value=-(10**40), max_value=10**40).map(str),
    st.text(max_size=12))
ANSWERS = {200, 303, 400, 401, 403, 404}


@settings(max_examples=int(os.environ.get("FAIRPOS_FUZZ_EXAMPLES", "60")), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(route=st.sampled_from(ROUTES), value=ODD,
       query=st.dictionaries(st.sampled_from(PARAMS), ODD, max_size=3))
@example(route="/quarantine", value="x", query={"from": "1" + "0" * 30})  # (500s before)
@example(route="/lane/{x}", value="TEST01", query={"from": "9" * 4400})
@example(route="/pago-movil", value="x", query={"from": "0001-01-01", "to": "0001-01-03"})
@example(route="/week/{x}", value="9999-12-31", query={})
@example(route="/week/{x}", value="0001-01-03", query={})
@example(route="/day/{x}", value="\x00", query={"fair": "\x00"})
def test_no_page_parameter_makes_a_page_fail(lane: Lane, route: str, value: str,
                                             query: dict[str, str]) -> None:
    """Every route's path and query parameters, with NUL bytes, huge numbers and the
    calendar's ends: a page answers, or refuses with a 4xx — never a 5xx."""
    with lane.server.store() as ledger:
        admin = ledger.admin_token()
    path = route.replace("{x}", quote(value, safe="") or "x")
    reply = web.get(lane.server.url + path, params=query, timeout=60,
                    headers={"Authorization": f"Bearer {admin}"})
    assert reply.status_code in ANSWERS, (path, query, reply.status_code, reply.text[:200])


def test_the_sign_in_throttle_waits_longer_each_time() -> None:
    from fairpos.ledger.throttle import BASE_SECONDS, MOST_SECONDS, SignInThrottle

    now = [1000.0]
    throttle = SignInThrottle(clock=lambda: now[0], free=3)
    for _ in range(3):
        assert throttle.wait("10.0.0.9") == 0
        throttle.failed("10.0.0.9")
    assert throttle.wait("10.0.0.9") == BASE_SECONDS  # the 4th attempt waits
    assert throttle.wait("10.0.0.8") == 0  # another address does not
    now[0] += BASE_SECONDS
    assert throttle.wait("10.0.0.9") == 0
    throttle.failed("10.0.0.9")
    assert throttle.wait("10.0.0.9") == 2 * BASE_SECONDS  # doubled
    for _ in range(30):
        throttle.failed("10.0.0.9")
    assert throttle.wait("10.0.0.9") == MOST_SECONDS  # never more than that
    throttle.succeeded("10.0.0.9")
    assert throttle.wait("10.0.0.9") == 0


def test_wrong_admin_tokens_are_held_back(tmp_path: Path) -> None:
    """300 wrong tokens in a second used to be tried: after five, every attempt from the
    address waits — a right token too, so a guess cannot be told right while it waits —
    whether by the sign-in form or as a bearer."""
    server = LedgerServer(tmp_path / "ledger.db", publish=False)
    try:
        with server.store() as ledger:
            admin = ledger.admin_token()
        form = {"Content-Type": "application/x-www-form-urlencoded"}
        for n in range(5):
            wrong = web.post(server.url + "/login", content=f"token=guess{n}".encode(),
                             headers=form, timeout=30)
            assert wrong.status_code == 401
        held = web.post(server.url + "/login", content=f"token={admin}".encode(),
                        headers=form, timeout=30)
        assert held.status_code == 429 and int(held.headers["Retry-After"]) >= 1
        assert "Too many wrong sign-ins" in held.text
        page = web.get(server.url + "/", timeout=30,
                       headers={"Authorization": f"Bearer {admin}"})
        assert page.status_code == 429
    finally:
        server.stop()
