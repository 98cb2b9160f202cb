"""How each lane's day stands, never said better than it is.

A lane-day is *matched* only when the lane's newest day close (its Z, compared entry by entry
when it came) said so, nothing reached the ledger for that day since, no shift of the day is
still open or closed after it, no number of the lane is missing around the day, and nothing of
the day waits in the quarantine. Otherwise it says what is wrong, in this order: entries in
quarantine, sales missing (numbers the lane skipped, or a close that counts more than the
ledger holds), not closed (a shift open, no close, or a close older than what came since), a
mismatch. A lane enrolled at the fair with nothing for a day the fair sold is *silent* (no
news since its last sync; never heard from) — unless it sold on a later day, when it simply
did not sell that day (*idle*).

The figures are read for every lane and day at once, a few queries for all; the verdict is a
pure function (:func:`state_of`) the tests drive directly.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from fairpos.ledger.store.core import bigint_sum
from fairpos.ledger.store.pago_movil import PagoMovilBook
from fairpos.ledger.store.quarantine import HEAD_KEPT, business_date_of
from fairpos.ledger.store.records import FairDay, LaneDayStatus


@dataclass(frozen=True, slots=True)
class _Close:
    result: str
    count: int
    at: str


@dataclass
class _Held:
    """What the ledger holds of one lane-day."""

    entries: int = 0
    sales: int = 0
    totals: dict[str, int] = field(default_factory=dict)


def state_of(held: _Held | None, close: _Close | None, *, open_shift: bool,
             shift_closed_after: bool, gap: int, quarantined: int) -> tuple[str, int]:
    """The verdict on a lane-day that has entries here, and how many sales are missing
    (``gap``: numbers the lane skipped around the day)."""
    entries = held.entries if held else 0
    short = max(close.count - entries if close is not None else 0, gap, 0)
    if quarantined:
        return "quarantined", short
    if short:
        return "missing", short
    if close is None or open_shift or shift_closed_after or close.count != entries:
        return "not_closed", 0
    if close.result == "match":
        return "matched", 0
    return ("mismatch", 0) if close.result == "mismatch" else ("not_closed", 0)


class DayStatusBook(PagoMovilBook):
    """Each fair's days, lane by lane."""

    def fair_dates(self) -> list[tuple[str, str]]:
        """Every (fair, business date) with entries, newest first (what the home page pages
        through before it reads the status of the days it shows)."""
        return [(r[0], r[1]) for r in self._all(
            "SELECT DISTINCT d.fair, s.business_date FROM day_sales s JOIN devices d ON "
            "d.device_id = s.device_id ORDER BY 2 DESC, 1 DESC")]

    def fair_days(self, business_date: str | None = None, fair: str | None = None, *,
                  first: str | None = None, last: str | None = None) -> list[FairDay]:
        """Each fair's business dates that have entries (of one date, or ``first`` to
        ``last``; of one fair, or all), newest first, each lane of the fair with its verdict:
        the lanes with entries that day, and every other lane enrolled at the fair by then
        (silent or idle)."""
        first, last = first or business_date, last or business_date
        one = [first, first, last, last, fair, fair]
        held: dict[tuple[str, str], _Held] = defaultdict(_Held)
        for device_id, day, currency, training, sales, entries, total in self._all(
                f"SELECT s.device_id, s.business_date, s.currency, s.training, "
                f"{bigint_sum('s.sales')}, {bigint_sum('s.entries')}, {bigint_sum('s.total')} "
                "FROM day_sales s JOIN devices d ON d.device_id = s.device_id "
                "WHERE (CAST(? AS TEXT) IS NULL OR s.business_date >= ?) "
                "AND (CAST(? AS TEXT) IS NULL OR s.business_date <= ?) "
                "AND (CAST(? AS TEXT) IS NULL OR d.fair = ?) GROUP BY 1, 2, 3, 4", one):
            kept = held[(device_id, day)]
            kept.entries += int(entries)
            if not training:
                kept.sales += int(sales)
                kept.totals[currency] = kept.totals.get(currency, 0) + int(total)
        lanes = self._all("SELECT device_id, fair, lane, enrolled_at, revoked_at, last_sync_at "
                          "FROM devices WHERE CAST(? AS TEXT) IS NULL OR fair = ? "
                          "ORDER BY fair, lane, enrolment", [fair, fair])
        lanes_of: dict[str, list[Any]] = defaultdict(list)  # fair → its lanes, in order
        for row in lanes:
            lanes_of[row[1]].append(row)
        fair_of = {row[0]: row[1] for row in lanes if row[0]}
        held_of: dict[tuple[str, str], list[_Held]] = defaultdict(list)  # (fair, date) → …
        for (device_id, day), kept in held.items():
            held_of[(fair_of[device_id], day)].append(kept)
        closes = self._newest_closes(one)
        shifts = self._shifts_of(one)
        quarantined = self._quarantined_of(first, last, fair)
        gaps = self._gap_days()
        last_day = {r[0]: r[1] for r in self._all(
            "SELECT device_id, MAX(business_date) FROM day_sales GROUP BY device_id")}
        found = []
        for (fair_name, day), summed in held_of.items():
            statuses = [self._lane_status(row, day, held, closes, shifts, quarantined, gaps,
                                          last_day) for row in lanes_of[fair_name]]
            totals: dict[str, int] = defaultdict(int)
            for h in summed:
                for currency, amount in h.totals.items():
                    totals[currency] += amount
            found.append(FairDay(fair_name, day, sum(h.sales for h in summed),
                                 dict(sorted(totals.items())),
                                 [s for s in statuses if s is not None]))
        return sorted(found, key=lambda f: (f.business_date, f.fair), reverse=True)

    def _lane_status(self, row: Any, day: str, held: dict[tuple[str, str], _Held],
                     closes: dict[tuple[str, str], _Close],
                     shifts: dict[tuple[str, str], tuple[bool, str | None]],
                     quarantined: dict[tuple[str, str], int], gaps: dict[tuple[str, str], int],
                     last_day: dict[str, str]) -> LaneDayStatus | None:
        device_id, fair, lane, enrolled_at, revoked_at, last_sync = row
        key = (device_id, day)
        kept = held.get(key) if device_id else None
        if kept is None:  # nothing of this lane that day
            if revoked_at is not None or str(enrolled_at)[:10] > day:
                return None
            later = device_id is not None and last_day.get(device_id, "") > day
            return LaneDayStatus(fair, int(lane), device_id, day,
                                 "idle" if later else "silent", last_heard=last_sync)
        close = closes.get(key)
        open_shift, shift_closed = shifts.get(key, (False, None))
        state, short = state_of(
            kept, close, open_shift=open_shift,
            shift_closed_after=bool(close and shift_closed and shift_closed > close.at),
            gap=gaps.get(key, 0), quarantined=quarantined.get(key, 0))
        return LaneDayStatus(fair, int(lane), device_id, day, state, kept.entries,
                             dict(sorted(kept.totals.items())), short,
                             quarantined.get(key, 0), open_shift,
                             close.at if close else None, last_sync)

    def _newest_closes(self, one: list[Any]) -> dict[tuple[str, str], _Close]:
        """Each lane-day's newest day close: what it said, how many entries it counted."""
        closes = {}
        for device_id, day, result, figures, at in self._all(
                "SELECT c.device_id, c.business_date, c.result, c.figures, c.at "
                "FROM day_closes c JOIN devices d ON d.device_id = c.device_id "
                "WHERE (CAST(? AS TEXT) IS NULL OR c.business_date >= ?) "
                "AND (CAST(? AS TEXT) IS NULL OR c.business_date <= ?) "
                "AND (CAST(? AS TEXT) IS NULL OR d.fair = ?) AND c.id = (SELECT MAX(x.id) "
                "FROM day_closes x WHERE x.device_id = c.device_id "
                "AND x.business_date = c.business_date)", one):
            counted = json.loads(figures).get("count")
            closes[(device_id, day)] = _Close(
                result, int(counted) if isinstance(counted, int) else -1, at)
        return closes

    def _shifts_of(self, one: list[Any]) -> dict[tuple[str, str], tuple[bool, str | None]]:
        """Each lane-day's shifts: is one still open here, and when the last close came."""
        opened: dict[tuple[str, str], set[int]] = defaultdict(set)
        closed: dict[tuple[str, str], set[int]] = defaultdict(set)
        last: dict[tuple[str, str], str] = {}
        for device_id, day, shift, stage, received in self._all(
                "SELECT e.device_id, e.business_date, e.shift, e.stage, e.received_at "
                "FROM shift_entries e JOIN devices d ON d.device_id = e.device_id "
                "WHERE (CAST(? AS TEXT) IS NULL OR e.business_date >= ?) "
                "AND (CAST(? AS TEXT) IS NULL OR e.business_date <= ?) "
                "AND (CAST(? AS TEXT) IS NULL OR d.fair = ?) AND e.training = 0", one):
            key = (device_id, day)
            (opened if stage == "open" else closed)[key].add(int(shift))
            if stage == "close":
                last[key] = max(last.get(key, ""), received)
        return {key: (bool(opened.get(key, set()) - closed.get(key, set())), last.get(key))
                for key in {*opened, *closed}}

    def _quarantined_of(self, first: str | None, last: str | None, fair: str | None
                        ) -> dict[tuple[str, str], int]:
        """Entries still in quarantine and not reviewed, by lane and the date they give."""
        found: dict[tuple[str, str], int] = defaultdict(int)
        for device_id, day, head in self._all(
                "SELECT q.device_id, q.business_date, CASE WHEN q.size IS NULL THEN "
                "substr(q.payload, 1, ?) END FROM quarantine_out q JOIN devices d ON "
                "d.device_id = q.device_id WHERE (CAST(? AS TEXT) IS NULL OR d.fair = ?) "
                "AND NOT EXISTS (SELECT 1 FROM quarantine_reviews r "
                "WHERE r.quarantine_id = q.id)", [HEAD_KEPT, fair, fair]):
            day = day or business_date_of(head or "")
            if day and (first is None or day >= first) and (last is None or day <= last):
                found[(device_id, day)] += 1
        return found

    def _gap_days(self) -> dict[tuple[str, str], int]:
        """The lane-days a missing number falls in, and how many numbers: the days of the
        entries on either side of each gap past a lane's resume point (only lanes with
        entries past it are read; those are bounded)."""
        found: dict[tuple[str, str], int] = {}
        for device_id, start in self._all(
                "SELECT d.device_id, d.max_contiguous_seq FROM devices d WHERE EXISTS "
                "(SELECT 1 FROM sales s WHERE s.device_id = d.device_id "
                "AND s.seq > d.max_contiguous_seq)"):
            found.update(gaps_by_day(device_id, self._all(
                "SELECT seq, business_date FROM sales WHERE device_id = ? AND seq >= ? "
                "ORDER BY seq", [device_id, int(start)]), int(start)))
        return found


def gaps_by_day(device_id: str, rows: Iterable[Any], start: int) -> dict[tuple[str, str], int]:
    """(device, day) on either side of each gap in ``rows`` (seq, business date) from
    ``start`` (the resume point; its own entry may be among them), with how many numbers
    are missing next to that day."""
    found: dict[tuple[str, str], int] = defaultdict(int)
    before_seq, before_day = start, None
    for seq, day in rows:
        gap = int(seq) - before_seq - 1
        if gap > 0:
            found[(device_id, day)] += gap
            if before_day is not None and before_day != day:
                found[(device_id, before_day)] += gap
        before_seq, before_day = int(seq), day
    return dict(found)
