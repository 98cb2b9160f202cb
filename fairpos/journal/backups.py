"""Copies of the journal: taken while the till sells, checked, rotated; put back on a machine.

A copy is made with SQLite's online backup (one step, so it is the journal as it stood at one
moment, whatever the till writes meanwhile), written beside its final name and renamed into
place (a cut power leaves no half file under a backup's name), then opened again and checked:
``integrity_check``, ``foreign_key_check``, the sales numbered without a gap and each sale
adding up to its lines. Its name says the lane and the moment: ``fairpos-LANE-YYYYMMDD-HHMMSS
.db``; the oldest beyond ``keep`` are removed, never the one just made.

Restoring copies a checked backup into the lane's journal through the same API (the device id
travels with it), and refuses to put it over a journal that holds anything the backup does not:
a later sale, shift, close, count, label or audit line — or another lane's work.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import datetime
from pathlib import Path

from fairpos.i18n import _
from fairpos.journal.records import Backup, BackupError, Contents

PREFIX = "fairpos-"
SUFFIX = ".db"


@contextmanager
def _read(path: Path) -> Iterator[sqlite3.Connection]:
    """``path`` opened for reading only (a backup is never changed by being checked)."""
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None)
    except sqlite3.Error as err:
        raise BackupError(_("{path} cannot be read: {error}").format(path=path, error=err)) \
            from None
    with closing(conn):
        yield conn


def contents(conn: sqlite3.Connection) -> Contents:
    def value(sql: str) -> int:
        return int(conn.execute(sql).fetchone()[0] or 0)

    try:
        device = conn.execute("SELECT id, last_seq FROM device").fetchone()
        if device is None:
            raise BackupError(_("it has no lane's device id"))
        return Contents(
            device_id=str(device[0]), sales=value("SELECT COUNT(*) FROM sales"),
            last_seq=max(int(device[1]), value("SELECT MAX(seq) FROM sales")),
            shifts=value("SELECT COUNT(*) FROM shifts"),
            closed_shifts=value("SELECT COUNT(*) FROM shifts WHERE closed_at IS NOT NULL"),
            open_shift=bool(value("SELECT COUNT(*) FROM shifts WHERE closed_at IS NULL")),
            labels=value("SELECT COUNT(*) FROM labels"),
            counts=value("SELECT COUNT(*) FROM count_rounds"),
            audit=value("SELECT COUNT(*) FROM audit_log"))
    except sqlite3.Error as err:  # not a journal: no such table, not a database
        raise BackupError(_("it is not a fairpos journal ({error})").format(error=err)) \
            from None


def _whole(path: Path, conn: sqlite3.Connection) -> None:
    """Refused unless the SQLite file open on ``conn`` is whole: integrity, foreign keys."""
    try:
        verdict = [row[0] for row in conn.execute("PRAGMA integrity_check")]
        dangling = conn.execute("PRAGMA foreign_key_check").fetchall()
    except sqlite3.Error as err:
        if "malformed" in str(err):  # a database, torn
            raise BackupError(_("{path} is damaged: {problem}").format(
                path=path, problem=err)) from None
        raise BackupError(_("{path} is not a fairpos journal ({error})").format(
            path=path, error=err)) from None
    if verdict != ["ok"]:
        raise BackupError(_("{path} is damaged: {problem}").format(
            path=path, problem=verdict[0]))
    if dangling:
        raise BackupError(_("{path} is damaged: a row refers to one that is not there")
                          .format(path=path))


def _consistent(path: Path, conn: sqlite3.Connection) -> Contents:
    """What a whole journal holds, once its sales are found numbered and adding up."""
    try:
        held = contents(conn)
    except BackupError as err:
        raise BackupError(f"{path}: {err}") from None
    # Each number is taken once (the schema says so) and none past the lane's counter; a
    # number may be missing — a rollback leaves out the sales made on the newer version, kept
    # in a folder of their own, and numbering goes on after them.
    numbered = conn.execute("SELECT COALESCE(MIN(seq), 1), COALESCE(MAX(seq), 0) FROM sales"
                            ).fetchone()
    unbalanced = conn.execute(
        "SELECT COUNT(*) FROM sales s WHERE s.kind = 'sale' AND s.total != "
        "(SELECT COALESCE(SUM(amount), 0) FROM sale_lines "
        " WHERE sale_id = s.id AND voided = 0)").fetchone()[0]
    counter = conn.execute("SELECT COALESCE(MAX(last_seq), 0) FROM device").fetchone()[0]
    if numbered[0] < 1 or numbered[1] > counter or unbalanced:
        raise BackupError(_("{path} is not consistent: its sales do not add up").format(
            path=path))
    return held


def check(path: Path) -> Contents:
    """What the copy at ``path`` holds, once it is found whole and consistent."""
    if not path.is_file():
        raise BackupError(_("there is no backup at {path}").format(path=path))
    with _read(path) as conn:
        _whole(path, conn)
        return _consistent(path, conn)


def _copy(source: sqlite3.Connection, target: Path) -> None:
    """``source`` as it stands, into a new file ``target`` (renamed into place when whole)."""
    part = target.with_name(target.name + ".part")
    part.unlink(missing_ok=True)
    try:
        with closing(sqlite3.connect(part)) as copy:
            source.backup(copy)  # (one step: the journal at one moment)
            copy.execute("PRAGMA journal_mode=DELETE")  # one file, no -wal beside it
        with part.open("rb") as done:
            os.fsync(done.fileno())
        os.replace(part, target)
    except (OSError, sqlite3.Error) as err:
        part.unlink(missing_ok=True)
        raise BackupError(_("the backup could not be written to {folder}: {error}").format(
            folder=target.parent, error=err)) from None


def copy_whole(source: sqlite3.Connection, folder: Path, stem: str, when: datetime,
               keep: int) -> tuple[Path, tuple[Path, ...]]:
    """A copy of the SQLite file open on ``source`` in ``folder`` as ``STEM-DATE-TIME.db``,
    found whole; the copies of the same stem beyond ``keep`` removed (the oldest first). The
    copy, and the ones removed."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise BackupError(_("the backup could not be written to {folder}: {error}").format(
            folder=folder, error=err)) from None
    target = folder / f"{stem}-{when:%Y%m%d-%H%M%S}{SUFFIX}"
    n = 1
    while target.exists():  # (two in the same second)
        n += 1
        target = folder / f"{stem}-{when:%Y%m%d-%H%M%S}-{n}{SUFFIX}"
    _copy(source, target)
    with _read(target) as conn:
        _whole(target, conn)
    return target, rotate(folder, stem, keep, target)


