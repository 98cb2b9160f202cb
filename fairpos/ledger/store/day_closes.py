"""A lane's day close: its figures for a business date against what the ledger has of it
(match, pending — with the entries still to come — or mismatch), and what the ledger lacks of
a lane.
"""

from __future__ import annotations

import json
from contextlib import suppress
from datetime import date
from typing import Any

from fairpos.i18n import _
from fairpos.ledger.limits import MISSING_SHOWN
from fairpos.ledger.store.core import (
    IDS_PER_QUERY,
    LedgerError,
)
from fairpos.ledger.store.ingest import Ingest
from fairpos.sync.sale_entries import (
    MAX_SEQ,
    split_id,
)
from fairpos.sync.shift_entries import SHIFT_ID
from fairpos.sync.wire import DayFigures, WireError


class DayCloses(Ingest):
    """Day closes, and what the ledger still lacks of a lane."""

    def _missing(self, device_id: str, upto: int | None = None,
                 shown: int = MISSING_SHOWN) -> tuple[list[int], int]:
        """Sequence numbers not here: the gaps above the device's resume point (everything up
        to it is here), to its highest entry here or to ``upto``; the first ``shown`` of them,
        and how many in all. Entries above the resume point are bounded (``seq_ahead``), so
        this walks the entries, never the gaps."""
        start = int(self._all("SELECT max_contiguous_seq FROM devices WHERE device_id = ?",
                              [device_id])[0][0])
        present = [row[0] for row in self._all(
            "SELECT seq FROM sales WHERE device_id = ? AND seq > ? ORDER BY seq",
            [device_id, start])]
        end = max(present, default=start) if upto is None else min(upto, MAX_SEQ)
        missing: list[int] = []
        count = 0
        before = start
        for seq in [*(p for p in present if p <= end), end + 1]:
            gap = seq - before - 1
            if gap > 0:
                missing.extend(range(before + 1, min(seq, before + 1 + shown - len(missing))))
                count += gap
            before = seq
        return missing, count

    def day_figures(self, device_id: str, business_date: str) -> DayFigures:
        """What the ledger holds of a lane's business day, added up as the lane adds up its
        own at the day's close (what a day close compares)."""
        rows = self._all("SELECT payload FROM sales WHERE device_id = ? AND business_date = ? "
                         "ORDER BY seq", [device_id, business_date])
        return DayFigures.of(business_date, (json.loads(row[0]) for row in rows))

    def sync_state(self, device_id: str) -> dict[str, Any]:
        row = self._all("SELECT max_contiguous_seq, last_sync_at FROM devices "
                        "WHERE device_id = ?", [device_id])[0]
        dates = [r[0] for r in self._all("SELECT DISTINCT business_date FROM sales WHERE "
                                         "device_id = ? ORDER BY 1", [device_id])]
        count = self._all("SELECT COUNT(*) FROM sales WHERE device_id = ?", [device_id])[0][0]
        quarantined = self._all("SELECT COUNT(*) FROM quarantine_out WHERE device_id = ?",
                                [device_id])[0][0]
        missing, missing_count = self._missing(device_id)
        return {"device_id": device_id, "max_contiguous_seq": row[0],
                "last_sync_at": row[1], "count": count, "missing_seqs": missing,
                "missing_count": missing_count, "quarantined": quarantined,
                "days": [self.day_figures(device_id, day).to_json() for day in dates]}

    def day_close(self, device_id: str, figures: dict[str, Any]) -> dict[str, Any]:
        """The stall's figures for a business date against the ledger's: ``match``,
        ``pending`` (entries still to come: their ids) or ``mismatch``."""
        try:
            day = date.fromisoformat(str(figures["business_date"])).isoformat()
            max_seq = int(figures["max_seq"])
        except (KeyError, TypeError, ValueError):
            raise LedgerError(_("day-close needs business_date and max_seq")) from None
        mine = self.day_figures(device_id, day).to_json()
        theirs = {"business_date": day, "count": figures.get("count"), "max_seq": max_seq,
                  "totals": figures.get("totals", {}), "tenders": figures.get("tenders", {})}
        missing, missing_count = self._missing(device_id, upto=max_seq)
        held = set()
        for (sale_id,) in self._all("SELECT sale_id FROM quarantine WHERE device_id = ?",
                                    [device_id]):
            with suppress(WireError):  # a malformed id was rejected; it has no seq
                held.add(split_id(sale_id)[1])
        # entries in quarantine are not on their way: only a person can settle them
        waiting = [seq for seq in missing if seq not in held]
        lacking = self._shifts_lacking(device_id, figures.get("shifts"))
        if mine == theirs and not lacking:
            result = "match"
        elif waiting or missing_count > len(missing) or lacking:
            result = "pending"
        else:
            result = "mismatch"
        kept = {**theirs, "shifts": figures["shifts"]} if "shifts" in figures else theirs
        with self.transaction() as conn:
            conn.execute("INSERT INTO day_closes (device_id, business_date, figures, result, at)"
                         " VALUES (?,?,?,?,?)",
                         [device_id, day, json.dumps(kept, sort_keys=True), result,
                          self.clock()])
        return {"result": result, "ledger": mine, "stall": theirs,
                "missing": [f"{device_id}-{seq:06d}" for seq in waiting] + lacking,
                "quarantined": [f"{device_id}-{seq:06d}" for seq in missing
                                if seq in held]}

    def _shifts_lacking(self, device_id: str, named: Any) -> list[str]:
        """Of the shift entries a lane names at its day close, those not here (nor in
        quarantine, where only a person settles them)."""
        if named is None:
            return []
        if not isinstance(named, list) or len(named) > IDS_PER_QUERY or not all(
                isinstance(i, str) and SHIFT_ID.fullmatch(i) and
                i.startswith(f"{device_id}-") for i in named):
            raise LedgerError(_("day-close names shift entries that are not this device's"))
        if not named:
            return []
        marks = ",".join("?" * len(named))
        here = {row[0] for row in self._all(
            f"SELECT id FROM shift_entries WHERE id IN ({marks}) UNION ALL SELECT sale_id "
            f"FROM quarantine WHERE device_id = ? AND sale_id IN ({marks})",
            [*named, device_id, *named])}
        return [i for i in named if i not in here]
