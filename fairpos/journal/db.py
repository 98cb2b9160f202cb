"""One SQLite file, one connection per process, one writer at a time.

Both the stall's journal and the ledger's SQLite store open their file here: WAL,
``synchronous=FULL`` (a committed transaction survives a power cut), foreign keys on. The
:class:`Database` owns its write serialisation: every statement runs under its lock, and a
write transaction (``BEGIN IMMEDIATE``) holds it to the end, so the till's workers, the
command line and the ledger's request threads never pass a lock around. Other processes wait
for the file's write lock (``busy_timeout``) instead of failing.
"""

from __future__ import annotations

import os
import sqlite3
import stat
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fairpos.i18n import _
from fairpos.journal.records import DiskError

PRAGMAS = ("journal_mode=WAL", "synchronous=FULL", "foreign_keys=ON")


def _disk_error(err: sqlite3.Error, path: Path) -> DiskError | None:
    """``err`` as a volunteer's line when it is the disk's doing (None: a bug, or a rule)."""
    name = getattr(err, "sqlite_errorname", "") or ""
    folder = path.parent
    if name.startswith("SQLITE_FULL") or "disk is full" in str(err):
        return DiskError(_("the journal's disk is full: free space on {folder} — nothing was "
                           "written").format(folder=folder))
    if name.startswith("SQLITE_READONLY") or "readonly database" in str(err):
        return DiskError(_("the journal cannot be written (read-only: {path}) — nothing was "
                           "written; reports and reprints still work").format(path=path))
    if name.startswith(("SQLITE_IOERR", "SQLITE_CANTOPEN")) or "disk I/O error" in str(err):
        return DiskError(_("the journal's disk failed ({error}): check the disk and the free "
                           "space on {folder} — nothing was written").format(
            error=err, folder=folder))
    return None


def _writable_like(path: Path) -> None:
    """The WAL's side files as writable as the journal itself. A process that opened the
    journal while its file was read-only left them read-only (SQLite copies the file's mode),
    and every write would fail long after the file was made writable again."""
    try:
        want = stat.S_IMODE(path.stat().st_mode) & 0o222
    except OSError:
        return  # a new file: nothing to match
    for end in ("-shm", "-wal"):
        side = path.with_name(path.name + end)
        try:
            mode = stat.S_IMODE(side.stat().st_mode)
            if mode & want != want:
                os.chmod(side, mode | want)
        except OSError:
            continue  # not there, or not ours: SQLite says so when it writes


@contextmanager
def _disk_errors(path: Path) -> Iterator[None]:
    try:
        yield
    except sqlite3.Error as err:
        said = _disk_error(err, path)
        if said is None:
            raise
        raise said from None


class Database:
    """A SQLite file shared by every thread of this process, one statement at a time."""

    def __init__(self, path: Path, timeout: float = 10.0) -> None:
        self.path = path
        self.lock = threading.RLock()
        self.read_only = False
        _writable_like(path)
        try:
            self.conn = self._connect(str(path), timeout, PRAGMAS)
            # SQLite opens a file it cannot write for reading only, when the WAL's side files
            # are there to read it with: say so, as when it had to be asked for reading
            self.read_only = path.exists() and not os.access(path, os.W_OK)
        except sqlite3.Error as err:
            said = _disk_error(err, path)
            if said is None:
                raise
            if not path.exists():
                raise said from None
            self.conn = self._read_only(timeout, said)

    @staticmethod
    def _connect(target: str, timeout: float, pragmas: Sequence[str], uri: bool = False
                 ) -> sqlite3.Connection:
        conn = sqlite3.connect(target, timeout=timeout, check_same_thread=False,
                               isolation_level=None, uri=uri)
        try:
            conn.row_factory = sqlite3.Row
            for pragma in (*pragmas, f"busy_timeout={int(timeout * 1000)}"):
                conn.execute(f"PRAGMA {pragma}")
            conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
        except sqlite3.Error:
            conn.close()
            raise
        return conn

    def _read_only(self, timeout: float, said: DiskError) -> sqlite3.Connection:
        """The file on a disk that cannot be written (mounted read-only, a folder not ours):
        opened for reading, so that reports and the sales list still work. With the WAL's side
        files there, SQLite reads through them; without them (the journal was closed cleanly,
        so the file holds everything), the file is read as it is — nobody can change it."""
        self.read_only = True
        target = "file:" + quote(str(self.path.resolve())) + "?mode=ro"
        wal = self.path.with_name(self.path.name + "-wal")
        try:
            return self._connect(target, timeout, ("foreign_keys=ON",), uri=True)
        except sqlite3.Error:
            if wal.exists() and wal.stat().st_size > 0:
                raise said from None  # its last transactions are only in the WAL: not without it
        try:
            return self._connect(target + "&immutable=1", timeout, (), uri=True)
        except sqlite3.Error:
            raise said from None

    def on_connection(self, step: Callable[[sqlite3.Connection], None]) -> None:
        """Run ``step`` (e.g. migrations) on the connection itself, under the lock, a disk that
        refuses it said in one line."""
        with self.lock, _disk_errors(self.path):
            step(self.conn)

    def close(self) -> None:
        with self.lock:
            self.conn.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction; ``BEGIN IMMEDIATE`` so that writers queue instead of failing.
        Nested use joins the transaction already open on this thread."""
        with self.lock:
            if self.conn.in_transaction:
                yield self.conn
                return
            with _disk_errors(self.path):
                self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self.conn
            except BaseException as err:
                self._roll_back()
                said = _disk_error(err, self.path) if isinstance(err, sqlite3.Error) else None
                if said is not None:
                    raise said from None
                raise
            try:
                with _disk_errors(self.path):
                    self.conn.execute("COMMIT")
            except BaseException:
                self._roll_back()
                raise

    def _roll_back(self) -> None:
        """Undo the open transaction, if SQLite has not already (it does on some I/O errors)."""
        if self.conn.in_transaction:
            with suppress(sqlite3.Error):
                self.conn.execute("ROLLBACK")

    def execute(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Cursor:
        with self.lock, _disk_errors(self.path):
            return self.conn.execute(sql, list(params))

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        with self.lock, _disk_errors(self.path):
            self.conn.executemany(sql, rows)

    def one(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Row | None:
        with self.lock, _disk_errors(self.path):
            row: sqlite3.Row | None = self.conn.execute(sql, list(params)).fetchone()
            return row

    def all(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        with self.lock, _disk_errors(self.path):
            return self.conn.execute(sql, list(params)).fetchall()

    def tuples(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Rows as plain tuples: quicker than rows by name when there are thousands."""
        with self.lock, _disk_errors(self.path):
            cursor = self.conn.cursor()
            cursor.row_factory = None
            return cursor.execute(sql, list(params)).fetchall()

    def value(self, sql: str, params: Sequence[Any] = ()) -> Any:
        """The first column of the first row (None when there is no row)."""
        row = self.one(sql, params)
        return None if row is None else row[0]


def append_only(conn: sqlite3.Connection, tables: Sequence[str], what: str) -> None:
    """Triggers that refuse any UPDATE or DELETE of ``tables`` (``what``: the journal, the
    ledger — said in the refusal)."""
    for table in tables:
        for action in ("UPDATE", "DELETE"):
            done = "updated" if action == "UPDATE" else "deleted"
            conn.execute(
                f"CREATE TRIGGER IF NOT EXISTS {table}_no_{action.lower()} BEFORE {action} "
                f"ON {table} BEGIN SELECT RAISE(ABORT, '{what} is append-only: {table} cannot "
                f"be {done}'); END")
