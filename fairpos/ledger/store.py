"""The ledger's storage: every stall's entries once, the quarantine, published catalogs and rates.

:class:`LedgerStore` is the interface the web app and the commands use; :class:`SqlLedger`
keeps it in one SQL that both engines take (``ON CONFLICT DO NOTHING``, ``RETURNING``, sums
cast to 64-bit integers): :class:`SqliteLedger` in one SQLite file (WAL, ``synchronous=FULL``),
:class:`PostgresLedger` in a PostgreSQL database shared by any number of ledger processes.

A batch is stored in one transaction: each sale is inserted once; the same id with the same
payload hash is a duplicate, with another hash a conflict (the original stays untouched);
a sale that does not add up is rejected. Rejected and conflicting sales are kept in the
quarantine for people to look at. Stored sales cannot be updated or deleted (triggers).
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import itertools
import json
import re
import secrets
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, suppress
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from msgspec import UNSET

from fairpos.catalog import CatalogError, parse_catalog
from fairpos.errors import FairposError
from fairpos.i18n import _
from fairpos.ledger import statements
from fairpos.ledger.backends import Backend, PostgresBackend, SqliteBackend, is_postgresql
from fairpos.ledger.limits import MISSING_SHOWN, SEQ_AHEAD, SESSION_HOURS
from fairpos.ledger.migrations import migrate as apply_migrations
from fairpos.ledger.quarantine import HEAD_KEPT, Refused, business_date_of, by_size, keep
from fairpos.ledger.redemptions import redemptions
from fairpos.ledger.shifts import day_cash, lane_shifts, store_shift_entries, week_over_short
from fairpos.ledger.statements import (
    LINES_SHOWN,
    WINDOW_DAYS,
    PagoMovil,
    StatementError,
    bank_of,
    reconcile,
    statement_lines,
    statement_rows,
)
from fairpos.ledger.weeks import week_sales
from fairpos.money import MoneyError, Rate, check_currency, parse_rate
from fairpos.sale import Sale
from fairpos.sync.schema import (
    MAX_SEQ,
    Entry,
    Known,
    WireSale,
    check_device_id,
    read_entry,
    split_id,
)
from fairpos.sync.shift_entries import SHIFT_ID, ShiftEntry, read_shift_entry
from fairpos.sync.wire import MAX_HUB_BATCH, DayFigures, WireError, entry_bytes, token_hash
from fairpos.tenders import BUILTIN_METHODS


class LedgerError(FairposError, ValueError):
    """A request the ledger refuses; the message is for a person."""


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class Device:
    enrolment: int
    device_id: str | None
    fair: str
    lane: int
    revoked: bool


@dataclass(frozen=True)
class Hub:
    """A fair site's ledger, relaying its lanes' entries to this one."""

    hub: int
    fair: str


@dataclass
class BatchResult:
    accepted: list[str] = field(default_factory=list)
    duplicate: list[str] = field(default_factory=list)
    rejected: list[dict[str, str]] = field(default_factory=list)
    conflict: list[dict[str, str]] = field(default_factory=list)
    max_contiguous_seq: int = 0
    # entries that name what this ledger does not know yet (a currency, a catalog or rates
    # version): not stored and not refused — the lane sends them again
    pending: list[dict[str, str]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"accepted": self.accepted, "duplicate": self.duplicate,
                "rejected": self.rejected, "conflict": self.conflict,
                "max_contiguous_seq": self.max_contiguous_seq,
                **({"pending": self.pending} if self.pending else {})}


@dataclass(frozen=True)
class Published:
    version: int
    body: dict[str, Any]  # what GET /v1/catalog or /v1/rates answers

    @property
    def etag(self) -> str:
        return f'"{self.version}"'


class LedgerStore(Protocol):
    """What the web app and the commands need from the ledger's storage."""

    relays: bool  # a fair's hub (see SqlLedger)

    def close(self) -> None: ...
    def enrol(self, fair: str, lane: int) -> tuple[int, str]: ...
    def revoke(self, device: str) -> Device: ...
    def admin_token(self) -> str: ...
    def is_admin(self, token: str) -> bool: ...
    def revoke_admin(self, token: str) -> bool: ...
    def sign_in(self, token: str) -> str | None: ...
    def in_session(self, session: str) -> bool: ...
    def sign_out(self, session: str) -> None: ...
    def device_for_token(self, token: str) -> Device | None: ...
    def claim(self, enrolment: int, device_id: str) -> Device: ...
    def claim_with_proof(self, device_id: str, proof: str, hashes: list[str]
                         ) -> Device | None: ...
    def ingest(self, device_id: str, sales: Sequence[Any], path: str = "direct"
               ) -> BatchResult: ...
    def ingest_shifts(self, device_id: str, entries: Sequence[bytes], path: str = "direct"
                      ) -> BatchResult: ...
    def hub_for_token(self, token: str) -> Hub | None: ...
    def device_by_id(self, device_id: str) -> Device | None: ...
    def fair_lanes(self, fair: str) -> list[dict[str, Any]]: ...
    def upstream_of(self, device_id: str) -> dict[str, Any]: ...
    def upstream_summary(self) -> dict[str, Any]: ...
    def upstream_close_of(self, device_id: str, day: str) -> dict[str, Any] | None: ...
    def add_voucher(self, code: str, name: str) -> None: ...
    def adopt_vouchers(self, vouchers: Any) -> None: ...
    def vouchers(self) -> dict[str, str]: ...
    def sync_state(self, device_id: str) -> dict[str, Any]: ...
    def day_close(self, device_id: str, figures: dict[str, Any]) -> dict[str, Any]: ...
    def publish(self, text: str, name: str, currency: str) -> tuple[str, int]: ...
    def catalog(self) -> Published | None: ...
    def rates(self) -> Published | None: ...
    def report(self, business_date: str, fair: str | None = None) -> dict[str, Any]: ...
    def devices(self, device_id: str | None = None) -> list[dict[str, Any]]: ...
    def quarantined(self, fair: str | None = None, newest: int | None = None
                    ) -> list[dict[str, Any]]: ...
    def quarantine_count(self, fair: str | None = None) -> int: ...
    def quarantine_page(self, fair: str | None = None, device: str | None = None,
                        state: str = "open", offset: int = 0, limit: int = 50
                        ) -> tuple[list[dict[str, Any]], int]: ...
    def review_quarantined(self, quarantine_id: int, note: str) -> None: ...
    def lane(self, device_id: str, offset: int = 0, limit: int = 50
             ) -> dict[str, Any] | None: ...
    def days_at_a_glance(self) -> list[dict[str, Any]]: ...
    def fairs(self) -> list[str]: ...
    def day_cash(self, business_date: str, fair: str | None = None
                 ) -> list[dict[str, Any]]: ...
    def week_over_short(self, monday: date, fair: str | None = None) -> dict[str, Any]: ...
    def week_sales(self, monday: date, fair: str | None = None) -> dict[str, Any]: ...
    def class_names(self) -> dict[str, dict[str, str]]: ...
    def pago_movil(self, first: date, last: date, fair: str | None = None,
                   window: int = WINDOW_DAYS, lines_at: int = 0,
                   lines_shown: int = LINES_SHOWN) -> dict[str, Any]: ...
    def redemptions(self, first: date, last: date, fair: str | None = None
                    ) -> dict[str, Any]: ...


