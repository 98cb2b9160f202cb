"""The outbox: every entry waits here until the ledger has it. The payload is kept as first
sent, so a resend is byte-identical; an entry is acknowledged only after the ledger's whole
reply was read, and quarantined (for a person) when the ledger rejects it."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from fairpos.journal.records import OutboxSummary
from fairpos.journal.sales import SalesBook

# a sale's entries wait in ``outbox``, a shift's opening and close in ``shift_outbox``; an
# entry's id says which (DEVICE-000123, DEVICE-S000004-close), so an answer is written to both
OUTBOXES = ("outbox", "shift_outbox")


class Outbox(SalesBook):
    def outbox_pending(self) -> int:
        """Entries not yet acknowledged by the ledger (quarantined ones included)."""
        return int(self.db.value("SELECT COUNT(*) FROM outbox WHERE acked_at IS NULL"))

    def outbox_next(self, limit: int) -> list[tuple[str, str | None]]:
        """The oldest entries still to send: (entry id, the payload kept from the first send,
        or None when it has never been sent)."""
        return [(r["entry_id"], r["payload"]) for r in self.db.all(
            "SELECT o.entry_id, o.payload FROM outbox o JOIN sales s ON s.id = o.entry_id "
            "WHERE o.state = 'pending' ORDER BY s.seq LIMIT ?", [limit])]

    def shift_outbox_next(self, limit: int) -> list[tuple[str, int, str, str | None]]:
        """The oldest shift entries still to send: (entry id, shift, "open" or "close", the
        payload kept from the first send or None)."""
        return [(r["entry_id"], r["shift_id"], r["stage"], r["payload"]) for r in self.db.all(
            "SELECT entry_id, shift_id, stage, payload FROM shift_outbox WHERE state = "
            "'pending' ORDER BY shift_id, stage = 'close' LIMIT ?", [limit])]

    def keep_payloads(self, payloads: Sequence[tuple[str, str]]) -> None:
        """Keep (entry id, payload) as sent the first time, so that a resend is the same."""
        with self.transaction():
            for table in OUTBOXES:
                self.db.executemany(
                    f"UPDATE {table} SET payload = ? WHERE entry_id = ? AND payload IS NULL",
                    [(payload, entry_id) for entry_id, payload in payloads])

    def outbox_settled(self, acked: Sequence[str], quarantined: Sequence[tuple[str, str]],
                       clock_skew: timedelta | None = None, *, synced: bool = True,
                       upstream: dict[str, Any] | None = None) -> None:
        """The ledger's full reply, written in one transaction: ``acked`` (stored, or already
        there) and ``quarantined`` (id, reason: rejected or in conflict, for a person);
        ``clock_skew``: this clock less the ledger's, as the reply's Date said; with a reply
        (``synced``), what it said of its link upstream (:meth:`note_upstream`)."""
        now = self.clock().isoformat()
        with self.transaction():
            for table in OUTBOXES:
                self.db.executemany(
                    f"UPDATE {table} SET state = 'acked', acked_at = ?, last_error = NULL"
                    + ", held = NULL"
                    + " WHERE entry_id = ? AND state = 'pending'", [(now, i) for i in acked])
                self.db.executemany(
                    f"UPDATE {table} SET state = 'quarantined', reason = ? "
                    "WHERE entry_id = ? AND state = 'pending'",
                    [(reason, i) for i, reason in quarantined])
            if synced:  # (not: entries set aside by this lane's own check)
                self._set_sync("last_sync", now)
                self._note_upstream(upstream)
            if clock_skew is not None:
                self._set_sync("clock_skew", str(int(clock_skew.total_seconds())))

    def note_upstream(self, upstream: dict[str, Any] | None) -> None:
        """What the ledger said of its own link upstream: a fair's hub says how many of this
        lane's entries have not reached the centre yet, and when it last reached it (None:
        the ledger is the centre)."""
        with self.transaction():
            self._note_upstream(upstream)

    def _note_upstream(self, upstream: dict[str, Any] | None) -> None:
        self._set_sync("upstream", json.dumps(upstream) if upstream else "")

    def ledger_clock_skew(self) -> timedelta | None:
        """This clock less the ledger's at the last sync (None: never heard)."""
        seconds = self.sync_value("clock_skew")
        return None if seconds is None else timedelta(seconds=int(seconds))

    def outbox_resend(self, entry_ids: Sequence[str]) -> int:
        """Entries the ledger says it lacks although they were acknowledged (its copy was lost,
        or restored from an old backup): send them again. Returns how many."""
        with self.transaction():
            return sum(self.db.execute(
                f"UPDATE {table} SET state = 'pending', acked_at = NULL "
                "WHERE entry_id = ? AND state = 'acked'", [i]).rowcount
                for i in entry_ids for table in OUTBOXES)

    def outbox_failed(self, entry_ids: Sequence[str], error: str,
                      clock_skew: timedelta | None = None) -> None:
        """A send that failed, or whose outcome is unknown: the entries stay pending,
        unchanged (``clock_skew``: as in :meth:`outbox_settled`, if a reply came)."""
        with self.transaction():
            for table in OUTBOXES:
                self.db.executemany(
                    f"UPDATE {table} SET attempts = attempts + 1, last_error = ? "
                    "WHERE entry_id = ?", [(error, i) for i in entry_ids])
            if clock_skew is not None:
                self._set_sync("clock_skew", str(int(clock_skew.total_seconds())))

    def outbox_held(self, held: Sequence[tuple[str, str]]) -> None:
        """Entries the ledger holds back (id, why: what it does not know yet): they stay
        pending, to go again, with the reason kept for sync-status."""
        with self.transaction():
            for table in OUTBOXES:
                self.db.executemany(f"UPDATE {table} SET attempts = attempts + 1, held = ? "
                                    "WHERE entry_id = ? AND state = 'pending'",
                                    [(reason, i) for i, reason in held])

    def held_back(self) -> list[tuple[str, str]]:
        """(entry id, the ledger's reason) of every entry the ledger holds back."""
        return [(r["entry_id"], r["held"]) for r in self.db.all(
            "SELECT entry_id, held FROM outbox WHERE state = 'pending' AND held IS NOT NULL "
            "UNION ALL SELECT entry_id, held FROM shift_outbox WHERE state = 'pending' "
            "AND held IS NOT NULL ORDER BY entry_id")]

    def outbox_summary(self) -> OutboxSummary:
        row = self.db.one(
            "SELECT SUM(state = 'pending') AS pending, MIN(CASE WHEN state = 'pending' "
            "THEN created_at END) AS oldest, SUM(state = 'quarantined') AS quarantined "
            "FROM outbox")
        assert row is not None
        shifts = self.db.one("SELECT SUM(state = 'pending') AS pending, "
                             "SUM(state = 'quarantined') AS quarantined FROM shift_outbox")
        assert shifts is not None
        upstream = json.loads(self.sync_value("upstream") or "null")
        return OutboxSummary(int(row["pending"] or 0), row["oldest"],
                             int(row["quarantined"] or 0) + int(shifts["quarantined"] or 0),
                             self.sync_value("last_sync"),
                             None if upstream is None else int(upstream["pending"]),
                             None if upstream is None else upstream.get("last_contact"),
                             int(shifts["pending"] or 0))

    def quarantined(self) -> list[tuple[str, str]]:
        """(entry id, the ledger's reason) of every quarantined entry."""
        return [(r["entry_id"], r["reason"] or "") for r in self.db.all(
            "SELECT entry_id, reason FROM outbox WHERE state = 'quarantined' UNION ALL "
            "SELECT entry_id, reason FROM shift_outbox WHERE state = 'quarantined' "
            "ORDER BY entry_id")]

    def business_dates(self) -> list[str]:
        """Every business date with entries, oldest first."""
        return [str(r[0]) for r in self.db.tuples(
            "SELECT DISTINCT business_date FROM sales ORDER BY 1")]

    def day_matched(self, business_date: str) -> None:
        """The ledger matched this business date (its day close): noted with the moment."""
        with self.transaction():
            self._set_sync(f"matched {business_date}", self.clock().isoformat())

    def _matched_ages(self) -> dict[str, timedelta | None]:
        """Each business date with entries: how long ago the ledger matched it (None: not)."""
        now = self.clock()
        ages: dict[str, timedelta | None] = {}
        for day in self.business_dates():
            matched = self.sync_value(f"matched {day}")
            ages[day] = None if matched is None else now - datetime.fromisoformat(matched)
        return ages

    def days_to_close(self, keep_days: int) -> list[str]:
        """The business dates a sync closes with the ledger: every one with entries not
        matched yet, and those matched less than ``keep_days`` ago (a ledger may lose what
        it had: it is asked again until then)."""
        return [day for day, age in self._matched_ages().items()
                if age is None or age < timedelta(days=keep_days)]

    def prune_payloads(self, keep_days: int) -> int:
        """Let go of the kept payloads of business dates the ledger matched more than
        ``keep_days`` ago (their entries stay in the journal); how many."""
        old = [day for day, age in self._matched_ages().items()
               if age is not None and age >= timedelta(days=keep_days)]
        if not old:
            return 0
        with self.transaction():
            return sum(self.db.execute(
                "UPDATE outbox SET payload = NULL WHERE state = 'acked' AND payload IS NOT "
                "NULL AND entry_id IN (SELECT id FROM sales WHERE business_date = ?)",
                [day]).rowcount + self.db.execute(
                "UPDATE shift_outbox SET payload = NULL WHERE state = 'acked' AND payload IS "
                "NOT NULL AND shift_id IN (SELECT id FROM shifts WHERE business_date = ?)",
                [day]).rowcount for day in old)

    def latest_business_date(self) -> str | None:
        """The newest business date with entries."""
        day = self.db.value("SELECT MAX(business_date) FROM sales")
        return None if day is None else str(day)

    def shift_entry_ids(self, business_date: str) -> list[str]:
        """The shift entries of a business date (its shifts' openings and closes)."""
        return [r["entry_id"] for r in self.db.all(
            "SELECT o.entry_id FROM shift_outbox o JOIN shifts s ON s.id = o.shift_id "
            "WHERE s.business_date = ? ORDER BY o.entry_id", [business_date])]

    def entry_ids(self, business_date: str) -> list[str]:
        """Every entry of a business date, in order."""
        return [r["id"] for r in self.db.all(
            "SELECT id FROM sales WHERE business_date = ? ORDER BY seq", [business_date])]
