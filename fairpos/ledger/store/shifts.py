"""The ledger's side of shifts: each lane's openings and closes stored once, and the cash of a
day and of a week by lane and by volunteer, as the pages show it.

A shift entry is stored like a sale (:mod:`fairpos.sync.shift_entries`): its id once, the same
id with the same payload a duplicate, with another payload a conflict kept in the quarantine
(the first stays), one that does not read rejected with its reason. A close's count lines
(float, expected, first count, last count per method and currency) are kept as rows to add up.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from typing import Any

from fairpos.ledger.store.quarantine import Quarantined, keep
from fairpos.sync.shift_entries import ShiftEntry

Rows = Callable[[str, Sequence[Any]], list[Any]]
_ENTRY_COLUMNS = ("id, device_id, shift, stage, business_date, volunteer, training, at, "
                  "reason, payload, payload_hash, received_at")


def store_shift_entries(conn: Any, device_id: str, entries: Sequence[ShiftEntry], now: str
                        ) -> dict[str, list[Any]]:
    """Store a batch of ``device_id``'s shift entries in the caller's transaction: what was
    accepted, already there, rejected or in conflict (the last two kept in quarantine), or
    pending (naming what this ledger does not know yet: not kept, the lane sends it again)."""
    outcome: dict[str, list[Any]] = {"accepted": [], "duplicate": [], "rejected": [],
                                     "conflict": [], "pending": []}
    refusals: list[Quarantined] = []
    ids = sorted({e.entry_id for e in entries if e.refused is None})
    held = {row[0]: row[1] for row in conn.execute(
        f"SELECT id, payload_hash FROM shift_entries WHERE id IN ({','.join('?' * len(ids))})",
        ids)} if ids else {}
    for entry in entries:
        digest = hashlib.sha256(entry.payload).hexdigest()
        refused = entry.refused
        if entry.pending:
            outcome["pending"].append({"id": entry.entry_id, "reason": str(refused)})
            continue
        if refused is None and entry.device_id != device_id:
            refused = f"{entry.entry_id} is not device {device_id}'s"
        kind = "rejected" if refused is not None else None
        if kind is None and entry.entry_id in held:
            if held[entry.entry_id] == digest:
                outcome["duplicate"].append(entry.entry_id)
                continue
            kind, refused = "conflict", "another shift entry with this id is already on the ledger"
        if kind is not None:
            refusals.append(Quarantined(entry.entry_id, kind, str(refused), entry.payload, digest))
            outcome[kind].append({"id": entry.entry_id, "reason": str(refused)})
            continue
        held[entry.entry_id] = digest
        conn.execute(f"INSERT INTO shift_entries ({_ENTRY_COLUMNS}) "
                     "VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                     [entry.entry_id, device_id, entry.shift, entry.stage,
                      entry.business_date, entry.volunteer, int(entry.training), entry.at,
                      entry.reason, entry.payload.decode(), digest, now])
        if entry.lines:
            conn.executemany("INSERT INTO shift_counts VALUES (?,?,?,?,?,?,?)",
                             [(entry.entry_id, c.method, c.currency, c.opening, c.expected,
                               c.first_count, c.counted) for c in entry.lines])
        outcome["accepted"].append(entry.entry_id)
    keep(conn, device_id, refusals, now)
    return outcome


def day_cash(rows: Rows, business_date: str, fair: str | None) -> list[dict[str, Any]]:
    """Each shift of a business date (training left out), lane by lane: who, when it opened
    and closed (None: still open), the reason given, and its count lines — float, expected,
    first count, last count and over/short per method and currency, cash first."""
    return _shifts(rows, "e.business_date = ? AND (CAST(? AS TEXT) IS NULL OR d.fair = ?)",
                   [business_date, fair, fair], "d.fair, d.lane, e.shift")


def lane_shifts(rows: Rows, device_id: str, newest: int = 30) -> list[dict[str, Any]]:
    """A lane's ``newest`` shifts, newest first, as :func:`day_cash` has them (training
    ones too, marked)."""
    return _shifts(rows, "e.device_id = ? AND e.shift > (SELECT COALESCE(MAX(x.shift), 0) - ? "
                   "FROM shift_entries x WHERE x.device_id = ?)",
                   [device_id, newest, device_id], "e.shift DESC", training=True)


def _shifts(rows: Rows, where: str, params: list[Any], order: str, training: bool = False
            ) -> list[dict[str, Any]]:
    if not training:
        where += " AND e.training = 0"
    shifts: dict[tuple[str, int], dict[str, Any]] = {}
    for r in rows("SELECT e.device_id, d.fair, d.lane, e.shift, e.stage, e.volunteer, e.at, "
                  "e.reason, e.business_date, e.training FROM shift_entries e JOIN devices d "
                  f"ON d.device_id = e.device_id WHERE {where} ORDER BY {order}, e.stage DESC",
                  params):
        shift = shifts.setdefault((r[0], int(r[3])), {
            "device_id": r[0], "fair": r[1], "lane": r[2], "shift": int(r[3]),
            "volunteer": r[5], "business_date": r[8], "training": bool(r[9]),
            "opened_at": None, "closed_at": None, "reason": None, "lines": []})
        if r[4] == "open":
            shift["opened_at"] = r[6]
        else:
            shift["closed_at"], shift["reason"] = r[6], r[7]
    for r in rows("SELECT e.device_id, e.shift, c.method, c.currency, c.opening, c.expected, "
                  "c.first_count, c.counted FROM shift_counts c JOIN shift_entries e ON e.id = "
                  f"c.entry_id JOIN devices d ON d.device_id = e.device_id WHERE {where} "
                  "ORDER BY c.method <> 'cash', c.method, c.currency", params):
        shifts[(r[0], int(r[1]))]["lines"].append({
            "method": r[2], "currency": r[3], "opening": int(r[4]), "expected": int(r[5]),
            "first_count": int(r[6]), "counted": int(r[7]),
            "difference": int(r[7]) - int(r[5])})
    return list(shifts.values())


def week_over_short(rows: Rows, monday: date, fair: str | None) -> dict[str, Any]:
    """The over/short of a week's closed shifts (training left out), per lane and per
    volunteer, per method and currency: shifts closed, how many were short and over and by
    how much in all (``short_amount`` negative, ``over_amount`` positive), and the sum of
    their differences."""
    sunday = monday + timedelta(days=6)
    found = rows(
        "SELECT d.fair, d.lane, e.device_id, e.volunteer, c.method, c.currency, "
        "c.counted - c.expected FROM shift_counts c JOIN shift_entries e ON e.id = c.entry_id "
        "JOIN devices d ON d.device_id = e.device_id WHERE e.business_date BETWEEN ? AND ? "
        "AND e.training = 0 AND (CAST(? AS TEXT) IS NULL OR d.fair = ?)",
        [monday.isoformat(), sunday.isoformat(), fair, fair])
    lanes: dict[tuple[Any, ...], dict[str, Any]] = {}
    volunteers: dict[tuple[Any, ...], dict[str, Any]] = {}
    for fair_name, lane, device_id, volunteer, method, currency, difference in found:
        for table, key, who in (
                (lanes, (fair_name, lane, device_id, method, currency),
                 {"fair": fair_name, "lane": lane, "device_id": device_id}),
                (volunteers, (volunteer, method, currency), {"volunteer": volunteer})):
            row = table.setdefault(key, {**who, "method": method, "currency": currency,
                                         "shifts": 0, "short": 0, "over": 0,
                                         "short_amount": 0, "over_amount": 0,
                                         "difference": 0})
            row["shifts"] += 1
            row["short"] += int(difference) < 0
            row["over"] += int(difference) > 0
            row["short_amount"] += min(int(difference), 0)
            row["over_amount"] += max(int(difference), 0)
            row["difference"] += int(difference)

    def order(row: dict[str, Any]) -> tuple[Any, ...]:
        return (row["method"] != "cash", row["method"], row["currency"])

    return {"monday": monday.isoformat(), "sunday": sunday.isoformat(), "fair": fair,
            "lanes": sorted(lanes.values(), key=lambda r: (r["fair"], r["lane"], *order(r))),
            "volunteers": sorted(volunteers.values(),
                                 key=lambda r: (r["volunteer"].casefold(), *order(r)))}