class SqlLedger:
    """The ledger on a backend (SQLite or PostgreSQL), in one SQL. Safe to share between
    threads; on PostgreSQL, between processes and hosts too."""

    def __init__(self, backend: Backend, clock: Callable[[], str] = _now,
                 seq_ahead: int = SEQ_AHEAD, migrate: bool = True) -> None:
        self.backend = backend
        self.clock = clock
        self.seq_ahead = seq_ahead
        # a fair's hub: it learns the voucher programs from the centre, so an entry that
        # names one it does not know yet is held, not refused
        self.relays = False
        self._known: tuple[tuple[Any, ...], Known] | None = None
        self._known_lock = threading.Lock()
        self._class_names: tuple[int, dict[str, dict[str, str]]] | None = None
        if not migrate:  # (a replica: read only, its tables the primary's)
            return
        try:
            apply_migrations(backend)
        except BaseException:
            backend.close()
            raise

    def close(self) -> None:
        self.backend.close()

    def transaction(self) -> AbstractContextManager[Any]:
        return self.backend.transaction()

    def all(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        """Rows of one read (by position or by column name), on either engine."""
        return self.backend.all(sql, params)

    _all = all

    # -- devices and tokens ----------------------------------------------------------------

    def enrol(self, fair: str, lane: int) -> tuple[int, str]:
        """A new device place (fair, lane) and its token; only the token's hash is kept."""
        if not fair.strip():
            raise LedgerError(_("the fair needs a name"))
        if lane < 1:
            raise LedgerError(_("the lane is a number from 1"))
        token = secrets.token_urlsafe(32)
        with self.transaction() as conn:
            enrolment = conn.execute(
                "INSERT INTO devices (fair, lane, token_hash, enrolled_at) VALUES (?,?,?,?) "
                "RETURNING enrolment", [fair.strip(), lane, token_hash(token), self.clock()]
            ).fetchone()[0]
        return int(enrolment), token

    def _device(self, row: Any) -> Device | None:
        if row is None:
            return None
        return Device(row["enrolment"], row["device_id"], row["fair"], row["lane"],
                      row["revoked_at"] is not None)

    def revoke(self, device: str) -> Device:
        """Revoke by device id, or by enrolment number (``#3``) before the device claimed it."""
        key = device.strip().upper()
        with self.transaction() as conn:
            if key.startswith("#") and key[1:].isdigit():
                row = conn.execute("SELECT * FROM devices WHERE enrolment = ?",
                                   [int(key[1:])]).fetchone()
            else:
                row = conn.execute("SELECT * FROM devices WHERE device_id = ?",
                                   [key]).fetchone()
            found = self._device(row)
            if found is None:
                raise LedgerError(_("there is no device {device}").format(device=device))
            conn.execute("UPDATE devices SET revoked_at = COALESCE(revoked_at, ?) "
                         "WHERE enrolment = ?", [self.clock(), found.enrolment])
        return Device(found.enrolment, found.device_id, found.fair, found.lane, True)

    def admin_token(self) -> str:
        token = secrets.token_urlsafe(32)
        with self.transaction() as conn:
            conn.execute("INSERT INTO admin_tokens VALUES (?, ?)",
                         [token_hash(token), self.clock()])
        return token

    def is_admin(self, token: str) -> bool:
        return bool(self._all("SELECT 1 FROM admin_tokens WHERE token_hash = ?",
                              [token_hash(token)]))

    def revoke_admin(self, token: str) -> bool:
        """Revoke an admin token and end every session signed in with it; False when it was
        not an admin token."""
        digest = token_hash(token)
        with self.transaction() as conn:
            conn.execute("DELETE FROM admin_sessions WHERE token_hash = ?", [digest])
            deleted: int = conn.execute("DELETE FROM admin_tokens WHERE token_hash = ?",
                                        [digest]).rowcount
            return deleted > 0

    def sign_in(self, token: str) -> str | None:
        """A new session for an admin token (None: not one): a random id, of which only the
        hash is kept, good for SESSION_HOURS."""
        if not self.is_admin(token):
            return None
        session = secrets.token_urlsafe(32)
        now = datetime.fromisoformat(self.clock())
        with self.transaction() as conn:
            conn.execute("DELETE FROM admin_sessions WHERE expires_at <= ?", [now.isoformat()])
            conn.execute("INSERT INTO admin_sessions VALUES (?,?,?,?)",
                         [token_hash(session), token_hash(token), now.isoformat(),
                          (now + timedelta(hours=SESSION_HOURS)).isoformat()])
        return session

    def in_session(self, session: str) -> bool:
        """A session that is signed in, not expired, its admin token not revoked."""
        return bool(self._all(
            "SELECT 1 FROM admin_sessions s JOIN admin_tokens t ON t.token_hash = s.token_hash "
            "WHERE s.session_hash = ? AND s.expires_at > ?",
            [token_hash(session), datetime.fromisoformat(self.clock()).isoformat()]))

    def sign_out(self, session: str) -> None:
        with self.transaction() as conn:
            conn.execute("DELETE FROM admin_sessions WHERE session_hash = ?",
                         [token_hash(session)])

    def device_for_token(self, token: str) -> Device | None:
        rows = self._all("SELECT * FROM devices WHERE token_hash = ? AND revoked_at IS NULL",
                         [token_hash(token)])
        return self._device(rows[0]) if rows else None

    def claim_with_proof(self, device_id: str, proof: str, hashes: list[str]) -> Device | None:
        """The enrolment a bundle proves (its HMAC, keyed with an enrolment's token hash), the
        device claimed for it if it was not yet; None when no live enrolment fits."""
        from fairpos.sync.bundle import bundle_proof

        rows = self._all("SELECT * FROM devices WHERE revoked_at IS NULL AND "
                         "(device_id IS NULL OR device_id = ?) ORDER BY enrolment", [device_id])
        for row in rows:
            if hmac.compare_digest(bundle_proof(row["token_hash"], device_id, hashes), proof):
                return self.claim(row["enrolment"], device_id)
        return None

    def claim(self, enrolment: int, device_id: str) -> Device:
        """Bind a stall's device id to its enrolment (once; the same id again is fine)."""
        check_device_id(device_id)
        with self.transaction() as conn:
            row = conn.execute("SELECT * FROM devices WHERE enrolment = ?",
                               [enrolment]).fetchone()
            found = self._device(row)
            if found is None or found.revoked:
                raise LedgerError(_("this token is not enrolled"))
            if found.device_id not in (None, device_id):
                raise LedgerError(_("this token belongs to device {device}").format(
                    device=found.device_id))
            taken = conn.execute("SELECT enrolment FROM devices WHERE device_id = ?",
                                 [device_id]).fetchone()
            if taken is not None and taken[0] != enrolment:
                raise LedgerError(_("device {device} is enrolled with another token").format(
                    device=device_id))
            if found.device_id is None:
                conn.execute("UPDATE devices SET device_id = ?, claimed_at = ? "
                             "WHERE enrolment = ?", [device_id, self.clock(), enrolment])
        return Device(found.enrolment, device_id, found.fair, found.lane, False)

    def device_by_id(self, device_id: str) -> Device | None:
        rows = self._all("SELECT * FROM devices WHERE device_id = ?", [device_id])
        return self._device(rows[0]) if rows else None

    # -- hubs: a fair site's ledger between its lanes and this one ----------------------------

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
        aside = f" AND s.device_id {'IN' if revoked else 'NOT IN'} {_REVOKED}"
        for device_id, payload in self._all(
                f"SELECT s.device_id, s.payload {_NOT_UPSTREAM}{aside} "
                "ORDER BY s.device_id, s.seq"):
            kept = backlog.setdefault(device_id, [])
            if batch is None or len(kept) < batch:
                kept.append(payload)
        return list(backlog.items())

    def payloads_of(self, device_id: str, ids: Sequence[str]) -> list[str]:
        """The stored payloads of those of ``ids`` this ledger holds for ``device_id``, in
        their order on the lane."""
        wanted = [str(i) for i in ids if not SHIFT_ID.fullmatch(str(i))]
        found: list[tuple[int, str]] = []
        for start in range(0, len(wanted), _IDS_PER_QUERY):
            part = wanted[start:start + _IDS_PER_QUERY]
            found.extend((row[0], row[1]) for row in self._all(
                f"SELECT seq, payload FROM sales WHERE device_id = ? AND id IN "
                f"({','.join('?' * len(part))})", [device_id, *part]))
        return [payload for _seq, payload in sorted(found)]

    def shift_payloads_of(self, device_id: str, ids: Sequence[str]) -> list[str]:
        """The stored payloads of those of ``ids`` that are shift entries this ledger holds
        for ``device_id``."""
        wanted = [str(i) for i in ids if SHIFT_ID.fullmatch(str(i))][:_IDS_PER_QUERY]
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
        aside = f" AND e.device_id {'IN' if revoked else 'NOT IN'} {_REVOKED}"
        for device_id, payload in self._all(
                "SELECT e.device_id, e.payload FROM shift_entries e LEFT JOIN upstream_acks a "
                f"ON a.sale_id = e.id WHERE a.sale_id IS NULL{aside} "
                "ORDER BY e.device_id, e.id"):
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
                f"(SELECT 1 {_NOT_UPSTREAM} AND s.device_id = c.device_id "
                f"AND s.business_date = c.business_date) AND c.device_id NOT IN {_REVOKED} "
                "ORDER BY c.id"):
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
        pending = self._all(f"SELECT COUNT(*) {_NOT_UPSTREAM} AND s.device_id = ?",
                            [device_id])[0][0]
        contact = self._all("SELECT value FROM upstream_state WHERE name = 'last_contact'")
        return {"pending": int(pending), "last_contact": contact[0][0] if contact else None}

    def upstream_summary(self) -> dict[str, Any]:
        """At a hub: what waits to go upstream (how many, since when) and how the link
        stands; ``None`` values when this ledger has never been a hub."""
        pending, oldest = self._all(f"SELECT COUNT(*), MIN(s.received_at) {_NOT_UPSTREAM} "
                                    f"AND s.device_id NOT IN {_REVOKED}")[0]
        aside = self._all(f"SELECT s.device_id, COUNT(*) {_NOT_UPSTREAM} AND s.device_id IN "
                          f"{_REVOKED} GROUP BY s.device_id ORDER BY s.device_id")
        state = {r[0]: r[1] for r in self._all("SELECT name, value FROM upstream_state")}
        return {"pending": int(pending), "oldest": oldest,
                "set_aside": sum(int(r[1]) for r in aside),
                "set_aside_lanes": [str(r[0]) for r in aside],
                "last_contact": state.get("last_contact"), "problem": state.get("problem"),
                "refused": json.loads(state.get("refused") or "[]")}

    # -- sales -------------------------------------------------------------------------------

    def known(self) -> Known:
        """What entries are checked against: the payment methods (built in, and the vouchers
        added here), and — once anything is published — its currencies, catalog versions and
        price classes. Read again only when something was published or added since."""
        return self._known_as_of(tuple(self._all(f"SELECT {_KNOWN_MARK}")[0]))[1]

    def _known_as_of(self, mark: tuple[Any, ...] | None) -> tuple[tuple[Any, ...], Known]:
        """What entries are checked against as of ``mark`` (:data:`_KNOWN_MARK`, as just
        read), or as last read when ``mark`` is None; with the mark it was read at. Read by
        one thread at a time: a reconnection wave's first batches wait for one reading
        instead of each making its own."""
        cached = self._known
        if cached is not None and (mark is None or cached[0] == mark):
            return cached
        with self._known_lock:
            cached = self._known
            if cached is not None and (mark is None or cached[0] == mark):
                return cached
            if mark is None:
                mark = tuple(self._all(f"SELECT {_KNOWN_MARK}")[0])
            self._known = (mark, self._read_known())
            return self._known

    def _read_known(self) -> Known:
        methods = frozenset({*BUILTIN_METHODS, *self.vouchers()})
        catalogs = self._all("SELECT version, currency, format, body FROM catalogs")
        currencies = {row["currency"] for row in catalogs}
        rate_sets: dict[int, dict[tuple[str, str, date], Decimal]] = {}
        for row in self._all("SELECT version, body FROM rate_sets"):
            rates = json.loads(row["body"])["rates"]
            rate_sets[row["version"]] = {
                (r["base"], r["quote"], date.fromisoformat(r["effective"])): Decimal(r["value"])
                for r in rates}
            for rate in rates:
                currencies.update((rate["base"], rate["quote"]))
        classes: set[str] = set()
        prices: dict[int, dict[tuple[str, str], int]] = {}
        for row in catalogs:
            try:
                draft = parse_catalog(row["body"], "json" if row["format"] == "json" else "csv",
                                      row["currency"])
            except (CatalogError, MoneyError):
                continue  # (checked when published: not reached)
            per_kg = {c.code: c.price_per_kg for c in draft.price_classes}
            classes.update(per_kg)
            prices[row["version"]] = {
                **{("class", code): price for code, price in per_kg.items()},
                **{("product", p.plu): p.price if p.price is not None
                   else per_kg[str(p.price_class).upper()] for p in draft.products}}
        return Known(methods, frozenset(currencies), frozenset(classes),
                     frozenset(row["version"] for row in catalogs), rate_sets, prices,
                     lagging=self.relays)

    def ingest(self, device_id: str, sales: Sequence[Any], path: str = "direct"
               ) -> BatchResult:
        """Store a batch of one device's sales (each its JSON bytes as sent, or its parsed
        JSON), all in one transaction (``path``: how it came, "direct" from the lane or
        through its fair's "hub"). Every entry is read and checked first, outside the
        store's lock, against what the ledger knows (its catalogs, rates and vouchers) as last
        read; whatever fails is quarantined with its reason, the rest stored. Under the lock,
        the query that takes it also tells whether anything was published since: then
        nothing is written, and the entries are checked again. The batch is sorted in memory,
        entry by entry in its order, against what the ledger already holds of it (read in one
        query), then written all at once (``COPY`` on PostgreSQL): a batch costs the same few
        round trips however many sales it carries."""
        while True:
            mark, known = self._known_as_of(None)
            checked = [_checked(device_id, data, known) for data in sales]
            result = BatchResult()
            now = self.clock()
            with self.transaction() as conn:
                # one batch of a device at a time, in whichever process it arrives
                # (PostgreSQL locks the device's row; SQLite has one writer anyway): what is
                # read below of this device's sales stays true until the batch commits
                lock = " FOR UPDATE" if self.backend.dialect == "postgresql" else ""
                row = conn.execute(f"SELECT max_contiguous_seq, {_KNOWN_MARK} FROM devices "
                                   f"WHERE device_id = ?{lock}", [device_id]).fetchone()
                if tuple(row[1:]) == mark:
                    current = int(row[0])
                    rates = {(r[0], r[1], r[2]): (Decimal(r[3]), r[4]) for r in conn.execute(
                        "SELECT base, quote, version, value, first_sale FROM lane_rates "
                        "WHERE device_id = ?", [device_id])}
                    held = self._held(conn, sorted({e.sale.id for e in checked
                                                    if e.sale is not None}),
                                      self.backend.dialect)
                    rows = _Rows()
                    furthest = current + self.seq_ahead
                    for entry in checked:
                        _sort_one(device_id, entry, now, result, rates, held, furthest, rows)
                    rows.write(self.backend, conn, device_id, now)
                    result.max_contiguous_seq = self._advance(conn, device_id, current, now,
                                                              path)
                    return result
            # something was published or added since the entries were checked against what
            # was known: nothing written; read what is known now, and check them again
            self._known_as_of(tuple(row[1:]))

    def ingest_shifts(self, device_id: str, entries: Sequence[bytes], path: str = "direct"
                      ) -> BatchResult:
        """Store a batch of one device's shift entries (openings and closes, each its JSON
        bytes as sent) in one transaction, as :meth:`ingest` stores sales."""
        known = self.known()
        checked = [_read_shift(raw, known) for raw in entries]
        now = self.clock()
        with self.transaction() as conn:
            lock = " FOR UPDATE" if self.backend.dialect == "postgresql" else ""
            current = int(conn.execute("SELECT max_contiguous_seq FROM devices "
                                       f"WHERE device_id = ?{lock}", [device_id]).fetchone()[0])
            outcome = store_shift_entries(conn, device_id, checked, now)
            conn.execute("UPDATE devices SET last_sync_at = ?, last_path = ? "
                         "WHERE device_id = ?", [now, path, device_id])
        return BatchResult(outcome["accepted"], outcome["duplicate"], outcome["rejected"],
                           outcome["conflict"], current, outcome["pending"])

    def day_cash(self, business_date: str, fair: str | None = None) -> list[dict[str, Any]]:
        """Each shift of a business date, lane by lane, with its count lines
        (:func:`fairpos.ledger.shifts.day_cash`)."""
        return day_cash(self._all, business_date, fair)

    def week_over_short(self, monday: date, fair: str | None = None) -> dict[str, Any]:
        """A week's over/short per lane and per volunteer
        (:func:`fairpos.ledger.shifts.week_over_short`)."""
        return week_over_short(self._all, monday, fair)

    def week_sales(self, monday: date, fair: str | None = None) -> dict[str, Any]:
        """Kilos and amount per price class over the weeks up to ``monday``'s, and per
        product that week and the week before (:func:`fairpos.ledger.weeks.week_sales`);
        each class with its names."""
        sales = week_sales(self._all, monday, fair)
        named = self.class_names()
        for price_class in sales["classes"]:
            price_class["names"] = named.get(price_class["price_class"])
        return sales

    @staticmethod
    def _held(conn: Any, ids: list[str], dialect: str) -> dict[str, str]:
        """The payload hashes of those of ``ids`` already on the ledger (on PostgreSQL, the
        ids as one array: one parameter, a statement planned once)."""
        if dialect == "postgresql":
            return {row[0]: row[1] for row in conn.execute(
                "SELECT id, payload_hash FROM sales WHERE id = ANY(?)", [ids])}
        held: dict[str, str] = {}
        for start in range(0, len(ids), _IDS_PER_QUERY):
            part = ids[start:start + _IDS_PER_QUERY]
            held.update((row[0], row[1]) for row in conn.execute(
                f"SELECT id, payload_hash FROM sales WHERE id IN ({','.join('?' * len(part))})",
                part))
        return held

    def add_voucher(self, code: str, name: str) -> None:
        """A voucher or market token the lanes take (its code as in their ``[[vouchers]]``):
        from now on a tender of it is a known payment method here."""
        from fairpos.sync.schema import METHOD, check_text

        if METHOD.fullmatch(code) is None or code in BUILTIN_METHODS:
            raise LedgerError(_("“{code}” cannot be a voucher code (lower-case letters, digits "
                                "and _)").format(code=code))
        try:
            check_text(name, "name", 120, empty=False)
        except WireError as err:
            raise LedgerError(str(err)) from None
        with self.transaction() as conn:
            conn.execute("INSERT INTO vouchers VALUES (?,?,?) ON CONFLICT (code) DO UPDATE "
                         "SET name = excluded.name", [code, name.strip(), self.clock()])

    def adopt_vouchers(self, vouchers: Any) -> None:
        """At a hub: the voucher programs the centre takes (code → name), taken here too
        (one that is not well-formed is left out: the centre's own entries say why)."""
        if not isinstance(vouchers, dict):
            return
        known = self.vouchers()
        for code, name in vouchers.items():
            if known.get(code) != name:
                with suppress(LedgerError):
                    self.add_voucher(str(code), str(name))

    def vouchers(self) -> dict[str, str]:
        return {row[0]: row[1] for row in self._all("SELECT code, name FROM vouchers "
                                                     "ORDER BY code")}

    @staticmethod
    def _advance(conn: Any, device_id: str, current: int, now: str, path: str) -> int:
        """Move the device's contiguous resume point from ``current`` past every seq now
        present (to the first one after it whose next is missing), and note the sync."""
        return int(conn.execute(
            "UPDATE devices SET max_contiguous_seq = CASE WHEN EXISTS "
            "(SELECT 1 FROM sales WHERE device_id = ? AND seq = ?) "
            "THEN (SELECT s.seq FROM sales s WHERE s.device_id = ? AND s.seq > ? AND NOT EXISTS "
            "(SELECT 1 FROM sales n WHERE n.device_id = s.device_id AND n.seq = s.seq + 1) "
            "ORDER BY s.seq LIMIT 1) ELSE ? END, last_sync_at = ?, last_path = ? "
            "WHERE device_id = ? RETURNING max_contiguous_seq",
            [device_id, current + 1, device_id, current, current, now, path, device_id]
        ).fetchone()[0])

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
        quarantined = self._all(f"SELECT COUNT(*) FROM quarantine q WHERE q.device_id = ? "
                                f"AND {_STILL_OUT}", [device_id])[0][0]
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

    # -- pago móvil against the bank's statements ----------------------------------------

    def import_statement(self, bank: str, name: str, text: str, fair: str | None = None,
                         chunk: int = statements.CHUNK,
                         between: Callable[[], None] | None = None) -> tuple[int, int]:
        """Keep a bank statement's lines (``bank``: its code; ``fair``: the fair whose
        account it is, None for every fair): (lines read, lines new). A line already kept
        — the same bank, day, reference and amount — is not kept again. The whole file is
        read first (a line that cannot be read refuses it all), then kept ``chunk`` lines
        to a transaction, so that the lanes' batches go in between (``between``: what is
        done between two chunks; on SQLite, a short pause for the file's other writers). An
        import cut short is imported again: only what is new is added."""
        try:
            if len(text) > statements.MAX_BYTES:
                raise statements.too_large()
            bank_format = bank_of(bank)
            read = sum(1 for _line in statement_lines(text, bank_format))
        except StatementError as err:
            raise LedgerError(f"{name}: {err}") from None
        digest = hashlib.sha256(text.encode()).hexdigest()
        with self.transaction() as conn:
            statement = conn.execute(
                "INSERT INTO statements (bank, fair, name, sha256, lines, imported_at) "
                "VALUES (?,?,?,?,?,?) RETURNING id",
                [bank, fair, name, digest, read, self.clock()]).fetchone()[0]
        rows = statement_rows(bank, statement_lines(text, bank_format))
        while part := [(statement, row[0], fair, *row[1:])
                       for row in itertools.islice(rows, chunk)]:
            with self.transaction() as conn:
                conn.executemany(
                    "INSERT INTO statement_lines (statement_id, bank, fair, day, reference, "
                    "amount, phone, line_no) VALUES (?,?,?,?,?,?,?,?) ON CONFLICT DO NOTHING",
                    part)
            if between is not None:
                between()
            elif self.backend.dialect == "sqlite":
                time.sleep(statements.PAUSE)  # (the file's one writer: a lane's turn)
        new = self._all("SELECT COUNT(*) FROM statement_lines WHERE statement_id = ?",
                        [statement])[0][0]
        return read, int(new)

    def pago_movil(self, first: date, last: date, fair: str | None = None,
                   window: int = WINDOW_DAYS, lines_at: int = 0,
                   lines_shown: int = LINES_SHOWN) -> dict[str, Any]:
        """The pago móvil tenders of business dates ``first`` to ``last`` (training left
        out) against the statement lines of those days (and ``window`` days around them, to
        match): matched, possible (a reference one digit off), tenders with no line and
        lines with no tender (of those days: ``lines_shown`` of them from the ``lines_at``-th,
        their count and amount, and ``every_line()`` to walk them all). Voids and refunds
        are left out: what is reconciled is what the customers paid. Only the lines of the
        tenders' amounts are read to match (an index finds them): a statement of a million
        lines costs what its few candidates cost."""
        tenders = []
        for sale_id, device_id, fair_name, lane, day, payload in self._all(
                "SELECT s.id, s.device_id, d.fair, d.lane, s.business_date, s.payload "
                "FROM sales s JOIN devices d ON d.device_id = s.device_id WHERE "
                "s.business_date BETWEEN ? AND ? AND s.training = 0 AND s.kind = 'sale' AND "
                "(CAST(? AS TEXT) IS NULL OR d.fair = ?) AND EXISTS (SELECT 1 FROM "
                "sale_tenders t WHERE t.sale_id = s.id AND t.method = 'pago_movil') "
                "ORDER BY s.business_date, s.id",
                [first.isoformat(), last.isoformat(), fair, fair]):
            for tender in json.loads(payload)["tenders"]:
                if tender["method"] == "pago_movil" and tender["currency"] == "VES":
                    reference = tender.get("reference") or {}
                    tenders.append(PagoMovil(
                        sale_id, device_id, fair_name, int(lane), date.fromisoformat(day),
                        re.sub(r"\D", "", str(reference.get("ref", ""))), int(tender["amount"]),
                        str(reference.get("phone", "")), bool(tender.get("verified", True))))
        span = [(first - timedelta(days=window)).isoformat(),
                (last + timedelta(days=window)).isoformat(), fair, fair]
        amounts = sorted({t.amount for t in tenders})
        candidates = []
        for start in range(0, len(amounts), _IDS_PER_QUERY):
            part = amounts[start:start + _IDS_PER_QUERY]
            candidates += [_StatementRow(date.fromisoformat(r[0]), r[1], int(r[2]), r[3], r[4],
                                         int(r[5])) for r in self._all(
                "SELECT day, reference, amount, phone, bank, id FROM statement_lines "
                f"WHERE amount IN ({','.join('?' * len(part))}) AND day BETWEEN ? AND ? "
                f"AND {_STATEMENT_FAIR}", [*part, *span])]
        found = reconcile(tenders, candidates, window)
        free = {line.id for line in found.pop("lines")}
        used = {line.id: line for line in candidates if line.id not in free}
        in_span = [line for line in used.values() if first <= line.day <= last]
        lines, amount = self._all(
            "SELECT COUNT(*), COALESCE(SUM(amount), 0) FROM statement_lines WHERE day BETWEEN "
            f"? AND ? AND {_STATEMENT_FAIR}", [first.isoformat(), last.isoformat(), fair,
                                              fair])[0]

        def every_line() -> Iterator[_StatementRow]:
            return self._lines_with_no_tender(first, last, fair, set(used))

        imported = self._all("SELECT COUNT(*), MAX(imported_at) FROM statements")[0]
        return {"first": first.isoformat(), "last": last.isoformat(), "fair": fair,
                "window": window, **found,
                "lines": list(itertools.islice(every_line(), max(lines_at, 0),
                                               max(lines_at, 0) + lines_shown)),
                "lines_at": max(lines_at, 0), "lines_count": int(lines) - len(in_span),
                "lines_amount": int(amount) - sum(line.amount for line in in_span),
                "every_line": every_line, "statements": int(imported[0]),
                "last_import": imported[1]}

    def _lines_with_no_tender(self, first: date, last: date, fair: str | None,
                              used: set[int]) -> Iterator[_StatementRow]:
        """The statement lines of those days, in their order (by day, as imported), but
        ``used``: read a chunk at a time from where the last chunk ended."""
        after = (first.isoformat(), 0)
        while True:
            rows = self._all(
                "SELECT day, reference, amount, phone, bank, id FROM statement_lines WHERE "
                f"(day, id) > (?, ?) AND day <= ? AND {_STATEMENT_FAIR} ORDER BY day, id "
                f"LIMIT {statements.CHUNK}", [*after, last.isoformat(), fair, fair])
            for r in rows:
                if int(r[5]) not in used:
                    yield _StatementRow(date.fromisoformat(r[0]), r[1], int(r[2]), r[3], r[4],
                                        int(r[5]))
            if len(rows) < statements.CHUNK:
                return
            after = (rows[-1][0], int(rows[-1][5]))

    def redemptions(self, first: date, last: date, fair: str | None = None) -> dict[str, Any]:
        """Each voucher program's redemptions of those business dates, by day, week and lane
        (:func:`fairpos.ledger.redemptions.redemptions`), each program with its name."""
        names = self.vouchers()
        found = redemptions(self._all, first, last, fair, sorted(names))
        for program in found["programs"]:
            program["name"] = names.get(program["code"], program["code"])
        return found

    def day_rates(self, business_date: str, currency: str) -> dict[str, Rate]:
        """The rates from ``currency`` in force on a business date, to value its tenders: the
        newest the ledger published effective by then, else the newest a lane set itself."""
        day = date.fromisoformat(business_date)
        found: dict[str, tuple[tuple[date, int], Rate]] = {}
        for version, rates in self.known().rate_sets.items():
            for (base, quote, effective), value in rates.items():
                key = (effective, version)
                if base == currency and effective <= day and (
                        quote not in found or found[quote][0] < key):
                    found[quote] = (key, Rate(base, quote, value, version, effective))
        chosen = {quote: rate for quote, (_key, rate) in found.items()}
        for quote, version, value in self._all(
                "SELECT quote, version, value FROM lane_rates WHERE base = ? ORDER BY version",
                [currency]):
            if quote not in found:
                chosen[quote] = Rate(currency, quote, Decimal(value), int(version), day)
        return chosen

    def _shifts_lacking(self, device_id: str, named: Any) -> list[str]:
        """Of the shift entries a lane names at its day close, those not here (nor in
        quarantine, where only a person settles them)."""
        if named is None:
            return []
        if not isinstance(named, list) or len(named) > _IDS_PER_QUERY or not all(
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

    # -- catalog and rates ---------------------------------------------------------------------

    def publish(self, text: str, name: str, currency: str) -> tuple[str, int]:
        """Publish a catalog (CSV or JSON, as the stalls import) or a rates file (CSV with
        ``base,quote,rate,effective``) as a new immutable version: ("catalog"|"rates", n)."""
        first = text.lstrip("\ufeff").splitlines()[0] if text.strip() else ""
        if first.replace(" ", "").lower().startswith("base,quote"):
            return "rates", self._publish_rates(text)
        fmt: Literal["csv", "json"] = "json" if name.lower().endswith(".json") else "csv"
        try:
            parse_catalog(text, fmt, check_currency(currency))
        except (CatalogError, MoneyError) as err:
            raise LedgerError(f"{name}: {err}") from None
        with self.transaction() as conn:
            version = conn.execute("SELECT COALESCE(MAX(version), 0) + 1 FROM catalogs"
                                   ).fetchone()[0]
            conn.execute("INSERT INTO catalogs VALUES (?,?,?,?,?,?)",
                         [version, self.clock(), currency, fmt, text,
                          hashlib.sha256(text.encode()).hexdigest()])
        return "catalog", int(version)

    def _publish_rates(self, text: str) -> int:
        rates = []
        for n, row in enumerate(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))), start=2):
            try:
                rates.append({"base": check_currency(row["base"]),
                              "quote": check_currency(row["quote"]),
                              "value": str(parse_rate(row["rate"])),
                              "effective": date.fromisoformat(row["effective"].strip())
                              .isoformat()})
            except (KeyError, AttributeError, ValueError) as err:
                raise LedgerError(_("rates line {n}: {error}").format(n=n, error=err)) from None
        if not rates:
            raise LedgerError(_("the rates file has no rates"))
        with self.transaction() as conn:
            version = conn.execute("SELECT COALESCE(MAX(version), 0) + 1 FROM rate_sets"
                                   ).fetchone()[0]
            conn.execute("INSERT INTO rate_sets VALUES (?,?,?)",
                         [version, self.clock(), json.dumps({"rates": rates})])
        return int(version)

    def _newest(self, table: str) -> dict[str, Any] | None:
        rows = self._all(f"SELECT * FROM {table} ORDER BY version DESC LIMIT 1")
        return dict(rows[0]) if rows else None

    def catalog(self) -> Published | None:
        """The newest catalog: version, published_at, currency, format, body, sha256."""
        row = self._newest("catalogs")
        return None if row is None else Published(row["version"], row)

    def rates(self) -> Published | None:
        """The newest rates: version, published_at and the list of rates."""
        row = self._newest("rate_sets")
        if row is None:
            return None
        rates = json.loads(row.pop("body"))
        return Published(row["version"], {**row, **rates})

    def class_names(self) -> dict[str, dict[str, str]]:
        """Each price class's names in the newest catalog: code → {"es": …, "en": …}. The
        catalog is read again only when a newer one was published."""
        newest = self._all("SELECT MAX(version) FROM catalogs")[0][0]
        if newest is None:
            return {}
        if self._class_names is None or self._class_names[0] != newest:
            row = self._newest("catalogs")
            assert row is not None
            try:
                draft = parse_catalog(row["body"], "json" if row["format"] == "json"
                                      else "csv", row["currency"])
            except (CatalogError, MoneyError):  # (checked when published: not reached)
                return {}
            self._class_names = (row["version"], {
                c.code: {"es": c.name_es, "en": c.name_en or c.name_es}
                for c in draft.price_classes})
        return self._class_names[1]

    # -- reports ---------------------------------------------------------------------------

    def devices(self, device_id: str | None = None) -> list[dict[str, Any]]:
        """Every enrolled device (or the one ``device_id``), with its missing numbers (looked
        for only where a device has entries past its resume point: one query for all)."""
        found = []
        one = [device_id, device_id]
        ahead = {r[0] for r in self._all(
            "SELECT d.device_id FROM devices d WHERE (CAST(? AS TEXT) IS NULL OR d.device_id "
            "= ?) AND EXISTS (SELECT 1 FROM sales s WHERE s.device_id = d.device_id AND "
            "s.seq > d.max_contiguous_seq)", one)}
        for row in self._all(
                "SELECT enrolment, device_id, fair, lane, enrolled_at, claimed_at, revoked_at, "
                "max_contiguous_seq, last_sync_at, last_path FROM devices "
                "WHERE CAST(? AS TEXT) IS NULL OR device_id = ? ORDER BY fair, lane", one):
            missing, missing_count = self._missing(row["device_id"]) \
                if row["device_id"] in ahead else ([], 0)
            found.append(dict(row) | {"missing": missing, "missing_count": missing_count})
        return found

    def fairs(self) -> list[str]:
        """The fairs with lanes enrolled, by name."""
        return [r[0] for r in self._all("SELECT DISTINCT fair FROM devices ORDER BY 1")]

    def quarantined(self, fair: str | None = None, newest: int | None = None
                    ) -> list[dict[str, Any]]:
        """The quarantine (of one fair), oldest first; ``newest``: only that many of the
        newest, newest first (what a page shows)."""
        order = "ORDER BY q.id" if newest is None else f"ORDER BY q.id DESC LIMIT {int(newest)}"
        return [dict(row) for row in self._all(
            "SELECT q.id, q.device_id, d.fair, d.lane, q.sale_id, q.kind, q.reason, "
            "q.received_at FROM quarantine q LEFT JOIN devices d ON d.device_id = q.device_id "
            f"WHERE (CAST(? AS TEXT) IS NULL OR d.fair = ?) AND {_STILL_OUT} {order}",
            [fair, fair])]

    def quarantine_page(self, fair: str | None = None, device: str | None = None,
                        state: str = "open", offset: int = 0, limit: int = 50
                        ) -> tuple[list[dict[str, Any]], int]:
        """A page of the quarantine, newest first — each entry with what is kept of its body
        (``payload``; ``size``: the bytes it came with) and its latest review — for one fair
        and device or all; ``state``: "open" (not reviewed yet), "reviewed" or "all". At most
        ``limit`` entries, fewer where their bodies pass :data:`PAGE_BYTES`. And how many
        entries match."""
        reviewed = "EXISTS (SELECT 1 FROM quarantine_reviews r WHERE r.quarantine_id = q.id)"
        where = ("FROM quarantine q LEFT JOIN devices d ON d.device_id = q.device_id "
                 "WHERE (CAST(? AS TEXT) IS NULL OR d.fair = ?) "
                 "AND (CAST(? AS TEXT) IS NULL OR q.device_id = ?)"
                 + {"open": f" AND NOT {reviewed} AND {_STILL_OUT}",
                    "reviewed": f" AND {reviewed}"}.get(state, ""))
        params = [fair, fair, device, device]
        latest = ("(SELECT r.{0} FROM quarantine_reviews r WHERE r.quarantine_id = q.id "
                  "ORDER BY r.id DESC LIMIT 1)")
        # (an entry kept whole before the bounds: its head, as a bounded one's)
        rows = by_size([dict(row) for row in self._all(
            "SELECT q.id, q.device_id, d.fair, d.lane, q.sale_id, q.kind, q.reason, "
            f"q.received_at, substr(q.payload, 1, {HEAD_KEPT}) AS payload, "
            "COALESCE(q.size, LENGTH(q.payload)) AS size, "
            f"{latest.format('note')} AS note, {latest.format('at')} AS reviewed_at {where} "
            "ORDER BY q.id DESC LIMIT ? OFFSET ?", [*params, int(limit), max(int(offset), 0)])])
        return rows, int(self._all(f"SELECT COUNT(*) {where}", params)[0][0])

    def review_quarantined(self, quarantine_id: int, note: str) -> None:
        """A person's note on an entry in quarantine (what was found, what was done): the
        entry stays as it came; a later note is added, never written over."""
        from fairpos.sync.schema import check_text

        text = note.strip()
        if not text:
            raise LedgerError(_("the note is empty"))
        if len(text) > 500:
            raise LedgerError(_("the note is longer than 500 characters"))
        try:
            check_text(text, "note", 500)
        except WireError:
            raise LedgerError(_("the note holds a control or invisible character")) from None
        with self.transaction() as conn:
            if conn.execute("SELECT 1 FROM quarantine WHERE id = ?",
                            [quarantine_id]).fetchone() is None:
                raise LedgerError(_("there is no entry #{id} in quarantine").format(
                    id=quarantine_id))
            conn.execute("INSERT INTO quarantine_reviews (quarantine_id, note, at) "
                         "VALUES (?, ?, ?)", [quarantine_id, text, self.clock()])

    def lane(self, device_id: str, offset: int = 0, limit: int = 50
             ) -> dict[str, Any] | None:
        """One lane's page: its device (fair, lane, sync), its days (entries and totals on
        the ledger, and what each day close said, newest first), its newest shifts with their
        counts, a page of its entries (newest first) and how many it has; None for a device
        the ledger does not know."""
        found = self.devices(device_id)
        if not found:
            return None
        days = [dict(r) for r in self._all(
            f"SELECT business_date, COUNT(*) AS entries, currency, {_sum('total')} AS total "
            "FROM sales WHERE device_id = ? AND training = 0 GROUP BY business_date, currency "
            "ORDER BY business_date DESC", [device_id])]
        closes: dict[str, dict[str, Any]] = {}
        for row in self._all("SELECT business_date, result, at FROM day_closes "
                             "WHERE device_id = ? ORDER BY id", [device_id]):
            closes[row[0]] = {"result": row[1], "at": row[2]}  # (the newest of each day)
        for day in days:
            day["close"] = closes.pop(day["business_date"], None)
        entries = [dict(r) for r in self._all(
            "SELECT seq, id, kind, business_date, confirmed_at, training, currency, total, "
            "received_at FROM sales WHERE device_id = ? ORDER BY seq DESC LIMIT ? OFFSET ?",
            [device_id, int(limit), max(int(offset), 0)])]
        count = int(self._all("SELECT COUNT(*) FROM sales WHERE device_id = ?",
                              [device_id])[0][0])
        return {"device": found[0], "days": days, "entries": entries, "count": count,
                "shifts": lane_shifts(self._all, device_id),
                "quarantined": self.quarantine_page(device=device_id, state="all",
                                                    limit=1)[1]}

    def quarantine_count(self, fair: str | None = None) -> int:
        return int(self._all(
            "SELECT COUNT(*) FROM quarantine q LEFT JOIN devices d ON d.device_id = q.device_id "
            f"WHERE (CAST(? AS TEXT) IS NULL OR d.fair = ?) AND {_STILL_OUT}",
            [fair, fair])[0][0])

    def set_timezone(self, fair: str, timezone: str) -> str:
        """The time zone a fair keeps (an IANA name, e.g. America/Caracas): its pages' hours
        are its own, whatever clock each lane kept. Returns the name as the zone database
        spells it."""
        try:
            zone = ZoneInfo(timezone.strip())
        except (ZoneInfoNotFoundError, ValueError):
            raise LedgerError(_("“{zone}” is not a time zone (e.g. America/Caracas)").format(
                zone=timezone)) from None
        with self.transaction() as conn:
            conn.execute("INSERT INTO fairs VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET "
                         "timezone = excluded.timezone, set_at = excluded.set_at",
                         [fair.strip(), zone.key, self.clock()])
        return zone.key

    def timezones(self) -> dict[str, ZoneInfo]:
        """Each fair's time zone, for those that have one set."""
        return {row[0]: ZoneInfo(row[1]) for row in self._all("SELECT name, timezone FROM fairs")}

    def days_at_a_glance(self) -> list[dict[str, Any]]:
        """Each fair's business dates, newest first: its sales, totals per currency, lanes,
        and how their day closes stand (the newest close of each lane and day: matched,
        pending, mismatch; lanes with sales that have not closed the day)."""
        days: dict[tuple[str, str], dict[str, Any]] = {}
        # (the entries as summed per day and lane when they were stored)
        for fair, day, currency, sales, total in self._all(
                f"SELECT d.fair, s.business_date, s.currency, {_sum('s.sales')}, "
                f"{_sum('s.total')} FROM day_sales s JOIN devices d ON d.device_id = "
                "s.device_id WHERE s.training = 0 GROUP BY 1, 2, 3"):
            glance = days.setdefault((fair, day), {"fair": fair, "business_date": day,
                                                   "sales": 0, "totals": {}, "lanes": 0,
                                                   "match": 0, "pending": 0, "mismatch": 0})
            glance["sales"] += int(sales)
            glance["totals"][currency] = int(total)
        for fair, day, lanes in self._all(
                "SELECT d.fair, s.business_date, COUNT(DISTINCT s.device_id) FROM day_sales s "
                "JOIN devices d ON d.device_id = s.device_id GROUP BY 1, 2"):
            if (fair, day) in days:
                days[(fair, day)]["lanes"] = int(lanes)
        for fair, day, result, lanes in self._all(
                "SELECT d.fair, c.business_date, c.result, COUNT(*) FROM day_closes c "
                "JOIN devices d ON d.device_id = c.device_id WHERE c.id = (SELECT MAX(x.id) "
                "FROM day_closes x WHERE x.device_id = c.device_id AND x.business_date = "
                "c.business_date) GROUP BY 1, 2, 3"):
            if (fair, day) in days and result in ("match", "pending", "mismatch"):
                days[(fair, day)][result] = int(lanes)
        for glance in days.values():
            closed = glance["match"] + glance["pending"] + glance["mismatch"]
            glance["not_closed"] = max(glance["lanes"] - closed, 0)
            glance["quarantined"] = 0
        # entries in quarantine not reviewed yet, by the business date they give (if any)
        # (read from the head of an entry kept whole, before its business date was kept)
        for fair, day, payload in self._all(
                "SELECT d.fair, q.business_date, CASE WHEN q.size IS NULL THEN "
                f"substr(q.payload, 1, {HEAD_KEPT}) END FROM quarantine q JOIN devices d ON "
                "d.device_id = q.device_id WHERE NOT EXISTS (SELECT 1 FROM quarantine_reviews "
                "r WHERE r.quarantine_id = q.id)"):
            key = (fair, day or business_date_of(payload or "") or "")
            if key in days:
                days[key]["quarantined"] += 1
        return sorted(days.values(), key=lambda g: (g["business_date"], g["fair"]),
                      reverse=True)

    def report(self, business_date: str, fair: str | None = None) -> dict[str, Any]:
        """A business date's figures, for one fair or all: counts and totals per currency
        and tender, per lane and in all, kilos and amount per product and price class, and
        sales by hour. Training entries are left out; voids and refunds count negatively.
        (Sums are cast to 64-bit integers: PostgreSQL would make them numeric.)"""
        where = ("s.business_date = ? AND s.training = 0 "
                 "AND (CAST(? AS TEXT) IS NULL OR d.fair = ?)")
        params = [business_date, fair, fair]
        base = f"FROM sales s JOIN devices d ON d.device_id = s.device_id WHERE {where}"
        totals = {r[0]: r[1] for r in self._all(
            f"SELECT s.currency, {_sum('s.total')} {base} GROUP BY 1 ORDER BY 1", params)}
        count = self._all(f"SELECT COUNT(*) {base} AND s.kind = 'sale'", params)[0][0]
        entries = self._all(f"SELECT COUNT(*) {base}", params)[0][0]
        igtf = [{"currency": r[0], "amount": int(r[1]), "base": int(r[2])} for r in self._all(
            f"SELECT s.currency, {_sum('s.igtf')}, {_sum('s.igtf_base')} {base} "
            f"GROUP BY 1 HAVING {_sum('s.igtf')} <> 0 ORDER BY 1", params)]
        sales_count = _sum("CASE WHEN s.kind = 'sale' THEN 1 ELSE 0 END")
        lanes = [dict(r) for r in self._all(
            f"SELECT d.fair, d.lane, s.device_id, {sales_count} AS sales_count, s.currency, "
            f"{_sum('s.total')} AS total {base} GROUP BY d.fair, d.lane, s.device_id, "
            f"s.currency ORDER BY d.fair, d.lane", params)]
        by_lane: dict[str, list[dict[str, Any]]] = {}  # (one read: each lane's, and the sums)
        summed: dict[tuple[str, str], int] = {}
        for r in self._all(f"SELECT s.device_id, t.method, t.currency, {_sum('t.amount')} "
                           f"AS amount FROM sale_tenders t JOIN sales s ON s.id = t.sale_id "
                           f"JOIN devices d ON d.device_id = s.device_id WHERE {where} "
                           f"GROUP BY 1, 2, 3 ORDER BY 1, 2, 3", params):
            by_lane.setdefault(r[0], []).append(
                {"method": r[1], "currency": r[2], "amount": r[3]})
            summed[(r[1], r[2])] = summed.get((r[1], r[2]), 0) + int(r[3])
        for lane in lanes:
            lane["tenders"] = by_lane.get(lane["device_id"], [])
        tenders: list[dict[str, Any]] = [{"method": m, "currency": c, "amount": a}
                   for (m, c), a in sorted(summed.items())]
        # (the day's lines as summed when they were stored: training and voided left out)
        line_where = ("FROM day_lines l JOIN devices d ON d.device_id = l.device_id WHERE "
                      "l.business_date = ? AND (CAST(? AS TEXT) IS NULL OR d.fair = ?)")
        grams, amount = _sum("l.grams"), _sum("l.amount")
        products = [dict(r) for r in self._all(
            f"SELECT l.code, l.name, {grams} AS grams, {_sum('l.count')} AS count, "
            f"{amount} AS amount {line_where} AND l.kind = 'product' GROUP BY l.code, l.name "
            f"ORDER BY {amount} DESC, l.code", params)]
        named = self.class_names()
        classes = [{**dict(r), "names": named.get(r[0])} for r in self._all(
            f"SELECT l.price_class, {grams} AS grams, {amount} AS amount "
            f"{line_where} AND l.price_class IS NOT NULL GROUP BY 1 ORDER BY 1", params)]
        zones = self.timezones()
        hours: dict[str, tuple[int, int]] = {}  # hour at the fair → (sales, total)
        for fair_name, moment, sales, total in self._all(  # (by the minute, with its offset)
                f"SELECT d.fair, substr(s.confirmed_at, 1, 16) || substr(s.confirmed_at, 20), "
                f"COUNT(*), {_sum('s.total')} {base} AND s.kind = 'sale' GROUP BY 1, 2", params):
            hour = _hour_at(moment, zones.get(fair_name))
            before = hours.get(hour, (0, 0))
            hours[hour] = (before[0] + int(sales), before[1] + int(total))
        zone = zones.get(fair) if fair else None
        pricing = next(iter(totals), None)
        if pricing is not None:
            rates = self.day_rates(business_date, pricing)
            for tender in tenders:
                rate = rates.get(tender["currency"])
                tender["value"] = int(tender["amount"]) if tender["currency"] == pricing \
                    else None if rate is None else round(rate.to_base(int(tender["amount"])))
        return {"business_date": business_date, "fair": fair, "sales_count": count,
                "entries": entries, "totals": totals, "tenders": tenders, "igtf": igtf,
                "lanes": lanes,
                "products": products, "price_classes": classes,
                "timezone": zone.key if zone else None,
                "hours": [{"hour": hour, "sales_count": n, "total": total}
                          for hour, (n, total) in sorted(hours.items())]}


