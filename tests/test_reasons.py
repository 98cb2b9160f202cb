"""Why an entry was refused, in the page's language: every reason the schema gives — made here
by the real checks from a lane's real entries, spoilt one way each — reads as one of the
sentences the pages translate, and the quarantine page shows it in Spanish."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from fairpos import i18n
from fairpos.domain.tenders import BUILTIN_METHODS
from fairpos.ledger.reasons import said
from fairpos.sync.sale_entries import Known, read_sale_entry
from fairpos.sync.shift_entries import read_shift_entry
from fairpos.sync.wire import canonical
from harness import web
from harness.sync_helpers import LedgerServer, connect, payloads, stall
from tests.test_shift_entries import GOOD

KNOWN = Known(methods=frozenset(BUILTIN_METHODS), currencies=frozenset({"USD", "VES"}),
              price_classes=frozenset({"G", "M"}), catalog_versions=frozenset({1}))

Change = Callable[[dict[str, Any]], object]
SPOILT: dict[str, Change] = {
    "an unknown field": lambda s: s.update(extra=1),
    "a field missing": lambda s: s.pop("volunteer"),
    "text for a number": lambda s: s.update(total="12"),
    "a number for text": lambda s: s.update(volunteer=12),
    "a name too long": lambda s: s.update(volunteer="Ñ" * 81),
    "no lines": lambda s: s.update(lines=[]),
    "an out-of-range amount": lambda s: s.update(total=10**12),
    "a bool as a number": lambda s: s["lines"][0].update(voided=0),
    "a list for an object": lambda s: s.update(change=[]),
    "an object for a list": lambda s: s.update(tenders={}),
    "a bad id": lambda s: s.update(id="nope"),
    "a seq that is not the id's": lambda s: s.update(seq=s["seq"] + 1),
    "an unknown kind": lambda s: s.update(kind="gift"),
    "a sale with a reference": lambda s: s.update(ref_id=s["id"]),
    "an unknown currency": lambda s: s.update(currency="EUR"),
    "an unknown method": lambda s: s["tenders"][0].update(method="bitcoin"),
    "an unknown price class": lambda s: s["lines"][0].update(price_class="X"),
    "an unknown catalog": lambda s: s.update(catalog_version=99),
    "an empty code": lambda s: s["lines"][0].update(code=" "),
    "a control character": lambda s: s.update(volunteer="A\u0007na"),
    "not NFC": lambda s: s.update(volunteer="Ana\u0301"),
    "a bad date": lambda s: s.update(business_date="2026-02-30"),
    "a bad moment": lambda s: s.update(confirmed_at="ayer"),
    "lines that do not add up": lambda s: s.update(total=s["total"] + 1),
    "tenders that do not pay": lambda s: s["tenders"][0].update(
        amount=s["tenders"][0]["amount"] - 1),
    "a negative tender": lambda s: s["tenders"][0].update(amount=-1),
    "a wrong version": lambda s: s.update(v=9),
    "a rate of zero": lambda s: s["rates"][0].update(value="0"),
    "a bad rate": lambda s: s["rates"][0].update(value="1e5"),
    "a tag given twice": lambda s: s["lines"][0].update(tags=["a", "a"]),
}


@pytest.fixture(scope="module")
def sale(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    lane = stall(tmp_path_factory.mktemp("reasons") / "lane", "WHY001", sales=1, seed=3)
    return payloads(lane)[0]


@pytest.mark.parametrize("spoilt", list(SPOILT))
def test_every_reason_the_schema_gives_is_said_in_spanish(sale: dict[str, Any],
                                                          spoilt: str) -> None:
    entry = copy.deepcopy(sale)
    SPOILT[spoilt](entry)
    reason = read_sale_entry(canonical(entry), KNOWN).reason
    assert reason is not None, spoilt
    assert said(reason) == reason  # (in English, as it was kept)
    i18n.use("es")
    assert said(reason) != reason, f"{spoilt}: {reason!r} is said in English only"


@pytest.mark.parametrize("change", [{"kind": "shift_open"}, {"shift": 4}, {"volunteer": " "},
                                    {"floats": [{"currency": "XXX", "amount": 1}]},
                                    {"counts": []}, {"closed_at": "ayer"}])
def test_every_reason_a_shift_entry_gets_is_said_in_spanish(change: dict[str, Any]) -> None:
    reason = read_shift_entry(canonical({**GOOD, **change}), KNOWN).refused
    assert reason is not None
    i18n.use("es")
    assert said(reason) != reason, f"{reason!r} is said in English only"


def test_a_reason_with_its_values_and_one_no_sentence_reads() -> None:
    i18n.use("es")
    assert said("line 2: 1500 × 120 is 180, not 181") == "línea 2: 1500 × 120 es 180, no 181"
    assert said("the entry must be a JSON object") == "el registro debe ser un objeto JSON"
    assert said("something else entirely") == "something else entirely"


class SpanishLedger(LedgerServer):
    """The ledger serving its pages in Spanish (``fairpos --lang es ledger serve``)."""

    def argv(self) -> list[str]:
        argv = super().argv()
        argv[argv.index("--lang") + 1] = "es"
        return argv


def test_the_quarantine_page_in_spanish(tmp_path: Path) -> None:
    server = SpanishLedger(tmp_path / "ledger.db")
    try:
        lane = stall(tmp_path / "lane", "WHY002", sales=2)
        token = connect(lane, server)
        bad, good = payloads(lane)
        bad["total"] += 1
        reply = web.post(f"{server.url}/v1/sales/batch", json={"sales": [bad, good]},
                           headers={"Authorization": f"Bearer {token}"})
        assert reply.json()["rejected"][0]["reason"].startswith("the lines add up to ")
        with server.store() as ledger:
            admin = ledger.admin_token()
        page = web.get(f"{server.url}/quarantine", timeout=30,
                         headers={"Authorization": f"Bearer {admin}"}).text
        assert "las líneas suman " in page and "the lines add up" not in page
        home = web.get(f"{server.url}/", timeout=30,
                         headers={"Authorization": f"Bearer {admin}"}).text
        assert "1 con entradas en cuarentena" in home  # the day at a glance counts its lane
    finally:
        server.stop()