def take(source: sqlite3.Connection, folder: Path, when: datetime, keep: int) -> Backup:
    """A checked copy of the journal open on ``source`` in ``folder``, the oldest beyond
    ``keep`` of this lane removed."""
    device = contents(source).device_id
    target, removed = copy_whole(source, folder, f"{PREFIX}{device}", when, keep)
    with _read(target) as conn:
        held = _consistent(target, conn)
    return Backup(target, held, removed)


def rotate(folder: Path, stem: str, keep: int, newest: Path) -> tuple[Path, ...]:
    """Remove the oldest copies of ``stem`` in ``folder`` beyond ``keep`` (never ``newest``)."""
    mine = sorted((path for path in folder.glob(f"{stem}-*{SUFFIX}")
                   if path != newest), key=lambda path: (path.stat().st_mtime_ns, path.name))
    gone = mine[:max(0, len(mine) - (keep - 1))]
    for path in gone:
        path.unlink(missing_ok=True)
    return tuple(gone)


def restore(backup: Path, journal: Path, when: datetime) -> tuple[Contents, Path | None]:
    """Put the checked ``backup`` in place of the journal at ``journal``: what it holds, and
    where the journal it replaced was kept (None: there was none, or it held nothing)."""
    held = check(backup)
    kept = None
    if journal.exists():
        with _read(journal) as conn:
            here = contents(conn)
        if here.device_id != held.device_id and not here.empty:
            raise BackupError(_("the journal here is lane {here}'s and holds its work; the "
                                "backup is lane {there}'s: nothing was changed").format(
                here=here.device_id, there=held.device_id))
        ahead = here.ahead_of(held) if here.device_id == held.device_id else []
        if ahead:
            raise BackupError(_("the journal here holds what the backup does not ({what}): "
                                "nothing was changed").format(what=", ".join(ahead)))
        if not here.empty:
            kept = journal.with_name(f"{journal.name}.before-restore-{when:%Y%m%d-%H%M%S}")
            with closing(sqlite3.connect(journal)) as conn:
                _copy(conn, kept)
    journal.parent.mkdir(parents=True, exist_ok=True)
    try:
        with closing(sqlite3.connect(f"file:{backup}?mode=ro", uri=True)) as source, \
                closing(sqlite3.connect(journal, timeout=10)) as target:
            source.backup(target)
    except sqlite3.Error as err:
        raise BackupError(_("the journal could not be written: {error}").format(error=err)) \
            from None
    return held, kept