def _sum(expression: str) -> str:
    return f"CAST(SUM({expression}) AS BIGINT)"


class SqliteLedger(SqlLedger):
    """The ledger in one SQLite file (WAL, ``synchronous=FULL``)."""

    def __init__(self, path: Path, clock: Callable[[], str] = _now,
                 seq_ahead: int = SEQ_AHEAD, migrate: bool = True) -> None:
        self.path = path
        super().__init__(SqliteBackend(path), clock, seq_ahead, migrate)


class PostgresLedger(SqlLedger):
    """The ledger in a PostgreSQL database (several processes and hosts may share it)."""

    def __init__(self, url: str, clock: Callable[[], str] = _now,
                 seq_ahead: int = SEQ_AHEAD, migrate: bool = True,
                 max_connections: int = 8) -> None:
        self.url = url
        super().__init__(PostgresBackend(url, max_size=max_connections), clock, seq_ahead,
                         migrate)


def open_ledger(db: str | Path, clock: Callable[[], str] = _now,
                seq_ahead: int = SEQ_AHEAD, migrate: bool = True) -> SqlLedger:
    """The ledger at ``db``: a ``postgresql://`` URL, or a SQLite file's path."""
    if is_postgresql(db):
        return PostgresLedger(str(db), clock, seq_ahead, migrate)
    return SqliteLedger(Path(db), clock, seq_ahead, migrate)


