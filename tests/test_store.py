"""The journal file itself: pragmas, append-only triggers, one transaction per sale."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from fairpos.domain.cart import Cart
from fairpos.domain.money import Money
from fairpos.domain.quantity import Quantity
from fairpos.domain.tenders import Tender
from fairpos.journal import APPEND_ONLY, DB_NAME, Journal, JournalError
from fairpos.presets import example
from fairpos.settings import parse_settings
from harness.lanes import LaneDir

SETTINGS = parse_settings(example("feria"))


def _store(lane: LaneDir) -> Journal:
    return Journal.open(lane.path / DB_NAME)


def test_pragmas_and_device(feria: LaneDir) -> None:
    store = _store(feria)
    assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert store.db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    device = store.device_id
    store.close()
    assert Journal.create(feria.path / DB_NAME).device_id == device  # minted once


@pytest.mark.parametrize("table", ["sales", "sale_lines", "tenders", "audit_log"])
def test_confirmed_entries_cannot_be_updated_or_deleted(feria: LaneDir, table: str) -> None:
    sale = feria.sell("--line", "G=1kg", "--pay", "cash:USD:5")
    feria.run("void", sale["id"], "--reason", "test")
    before = feria.dump()
    with feria.db() as conn:
        column = conn.execute(f"SELECT name FROM pragma_table_info('{table}')").fetchone()[0]
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            conn.execute(f"UPDATE {table} SET {column} = {column}")
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            conn.execute(f"DELETE FROM {table}")
    assert feria.dump() == before


def test_every_journal_table_has_both_triggers(feria: LaneDir) -> None:
    with feria.db() as conn:
        triggers = {r[0] for r in conn.execute("SELECT name FROM sqlite_master "
                                               "WHERE type = 'trigger'")}
    assert triggers == {f"{t}_no_{a}" for t in APPEND_ONLY for a in ("update", "delete")}


def test_a_failure_inside_the_transaction_leaves_no_partial_sale(feria: LaneDir) -> None:
    store = _store(feria)
    cart = Cart("USD")
    cart.add(store.catalog(), "101", Quantity(grams=1000))
    before = feria.dump()
    # A tender the schema refuses (NULL amount) fails after the sale and lines were inserted.
    bad = Tender("cash", Money(None, "USD"))  # type: ignore[arg-type]
    with pytest.raises(sqlite3.IntegrityError):
        store._write_entry(kind="sale", shift=store.require_shift(), total=cart.total,
                           lines=cart.lines, tenders=[bad], change=Money(0, "USD"),
                           catalog_version=1, rates=[])
    assert feria.dump() == before
    sale = store.confirm_sale(cart, [Tender("cash", Money(120, "USD"))], "USD", SETTINGS)
    assert sale.id.endswith("-000001")  # the failed attempt used no sequence number


def test_recalled_sale_stops_being_held_only_with_its_confirmation(feria: LaneDir) -> None:
    store = _store(feria)
    cart = Cart("USD")
    cart.add(store.catalog(), "305")
    held = store.hold(cart)
    with pytest.raises(Exception, match="do not cover"):
        store.confirm_sale(cart, [Tender("cash", Money(1, "USD"))], "USD", SETTINGS,
                           held=[held])
    assert [h.id for h in store.held()] == [held]
    store.confirm_sale(cart, [Tender("cash", Money(120, "USD"))], "USD", SETTINGS, held=[held])
    assert store.held() == []


def test_opening_a_missing_journal_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(JournalError, match="fairpos init"):
        Journal.open(tmp_path / DB_NAME)


def test_rate_in_force_follows_effective_date(feria: LaneDir) -> None:
    from datetime import date
    from decimal import Decimal

    store = _store(feria)
    store.set_rate("USD", "VES", Decimal("500"), date(2099, 1, 1), "future")
    today = store.rates("USD", ["USD", "VES"]).get("VES")
    assert today is not None and today.value == Decimal("414.04") and today.version == 1
    later = store.rates("USD", ["USD", "VES"], on=date(2099, 1, 2)).get("VES")
    assert later is not None and later.value == Decimal("500") and later.version == 2


def test_the_confirmed_sale_returned_is_what_the_journal_holds(feria: LaneDir) -> None:
    store = _store(feria)
    cart = Cart("USD")
    cart.add(store.catalog(), "101", Quantity(grams=1250))
    cart.add(store.catalog(), "G", Quantity(grams=800))
    cart.add(store.catalog(), "305", Quantity(count=2))
    cart.void(3)
    tenders = [Tender("pago_movil", Money(100000, "VES"), {"ref": "1", "bank": "0102"}, False),
               Tender("cash", Money(100, "USD"))]
    sale = store.confirm_sale(cart, tenders, "VES", SETTINGS)
    assert sale == store.sale(sale.id)
    void = store.void_sale(sale.id, "test")
    assert void == store.sale(void.id)
    other = store.confirm_sale(cart, [Tender("cash", Money(500, "USD"))], "USD", SETTINGS)
    refund = store.refund(other.id, [2], "test", "VES", SETTINGS)
    assert refund == store.sale(refund.id)
