"""What the ledger keeps of an entry it refuses — bounded, so that no lane fills the ledger or
makes its pages heavy.

An entry in quarantine keeps its reason, the size it came with, the hash of all of it, the
business date it gives, and the head of its body: at most :data:`HEAD_KEPT` bytes, and no
more than :data:`LANE_DAY_KEPT` bytes of bodies for one lane on one day (as received). Past
that, the reason, size and hash alone. The entry itself stays whole in the lane's journal,
where it is sent again from once what it lacked is settled: the ledger keeps what a person
needs to see what was refused and why.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from fairpos.i18n import _
from fairpos.ledger.store.core import LedgerError, persons_words
from fairpos.ledger.store.devices import Devices
from fairpos.ledger.store.records import QuarantineEntry

HEAD_KEPT = 64 * 1024  # bytes of a refused entry's body kept
LANE_DAY_KEPT = 4 * 1024 * 1024  # bytes of refused bodies kept per lane and day received
PAGE_BYTES = 1024 * 1024  # bytes of bodies one page of the quarantine shows, at most

_BUSINESS_DATE = re.compile(r'"business_date": ?"([0-9]{4}-[0-9]{2}-[0-9]{2})"')


def business_date_of(payload: str) -> str | None:
    """The business date an entry as received gives, if it gives one legibly."""
    found = _BUSINESS_DATE.search(payload)
    return found.group(1) if found else None


@dataclass(frozen=True)
class Quarantined:
    """An entry refused (``kind``: "rejected", or "conflict" with what the ledger holds)."""

    sale_id: str
    kind: str
    reason: str
    payload: bytes  # as received
    digest: str  # the SHA-256 of all of it


def head(payload: bytes, room: int) -> str:
    """The first ``room`` bytes of a body, as text (a character the cut splits is left out)."""
    return payload[:max(room, 0)].decode("utf-8", "ignore")


def keep(conn: Any, device_id: str, refused: Sequence[Quarantined], now: str) -> None:
    """Put ``device_id``'s refused entries into the quarantine, in the caller's transaction,
    each with as much of its body as the bounds leave room for (an entry already there with
    the same hash is not added twice)."""
    if not refused:
        return
    day = now[:10]
    kept_today = int(conn.execute(
        "SELECT COALESCE(SUM(kept), 0) FROM quarantine WHERE device_id = ? AND received_at >= ?",
        [device_id, day]).fetchone()[0])
    rows = []
    for entry in refused:
        body = head(entry.payload, min(HEAD_KEPT, LANE_DAY_KEPT - kept_today))
        kept = len(body.encode())
        kept_today += kept
        rows.append((device_id, entry.sale_id, entry.kind, entry.reason, body, entry.digest,
                     now, len(entry.payload), kept,
                     business_date_of(head(entry.payload, HEAD_KEPT))))
    conn.executemany(
        "INSERT INTO quarantine (device_id, sale_id, kind, reason, payload, payload_hash, "
        "received_at, size, kept, business_date) VALUES (?,?,?,?,?,?,?,?,?,?) "
        "ON CONFLICT DO NOTHING", rows)


def by_size(rows: list[QuarantineEntry], most: int = PAGE_BYTES) -> list[QuarantineEntry]:
    """The first of ``rows`` (each with its ``payload``) whose bodies add up to ``most``
    bytes at most — always the first one, so that a page moves on."""
    shown: list[QuarantineEntry] = []
    size = 0
    for row in rows:
        size += len((row.payload or "").encode())
        if shown and size > most:
            break
        shown.append(row)
    return shown


# (An entry in quarantine still out — not one refused then and stored since, sent again once
# what it named was published; it stays in the quarantine's history, "all" — is in the view
# ``quarantine_out``, in the migrations.)


# a page of the quarantine: of a fair and a device (or all, or one entry); "open" entries are
# still out (not settled) and not reviewed yet, "reviewed" ones have a note or were settled,
# "all" are both and the rest of the history
_PAGE_WHERE = """FROM quarantine q LEFT JOIN devices d ON d.device_id = q.device_id
    LEFT JOIN quarantine_resolutions s ON s.quarantine_id = q.id
    WHERE (CAST(? AS TEXT) IS NULL OR d.fair = ?) AND (CAST(? AS TEXT) IS NULL OR q.device_id = ?)
    AND (CAST(? AS BIGINT) IS NULL OR q.id = ?)
    AND (CAST(? AS TEXT) <> 'open' OR (
        NOT EXISTS (SELECT 1 FROM quarantine_reviews r WHERE r.quarantine_id = q.id)
        AND EXISTS (SELECT 1 FROM quarantine_out o WHERE o.id = q.id)))
    AND (CAST(? AS TEXT) <> 'reviewed' OR s.id IS NOT NULL OR
        EXISTS (SELECT 1 FROM quarantine_reviews r WHERE r.quarantine_id = q.id))"""


class QuarantineBook(Devices):
    """The quarantine as people read it: what is still out, a page of it, and a person's
    review of an entry."""

    def quarantine_history(self, fair: str | None = None) -> list[QuarantineEntry]:
        """Every entry the quarantine ever held (of one fair), oldest first, each with its
        latest review and how it was settled (what its CSV carries; no bodies)."""
        return [QuarantineEntry(row[0], row[1], row[2], row[3], row[4], row[5], row[6],
                                row[7], note=row[8], reviewed_at=row[9], resolution=row[10],
                                resolved_by=row[11], resolved_at=row[12],
                                resolved_reason=row[13], resolved_sale=row[14])
                for row in self._all(
            "SELECT q.id, q.device_id, d.fair, d.lane, q.sale_id, q.kind, q.reason, "
            "q.received_at, "
            "(SELECT r.note FROM quarantine_reviews r WHERE r.quarantine_id = q.id "
            " ORDER BY r.id DESC LIMIT 1), "
            "(SELECT r.at FROM quarantine_reviews r WHERE r.quarantine_id = q.id "
            " ORDER BY r.id DESC LIMIT 1), "
            "s.action, s.by_name, s.at, s.reason, s.sale_id FROM quarantine q "
            "LEFT JOIN devices d ON d.device_id = q.device_id "
            "LEFT JOIN quarantine_resolutions s ON s.quarantine_id = q.id "
            "WHERE CAST(? AS TEXT) IS NULL OR d.fair = ? ORDER BY q.id", [fair, fair])]

    def quarantined(self, fair: str | None = None, newest: int | None = None
                    ) -> list[QuarantineEntry]:
        """The quarantine (of one fair), oldest first; ``newest``: only that many of the
        newest, newest first (what a page shows)."""
        order = "ORDER BY q.id" if newest is None else f"ORDER BY q.id DESC LIMIT {int(newest)}"
        return [QuarantineEntry(*row) for row in self._all(
            "SELECT q.id, q.device_id, d.fair, d.lane, q.sale_id, q.kind, q.reason, "
            "q.received_at FROM quarantine_out q LEFT JOIN devices d ON d.device_id = "
            f"q.device_id WHERE (CAST(? AS TEXT) IS NULL OR d.fair = ?) {order}",
            [fair, fair])]

    def quarantine_page(self, fair: str | None = None, device: str | None = None,
                        state: str = "open", offset: int = 0, limit: int = 50,
                        only: int | None = None) -> tuple[list[QuarantineEntry], int]:
        """A page of the quarantine, newest first — each entry with what is kept of its body
        (``payload``; ``size``: the bytes it came with), its latest review and how it was
        settled — for one fair and device or all (``only``: that entry alone); ``state``:
        "open" (neither reviewed nor settled yet), "reviewed" (either) or "all". At most
        ``limit`` entries, fewer where their bodies pass :data:`PAGE_BYTES`. And how many
        entries match."""
        params = [fair, fair, device, device, only, only, state, state]
        # (an entry kept whole before the bounds: its head, as a bounded one's)
        rows = by_size([QuarantineEntry(*row) for row in self._all(
            "SELECT q.id, q.device_id, d.fair, d.lane, q.sale_id, q.kind, q.reason, "
            "q.received_at, substr(q.payload, 1, ?) AS payload, "
            "COALESCE(q.size, LENGTH(q.payload)) AS size, "
            "(SELECT r.note FROM quarantine_reviews r WHERE r.quarantine_id = q.id "
            " ORDER BY r.id DESC LIMIT 1) AS note, "
            "(SELECT r.at FROM quarantine_reviews r WHERE r.quarantine_id = q.id "
            " ORDER BY r.id DESC LIMIT 1) AS reviewed_at, "
            "s.action, s.by_name, s.at, s.reason, s.sale_id "
            f"{_PAGE_WHERE} ORDER BY q.id DESC LIMIT ? OFFSET ?",
            [HEAD_KEPT, *params, int(limit), max(int(offset), 0)])])
        return rows, int(self._all(f"SELECT COUNT(*) {_PAGE_WHERE}", params)[0][0])

    def review_quarantined(self, quarantine_id: int, note: str) -> None:
        """A person's note on an entry in quarantine (what was found, what was done): the
        entry stays as it came; a later note is added, never written over."""
        text = persons_words(note, "note", 500)
        with self.transaction() as conn:
            if conn.execute("SELECT 1 FROM quarantine WHERE id = ?",
                            [quarantine_id]).fetchone() is None:
                raise LedgerError(_("there is no entry #{id} in quarantine").format(
                    id=quarantine_id))
            conn.execute("INSERT INTO quarantine_reviews (quarantine_id, note, at) "
                         "VALUES (?, ?, ?)", [quarantine_id, text, self.clock()])

    def quarantine_count(self, fair: str | None = None) -> int:
        return int(self._all(
            "SELECT COUNT(*) FROM quarantine_out q LEFT JOIN devices d ON d.device_id = "
            "q.device_id WHERE CAST(? AS TEXT) IS NULL OR d.fair = ?",
            [fair, fair])[0][0])
