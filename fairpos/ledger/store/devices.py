"""Devices and sessions: a lane's place at a fair (its enrolment and token), its claim by a
device, its revocation; admin tokens and the sessions of the pages; the fairs and their time
zones.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fairpos.i18n import _
from fairpos.ledger.store.core import Device, LedgerError
from fairpos.ledger.store.publishing import Publishing
from fairpos.sync.sale_entries import check_device_id, check_text
from fairpos.sync.wire import WireError, token_hash


class Devices(Publishing):
    """Enrolments, tokens, sessions and the fairs' time zones."""

    def enrol(self, fair: str, lane: int) -> tuple[int, str]:
        """A new device place (fair, lane) and its token; only the token's hash is kept."""
        if not fair.strip():
            raise LedgerError(_("the fair needs a name"))
        try:  # (shown on every page: no control or bidirectional character in it)
            check_text(fair, "the fair's name", 10_000)
        except WireError as err:
            raise LedgerError(str(err)) from None
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

    def fairs(self) -> list[str]:
        """The fairs with lanes enrolled, by name."""
        return [r[0] for r in self._all("SELECT DISTINCT fair FROM devices ORDER BY 1")]

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
