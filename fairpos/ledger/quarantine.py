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

HEAD_KEPT = 64 * 1024  # bytes of a refused entry's body kept
LANE_DAY_KEPT = 4 * 1024 * 1024  # bytes of refused bodies kept per lane and day received
PAGE_BYTES = 1024 * 1024  # bytes of bodies one page of the quarantine shows, at most

_BUSINESS_DATE = re.compile(r'"business_date": ?"([0-9]{4}-[0-9]{2}-[0-9]{2})"')


def business_date_of(payload: str) -> str | None:
    """The business date an entry as received gives, if it gives one legibly."""
    found = _BUSINESS_DATE.search(payload)
    return found.group(1) if found else None


@dataclass(frozen=True)
class Refused:
    """An entry refused (``kind``: "rejected", or "conflict" with what the ledger holds)."""

    sale_id: str
    kind: str
    reason: str
    payload: bytes  # as received
    digest: str  # the SHA-256 of all of it


def head(payload: bytes, room: int) -> str:
    """The first ``room`` bytes of a body, as text (a character the cut splits is left out)."""
    return payload[:max(room, 0)].decode("utf-8", "ignore")


def keep(conn: Any, device_id: str, refused: Sequence[Refused], now: str) -> None:
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


def by_size(rows: list[dict[str, Any]], most: int = PAGE_BYTES) -> list[dict[str, Any]]:
    """The first of ``rows`` (each with its ``payload``) whose bodies add up to ``most``
    bytes at most — always the first one, so that a page moves on."""
    shown: list[dict[str, Any]] = []
    size = 0
    for row in rows:
        size += len(row["payload"].encode())
        if shown and size > most:
            break
        shown.append(row)
    return shown
