"""The ledger's HTTP server: uvicorn, with the limits a ledger facing many lanes needs.

uvicorn closes a connection that sits idle *between* requests (``timeout_keep_alive``), but not
one that opens and sends nothing, or sends its headers or body a byte at a time. Here every
request must arrive whole — headers and body — within ``request_seconds`` of the connection
opening or of the previous reply; a client that is slower is cut off (a stall's sync sends its
batch again, unchanged, later). The number of connections is capped: past it, new requests get
503, which a stall retries.

With ``workers`` above 1 the ledger runs as that many processes on one port; each opens the
database itself, from the environment (:func:`app_from_env`), and serves a socket of its own
(``SO_REUSEPORT``), so that the kernel shares the connections out among them evenly. (On one
shared socket, the first process to wake takes every connection waiting — in a reconnection
wave, nearly every stall's, each kept alive for the stall's whole push — and the others sit
idle.) The supervising process binds and listens on every worker's socket before it starts
any worker, and keeps them: connections made while the workers start are shared out all the
same (they wait in their socket's queue), and a worker that dies is started again on the same
socket, with the connections that queued for it meanwhile. Several processes need
PostgreSQL, where each batch locks only its own device's row; SQLite takes them too, one
writer at a time.
"""

from __future__ import annotations

import asyncio
import gc
import multiprocessing
import os
import signal
import socket
import sys
import threading
import time
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from fairpos.ledger.addresses import ADDRESSES
from fairpos.ledger.limits import (
    IDLE_SECONDS,
    MAX_CONNECTIONS,
    PER_ADDRESS,
    REQUEST_SECONDS,
    RESERVE,
    SEQ_AHEAD,
)

TOO_MANY = (b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\n"
            b"content-length: 52\r\nconnection: close\r\n\r\n"
            b'{"error": "too many connections from this address"}\n')


class GuardedH11(H11Protocol):
    """uvicorn's HTTP/1.1 protocol with a deadline for each request to arrive whole, and
    a count of connections by client address (:mod:`fairpos.ledger.addresses`)."""

    request_seconds = float(os.environ.get("FAIRPOS_LEDGER_REQUEST_SECONDS", REQUEST_SECONDS))
    _deadline: asyncio.TimerHandle | None = None
    _host: str | None = None  # the client's address, counted while the connection lasts
    _refused = False

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        peer = transport.get_extra_info("peername")
        host = str(peer[0]) if isinstance(peer, tuple) and peer else ""
        if not ADDRESSES.admit(host):
            self._refused = True  # (answered before it is read, and never counted)
            transport.write(TOO_MANY)
            transport.close()
            return
        self._host = host
        super().connection_made(transport)
        self._arm()

    def data_received(self, data: bytes) -> None:
        if self._refused:
            return
        super().data_received(data)
        if self.conn.their_state is not h11.IDLE and self.conn.their_state is not h11.SEND_BODY:
            self._disarm()  # the request is in: the time the ledger takes is its own

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._arm()  # the next request's time starts now

    def connection_lost(self, exc: Exception | None) -> None:
        if self._refused:
            return
        if self._host is not None:
            ADDRESSES.closed(self._host)
            self._host = None
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
    ``FAIRPOS_LEDGER_DB``, ``FAIRPOS_LEDGER_READ_DB`` and ``FAIRPOS_LEDGER_SEQ_AHEAD``; a
    hub's when ``FAIRPOS_LEDGER_HUB`` is set."""
    from fairpos.ledger.app import create_app
    from fairpos.ledger.store import open_ledger
    from fairpos.ledger.throttle import FREE_ATTEMPTS, SignInThrottle

    seq_ahead = int(os.environ.get("FAIRPOS_LEDGER_SEQ_AHEAD", SEQ_AHEAD))
    store = open_ledger(os.environ["FAIRPOS_LEDGER_DB"], seq_ahead=seq_ahead)
    read_db = os.environ.get("FAIRPOS_LEDGER_READ_DB")
    reads = open_ledger(read_db, seq_ahead=seq_ahead, migrate=False) if read_db else None
    free = int(os.environ.get("FAIRPOS_LEDGER_SIGN_IN_ATTEMPTS", FREE_ATTEMPTS))
    ADDRESSES.per_address = int(os.environ.get("FAIRPOS_LEDGER_PER_ADDRESS", PER_ADDRESS))
    ADDRESSES.reserve = int(os.environ.get("FAIRPOS_LEDGER_RESERVE", RESERVE))
    ADDRESSES.most = int(os.environ.get("FAIRPOS_LEDGER_MAX_CONNECTIONS", MAX_CONNECTIONS))
    app = create_app(store, reads, hub=bool(os.environ.get("FAIRPOS_LEDGER_HUB")),
                     throttle=SignInThrottle(free=free))
    # what start-up made lives as long as the process: the collector need not look at it
    # again each time a wave of batches has made garbage (a full collection would)
    gc.freeze()
    return app


