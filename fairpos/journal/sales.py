"""Sales, voids and refunds: each confirmed in one transaction with its lines, tenders, outbox
row and receipt, under a gapless per-device sequence. Nothing confirmed is changed again: a
correction is a new entry that references the original and lands in the audit log too."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Sequence
from datetime import date, datetime
from decimal import Decimal

from fairpos.domain.cart import Cart, Line
from fairpos.domain.money import Money, Rate
from fairpos.domain.sale import EntryKind, Sale
from fairpos.domain.settlement import settlement
from fairpos.domain.tenders import CASH, PaymentError, Tender, change_limit, check_change
from fairpos.i18n import _, format_money
from fairpos.journal.held import HeldSales
from fairpos.journal.print_queue import PrintQueue
from fairpos.journal.records import JournalError, ShiftInfo
from fairpos.settings import Settings


class SalesBook(HeldSales, PrintQueue):
    def confirm_sale(self, cart: Cart, tenders: Sequence[Tender], change_currency: str,
                     settings: Settings, held: Sequence[int] = (),
                     receipt: Callable[[Sale], bytes] | None = None,
                     change_ok: Money | None = None, draft: int | None = None,
                     sent: Sequence[Tender] = ()) -> Sale:
        """Check the payment and write the sale durably; returns the confirmed sale.

        ``sent``: change sent by pago móvil (the rest of the change is given in cash).

        ``draft``: the version of the till's draft this cart is; the draft is cleared in the
        same transaction, so a crash can never bring back a sale already sold.

        Change above ``[money] max_change`` is refused (:class:`LargeChange`) unless
        ``change_ok`` is that very amount, confirmed by the volunteer.

        ``held``: the held sales this cart was recalled from; they stop being held in the same
        transaction, so a crash can neither lose them nor leave them to be sold twice.
        ``receipt``: renders the sale's receipt; the print job is written in the same
        transaction, so a confirmed sale always has its receipt queued.
        """
        if cart.is_empty():
            raise JournalError(_("the sale is empty"))
        catalog = self.catalog()
        if cart.currency != catalog.currency:
            raise JournalError(_("the sale is in {cart} but the catalog is in {catalog}").format(
                cart=cart.currency, catalog=catalog.currency))
        with self.transaction():  # the shift and the rates as they are when it is written
            shift = self.require_shift()
            rates = self.rates(cart.currency, settings.accepted_currencies)
            settled = settlement(cart, tenders, rates, change_currency, settings, sent)
            if not settled.covered:  # (in cash in the change currency: its IGTF in)
                raise PaymentError(_("the payments do not cover the total: {due} still due")
                                   .format(due=format_money(settled.due_in(
                                       rates, change_currency, CASH, settings.igtf))))
            check_change(settled, change_limit(change_currency, settings.change_limits,
                                                  cart.currency, rates), change_ok)
            if draft is not None:
                self.clear_draft(draft)
            return self._write_entry(
                kind="sale", shift=shift, total=cart.total, lines=cart.lines, tenders=tenders,
                change=settled.change, catalog_version=catalog.version, rates=rates.all(),
                held=held, receipt=receipt, change_sent=sent,
                igtf=(settled.igtf, settled.igtf_base))

    def _write_entry(self, *, kind: EntryKind, shift: ShiftInfo, total: Money,
                     lines: Sequence[Line], tenders: Sequence[Tender], change: Money,
                     catalog_version: int | None, rates: Sequence[Rate],
                     ref_id: str | None = None, reason: str | None = None,
                     ref_lines: Sequence[int | None] | None = None,
                     held: Sequence[int] = (),
                     receipt: Callable[[Sale], bytes] | None = None,
                     change_sent: Sequence[Tender] = (),
                     igtf: tuple[int, int] = (0, 0)) -> Sale:
        """Write one entry; called inside the write transaction in which ``shift`` was found
        open, so that it cannot have closed meanwhile."""
        now = self.clock()
        rates_json = json.dumps({r.quote: {"base": r.base, "value": str(r.value),
                                           "version": r.version,
                                           "effective": r.effective.isoformat()}
                                 for r in rates}, sort_keys=True)
        with self.transaction():
            seq = int(self.db.value(
                "UPDATE device SET last_seq = last_seq + 1 RETURNING last_seq"))
            sale_id = f"{self.device_id}-{seq:06d}"
            self.db.execute(
                "INSERT INTO sales (id, seq, kind, ref_id, shift_id, business_date, confirmed_at, "
                "volunteer, training, currency, total, change_currency, change, catalog_version, "
                "rates, reason, igtf, igtf_base) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                [sale_id, seq, kind, ref_id, shift.id, shift.business_date, now.isoformat(),
                 shift.volunteer, int(shift.training), total.currency, total.minor,
                 change.currency, change.minor, catalog_version, rates_json, reason, *igtf])
            self.db.executemany(
                "INSERT INTO sale_lines (sale_id, line_no, kind, code, name_es, name_en, "
                "price_class, grams, count, unit_price, amount, voided, ref_line, tags, "
                "scale_frame, label, tare) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                [(sale_id, n, line.kind, line.code, line.name_es, line.name_en,
                  line.price_class, line.grams, line.count, line.unit_price, line.amount,
                  int(line.voided), ref_lines[n - 1] if ref_lines else None,
                  "|".join(sorted(line.tags)), line.scale_frame, line.label, line.tare)
                 for n, line in enumerate(lines, start=1)])
            self.db.executemany(
                "INSERT INTO tenders (sale_id, tender_no, method, currency, amount, reference, "
                "verified, is_change) VALUES (?,?,?,?,?,?,?,?)",
                [(sale_id, n, t.method, t.amount.currency, t.amount.minor,
                  json.dumps(dict(t.reference), sort_keys=True), int(t.verified), int(given))
                 for n, (t, given) in enumerate(
                     [*((t, False) for t in tenders), *((t, True) for t in change_sent)],
                     start=1)])
            self.db.execute("INSERT INTO outbox (entry_id, created_at) VALUES (?, ?)",
                            [sale_id, now.isoformat()])
            self.release_held(held)
            if kind != "sale":
                self._audit(kind, shift_id=shift.id, entry_id=sale_id, ref_id=ref_id,
                            reason=reason, amount=total.minor)
            sale = Sale(sale_id, seq, kind, shift.id, shift.business_date, now,
                        shift.volunteer, shift.training, total, tuple(lines), tuple(tenders),
                        change, catalog_version, tuple(rates), ref_id, reason,
                        tuple(change_sent), *igtf)
            if receipt is not None:
                self._queue_print("receipt", receipt(sale), sale_id)
        return sale

    def sale(self, sale_id: str) -> Sale:
        row = self.db.one("SELECT * FROM sales WHERE id = ?", [sale_id.strip().upper()])
        if row is None:
            raise JournalError(_("there is no sale {id}").format(id=sale_id))
        return self._sale(row)

    def last_sale(self) -> Sale | None:
        """The newest sale confirmed (not a void or a refund), if any."""
        row = self.db.one("SELECT * FROM sales WHERE kind = 'sale' ORDER BY seq DESC LIMIT 1")
        return None if row is None else self._sale(row)

    def last_entry(self) -> Sale | None:
        """The newest entry: a sale, or a void or refund, if any."""
        row = self.db.one("SELECT * FROM sales ORDER BY seq DESC LIMIT 1")
        return None if row is None else self._sale(row)

    def sales(self, shift_id: int) -> list[Sale]:
        return [self._sale(r) for r in self.db.all(
            "SELECT * FROM sales WHERE shift_id = ? ORDER BY seq", [shift_id])]

    def _sale(self, row: sqlite3.Row) -> Sale:
        currency = row["currency"]
        lines = tuple(
            Line(r["kind"], r["code"], r["name_es"], r["name_en"], r["unit_price"], r["amount"],
                 r["grams"], r["count"], r["price_class"],
                 frozenset(t for t in r["tags"].split("|") if t), bool(r["voided"]),
                 r["scale_frame"], r["label"], tare=r["tare"])
            for r in self.db.all("SELECT * FROM sale_lines WHERE sale_id = ? ORDER BY line_no",
                                 [row["id"]]))
        rows = self.db.all("SELECT * FROM tenders WHERE sale_id = ? ORDER BY tender_no",
                           [row["id"]])
        tenders = tuple(
            Tender(r["method"], Money(r["amount"], r["currency"]), json.loads(r["reference"]),
                   bool(r["verified"])) for r in rows if not r["is_change"])
        sent = tuple(
            Tender(r["method"], Money(r["amount"], r["currency"]), json.loads(r["reference"]),
                   bool(r["verified"])) for r in rows if r["is_change"])
        rates = tuple(
            Rate(v["base"], quote, Decimal(v["value"]), v["version"],
                 date.fromisoformat(v["effective"]))
            for quote, v in sorted(json.loads(row["rates"]).items()))
        return Sale(row["id"], row["seq"], row["kind"], row["shift_id"], row["business_date"],
                    datetime.fromisoformat(row["confirmed_at"]), row["volunteer"],
                    bool(row["training"]), Money(row["total"], currency), lines, tenders,
                    Money(row["change"], row["change_currency"]), row["catalog_version"], rates,
                    row["ref_id"], row["reason"], sent, row["igtf"], row["igtf_base"])

    # -- corrections -------------------------------------------------------------------------

    def _correctable(self, sale_id: str, shift: ShiftInfo, reason: str) -> Sale:
        if not reason.strip():
            raise JournalError(_("a reason is required"))
        original = self.sale(sale_id)
        if original.kind != "sale":
            raise JournalError(_("{id} is a {kind}, not a sale").format(id=original.id,
                                                                         kind=original.kind))
        if original.training != shift.training:
            raise JournalError(_("training sales can only be corrected in a training shift, "
                                 "and real sales only in a real shift"))
        if self.db.one("SELECT id FROM sales WHERE ref_id = ? AND kind = 'void'",
                       [original.id]):
            raise JournalError(_("{id} is already voided").format(id=original.id))
        return original

    def void_sale(self, sale_id: str, reason: str) -> Sale:
        """A new entry that reverses the whole sale: lines, tenders and change."""
        with self.transaction():
            return self._void(sale_id, reason)

    def _void(self, sale_id: str, reason: str) -> Sale:
        shift = self.require_shift()
        original = self._correctable(sale_id, shift, reason)
        if self.db.one("SELECT id FROM sales WHERE ref_id = ? AND kind = 'refund'",
                       [original.id]):
            raise JournalError(_("{id} already has refunds; refund the remaining lines instead")
                               .format(id=original.id))
        lines = [line for line in original.lines if not line.voided]
        return self._write_entry(
            kind="void", shift=shift, total=-original.total,
            lines=[_negated(line) for line in lines],
            tenders=[Tender(t.method, -t.amount, t.reference, t.verified)
                     for t in original.tenders],
            change=-original.change, catalog_version=original.catalog_version,
            rates=original.rates, ref_id=original.id, reason=reason.strip(),
            ref_lines=[n for n, line in enumerate(original.lines, start=1) if not line.voided],
            change_sent=[Tender(t.method, -t.amount, t.reference, t.verified)
                         for t in original.change_sent],
            igtf=(-original.igtf, -original.igtf_base))

    def refund(self, sale_id: str, line_numbers: Sequence[int], reason: str, currency: str,
               settings: Settings) -> Sale:
        """A new entry that gives back the amount of some lines (all if none), in cash."""
        with self.transaction():
            return self._refund(sale_id, line_numbers, reason, currency, settings)

    def _refund(self, sale_id: str, line_numbers: Sequence[int], reason: str, currency: str,
                settings: Settings) -> Sale:
        shift = self.require_shift()
        original = self._correctable(sale_id, shift, reason)
        refunded = {r["ref_line"] for r in self.db.all(
            "SELECT l.ref_line FROM sale_lines l JOIN sales s ON s.id = l.sale_id "
            "WHERE s.ref_id = ? AND s.kind = 'refund'", [original.id])}
        numbers = list(line_numbers) or [n for n, line in enumerate(original.lines, start=1)
                                          if not line.voided and n not in refunded]
        if not numbers:
            raise JournalError(_("every line of {id} is already refunded").format(
                id=original.id))
        if len(set(numbers)) != len(numbers):
            raise JournalError(_("a line number is repeated"))
        for n in numbers:
            if not 1 <= n <= len(original.lines) or original.lines[n - 1].voided:
                raise JournalError(_("{id} has no line {n}").format(id=original.id, n=n))
            if n in refunded:
                raise JournalError(_("line {n} of {id} is already refunded").format(
                    n=n, id=original.id))
        lines = [_negated(original.lines[n - 1]) for n in numbers]
        total = Money(sum(line.amount for line in lines), original.total.currency)
        rates = self.rates(original.total.currency, settings.accepted_currencies)
        paid_out = rates.express(-total.minor, currency)  # no rate: a MoneyError says so
        return self._write_entry(
            kind="refund", shift=shift, total=total, lines=lines,
            tenders=[Tender(CASH, -paid_out)], change=Money.zero(currency),
            catalog_version=original.catalog_version,
            rates=[r for r in rates.all() if r.quote == currency], ref_id=original.id,
            reason=reason.strip(), ref_lines=numbers)


def _negated(line: Line) -> Line:
    return Line(line.kind, line.code, line.name_es, line.name_en, line.unit_price, -line.amount,
                -line.grams if line.grams is not None else None,
                -line.count if line.count is not None else None, line.price_class, line.tags,
                label=line.label, tare=-line.tare if line.tare is not None else None)
