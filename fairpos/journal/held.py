"""Sales not sold yet: held sales, and the draft of the sale on screen.

A held sale is a sale in progress put aside (the customer forgot their wallet, the till was
closed with it on screen). It stops being held only in the transaction that confirms it or
holds it again, so a crash can neither lose it nor leave it to be sold twice.

The draft is the sale being rung up, kept after every change (the lines that changed, one row
each, in one small transaction); it is cleared in the transaction that sells or holds it. Each
write carries a version that only grows, and a write older than the last clearing is ignored: a
late write never brings back a sale already sold.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from typing import Any

from fairpos.domain.cart import Cart, Line
from fairpos.domain.money import Money
from fairpos.domain.tenders import Tender
from fairpos.i18n import _
from fairpos.journal.records import Draft, HeldSale, JournalError
from fairpos.journal.shifts import ShiftBook


def tenders_json(tenders: Sequence[Tender]) -> list[dict[str, Any]]:
    return [{"method": t.method, "currency": t.amount.currency, "amount": t.amount.minor,
             "reference": dict(t.reference), "verified": t.verified} for t in tenders]


def tenders_of(items: Sequence[dict[str, Any]]) -> tuple[Tender, ...]:
    return tuple(Tender(t["method"], Money(t["amount"], t["currency"]), dict(t["reference"]),
                        t["verified"]) for t in items)


class HeldSales(ShiftBook):
    def hold(self, cart: Cart, at_quit: bool = False, replacing: Sequence[int] = (),
             draft: int | None = None) -> int:
        """Keep a sale in progress aside; returns its number. ``at_quit``: the till was closed
        with it on screen, so the next start brings it back. ``replacing``: the held sales
        this cart was recalled from; they stop being held in the same transaction, and so
        does the draft up to version ``draft``."""
        shift = self.require_shift()
        if cart.is_empty():
            raise JournalError(_("the sale is empty: nothing to hold"))
        with self.transaction():
            self.release_held(replacing)
            if draft is not None:
                self.clear_draft(draft)
            cursor = self.db.execute(
                "INSERT INTO held_sales (shift_id, held_at, cart, at_quit) VALUES (?,?,?,?)",
                [shift.id, self.clock().isoformat(), json.dumps(cart.to_dict()), int(at_quit)])
        return int(cursor.lastrowid or 0)

    def release_held(self, held_ids: Sequence[int]) -> None:
        """Within a write transaction: these held sales are finished (sold or held again)."""
        for held_id in held_ids:
            if self.db.execute("DELETE FROM held_sales WHERE id = ?", [held_id]).rowcount != 1:
                raise JournalError(_("there is no held sale #{id}").format(id=held_id))

    def held(self, shift_id: int | None = None) -> list[HeldSale]:
        """Held sales, oldest first."""
        return [self._held(r) for r in self.db.all(
            "SELECT * FROM held_sales WHERE (? IS NULL OR shift_id = ?) ORDER BY id",
            [shift_id, shift_id])]

    def held_sale(self, held_id: int) -> HeldSale:
        """One held sale, to bring back into the till; it stays held until it is sold or held
        again."""
        row = self.db.one("SELECT * FROM held_sales WHERE id = ?", [held_id])
        if row is None:
            raise JournalError(_("there is no held sale #{id}").format(id=held_id))
        return self._held(row)

    @staticmethod
    def _held(row: sqlite3.Row) -> HeldSale:
        return HeldSale(row["id"], row["held_at"], Cart.from_dict(json.loads(row["cart"])),
                        bool(row["at_quit"]))

    def drop_held(self, held_id: int, reason: str) -> None:
        """Give up a held sale; its lines are kept in the audit log."""
        if not reason.strip():
            raise JournalError(_("a reason is required"))
        with self.transaction():
            row = self.db.one("SELECT * FROM held_sales WHERE id = ?", [held_id])
            if row is None:
                raise JournalError(_("there is no held sale #{id}").format(id=held_id))
            self.db.execute("DELETE FROM held_sales WHERE id = ?", [held_id])
            self._audit("held_drop", shift_id=row["shift_id"], reason=reason.strip(),
                        cart=json.loads(row["cart"]))

    # -- the draft of the sale on screen ----------------------------------------------------

    # The draft's lines as this journal last committed them (None: not known, rewrite them
    # all). Read and set only under the database's lock.
    _draft_base: list[Line] | None = None

    def save_draft(self, cart: Cart, holding: Sequence[int], version: int,
                   payments: Sequence[Tender] = (), sent: Sequence[Tender] = ()) -> bool:
        """Keep the sale on screen as it is now (version ``version``): only the lines that
        changed since the last save are written, with the payments entered for it and the
        change sent by pago móvil. False when a newer version, or a clearing, is already
        kept."""
        lines = list(cart.lines)
        header = json.dumps({"currency": cart.currency, "lines": len(lines)})
        paid = json.dumps({"payments": tenders_json(payments), "sent": tenders_json(sent)}) \
            if payments or sent else None
        with self.db.lock:  # the base changes only with what is committed, one save at a time
            try:
                with self.transaction():
                    shift = self.current_shift()
                    if not self._put_draft(version, shift.id if shift else None, header,
                                           holding, paid):
                        return False
                    base = self._draft_base
                    if base is None:
                        self.db.execute("DELETE FROM draft_lines")
                        base = []
                    self.db.executemany(
                        "INSERT INTO draft_lines (number, line) VALUES (?, ?) "
                        "ON CONFLICT (number) DO UPDATE SET line = excluded.line",
                        [(n, json.dumps(line.to_dict())) for n, line in enumerate(lines)
                         if n >= len(base) or base[n] is not line])
                    if len(base) > len(lines):
                        self.db.execute("DELETE FROM draft_lines WHERE number >= ?",
                                        [len(lines)])
            except BaseException:
                self._draft_base = None  # whatever is on disk now, the next save rewrites it
                raise
            self._draft_base = lines
        return True

    def clear_draft(self, version: int) -> None:
        """Within a write transaction: the sale on screen up to ``version`` is sold or held."""
        if self._put_draft(version, None, None, ()):
            self.db.execute("DELETE FROM draft_lines")
            self._draft_base = None  # (the transaction may yet be rolled back)

    def _put_draft(self, version: int, shift_id: int | None, cart: str | None,
                   holding: Sequence[int], payments: str | None = None) -> bool:
        cursor = self.db.execute(
            "INSERT INTO draft (one, version, shift_id, cart, holding, saved_at, payments) "
            "VALUES (1, ?, ?, ?, ?, ?, ?) ON CONFLICT (one) DO UPDATE SET "
            "version = excluded.version, shift_id = excluded.shift_id, cart = excluded.cart, "
            "holding = excluded.holding, saved_at = excluded.saved_at, "
            "payments = excluded.payments "
            "WHERE excluded.version > draft.version OR (excluded.cart IS NULL AND "
            "excluded.version >= draft.version)",
            [version, shift_id, cart, json.dumps(list(holding)), self.clock().isoformat(),
             payments])
        return cursor.rowcount == 1

    def draft(self) -> Draft | None:
        """The sale that was on screen, as last kept (None: none ever)."""
        with self.db.lock:  # the header and its lines as one save left them
            row = self.db.one("SELECT * FROM draft")
            if row is None:
                return None
            cart = None
            if row["cart"]:
                header = json.loads(row["cart"])
                lines = [Line.from_dict(json.loads(r["line"])) for r in self.db.all(
                    "SELECT line FROM draft_lines WHERE number < ? ORDER BY number",
                    [header["lines"]])]
                cart = Cart(header["currency"], lines)
        paid = json.loads(row["payments"]) if row["payments"] else {}
        return Draft(row["version"], row["shift_id"], cart, tuple(json.loads(row["holding"])),
                     row["saved_at"], tenders_of(paid.get("payments", ())),
                     tenders_of(paid.get("sent", ())))