@dataclass(frozen=True, slots=True)
class Checked:
    """An entry of a batch, read and checked outside the store's lock: the sale, or why not."""

    sale_id: str  # as the entry names itself ("?" when it does not, or not legibly)
    wire: WireSale | None  # its fields, when it has the shape of an entry
    payload: bytes  # canonical JSON, stored as it is hashed
    digest: str
    sale: Sale | None
    reason: str | None
    pending: bool = False  # only what the ledger does not know yet: it waits, not refused


def _checked(device_id: str, sent: Any, known: Known) -> Checked:
    """One entry of ``device_id``'s batch (its JSON bytes as sent, or its JSON) against the
    schema; never raises for the entry's sake: whatever is wrong with it, however unexpected,
    is its reason to be quarantined."""
    raw = sent if isinstance(sent, bytes) else entry_bytes(sent)
    try:
        entry = read_entry(raw, known)
    except Exception as err:  # any entry the checks did not foresee
        entry = Entry(raw.decode("utf-8", "replace").encode(), None, None,
                      f"the ledger could not read this entry ({type(err).__name__})")
    digest = hashlib.sha256(entry.payload).hexdigest()
    sale = entry.sale
    if sale is None or entry.wire is None:
        try:
            named = split_id(entry.named)
            sale_id = f"{named[0]}-{named[1]:06d}"
        except (WireError, ValueError):
            sale_id = "?"
        return Checked(sale_id, None, entry.payload, digest, None, entry.reason,
                       entry.pending and sale_id != "?")
    reason = None
    if sale.id.rpartition("-")[0] != device_id:  # (a bundle names its device itself)
        reason = f"{sale.id} is not device {device_id}'s"
    return Checked(sale.id, entry.wire, entry.payload, digest, None if reason else sale,
                   reason)


