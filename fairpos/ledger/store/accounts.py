"""Named accounts and what they did: a treasurer reads the pages and settles the quarantine; an
admin also enrols and revokes lanes. A password is kept as its scrypt hash (Python's own,
salted, memory-hard); a session remembers whose it is. Every action of a person — a sign-in, a
review, a resolution, an enrolment, a revocation, a publication — goes into the audit, which
is only ever added to.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from fairpos.i18n import _
from fairpos.ledger.limits import SESSION_HOURS
from fairpos.ledger.store.core import LedgerError
from fairpos.ledger.store.resolutions import Resolutions
from fairpos.sync.wire import WireError, token_hash

ROLES = ("treasurer", "admin")
TOKEN_NAME = "admin token"  # who a session signed in with an admin token is
MIN_PASSWORD = 10
# scrypt's cost: 16 MiB and a few tens of milliseconds a try
_N, _R, _P = 2**14, 8, 1


@dataclass(frozen=True, slots=True)
class Who:
    """The person behind a request: an account's name and role, or an admin token."""

    name: str
    role: str

    @property
    def admin(self) -> bool:
        return self.role == "admin"


@dataclass(frozen=True, slots=True)
class Account:
    name: str
    role: str
    created_at: str
    disabled_at: str | None


@dataclass(frozen=True, slots=True)
class Audited:
    id: int
    at: str
    who: str
    action: str
    detail: str


def password_hash(password: str, salt: bytes | None = None) -> str:
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    return f"scrypt${_N}${_R}${_P}${salt.hex()}${digest.hex()}"


def password_matches(password: str, kept: str) -> bool:
    try:
        _kind, n, r, p, salt, digest = kept.split("$")
        found = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt), n=int(n),
                               r=int(r), p=int(p), dklen=len(bytes.fromhex(digest)))
    except (ValueError, MemoryError):
        return False
    return hmac.compare_digest(found.hex(), digest)


_NOBODY = password_hash("nobody's password")  # (an unknown name costs what a known one does)


class Accounts(Resolutions):
    """Accounts, their sessions, and the audit."""

    def add_account(self, name: str, role: str, password: str, by: str) -> Account:
        from fairpos.sync.sale_entries import check_text

        name = " ".join(name.split())
        if not name or len(name) > 80:
            raise LedgerError(_("an account's name is 1 to 80 characters"))
        try:
            check_text(name, "name", 80)
        except WireError:
            raise LedgerError(_("the name holds a control or invisible character")) from None
        if role not in ROLES:
            raise LedgerError(_("the role is treasurer or admin, not “{role}”").format(
                role=role[:40]))
        if len(password) < MIN_PASSWORD:
            raise LedgerError(_("the password needs {most} characters at least").format(
                most=MIN_PASSWORD))
        now = self.clock()
        with self.transaction() as conn:
            if conn.execute("SELECT 1 FROM accounts WHERE name = ?", [name]).fetchone():
                raise LedgerError(_("there is an account {name} already").format(name=name))
            conn.execute("INSERT INTO accounts (name, role, password_hash, created_at) "
                         "VALUES (?,?,?,?)", [name, role, password_hash(password), now])
        self.audit(by, "account added", f"{name} ({role})")
        return Account(name, role, now, None)

    def disable_account(self, name: str, by: str) -> None:
        """No more sign-ins for ``name``; its sessions end (the account stays, for the
        audit)."""
        with self.transaction() as conn:
            done = conn.execute("UPDATE accounts SET disabled_at = ? WHERE name = ? AND "
                                "disabled_at IS NULL", [self.clock(), name]).rowcount
            if not done:
                raise LedgerError(_("there is no active account {name}").format(name=name))
            conn.execute("DELETE FROM admin_sessions WHERE account = ?", [name])
        self.audit(by, "account disabled", name)

    def accounts(self) -> list[Account]:
        return [Account(*row) for row in self._all(
            "SELECT name, role, created_at, disabled_at FROM accounts ORDER BY name")]

    def sign_in_account(self, name: str, password: str) -> str | None:
        """A new session for an account's name and password (None: not a match, or
        disabled)."""
        rows = self._all("SELECT password_hash FROM accounts WHERE name = ? AND "
                         "disabled_at IS NULL", [" ".join(name.split())])
        if not password_matches(password, rows[0][0] if rows else _NOBODY) or not rows:
            return None
        return self._new_session(None, " ".join(name.split()))

    def sign_in(self, token: str) -> str | None:
        """A new session for an admin token (None: not one)."""
        if not self.is_admin(token):
            return None
        return self._new_session(token_hash(token), None)

    def _new_session(self, digest: str | None, account: str | None) -> str:
        """A random session id, of which only the hash is kept, good for SESSION_HOURS."""
        session = secrets.token_urlsafe(32)
        now = datetime.fromisoformat(self.clock())
        with self.transaction() as conn:
            conn.execute("DELETE FROM admin_sessions WHERE expires_at <= ?", [now.isoformat()])
            conn.execute("INSERT INTO admin_sessions (session_hash, token_hash, created_at, "
                         "expires_at, account) VALUES (?,?,?,?,?)",
                         [token_hash(session), digest or "", now.isoformat(),
                          (now + timedelta(hours=SESSION_HOURS)).isoformat(), account])
        return session

    def session_of(self, session: str) -> Who | None:
        """Whose a session is: signed in, not expired, its token not revoked or its
        account not disabled (None otherwise)."""
        rows = self._all(
            "SELECT s.account, a.role, t.token_hash FROM admin_sessions s "
            "LEFT JOIN accounts a ON a.name = s.account AND a.disabled_at IS NULL "
            "LEFT JOIN admin_tokens t ON t.token_hash = s.token_hash "
            "WHERE s.session_hash = ? AND s.expires_at > ?",
            [token_hash(session), datetime.fromisoformat(self.clock()).isoformat()])
        if not rows:
            return None
        account, role, token = rows[0]
        if account is not None:
            return Who(account, role) if role is not None else None
        return Who(TOKEN_NAME, "admin") if token is not None else None

    def in_session(self, session: str) -> bool:
        return self.session_of(session) is not None

    def sign_out(self, session: str) -> None:
        with self.transaction() as conn:
            conn.execute("DELETE FROM admin_sessions WHERE session_hash = ?",
                         [token_hash(session)])

    def audit(self, who: str, action: str, detail: str = "", address: str = "") -> None:
        """One person's action, added to the audit (never changed)."""
        with self.transaction() as conn:
            conn.execute("INSERT INTO audit (at, who, action, detail, address) "
                         "VALUES (?,?,?,?,?)",
                         [self.clock(), who[:120], action[:60], detail[:500], address[:64]])

    def audit_log(self, offset: int = 0, limit: int = 100) -> tuple[list[Audited], int]:
        """The audit, newest first, a page at a time; and how many actions in all."""
        rows = self._all("SELECT id, at, who, action, detail FROM audit ORDER BY id DESC "
                         "LIMIT ? OFFSET ?", [int(limit), max(int(offset), 0)])
        return ([Audited(int(r[0]), r[1], r[2], r[3], r[4]) for r in rows],
                int(self._all("SELECT COUNT(*) FROM audit")[0][0]))