def run(db: str, host: str, port: int, *, read_db: str | None = None, workers: int = 1,
        seq_ahead: int | None = None, request_seconds: float = REQUEST_SECONDS,
        idle_seconds: int = IDLE_SECONDS, max_connections: int = MAX_CONNECTIONS,
        ssl_certfile: str | None = None, ssl_keyfile: str | None = None,
        upstream: tuple[str, str, float] | None = None,
        sign_in_attempts: int | None = None, per_address: int = PER_ADDRESS,
        reserve: int = RESERVE) -> None:
    """Serve the ledger at ``db`` until interrupted, in ``workers`` processes; with
    ``upstream`` (the centre's URL, this hub's token, the seconds between rounds), as a hub,
    its link to the centre in a thread of this process."""
    if upstream is not None:
        os.environ["FAIRPOS_LEDGER_HUB"] = "1"
        start_relay(db, *upstream)
    os.environ["FAIRPOS_LEDGER_DB"] = db
    if sign_in_attempts is not None:
        os.environ["FAIRPOS_LEDGER_SIGN_IN_ATTEMPTS"] = str(sign_in_attempts)
    if read_db:
        os.environ["FAIRPOS_LEDGER_READ_DB"] = read_db
    if seq_ahead:
        os.environ["FAIRPOS_LEDGER_SEQ_AHEAD"] = str(seq_ahead)
    os.environ["FAIRPOS_LEDGER_REQUEST_SECONDS"] = str(request_seconds)
    os.environ["FAIRPOS_LEDGER_PER_ADDRESS"] = str(per_address)
    os.environ["FAIRPOS_LEDGER_RESERVE"] = str(min(reserve, max_connections - 1))
    os.environ["FAIRPOS_LEDGER_MAX_CONNECTIONS"] = str(max_connections)
    GuardedH11.request_seconds = request_seconds
    options = {"timeout_keep_alive": idle_seconds, "limit_concurrency": max_connections,
               "ssl_certfile": ssl_certfile, "ssl_keyfile": ssl_keyfile}
    if workers == 1:
        import uvicorn

        uvicorn.run("fairpos.ledger.server:app_from_env", factory=True, host=host, port=port,
                    **_uvicorn_options(options))
        return
    supervise(workers, _address(host, port), options)


def start_relay(db: str, url: str, token: str, period: float) -> threading.Event:
    """The hub's rounds with the centre, in a thread of their own (set the event to stop)."""
    from fairpos.ledger.store import open_ledger
    from fairpos.ledger.upstream import keep_relaying
    from fairpos.sync.relay import LedgerClient

    stop = threading.Event()

    def relay() -> None:
        store = open_ledger(db, migrate=False)
        try:
            with LedgerClient(url, token) as client:
                keep_relaying(store, client, stop, store.clock, period)
        finally:
            store.close()

    threading.Thread(target=relay, name="upstream", daemon=True).start()
    return stop