def _read_shift(raw: bytes, known: Known) -> ShiftEntry:
    """A shift entry read and checked; never raises for the entry's sake."""
    try:
        return read_shift_entry(raw, known)
    except Exception as err:  # any entry the checks did not foresee
        return ShiftEntry("?", raw.decode("utf-8", "replace").encode(), None, 0, "", "", "",
                          False, "", None, (),
                          f"the ledger could not read this entry ({type(err).__name__})")


@dataclass(frozen=True)
class _StatementRow:
    """A statement line as kept, to be matched."""

    day: date
    reference: str
    amount: int
    phone: str
    bank: str
    id: int


LaneRates = dict[tuple[str, str, int], tuple[Decimal, str]]  # (base, quote, version) → value, sale

# at a hub: the entries the centre has not answered for yet (alias ``s``)
_NOT_UPSTREAM = ("FROM sales s LEFT JOIN upstream_acks a ON a.sale_id = s.id "
                 "WHERE a.sale_id IS NULL")
# at a hub, the lanes revoked at the centre (as its last round said): their entries not
# answered for are set aside — kept, shown, in a site bundle, not sent up again and again
_REVOKED = ("(SELECT x.device_id FROM devices x WHERE x.revoked_at IS NOT NULL "
            "AND x.device_id IS NOT NULL)")
