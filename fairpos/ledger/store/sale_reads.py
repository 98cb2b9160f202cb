"""A sale found and opened: one entry as the lane sent it, with the voids and refunds that
name it (or the sale it names), and a search over the entries by id, lane, amount and dates.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from fairpos.ledger.store.core import IDS_PER_QUERY
from fairpos.ledger.store.day_status import DayStatusBook
from fairpos.ledger.store.records import SaleFound, SaleOpened
from fairpos.ledger.store.search_keys import searched

FOUND_MOST = 200  # a search's rows, at most


class SaleReads(DayStatusBook):
    """One sale, and the search that finds it."""

    def sale(self, sale_id: str) -> SaleOpened | None:
        """The entry ``sale_id`` (None: the ledger has none), its lane, and its family
        oldest first: the sale and every void and refund of it (the sale a void or refund
        names, for one of those)."""
        rows = self._all(
            "SELECT s.id, s.device_id, d.fair, d.lane, s.kind, s.ref_id, s.business_date, "
            "s.confirmed_at, s.received_at, s.payload FROM sales s LEFT JOIN devices d ON "
            "d.device_id = s.device_id WHERE s.id = ?", [sale_id])
        if not rows:
            return None
        (found, device_id, fair, lane, kind, ref_id, day, confirmed, received,
         payload) = rows[0]
        root = ref_id or found
        related = [replace(_found(r), reason=json.loads(r[10]).get("reason")) for r in self._all(
            f"{_FOUND_WITH_PAYLOAD} WHERE s.id = ? OR s.ref_id = ? "
            "ORDER BY s.confirmed_at, s.id", [root, root])]
        return SaleOpened(found, device_id, fair, None if lane is None else int(lane), kind,
                          ref_id, day, confirmed, received, json.loads(payload), related)

    def find_sales(self, text: str = "", *, amount: int | None = None,
                   device_id: str | None = None, fair: str | None = None,
                   first: str | None = None, last: str | None = None,
                   most: int = FOUND_MOST) -> list[SaleFound]:
        """Entries newest first, at most ``most``: whose id is ``text`` (or of the lane whose
        device is ``text``, or paid with that reference or phone, or rung by that
        volunteer), whose total (or one of whose payments) is ``amount`` in minor units, of a
        lane, of a fair, of business dates from ``first`` to ``last``; each condition left
        out when not given. The text and the amount are looked up by their indexes first."""
        wanted = text.strip().upper()
        ids: set[str] | None = None
        if wanted:
            keys = searched(text)
            ids = {r[0] for r in self._all(
                "SELECT id FROM sales WHERE id = ? UNION SELECT id FROM sales WHERE "
                "device_id = ? AND (CAST(? AS TEXT) IS NULL OR business_date >= ?) "
                "AND (CAST(? AS TEXT) IS NULL OR business_date <= ?) UNION "
                "SELECT sale_id FROM sale_search WHERE value IN (?, ?) "
                "AND (CAST(? AS TEXT) IS NULL OR business_date >= ?) "
                "AND (CAST(? AS TEXT) IS NULL OR business_date <= ?)",
                [wanted, wanted, first, first, last, last, keys[0], keys[-1], first, first,
                 last, last])}
        if amount is not None:
            paid = {r[0] for r in self._all(
                "SELECT id FROM sales WHERE total = ? UNION "
                "SELECT sale_id FROM sale_tenders WHERE amount = ?", [amount, amount])}
            ids = paid if ids is None else ids & paid
        where = [device_id, device_id, fair, fair, first, first, last, last]
        if ids is None:
            return [_found(r) for r in self._all(
                f"{_FOUND} WHERE {_FILTERS} ORDER BY s.business_date DESC, "
                "s.confirmed_at DESC, s.id DESC LIMIT ?", [*where, int(most)])]
        found: list[SaleFound] = []
        named = sorted(ids)
        for start in range(0, len(named), IDS_PER_QUERY):
            part = named[start:start + IDS_PER_QUERY]
            found += [_found(r) for r in self._all(
                f"{_FOUND} WHERE s.id IN ({','.join('?' * len(part))}) AND {_FILTERS}",
                [*part, *where])]
        found.sort(key=lambda f: (f.business_date, f.confirmed_at, f.id), reverse=True)
        return found[:most]


# what a search narrows its entries by besides its text and amount
_FILTERS = ("(CAST(? AS TEXT) IS NULL OR s.device_id = ?) "
            "AND (CAST(? AS TEXT) IS NULL OR d.fair = ?) "
            "AND (CAST(? AS TEXT) IS NULL OR s.business_date >= ?) "
            "AND (CAST(? AS TEXT) IS NULL OR s.business_date <= ?)")


_FOUND = ("SELECT s.id, s.device_id, d.fair, d.lane, s.kind, s.business_date, "
          "s.confirmed_at, s.training, s.currency, s.total FROM sales s "
          "LEFT JOIN devices d ON d.device_id = s.device_id")
_FOUND_WITH_PAYLOAD = ("SELECT s.id, s.device_id, d.fair, d.lane, s.kind, s.business_date, "
                       "s.confirmed_at, s.training, s.currency, s.total, s.payload FROM sales s "
                       "LEFT JOIN devices d ON d.device_id = s.device_id")


def _found(row: Any) -> SaleFound:
    return SaleFound(row[0], row[1], row[2], None if row[3] is None else int(row[3]), row[4],
                     row[5], row[6], bool(row[7]), row[8], int(row[9]))
