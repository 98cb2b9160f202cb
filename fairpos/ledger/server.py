"""The ledger's HTTP server: uvicorn, with the limits a ledger facing many lanes needs.

uvicorn closes a connection that sits idle *between* requests (``timeout_keep_alive``), but not
one that opens and sends nothing, or sends its headers or body a byte at a time. Here every
request must arrive whole — headers and body — within ``request_seconds`` of the connection
opening or of the previous reply; a client that is slower is cut off (a stall's sync sends its
batch again, unchanged, later). The number of connections is capped: past it, new requests get
503, which a stall retries.

With ``workers`` above 1 the ledger runs as that many processes on one port (uvicorn's
supervisor); each opens the database itself, from the environment (:func:`app_from_env`).
Several processes need PostgreSQL, where each batch locks only its own device's row; SQLite
takes them too, one writer at a time.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from fairpos.ledger.limits import IDLE_SECONDS, MAX_CONNECTIONS, REQUEST_SECONDS, SEQ_AHEAD


class GuardedH11(H11Protocol):
    """uvicorn's HTTP/1.1 protocol with a deadline for each request to arrive whole."""

    request_seconds = float(os.environ.get("FAIRPOS_LEDGER_REQUEST_SECONDS", REQUEST_SECONDS))
    _deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.conn.their_state is not h11.IDLE and self.conn.their_state is not h11.SEND_BODY:
            self._disarm()  # the request is in: the time the ledger takes is its own

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._arm()  # the next request's time starts now

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(self.request_seconds, self._too_slow)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _too_slow(self) -> None:
        self._deadline = None
        if not self.transport.is_closing():
            self.transport.close()


def app_from_env() -> Any:
    """The ledger app of one worker process: its store (and read store) opened from
    ``FAIRPOS_LEDGER_DB``, ``FAIRPOS_LEDGER_READ_DB`` and ``FAIRPOS_LEDGER_SEQ_AHEAD``."""
    from fairpos.ledger.app import create_app
    from fairpos.ledger.store import open_ledger

    seq_ahead = int(os.environ.get("FAIRPOS_LEDGER_SEQ_AHEAD", SEQ_AHEAD))
    store = open_ledger(os.environ["FAIRPOS_LEDGER_DB"], seq_ahead=seq_ahead)
    read_db = os.environ.get("FAIRPOS_LEDGER_READ_DB")
    reads = open_ledger(read_db, seq_ahead=seq_ahead, migrate=False) if read_db else None
    return create_app(store, reads)


def run(db: str, host: str, port: int, *, read_db: str | None = None, workers: int = 1,
        seq_ahead: int | None = None, request_seconds: float = REQUEST_SECONDS,
        idle_seconds: int = IDLE_SECONDS, max_connections: int = MAX_CONNECTIONS,
        ssl_certfile: str | None = None, ssl_keyfile: str | None = None) -> None:
    """Serve the ledger at ``db`` until interrupted, in ``workers`` processes."""
    import uvicorn

    os.environ["FAIRPOS_LEDGER_DB"] = db
    if read_db:
        os.environ["FAIRPOS_LEDGER_READ_DB"] = read_db
    if seq_ahead:
        os.environ["FAIRPOS_LEDGER_SEQ_AHEAD"] = str(seq_ahead)
    os.environ["FAIRPOS_LEDGER_REQUEST_SECONDS"] = str(request_seconds)
    GuardedH11.request_seconds = request_seconds
    uvicorn.run("fairpos.ledger.server:app_from_env", factory=True, host=host, port=port,
                workers=workers, http=GuardedH11, log_level="warning",
                timeout_keep_alive=idle_seconds, limit_concurrency=max_connections,
                timeout_graceful_shutdown=5, ssl_certfile=ssl_certfile,
                ssl_keyfile=ssl_keyfile, proxy_headers=False)