# the statement lines a query reads, of a fair (or every fair's: a statement of no fair)
_STATEMENT_FAIR = "(CAST(? AS TEXT) IS NULL OR fair IS NULL OR fair = ?)"
_SALE_COLUMNS = ("id, device_id, seq, kind, ref_id, business_date, confirmed_at, training, "
                 "currency, total, catalog_version, payload, payload_hash, received_at, igtf, "
                 "igtf_base")
# counted, these tell whether anything entries are checked against has changed
_KNOWN_MARK = ("(SELECT COUNT(*) FROM catalogs), (SELECT COUNT(*) FROM rate_sets), "
               "(SELECT COUNT(*) FROM vouchers)")
_LINE_COLUMNS = ("sale_id, line_no, kind, code, name, price_class, grams, count, amount, voided, "
                 "tare")
_IDS_PER_QUERY = 1_000
# an entry in quarantine that is still out: not one refused then and stored since (sent again
# once what it named was published: it stays in the quarantine's history, "all")
_STILL_OUT = ("NOT (q.kind = 'rejected' AND EXISTS (SELECT 1 FROM sales s "
              "WHERE s.id = q.sale_id))")
_DAY_LINE_COLUMNS = ("business_date, device_id, kind, code, name, price_class, currency, grams, "
                     "count, amount, lines")