def check_port(host: str, port: int) -> None:
    """OSError if ``host:port`` cannot be listened on — held by anything, another ledger's
    workers included (their ``SO_REUSEPORT`` would otherwise let ours join them)."""
    address = _address(host, port)
    with socket.socket(address[0], socket.SOCK_STREAM) as probe:
        # (as uvicorn does: connections of a ledger just stopped, in TIME_WAIT, do not count;
        # on Linux a socket listening there still does)
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind(address[1])


def _uvicorn_options(options: dict[str, Any]) -> dict[str, Any]:
    return {"http": GuardedH11, "log_level": "warning", "timeout_graceful_shutdown": 5,
            "proxy_headers": False, **options}


def _address(host: str, port: int) -> tuple[socket.AddressFamily, Any]:
    family, _type, _proto, _name, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0]
    return family, address


def listening(address: tuple[socket.AddressFamily, Any], backlog: int = 2048
              ) -> socket.socket:
    """A socket listening on the shared port (``SO_REUSEPORT``): one per worker."""
    sock = socket.socket(address[0], socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        sock.bind(address[1])
        sock.listen(backlog)
    except OSError:
        sock.close()
        raise
    return sock


def serve_worker(sock: socket.socket, options: dict[str, Any]) -> None:
    """One worker process: the ledger app on its own socket of the shared port, for as long
    as its supervisor lives."""
    import uvicorn

    config = uvicorn.Config("fairpos.ledger.server:app_from_env", factory=True,
                            **_uvicorn_options(options))
    server = uvicorn.Server(config)
    threading.Thread(target=_exit_with_parent, args=(server, os.getppid()), daemon=True,
                     name="supervisor").start()
    server.run(sockets=[sock])


SUPERVISOR_SECONDS = 1.0  # how often a worker looks whether its supervisor still lives


def _exit_with_parent(server: Any, parent: int) -> None:
    """(A worker's thread.) A supervisor SIGKILLed leaves its workers to init: they would
    serve on as orphans and hold the port, so that a new ledger could not start. A worker
    whose parent is gone stops serving (and ends, if it cannot stop within a while)."""
    while os.getppid() == parent:
        time.sleep(SUPERVISOR_SECONDS)
    server.should_exit = True
    time.sleep(10 * SUPERVISOR_SECONDS)
    os._exit(0)


STARTUP_FAILED = 3  # a worker's exit status when it could not start (uvicorn's own, too)


def supervise(count: int, address: tuple[socket.AddressFamily, Any],
              options: dict[str, Any]) -> None:
    """``count`` worker processes, each on a socket bound here first, until SIGINT or
    SIGTERM; one that dies is started again, unless it could not start at all (then every
    worker is stopped: it would fail again)."""
    sockets: list[socket.socket] = []
    try:
        for _ in range(count):
            sockets.append(listening(address))
    except OSError as err:
        for sock in sockets:
            sock.close()
        print(f"fairpos ledger: {err}", file=sys.stderr)
        sys.exit(STARTUP_FAILED)
    try:
        _supervise(sockets, options)
    finally:
        for sock in sockets:
            sock.close()


def _supervise(sockets: list[socket.socket], options: dict[str, Any]) -> None:
    context = multiprocessing.get_context("spawn")
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())

    def started(sock: socket.socket) -> Any:
        process = context.Process(target=serve_worker, args=(sock, options))
        process.start()
        return process

    processes = [started(sock) for sock in sockets]
    failed = False
    while not stop.wait(0.5):
        for n, process in enumerate(processes):
            if not process.is_alive() and not stop.is_set():
                if process.exitcode == STARTUP_FAILED:
                    failed = True
                    stop.set()
                    break
                processes[n] = started(sockets[n])
    for process in processes:
        if process.is_alive():
            process.terminate()
    for process in processes:
        process.join(10)
        if process.is_alive():
            process.kill()
            process.join()
    if failed:
        sys.exit(STARTUP_FAILED)
