"""A connection whose server stopped answering is cut, so that the ledger can go to the new
primary instead of waiting for ever.

A PostgreSQL server that is frozen — its machine paused, its disk hung, its processes stopped
— sends nothing, yet its kernel may still take every byte sent to it: a statement on a
connection to it never ends and never fails (neither TCP keepalives nor ``tcp_user_timeout``
notice). Its cluster promotes a standby meanwhile, and the ledger would go on waiting.

So every connection in use is watched: when a statement has run longer than ``after``
seconds, the watchdog asks the same server for a new connection (``connect_timeout`` short).
A server that answers is slow, not gone: its statement goes on, however long it takes. One
that does not is taken for gone: the socket of every late connection to it is shut (the
statement fails as on a cut connection, and the request is tried again — see
``fairpos/ledger/failover.py``), and the pool's idle connections are replaced.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

log = logging.getLogger("fairpos.ledger")

AFTER_SECONDS = 5.0  # a statement this old makes the watchdog ask whether its server answers
PROBE_SECONDS = 2  # how long a server has to answer a new connection (libpq's least)


class Watchdog:
    """Connections in use, each with the time it was last found in order; a thread that looks
    at them every ``every`` seconds (started with the first connection watched)."""

    def __init__(self, answers: Callable[[str, int], bool],
                 gone: Callable[[set[tuple[str, int]]], None],
                 after: float = AFTER_SECONDS, every: float = 1.0) -> None:
        self.answers = answers  # whether the server at (host, port) takes a new connection
        self.gone = gone  # what else to do with the servers found gone (the pool drained)
        self.after, self.every = after, every
        self._busy: dict[int, tuple[Any, float]] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @contextlib.contextmanager
    def watching(self, conn: Any) -> Iterator[None]:
        """While ``conn`` (a psycopg connection) runs what the block runs."""
        key = id(conn)
        with self._lock:
            self._busy[key] = (conn, time.monotonic())
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="ledger-watchdog",
                                                daemon=True)
                self._thread.start()
        try:
            yield
        finally:
            with self._lock:
                self._busy.pop(key, None)

    def close(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            try:
                self.look()
            except Exception:  # (the watchdog must outlive whatever one look met)
                log.exception("the database watchdog's look failed")

    def look(self) -> int:
        """Ask each server with a late connection whether it answers; cut those that do not.
        How many connections were cut."""
        now = time.monotonic()
        with self._lock:
            late = [(key, conn) for key, (conn, since) in self._busy.items()
                    if now - since >= self.after]
        verdicts: dict[tuple[str, int], bool] = {}
        cut = 0
        for key, conn in late:
            try:
                where = (str(conn.info.host), int(conn.info.port))
            except Exception:  # (closed meanwhile: nothing to watch)
                continue
            if where not in verdicts:
                verdicts[where] = self.answers(*where)
            if verdicts[where]:  # slow, not gone: looked at again in ``after`` seconds
                with self._lock:
                    if key in self._busy:
                        self._busy[key] = (conn, now)
                continue
            log.warning("the database at %s:%s does not answer: its connection is cut", *where)
            shut(conn)
            cut += 1
        if cut:
            self.gone({where for where, answered in verdicts.items() if not answered})
        return cut


def shut(conn: Any) -> None:
    """Shut ``conn``'s socket both ways: a statement waiting on it fails at once."""
    with contextlib.suppress(Exception):  # (a connection closed meanwhile has no socket)
        fd = os.dup(conn.pgconn.socket)
        with socket.socket(fileno=fd) as sock:
            sock.shutdown(socket.SHUT_RDWR)