@dataclass
class _Rows:
    """What a batch writes, gathered before the backend writes it all at once."""

    sales: list[tuple[Any, ...]] = field(default_factory=list)
    lines: list[tuple[Any, ...]] = field(default_factory=list)
    tenders: list[tuple[Any, ...]] = field(default_factory=list)
    lane_rates: list[tuple[Any, ...]] = field(default_factory=list)
    quarantine: list[Refused] = field(default_factory=list)
    # (business date, kind, code, name, price class, currency) → [grams, count, amount, lines]
    sums: dict[tuple[Any, ...], list[int]] = field(default_factory=dict)
    # (business date, currency, training) → [sales, entries, total]
    days: dict[tuple[Any, ...], list[int]] = field(default_factory=dict)

    def add_up(self, sale: Sale) -> None:
        """A stored sale, into the batch's sums for the pages: the entry into its day's; its
        lines (not a training one's, nor voided lines) into their products'."""
        day = self.days.setdefault((sale.business_date, sale.total.currency,
                                    int(sale.training)), [0, 0, 0])
        day[0] += sale.kind == "sale"
        day[1] += 1
        day[2] += sale.total.minor
        if sale.training:
            return
        for line in sale.lines:
            if line.voided:
                continue
            key = (sale.business_date, line.kind, line.code, line.name_es, line.price_class,
                   sale.total.currency)
            kept = self.sums.setdefault(key, [0, 0, 0, 0])
            kept[0] += line.grams or 0
            kept[1] += line.count or 0
            kept[2] += line.amount
            kept[3] += 1

    def write(self, backend: Backend, conn: Any, device_id: str, now: str) -> None:
        """The sales, lines and tenders as plain inserts (``COPY`` on PostgreSQL): each was
        sorted against what the ledger holds under the device's lock, so a key already there
        cannot happen — if it did, it fails the batch, which the stall sends again."""
        backend.write_rows(conn, "sales", _SALE_COLUMNS, self.sales)
        backend.write_rows(conn, "sale_lines", _LINE_COLUMNS, self.lines)
        backend.write_rows(conn, "sale_tenders", "sale_id, tender_no, method, currency, amount",
                           self.tenders)
        if self.lane_rates:
            conn.executemany("INSERT INTO lane_rates VALUES (?,?,?,?,?,?,?) "
                             "ON CONFLICT DO NOTHING", self.lane_rates)
        keep(conn, device_id, self.quarantine, now)
        if self.sums:
            backend.write_rows(conn, "day_lines", _DAY_LINE_COLUMNS, [
                (day, device_id, kind, code, name, price_class, currency, *sums)
                for (day, kind, code, name, price_class, currency), sums in self.sums.items()])
        if self.days:
            backend.write_rows(
                conn, "day_sales", "business_date, device_id, currency, training, sales, "
                "entries, total", [(day, device_id, currency, training, *sums)
                                   for (day, currency, training), sums in self.days.items()])


