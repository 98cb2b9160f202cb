"""A person's resolution of an entry in quarantine, kept once and never changed: a different
sale that collided with an accepted one's id is *taken in* — kept as an entry of its own under
an id of the ledger's (the original's, ``-R`` and the quarantine's number), counted in its day,
its lane, the pago móvil matching and the CSVs — or the entry is left out as a *copy* of one
the ledger holds, or as *wrong*. The entry itself stays in the quarantine as it came.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any

from fairpos.i18n import _
from fairpos.ledger.store.core import LedgerError, persons_words
from fairpos.ledger.store.ingest import BatchRows
from fairpos.ledger.store.records import QuarantineEntry, SaleOpened
from fairpos.ledger.store.sale_reads import SaleReads
from fairpos.sync.sale_entries import read_sale_entry

ACTIONS = ("taken_in", "copy", "wrong")
RELAYED_AT_ONCE = 200  # sales taken in that a hub sends up in one request, at most
_TAKEN_IN_ID = re.compile(r"^(?P<sale>[A-Z0-9]{1,32}-[0-9]{6})-R(?P<n>[0-9]{1,9})$")


@dataclass(frozen=True, slots=True)
class Relayed:
    """A sale a hub took in from its quarantine, as it goes up to the centre."""

    id: str
    device_id: str
    payload: str
    by: str
    reason: str
    at: str

    def to_json(self) -> dict[str, str]:
        return {"id": self.id, "device_id": self.device_id, "payload": self.payload,
                "by": self.by, "reason": self.reason, "at": self.at}


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

    def resolutions_to_relay(self, most: int = RELAYED_AT_ONCE) -> list[Relayed]:
        """At a hub: the sales taken in from its quarantine that the centre has not answered
        for yet (a lane revoked at the centre set aside)."""
        return [Relayed(*row) for row in self._all(
            "SELECT s.id, s.device_id, s.payload, r.by_name, r.reason, r.at FROM sales s "
            "JOIN quarantine_resolutions r ON r.sale_id = s.id WHERE s.seq < 0 "
            "AND NOT EXISTS (SELECT 1 FROM upstream_acks a WHERE a.sale_id = s.id) "
            "AND s.device_id NOT IN (SELECT device_id FROM revoked_devices) "
            "ORDER BY s.id LIMIT ?", [int(most)])]

    def take_in_relayed(self, hub: int, fair: str, item: Any) -> tuple[str, str, str]:
        """At the centre: a sale a hub of ``fair`` took in from its quarantine, kept under the
        hub's id and counted here too (once: sent again, it is a duplicate); (id, outcome,
        reason) — accepted, duplicate or rejected."""
        fields = ("id", "device_id", "payload", "by", "reason", "at")
        if not isinstance(item, dict) or not all(isinstance(item.get(k), str) for k in fields):
            return (str(item.get("id") if isinstance(item, dict) else "")[:80], "rejected",
                    "a resolution names its id, device, entry, who, why and when")
        kept, device_id = str(item["id"]), str(item["device_id"])
        shape = _TAKEN_IN_ID.match(kept)
        device = self.device_by_id(device_id)
        if shape is None or device is None or device.fair != fair:
            return kept[:80], "rejected", f"not a sale taken in at a hub of {fair}"
        if self._all("SELECT 1 FROM sales WHERE id = ?", [kept]):
            return kept, "duplicate", ""
        payload = str(item["payload"])
        read = read_sale_entry(payload.encode(), self.known())
        if read.sale is None or read.reason is not None or read.sale.id != shape["sale"] \
                or not read.sale.id.startswith(f"{device_id}-"):
            return kept, "rejected", str(read.reason or "the entry is not that sale")
        now = self.clock()
        with self.transaction() as conn:
            rows = BatchRows()
            rows.take(read.sale, device_id, payload, hashlib.sha256(payload.encode())
                      .hexdigest(), now, sale_id=kept,
                      seq=-(hub * 1_000_000_000 + int(shape["n"])))  # (apart from ours)
            rows.write(self.backend, conn, device_id, now)
            conn.execute("INSERT INTO audit (at, who, action, detail, address) "
                         "VALUES (?,?,?,?,?)",
                         [now, f"{item['by']} · {fair}"[:120],
                          "quarantine settled at a hub",
                          f"{kept}: {item['reason']} ({item['at']})"[:500], ""])
        return kept, "accepted", ""

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

