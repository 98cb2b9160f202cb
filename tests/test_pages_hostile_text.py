"""Hostile text through every way into the ledger, and out through every page, in Chromium.

A lane's volunteer, product names, a void's and a shift's reasons, a tender's reference; a
sale refused for a right-to-left override; an admin's fair and voucher program and review
note: each carries a ``<script>``, an attribute breaking out of its quotes, a ``javascript:``
URL and markup that runs on error. Every page is then opened in headless Chromium, which must
show each of them as text: no dialog, no script or handler the ledger did not write, no
``javascript:`` link, no override acting on the text around it — on SQLite and PostgreSQL.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from fairpos.journal import DB_NAME, Journal
from fairpos.ledger.store import LedgerError
from harness.lanes import LaneDir, make_lane
from harness.sync_helpers import LedgerServer, connect, payloads
from tests.conftest import STORES, ledger_db

SCRIPT = "<script>window.__hostile=1;alert(1)</script>"
QUOTES = '" onmouseover="window.__hostile=2" data-x="'
LINK = "javascript:window.__hostile=3"
ERROR = "<img src=x onerror=window.__hostile=4>"
RLO = "Ana\u202eevil"
FAIR = f"Feria {SCRIPT}"
DEVICE = "HOST77"



def hostile_lane(path: Path) -> LaneDir:
    """A lane whose volunteer, void reason and close reason are hostile text."""
    lane = make_lane(path, device_id=DEVICE)
    lane.run("rate", "set", "VES", "414.04", "--effective", "2026-01-01")
    lane.run("shift", "open", "--volunteer", ERROR[:80], "--float", "USD:20")
    first = lane.sell("--line", "305", "--pay", "cash:USD:5")
    lane.sell("--line", "G=5kg", "--pay", "pago_movil:VES:1000,ref=0451,bank=0134,"
              "phone=04141234567", "--pay", "cash:USD:4")
    lane.run("void", first["id"], "--reason", QUOTES)
    lane.run("shift", "close", "--count", "USD:20", "--reason", LINK)
    return lane


def sale_after(last: dict[str, Any], seq: int, **changes: Any) -> dict[str, Any]:
    """A copy of ``last`` as the lane's sale number ``seq``, changed."""
    sale = copy.deepcopy(last)
    sale["id"], sale["seq"] = f"{DEVICE}-{seq:06d}", seq
    sale.update(changes)
    return sale


HOSTILE_JS = """() => {
    return {
        ran: window.__hostile === undefined ? null : window.__hostile,
        scripts: document.querySelectorAll('script').length,
        handlers: [...document.querySelectorAll('*')].filter(e => [...e.attributes].some(
            a => a.name.startsWith('on'))).map(e => e.outerHTML.slice(0, 80)),
        js_links: [...document.querySelectorAll('[href], [src], [action]')].filter(e =>
            /^\\s*javascript:/i.test(e.getAttribute('href') || e.getAttribute('src')
                                    || e.getAttribute('action') || '')).length,
        images: document.querySelectorAll('img').length,
        text: document.body.innerText,
    };
}"""


@pytest.mark.slow
@pytest.mark.parametrize("store", STORES)
def test_hostile_text_is_only_ever_text_on_every_page(
        tmp_path: Path, request: pytest.FixtureRequest, store: str, browser: Any) -> None:
    server = LedgerServer(ledger_db(store, tmp_path, request))
    try:
        lane = hostile_lane(tmp_path / "lane")
        connect(lane, server, fair=FAIR)
        lane.run("sync")
        sent = payloads(lane)
        last = sent[-1]
        seq = int(last["seq"])
        named = sale_after(sent[1], seq + 1)  # (a copy of the pago móvil sale)
        for line in named["lines"]:
            line["name_es"] = line["name_en"] = SCRIPT
        named["volunteer"] = ERROR[:80]
        for tender in named["tenders"]:
            if tender["method"] == "pago_movil":
                tender["reference"]["ref"] = QUOTES[:30]
            else:  # (paid with the voucher program of the hostile name)
                tender["method"] = "hostil"
        refused = sale_after(sent[1], seq + 2, volunteer=RLO)
        with server.store() as ledger:
            ledger.add_voucher("hostil", f"Bono {SCRIPT}")
            result = ledger.ingest(DEVICE, [named, refused])
            assert result.accepted == [named["id"]], result
            assert [r["id"] for r in result.rejected] == [refused["id"]]
            with pytest.raises(LedgerError, match="control or invalid character"):
                ledger.enrol(f"Feria {RLO}", 2)  # (refused: it would act on every page)
            [held] = ledger.quarantine_page(device=DEVICE)[0]
            ledger.review_quarantined(held.id, f"{SCRIPT} {QUOTES} {LINK}")
            admin = ledger.admin_token()
        day = str(last["business_date"])
        pages = ["/", f"/day/{day}", f"/day/{day}?fair={FAIR}", f"/week/{day}",
                 f"/week/{day}?fair={FAIR}", f"/lane/{DEVICE}", "/quarantine",
                 "/quarantine?state=all", f"/quarantine?state=all&device={DEVICE}",
                 f"/pago-movil?from={day}&to={day}", f"/vouchers?from={day}&to={day}",
                 "/login"]
        context = browser.new_context()
        page = context.new_page()
        dialogs: list[str] = []
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        page.goto(f"{server.url}/login")
        page.fill("#token", admin)
        page.click("button[type=submit]")
        page.wait_for_url(f"{server.url}/")
        seen = ""
        for path in pages:
            answer = page.goto(server.url + path)
            assert answer is not None and answer.status == 200, path
            for summary in page.locator("summary").all():  # (bodies opened, as a person does)
                summary.click()
            page.mouse.move(1, 1)  # (a pointer moved over the page: a stray handler would run)
            for cell in page.locator("td", has_text="onmouseover").all()[:20]:
                cell.hover()
            found = page.evaluate(HOSTILE_JS)
            assert found["ran"] is None and dialogs == [], (path, found["ran"], dialogs)
            assert found["scripts"] == 0 and found["handlers"] == [], (path, found)
            assert found["js_links"] == 0 and found["images"] == 0, (path, found)
            assert "\u202e" not in found["text"], path  # (an override never acts)
            seen += found["text"]
        context.close()
        # and each was there, as text
        for text in (SCRIPT, QUOTES.strip(), LINK, ERROR[:80], f"Bono {SCRIPT}", FAIR,
                     "Ana\\u202eevil"):
            assert text in seen, text
    finally:
        server.stop()


def test_the_lane_sends_hostile_text_as_it_was_typed(tmp_path: Path) -> None:
    """(The lane's side of it) what the lane sends carries the hostile text as it was typed:
    the ledger is what must keep it text."""
    lane = hostile_lane(tmp_path / "lane")
    journal = Journal.open(lane.path / DB_NAME)
    try:
        volunteers = {row[0] for row in journal.db.execute("SELECT volunteer FROM shifts")}
    finally:
        journal.close()
    assert ERROR[:80] in volunteers
    assert json.dumps(QUOTES)[1:-1] in json.dumps([s.get("reason") for s in payloads(lane)])
