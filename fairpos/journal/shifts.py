"""Shifts: a volunteer opens the lane with a float counted per currency and closes it with a
blind count per currency and tender; over/short is recorded, never "fixed"."""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from datetime import date, datetime, timedelta

from fairpos.domain.money import Money
from fairpos.domain.shift import (
    CountKey,
    CountLine,
    Pieces,
    beyond_tolerance,
    pieces_total,
    reconcile,
)
from fairpos.domain.tenders import CASH
from fairpos.i18n import _, format_money
from fairpos.journal.catalog import CatalogBook
from fairpos.journal.records import ClockBehind, ClosedShift, CountRound, JournalError, ShiftInfo
from fairpos.settings import Settings

CLOCK_SLACK = timedelta(minutes=5)  # a clock this much behind the last entry is wrong


class ShiftBook(CatalogBook):
    """Opening and closing shifts, and what the drawer should hold."""

    def current_shift(self) -> ShiftInfo | None:
        row = self.db.one("SELECT * FROM shifts WHERE closed_at IS NULL")
        return self._shift(row) if row else None

    def latest_shift(self) -> ShiftInfo | None:
        """The open shift, or else the last one closed."""
        row = self.db.one(
            "SELECT * FROM shifts ORDER BY closed_at IS NULL DESC, id DESC LIMIT 1")
        return self._shift(row) if row else None

    def shift(self, shift_id: int) -> ShiftInfo:
        row = self.db.one("SELECT * FROM shifts WHERE id = ?", [shift_id])
        if row is None:
            raise JournalError(_("there is no shift #{id}").format(id=shift_id))
        return self._shift(row)

    @staticmethod
    def _shift(row: sqlite3.Row) -> ShiftInfo:
        return ShiftInfo(row["id"], row["volunteer"], row["opened_at"], row["business_date"],
                         bool(row["training"]), row["closed_at"], row["close_reason"])

    def require_shift(self) -> ShiftInfo:
        shift = self.current_shift()
        if shift is None:
            raise JournalError(_("no shift is open; open one with “fairpos shift open”"))
        return shift

    def latest_moment(self) -> datetime | None:
        """When the newest entry of this journal was written (a sale, a shift opened or
        closed), as its clock said then."""
        stamps = [self.db.value("SELECT confirmed_at FROM sales ORDER BY seq DESC LIMIT 1"),
                  self.db.value("SELECT opened_at FROM shifts ORDER BY id DESC LIMIT 1"),
                  self.db.value("SELECT closed_at FROM shifts WHERE closed_at IS NOT NULL "
                                "ORDER BY id DESC LIMIT 1")]
        moments = [datetime.fromisoformat(s) for s in stamps if s]
        return max(moments) if moments else None

    def clock_behind(self) -> timedelta | None:
        """How far the clock is behind this journal's newest entry (None: it is not)."""
        latest = self.latest_moment()
        if latest is None:
            return None
        behind = latest - self.clock()
        return behind if behind > CLOCK_SLACK else None

    def last_business_date(self) -> date | None:
        day = self.db.value("SELECT MAX(business_date) FROM shifts")
        return None if day is None else date.fromisoformat(str(day))

    def open_shift(self, volunteer: str, floats: Mapping[str, int], training: bool = False,
                   *, earlier_date_ok: bool = False,
                   pieces: Mapping[str, Pieces] | None = None) -> ShiftInfo:
        """Open a shift on the clock's date; a date earlier than the last shift's is refused
        (ClockBehind) unless the volunteer confirmed it (``earlier_date_ok``). ``pieces``: the
        float of a currency counted by bills and coins (their total is its float)."""
        volunteer = volunteer.strip()
        if not volunteer:
            raise JournalError(_("the volunteer's name is empty"))
        if any(amount < 0 for amount in floats.values()):
            raise JournalError(_("an opening float cannot be negative"))
        now = self.clock()
        with self.transaction():
            if self.current_shift() is not None:
                raise JournalError(_("a shift is already open; close it first"))
            last = self.last_business_date()
            if last is not None and now.date() < last and not earlier_date_ok:
                raise ClockBehind(_(
                    "the clock says {today}, before the last shift's business date {last}: "
                    "check the date and time. If today really is {today}, confirm it").format(
                    today=now.date().isoformat(), last=last.isoformat()))
            cursor = self.db.execute(
                "INSERT INTO shifts (volunteer, opened_at, business_date, training) "
                "VALUES (?,?,?,?)", [volunteer, now.isoformat(), now.date().isoformat(),
                                      int(training)])
            shift_id = int(cursor.lastrowid or 0)
            self.db.executemany(
                "INSERT INTO shift_counts (shift_id, stage, method, currency, amount) "
                "VALUES (?, 'float', 'cash', ?, ?)",
                [(shift_id, currency, amount) for currency, amount in sorted(floats.items())])
            self._keep_pieces(shift_id, 0, pieces or {},
                              {currency: amount for currency, amount in floats.items()})
            self._queue_shift_entry(shift_id, "open", now.isoformat())
            self._audit("shift_open", shift_id=shift_id, volunteer=volunteer, training=training,
                        floats=dict(floats),
                        **({"earlier_date": last.isoformat()} if last is not None
                           and now.date() < last else {}))
        return self.shift(shift_id)

    def _keep_pieces(self, shift_id: int, number: int, pieces: Mapping[str, Pieces],
                     amounts: Mapping[str, int]) -> None:
        """The bills and coins of a float (round 0) or a count, each currency's adding up to
        its amount (in the caller's transaction)."""
        for currency, counted in pieces.items():
            if pieces_total(counted) != amounts.get(currency, 0):
                raise JournalError(_("the bills and coins of {currency} do not add up to what "
                                     "was counted").format(currency=currency))
            if any(count < 0 for count in counted.values()):
                raise JournalError(_("a count of bills or coins cannot be negative"))
        self.db.executemany(
            "INSERT INTO count_pieces (shift_id, round, currency, denomination, pieces) "
            "VALUES (?,?,?,?,?)",
            [(shift_id, number, currency, value, count)
             for currency, counted in sorted(pieces.items())
             for value, count in sorted(counted.items(), reverse=True) if count])

    def count_pieces(self, shift_id: int, number: int) -> dict[str, dict[int, int]]:
        """The bills and coins of a shift's float (``number`` 0) or of one of its counts."""
        found: dict[str, dict[int, int]] = {}
        for r in self.db.all(
                "SELECT currency, denomination, pieces FROM count_pieces WHERE shift_id = ? "
                "AND round = ? ORDER BY currency, denomination DESC", [shift_id, number]):
            found.setdefault(r["currency"], {})[r["denomination"]] = r["pieces"]
        return found

    def _queue_shift_entry(self, shift_id: int, stage: str, at: str) -> None:
        """The shift's opening or close, queued for the ledger (in the caller's
        transaction)."""
        self.db.execute("INSERT INTO shift_outbox (entry_id, shift_id, stage, created_at) "
                        "VALUES (?,?,?,?)",
                        [f"{self.device_id}-S{shift_id:06d}-{stage}", shift_id, stage, at])

    def floats(self, shift_id: int) -> dict[str, int]:
        return {r["currency"]: r["amount"] for r in self.db.all(
            "SELECT currency, amount FROM shift_counts WHERE shift_id = ? AND stage = 'float'",
            [shift_id])}

    def expected_counts(self, shift_id: int) -> dict[CountKey, int]:
        """What should be in the drawer and on the slips: float + tenders − cash change given
        (in the change currency, and the rest of it given in another currency's cash).
        Change sent by pago móvil left from the fair's account, not the drawer, and comes
        with no slip: it is not counted (the X and Z reports say it on a line of its own)."""
        expected: dict[CountKey, int] = {("cash", c): a for c, a in self.floats(shift_id).items()}
        for row in self.db.all(
                "SELECT t.method, t.currency, SUM(t.amount) AS amount FROM tenders t "
                "JOIN sales s ON s.id = t.sale_id WHERE s.shift_id = ? AND t.is_change = 0 "
                "GROUP BY t.method, t.currency", [shift_id]):
            key = (row["method"], row["currency"])
            expected[key] = expected.get(key, 0) + row["amount"]
        for row in self.db.all(
                "SELECT change_currency, SUM(change) AS amount FROM sales WHERE shift_id = ? "
                "GROUP BY change_currency", [shift_id]):
            key = (CASH, row["change_currency"])
            expected[key] = expected.get(key, 0) - row["amount"]
        for row in self.db.all(
                "SELECT t.currency, SUM(t.amount) AS amount FROM tenders t JOIN sales s "
                "ON s.id = t.sale_id WHERE s.shift_id = ? AND t.is_change = 1 "
                "AND t.method = 'cash' GROUP BY t.currency", [shift_id]):
            key = (CASH, row["currency"])
            expected[key] = expected.get(key, 0) - row["amount"]
        return {k: v for k, v in expected.items() if v != 0 or k[0] == CASH}

    def submit_count(self, counted: Mapping[CountKey, int],
                     pieces: Mapping[str, Pieces] | None = None) -> CountRound:
        """Keep a blind count of the open shift as it was submitted, before anything
        expected is shown; a second one is a recount, kept beside the first. ``pieces``: the
        cash of a currency counted by bills and coins."""
        now = self.clock().isoformat()
        with self.transaction():
            shift = self.require_shift()
            lines = reconcile(self.expected_counts(shift.id), counted)
            number = int(self.db.value(
                "SELECT COALESCE(MAX(round), 0) + 1 FROM count_rounds WHERE shift_id = ?",
                [shift.id]))
            self.db.executemany(
                "INSERT INTO count_rounds (shift_id, round, method, currency, amount, expected, "
                "counted_at) VALUES (?,?,?,?,?,?,?)",
                [(shift.id, number, c.method, c.currency, c.counted, c.expected, now)
                 for c in lines])
            self._keep_pieces(shift.id, number, pieces or {},
                              {c.currency: c.counted for c in lines if c.method == CASH})
            self._audit("count" if number == 1 else "recount", shift_id=shift.id,
                        round=number, differences={f"{c.method}:{c.currency}": c.difference
                                                   for c in lines if c.difference})
        return CountRound(number, now, lines)

    def count_rounds(self, shift_id: int) -> list[CountRound]:
        """Every count of a shift, first to last."""
        rounds: dict[int, CountRound] = {}
        for r in self.db.all(
                "SELECT * FROM count_rounds WHERE shift_id = ? "
                "ORDER BY round, method <> 'cash', method, currency", [shift_id]):
            found = rounds.setdefault(r["round"], CountRound(r["round"], r["counted_at"], []))
            found.lines.append(CountLine(r["method"], r["currency"], r["expected"], r["amount"]))
        return list(rounds.values())

    def close_shift(self, counted: Mapping[CountKey, int] | None, settings: Settings,
                    reason: str | None = None,
                    pieces: Mapping[str, Pieces] | None = None) -> ClosedShift:
        """Close the open shift on its newest count (``counted``: count now, as a new round,
        in the same transaction: a refusal keeps nothing). Refused while sales are held,
        after a sale made since the count, and past the tolerance without a reason."""
        with self.transaction():
            if counted is not None:
                self.submit_count(counted, pieces)
            return self._close(settings, reason)

    def _close(self, settings: Settings, reason: str | None) -> ClosedShift:
        shift = self.require_shift()
        held = [row["id"] for row in self.db.all(
            "SELECT id FROM held_sales WHERE shift_id = ? ORDER BY id", [shift.id])]
        if held:
            raise JournalError(_("sales are on hold ({held}): sell or drop each of them before "
                                 "closing the shift").format(
                held=", ".join(f"#{n}" for n in held)))
        rounds = self.count_rounds(shift.id)
        if not rounds:
            raise JournalError(_("count the drawer first (--count)"))
        lines = rounds[-1].lines
        now_expected = reconcile(self.expected_counts(shift.id),
                                 {(c.method, c.currency): c.counted for c in lines})
        if [(c.method, c.currency, c.expected) for c in now_expected] != [
                (c.method, c.currency, c.expected) for c in lines]:
            raise JournalError(_("there were sales after the count: count again"))
        rates = self.rates(settings.money.currency, settings.accepted_currencies)
        beyond = beyond_tolerance(lines, rates, settings.tolerance_minor)
        reason = (reason or "").strip() or None
        if beyond and reason is None:
            worst = beyond[0]
            raise JournalError(
                _("the count differs from what is expected ({method} {currency}: "
                  "{difference}); give a reason with --reason").format(
                    method=worst.method, currency=worst.currency,
                    difference=format_money(Money(worst.difference, worst.currency))))
        self.db.executemany(
            "INSERT INTO shift_counts (shift_id, stage, method, currency, amount, expected) "
            "VALUES (?, 'close', ?, ?, ?, ?)",
            [(shift.id, c.method, c.currency, c.counted, c.expected) for c in lines])
        closed_at = self.clock().isoformat()
        self.db.execute("UPDATE shifts SET closed_at = ?, close_reason = ? WHERE id = ?",
                        [closed_at, reason, shift.id])
        self._queue_shift_entry(shift.id, "close", closed_at)
        self._audit("shift_close", shift_id=shift.id, reason=reason, round=len(rounds),
                    differences={f"{c.method}:{c.currency}": c.difference for c in lines
                                 if c.difference})
        return ClosedShift(self.shift(shift.id), lines)
