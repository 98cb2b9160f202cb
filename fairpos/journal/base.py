"""What every part of the journal shares: the file, the clock, the device id, the audit log."""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import Any, Self

from fairpos.i18n import _
from fairpos.journal.backups import take
from fairpos.journal.db import Database
from fairpos.journal.migrations import migrate
from fairpos.journal.records import Backup, JournalError

DB_NAME = "fairpos.db"
_DEVICE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read aloud, typed by hand


def mint_device_id() -> str:
    return "".join(secrets.choice(_DEVICE_ALPHABET) for _ in range(6))


def _now() -> datetime:
    return datetime.now().astimezone()


class JournalBase:
    """The journal of one device. Open it with :meth:`open` or :meth:`create`.

    Every method may be called from any thread of the process: the :class:`Database`
    runs one statement, or one write transaction, at a time.
    """

    def __init__(self, db: Database, clock: Callable[[], datetime] | None = None) -> None:
        self.db = db
        self.clock = clock if clock is not None else _now

    @classmethod
    def create(cls, path: Path, clock: Callable[[], datetime] | None = None,
               device_id: str | None = None) -> Self:
        """Create the journal file (and mint the device id); open it if it already exists."""
        path.parent.mkdir(parents=True, exist_ok=True)
        journal = cls(cls._migrated(path), clock)
        with journal.transaction() as conn:
            if conn.execute("SELECT COUNT(*) FROM device").fetchone()[0] == 0:
                conn.execute("INSERT INTO device (id, created_at) VALUES (?, ?)",
                             [device_id or mint_device_id(), journal.clock().isoformat()])
        return journal

    @classmethod
    def open(cls, path: Path, clock: Callable[[], datetime] | None = None) -> Self:
        """Open an existing journal (bringing its tables up to date)."""
        if not path.exists():
            raise JournalError(_("there is no journal at {path}; run “fairpos init” first")
                               .format(path=path))
        return cls(cls._migrated(path), clock)

    @staticmethod
    def _migrated(path: Path) -> Database:
        db = Database(path)
        db.on_connection(migrate)
        return db

    @property
    def read_only(self) -> bool:
        """The file could only be opened for reading (its disk is read-only): reports and the
        sales list work, every write is refused with one line."""
        return self.db.read_only

    def close(self) -> None:
        self.db.close()

    def backup(self, folder: Path, keep: int, when: datetime) -> Backup:
        """A checked copy of the journal as it stands, in ``folder`` (see ``backups``); the
        process's writers wait for the moment it takes, other processes' do not."""
        with self.db.lock:
            return take(self.db.conn, folder, when, keep)

    @contextmanager
    def transaction(self) -> Iterator[Any]:
        with self.db.transaction() as conn:
            yield conn

    def _audit(self, action: str, *, shift_id: int | None = None, entry_id: str | None = None,
               **detail: Any) -> None:
        self.db.execute(
            "INSERT INTO audit_log (at, shift_id, action, entry_id, detail) VALUES (?,?,?,?,?)",
            [self.clock().isoformat(), shift_id, action, entry_id,
             json.dumps(detail, ensure_ascii=False, sort_keys=True)])

    @cached_property
    def device_id(self) -> str:
        """Minted once when the journal was created; never changes."""
        return str(self.db.value("SELECT id FROM device"))

    def sync_value(self, key: str) -> str | None:
        value = self.db.value("SELECT value FROM sync_state WHERE key = ?", [key])
        return None if value is None else str(value)

    def _set_sync(self, key: str, value: str) -> None:
        self.db.execute("INSERT INTO sync_state VALUES (?, ?) ON CONFLICT (key) DO UPDATE "
                        "SET value = excluded.value", [key, value])