def _sort_one(device_id: str, entry: Checked, now: str, result: BatchResult,
              rates: LaneRates, held: dict[str, str], furthest: int, rows: _Rows) -> None:
    """One entry of a batch, in its turn: accepted (its rows to write), a duplicate of what
    the ledger holds, or quarantined (rejected, or a conflict) with its reason. ``furthest``
    is the highest seq taken: so far past the device's resume point, at most."""
    sale = entry.sale
    reason = entry.reason
    wire = entry.wire
    if entry.pending:  # (held back, for a publication still to come: nothing is kept)
        result.pending.append({"id": entry.sale_id, "reason": str(reason)})
        return
    if sale is not None and reason is None and sale.seq > furthest:
        reason = (f"seq {sale.seq} is too far past this device's last entry on the ledger "
                  f"(at most {furthest})")
    if sale is not None and wire is not None and reason is None:
        reason = _lane_rates_differ(rates, sale, wire)
    if sale is None or wire is None or reason is not None:
        rows.quarantine.append(Refused(entry.sale_id, "rejected", str(reason), entry.payload,
                                       entry.digest))
        result.rejected.append({"id": entry.sale_id, "reason": str(reason)})
        return
    digest = held.get(sale.id)
    if digest == entry.digest:
        result.duplicate.append(sale.id)
        return
    if digest is not None:
        reason = "another sale with this id is already on the ledger"
        rows.quarantine.append(Refused(sale.id, "conflict", reason, entry.payload,
                                       entry.digest))
        result.conflict.append({"id": sale.id, "reason": reason})
        return
    held[sale.id] = entry.digest
    rows.sales.append((sale.id, device_id, sale.seq, sale.kind, sale.ref_id,
                       sale.business_date, sale.confirmed_at.isoformat(), int(sale.training),
                       sale.total.currency, sale.total.minor, sale.catalog_version,
                       entry.payload.decode(), entry.digest, now, sale.igtf, sale.igtf_base))
    rows.lines += [
        (sale.id, n, line.kind, line.code, line.name_es, line.price_class, line.grams,
         line.count, line.amount, int(line.voided), line.tare)
        for n, line in enumerate(sale.lines, start=1)]
    rows.add_up(sale)
    tenders = [(t.method, t.amount.currency, t.amount.minor) for t in sale.tenders]
    if sale.change.minor:  # change goes out of the drawer as cash
        tenders.append(("cash", sale.change.currency, -sale.change.minor))
    tenders += [(t.method, t.amount.currency, -t.amount.minor)  # out of the fair's account
                for t in sale.change_sent]
    rows.tenders += [(sale.id, n, *t) for n, t in enumerate(tenders, start=1)]
    for rate, item in zip(sale.rates, wire.rates, strict=True):
        key = (rate.base, rate.quote, rate.version)
        if item.published in (None, UNSET) and key not in rates:
            rows.lane_rates.append((device_id, *key, str(rate.value),
                                    str(item.reason or ""), sale.id))
            rates[key] = (rate.value, sale.id)
    result.accepted.append(sale.id)



_FRACTION = re.compile(r"^(.{16})\.[0-9]+")


def _hour_at(moment: str, zone: ZoneInfo | None) -> str:
    """The hour ("07") of a moment as the lane wrote it (to the minute, with its offset), at
    the fair's time zone when it has one (the lane's own clock otherwise)."""
    try:  # (the minute, then whatever followed the seconds: a fraction, the offset)
        at = datetime.fromisoformat(_FRACTION.sub(r"\1", moment))
    except ValueError:
        return moment[11:13]
    if zone is not None and at.tzinfo is not None:
        at = at.astimezone(zone)
    return f"{at.hour:02d}"


def _lane_rates_differ(rates: LaneRates, sale: Sale, wire: WireSale) -> str | None:
    """A rate the lane set itself (not published here) is kept the first time a sale of the
    lane uses it; a later sale that gives the same rate version another value is refused
    (None: they agree)."""
    for rate, item in zip(sale.rates, wire.rates, strict=True):
        if item.published not in (None, UNSET):
            continue
        kept = rates.get((rate.base, rate.quote, rate.version))
        if kept is not None and kept[0] != rate.value:
            return (f"the lane's rate {rate.base}→{rate.quote} v{rate.version} is "
                    f"{kept[0]} in {kept[1]}, not {rate.value}")
    return None
