"""A person's resolution of an entry in quarantine, kept once and never changed: a different
sale that collided with an accepted one's id is *taken in* — kept as an entry of its own under
an id of the ledger's (the original's, ``-R`` and the quarantine's number), counted in its day,
its lane, the pago móvil matching and the CSVs — or the entry is left out as a *copy* of one
the ledger holds, or as *wrong*. The entry itself stays in the quarantine as it came.
"""

from __future__ import annotations

from typing import Any

from fairpos.i18n import _
from fairpos.ledger.store.core import LedgerError, persons_words
from fairpos.ledger.store.ingest import BatchRows
from fairpos.ledger.store.records import QuarantineEntry, SaleOpened
from fairpos.ledger.store.sale_reads import SaleReads
from fairpos.sync.sale_entries import read_sale_entry

ACTIONS = ("taken_in", "copy", "wrong")


def taken_in_id(sale_id: str, quarantine_id: int) -> str:
    """The id the ledger keeps a collided sale under: its own, and the quarantine's number."""
    return f"{sale_id}-R{quarantine_id}"


class Resolutions(SaleReads):
    """What a person decided about an entry in quarantine."""

    def quarantine_entry(self, quarantine_id: int) -> QuarantineEntry | None:
        """One entry in quarantine with all that is kept of it and how it was settled."""
        rows, _count = self.quarantine_page(state="all", only=quarantine_id, limit=1)
        return rows[0] if rows else None

    def held_beside(self, entry: QuarantineEntry) -> SaleOpened | None:
        """The accepted sale an entry in quarantine collided with (None: none)."""
        return self.sale(entry.sale_id) if entry.sale_id and entry.kind == "conflict" \
            else None

    def resolve_quarantined(self, quarantine_id: int, action: str, by: str,
                            reason: str) -> str | None:
        """Settle an entry in quarantine (``action``: taken_in, copy or wrong) in the name
        of ``by`` for ``reason``; the id it is kept under when taken in. Refused (one line)
        for an entry settled already, for taking in what is not a whole sale that collided
        with another's id, and for a name or reason that is empty, too long or holds a
        hidden character."""
        if action not in ACTIONS:
            raise LedgerError(_("“{action}” is not a way to settle an entry").format(
                action=action[:40]))
        who, why = persons_words(by, "name", 80), persons_words(reason, "reason", 500)
        now = self.clock()
        with self.transaction() as conn:
            row = conn.execute(
                "SELECT q.device_id, q.sale_id, q.kind, q.payload, q.payload_hash, "
                "COALESCE(q.size, LENGTH(q.payload)), (SELECT r.action FROM "
                "quarantine_resolutions r WHERE r.quarantine_id = q.id) FROM quarantine q "
                "WHERE q.id = ?", [quarantine_id]).fetchone()
            if row is None:
                raise LedgerError(_("there is no entry #{id} in quarantine").format(
                    id=quarantine_id))
            device_id, sale_id, kind, payload, digest, size, settled = row
            if settled is not None:
                raise LedgerError(_("entry #{id} was settled already").format(
                    id=quarantine_id))
            kept = self._take_in(conn, quarantine_id, device_id, sale_id, kind, payload,
                                 digest, int(size), now) if action == "taken_in" else None
            conn.execute("INSERT INTO quarantine_resolutions (quarantine_id, action, sale_id, "
                         "by_name, reason, at) VALUES (?,?,?,?,?,?)",
                         [quarantine_id, action, kept, who, why, now])
        return kept

    def _take_in(self, conn: Any, quarantine_id: int, device_id: str, sale_id: str,
                 kind: str, payload: str, digest: str, size: int, now: str) -> str:
        """A collided sale stored as an entry of its own, in the caller's transaction."""
        if kind != "conflict":
            raise LedgerError(_("only a sale whose id collided with another's can be taken "
                                "in; a refused entry is corrected at its lane"))
        if len(payload.encode()) < size:
            raise LedgerError(_("the entry was not kept whole: it cannot be taken in"))
        read = read_sale_entry(payload.encode(), self.known())
        if read.sale is None or read.reason is not None:
            raise LedgerError(_("the entry is not a sale the ledger can take in ({reason})")
                              .format(reason=read.reason or "?"))
        kept = taken_in_id(sale_id, quarantine_id)
        rows = BatchRows()
        rows.take(read.sale, device_id, payload, digest, now, sale_id=kept,
                  seq=-quarantine_id)  # (below every number the lane gives: no gap)
        rows.write(self.backend, conn, device_id, now)
        return kept

