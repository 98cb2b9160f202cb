"""A fair's hub: its enrolment at the centre, the lanes it learns from there, and what it relays
up — the backlog not answered for yet (set aside for lanes revoked at the centre), the
centre's answers, the day closes to send, and how the link stands.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Sequence
from typing import Any

from fairpos.i18n import _
from fairpos.ledger.store.core import (
    IDS_PER_QUERY,
    Hub,
    LedgerError,
)
from fairpos.ledger.store.day_closes import DayCloses
from fairpos.sync.shift_entries import SHIFT_ID
from fairpos.sync.wire import MAX_HUB_BATCH, token_hash

# (At a hub, the lanes revoked at the centre, as its last round said, are the view
# ``revoked_devices``: their entries not answered for are set aside — kept, shown, in a site
# bundle, not sent up again and again. ``not_upstream`` and ``shifts_not_upstream``: what the
# centre has not answered for yet. Both in the migrations.)


class Hubs(DayCloses):
    """A fair site's ledger and its link to the centre."""

    def enrol_hub(self, fair: str) -> tuple[int, str]:
        """A hub for ``fair`` and its token (only the hash is kept): it may relay the entries
        of that fair's lanes, and learns their token hashes, catalog and rates from here."""
        if not fair.strip():
            raise LedgerError(_("the fair needs a name"))
        token = secrets.token_urlsafe(32)
        with self.transaction() as conn:
            hub = conn.execute(
                "INSERT INTO hubs (fair, token_hash, enrolled_at) VALUES (?,?,?) RETURNING hub",
                [fair.strip(), token_hash(token), self.clock()]).fetchone()[0]
        return int(hub), token

    def hub_for_token(self, token: str) -> Hub | None:
        """The live hub of ``token`` (its contact noted), or None."""
        rows = self._all("SELECT hub, fair FROM hubs WHERE token_hash = ? AND "
                         "revoked_at IS NULL", [token_hash(token)])
        if not rows:
            return None  # (read only: a stranger's token writes nothing)
        with self.transaction() as conn:
            conn.execute("UPDATE hubs SET last_contact = ? WHERE hub = ?",
                         [self.clock(), rows[0][0]])
        return Hub(int(rows[0][0]), str(rows[0][1]))

    def fair_lanes(self, fair: str) -> list[dict[str, Any]]:
        """Every enrolment of ``fair`` as a hub needs it: to know its lanes' tokens (by hash),
        who they are and whether they were revoked."""
        return [{"enrolment": int(r[0]), "device_id": r[1], "lane": int(r[2]),
                 "token_hash": r[3], "revoked": r[4] is not None}
                for r in self._all("SELECT enrolment, device_id, lane, token_hash, revoked_at "
                                   "FROM devices WHERE fair = ? ORDER BY enrolment", [fair])]

    def adopt_lanes(self, fair: str, lanes: list[dict[str, Any]]) -> list[tuple[int, str]]:
        """At a hub: the fair's enrolments as the centre has them (their numbers, token
        hashes, devices, revocations). The enrolments claimed here that the centre does not
        know the device of yet: (enrolment, device id), for the hub to tell it."""
        untold = []
        with self.transaction() as conn:
            for lane in lanes:
                row = conn.execute("SELECT device_id, revoked_at FROM devices "
                                   "WHERE enrolment = ?", [lane["enrolment"]]).fetchone()
                revoked = self.clock() if lane["revoked"] else None
                if row is None:
                    conn.execute(
                        "INSERT INTO devices (enrolment, device_id, fair, lane, token_hash, "
                        "enrolled_at, claimed_at, revoked_at) VALUES (?,?,?,?,?,?,?,?)",
                        [lane["enrolment"], lane["device_id"], fair, lane["lane"],
                         lane["token_hash"], self.clock(),
                         self.clock() if lane["device_id"] else None, revoked])
                    continue
                if lane["device_id"] is None and row[0] is not None:
                    untold.append((int(lane["enrolment"]), str(row[0])))
                conn.execute(
                    "UPDATE devices SET device_id = COALESCE(device_id, ?), "
                    "revoked_at = CASE WHEN ? THEN COALESCE(revoked_at, ?) ELSE NULL END "
                    "WHERE enrolment = ?",
                    [lane["device_id"], bool(lane["revoked"]), revoked, lane["enrolment"]])
        return untold

    def adopt_published(self, what: str, body: dict[str, Any]) -> bool:
        """At a hub: a catalog or rates version as the centre published it (same number,
        same body); False when it was here already."""
        with self.transaction() as conn:
            if what == "catalog":
                row = [body["version"], body["published_at"], body["currency"],
                       body["format"], body["body"], body["sha256"]]
                sql = "INSERT INTO catalogs VALUES (?,?,?,?,?,?) ON CONFLICT DO NOTHING"
            else:
                row = [body["version"], body["published_at"],
                       json.dumps({"rates": body["rates"]})]
                sql = "INSERT INTO rate_sets VALUES (?,?,?) ON CONFLICT DO NOTHING"
            return bool(conn.execute(sql + " RETURNING version", row).fetchone())

    def upstream_backlog(self, batch: int | None = MAX_HUB_BATCH, revoked: bool = False
                         ) -> list[tuple[str, list[str]]]:
        """At a hub: the entries the centre has not answered for yet, by device, oldest
        first, at most ``batch`` of each device (None: all): (device id, stored payloads).
        The entries of lanes revoked at the centre are set aside (``revoked``: theirs
        alone)."""
        backlog: dict[str, list[str]] = {}
        for device_id, payload in self._all(
                "SELECT device_id, payload FROM not_upstream WHERE CASE WHEN device_id IN "
                "(SELECT device_id FROM revoked_devices) THEN 1 ELSE 0 END = ? "
                "ORDER BY device_id, seq", [int(revoked)]):
            kept = backlog.setdefault(device_id, [])
            if batch is None or len(kept) < batch:
                kept.append(payload)
        return list(backlog.items())

    def payloads_of(self, device_id: str, ids: Sequence[str]) -> list[str]:
        """The stored payloads of those of ``ids`` this ledger holds for ``device_id``, in
        their order on the lane."""
        wanted = [str(i) for i in ids if not SHIFT_ID.fullmatch(str(i))]
        found: list[tuple[int, str]] = []
        for start in range(0, len(wanted), IDS_PER_QUERY):
            part = wanted[start:start + IDS_PER_QUERY]
            found.extend((row[0], row[1]) for row in self._all(
                f"SELECT seq, payload FROM sales WHERE device_id = ? AND id IN "
                f"({','.join('?' * len(part))})", [device_id, *part]))
        return [payload for _seq, payload in sorted(found)]

    def shift_payloads_of(self, device_id: str, ids: Sequence[str]) -> list[str]:
        """The stored payloads of those of ``ids`` that are shift entries this ledger holds
        for ``device_id``."""
        wanted = [str(i) for i in ids if SHIFT_ID.fullmatch(str(i))][:IDS_PER_QUERY]
        if not wanted:
            return []
        return [row[0] for row in self._all(
            f"SELECT payload FROM shift_entries WHERE device_id = ? AND id IN "
            f"({','.join('?' * len(wanted))}) ORDER BY id", [device_id, *wanted])]

    def upstream_shift_backlog(self, batch: int | None = MAX_HUB_BATCH,
                               revoked: bool = False) -> list[tuple[str, list[str]]]:
        """At a hub: the shift entries the centre has not answered for yet, by device, at
        most ``batch`` of each (None: all): (device id, stored payloads); ``revoked`` as
        :meth:`upstream_backlog` has it."""
        backlog: dict[str, list[str]] = {}
        for device_id, payload in self._all(
                "SELECT device_id, payload FROM shifts_not_upstream WHERE CASE WHEN device_id "
                "IN (SELECT device_id FROM revoked_devices) THEN 1 ELSE 0 END = ? "
                "ORDER BY device_id, id", [int(revoked)]):
            kept = backlog.setdefault(device_id, [])
            if batch is None or len(kept) < batch:
                kept.append(payload)
        return list(backlog.items())

    def site_backlog(self, revoked: bool = False
                     ) -> list[tuple[str, str, list[dict[str, Any]], list[dict[str, Any]]]]:
        """At a hub: every entry not at the centre yet, by lane — (device id, the lane's
        token hash, its sales oldest first, its shifts' openings and closes) — for a site
        bundle; the live lanes', or (``revoked``) those set aside of lanes revoked at the
        centre (which the centre would refuse, and with them the whole bundle)."""
        digests = {r[0]: r[1] for r in self._all(
            "SELECT device_id, token_hash FROM devices WHERE device_id IS NOT NULL")}
        sales = dict(self.upstream_backlog(None, revoked=revoked))
        shifts = dict(self.upstream_shift_backlog(None, revoked=revoked))
        return [(device_id, digests[device_id],
                 [json.loads(p) for p in sales.get(device_id, [])],
                 [json.loads(p) for p in shifts.get(device_id, [])])
                for device_id in sorted({*sales, *shifts})]

    def upstream_answered(self, outcomes: list[tuple[str, str, str]]) -> None:
        """At a hub: what the centre answered for each entry (accepted, duplicate, rejected,
        conflict, with its reason): none of them is sent again."""
        if outcomes:
            now = self.clock()
            with self.transaction() as conn:
                conn.executemany("INSERT INTO upstream_acks VALUES (?,?,?,?) "
                                 "ON CONFLICT DO NOTHING",
                                 [(sale_id, outcome, reason, now)
                                  for sale_id, outcome, reason in outcomes])

    def upstream_note(self, values: dict[str, str]) -> None:
        """At a hub: how its link upstream stands (``last_contact``, the last ``problem``,
        the centre's word on each lane's day), by name."""
        with self.transaction() as conn:
            for name, value in values.items():
                conn.execute("INSERT INTO upstream_state VALUES (?, ?) ON CONFLICT (name) "
                             "DO UPDATE SET value = excluded.value", [name, value])

    def closes_to_relay(self) -> list[tuple[str, str, dict[str, Any], int]]:
        """At a hub: each lane's newest day close here — (device, day, the lane's figures,
        the close's number here) — due at the centre: every entry of that lane and day has
        reached it, and the centre has not matched that close yet (a lane that closes its
        day again, even within the same second, has it closed there again)."""
        done = {r[0]: json.loads(r[1]) for r in self._all(
            "SELECT name, value FROM upstream_state WHERE name LIKE 'close %'")}
        due = []
        for device_id, day, figures, close in self._all(
                "SELECT c.device_id, c.business_date, c.figures, c.id FROM day_closes c "
                "WHERE c.id = (SELECT MAX(d.id) FROM day_closes d WHERE d.device_id = "
                "c.device_id AND d.business_date = c.business_date) AND NOT EXISTS "
                "(SELECT 1 FROM not_upstream s WHERE s.device_id = c.device_id "
                "AND s.business_date = c.business_date) AND c.device_id NOT IN "
                "(SELECT device_id FROM revoked_devices) ORDER BY c.id"):
            known = done.get(f"close {device_id} {day}")
            if known is None or known["result"] != "match" or \
                    known.get("close", -1) < close:
                due.append((device_id, day, json.loads(figures), int(close)))
        return due

    def upstream_closed(self, device_id: str, day: str, result: str, close: int) -> None:
        """At a hub: what the centre said when the hub closed a lane's day there (``close``:
        the number of the lane's close here it was made from)."""
        self.upstream_note({f"close {device_id} {day}": json.dumps(
            {"result": result, "at": self.clock(), "close": close})})

    def upstream_close_of(self, device_id: str, day: str) -> dict[str, Any] | None:
        """At a hub: the centre's word on a lane's day ({"result", "at"}; None: not closed
        there yet)."""
        rows = self._all("SELECT value FROM upstream_state WHERE name = ?",
                         [f"close {device_id} {day}"])
        if not rows:
            return None
        said = json.loads(rows[0][0])
        return {"result": said["result"], "at": said["at"]}

    def upstream_of(self, device_id: str) -> dict[str, Any]:
        """At a hub: how many of ``device_id``'s entries have not reached the centre, and
        when the hub last reached it (None: never)."""
        pending = self._all("SELECT COUNT(*) FROM not_upstream WHERE device_id = ?",
                            [device_id])[0][0]
        contact = self._all("SELECT value FROM upstream_state WHERE name = 'last_contact'")
        return {"pending": int(pending), "last_contact": contact[0][0] if contact else None}

    def upstream_summary(self) -> dict[str, Any]:
        """At a hub: what waits to go upstream (how many, since when) and how the link
        stands; ``None`` values when this ledger has never been a hub."""
        pending, oldest = self._all(
            "SELECT COUNT(*), MIN(received_at) FROM not_upstream WHERE device_id NOT IN "
            "(SELECT device_id FROM revoked_devices)")[0]
        aside = self._all("SELECT device_id, COUNT(*) FROM not_upstream WHERE device_id IN "
                          "(SELECT device_id FROM revoked_devices) GROUP BY device_id "
                          "ORDER BY device_id")
        state = {r[0]: r[1] for r in self._all("SELECT name, value FROM upstream_state")}
        return {"pending": int(pending), "oldest": oldest,
                "set_aside": sum(int(r[1]) for r in aside),
                "set_aside_lanes": [str(r[0]) for r in aside],
                "last_contact": state.get("last_contact"), "problem": state.get("problem"),
                "refused": json.loads(state.get("refused") or "[]")}
